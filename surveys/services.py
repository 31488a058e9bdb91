"""Writes that span several survey models: submitting a response, creating invitations."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from perception.models import Department
from surveys.models import Answer, Invitation, Question, Response, Survey, Wave, hash_token


class InvitationAlreadyUsed(Exception):
    """The personal link has already been used to answer."""


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a value with the server's respondent-key secret."""
    return hmac.new(settings.RESPONDENT_KEY_SECRET.encode(), value.encode(), hashlib.sha256).hexdigest()


def email_hash(email: str) -> str:
    return keyed_hash("email:" + email.strip().lower())


def respondent_key_for(*, survey: Survey, invitation: Invitation | None) -> str:
    """A fresh random key, unless a pseudonymous or identified person answers by their link.

    Then the key is derived from the keyed email hash, so the same person's answers can be
    grouped across waves without the key revealing who they are.
    """
    if invitation is None or survey.anonymity == Survey.ANONYMOUS:
        return uuid.uuid4().hex
    return keyed_hash("respondent:" + invitation.email_hash)


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str


def invitation_issue(*, wave: Wave, email: str, resend: bool = False) -> NewInvitation | None:
    """Create a personal link for one address, or None if it was already invited.

    An invitation that was created but never sent (a failed run) is reissued. With
    ``resend`` a sent, unused invitation gets a new token too (the old link stops working,
    since only its hash was ever stored). A used invitation is never reissued.
    """
    digest = email_hash(email)
    token = secrets.token_urlsafe(32)
    keep_email = email.strip() if wave.survey.anonymity == Survey.IDENTIFIED else ""
    with transaction.atomic():
        existing = Invitation.objects.select_for_update().filter(wave=wave, email_hash=digest).first()
        if existing is None:
            invitation = Invitation.objects.create(
                wave=wave, email_hash=digest, email=keep_email, token_hash=hash_token(token)
            )
            return NewInvitation(invitation, token)
        if existing.used_at is not None or (existing.sent_at is not None and not resend):
            return None
        existing.token_hash = hash_token(token)
        existing.save(update_fields=["token_hash"])
        return NewInvitation(existing, token)


def invitation_mark_sent(*, invitation: Invitation, now: datetime | None = None) -> None:
    invitation.sent_at = now or timezone.now()
    invitation.save(update_fields=["sent_at"])


def _claim_invitation(invitation: Invitation, now: datetime) -> None:
    """Mark the link used; exactly one of several concurrent submissions wins."""
    used_at = now
    if invitation.wave.survey.anonymity == Survey.ANONYMOUS:
        # Keep only the day, so the moment a link was used cannot be matched to the
        # moment a response arrived.
        used_at = now.replace(hour=0, minute=0, second=0, microsecond=0)
    claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=used_at)
    if not claimed:
        raise InvitationAlreadyUsed


def response_submit(
    *,
    wave: Wave,
    answers: dict[Question, object],
    department: Department | None = None,
    invitation: Invitation | None = None,
    source: str = Response.WEB,
    now: datetime | None = None,
) -> Response:
    """Store one response with its answers, all or nothing.

    ``answers`` maps each answered question to its cleaned value: an int for scales, a
    Choice for single choice, a list of Choices for multiple choice, a string for text.
    Unanswered questions are left out. Raises InvitationAlreadyUsed for a used link.
    """
    now = now or timezone.now()
    survey = wave.survey
    with transaction.atomic():
        if invitation is not None:
            _claim_invitation(invitation, now)
        response = Response.objects.create(
            wave=wave,
            respondent_key=respondent_key_for(survey=survey, invitation=invitation),
            department=department,
            submitted=now,
            source=Response.LINK if invitation is not None else source,
            invitation=invitation if survey.anonymity == Survey.IDENTIFIED else None,
        )
        rows = []
        for question, value in answers.items():
            if value in (None, "", []):
                continue
            if question.is_numeric:
                rows.append(Answer(response=response, question=question, number=float(value)))
            elif question.kind == Question.SINGLE:
                rows.append(Answer(response=response, question=question, choice=value))
            elif question.kind == Question.MULTIPLE:
                rows.extend(Answer(response=response, question=question, choice=c) for c in value)
            else:
                rows.append(Answer(response=response, question=question, text=value))
        Answer.objects.bulk_create(rows)
    return response
