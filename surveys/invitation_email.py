"""What an invitation or reminder says: the manager's subject and body (with the
``{link}`` placeholder) inside the invitation email trio, with the privacy promise, the
closing date and an opt-out link that no manager can edit away."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from perception.lib import emails
from perception.models import SiteSettings
from surveys.models import Invitation, InvitationMessage, Wave

PLACEHOLDER = InvitationMessage.LINK_PLACEHOLDER
OPT_OUT_SALT = "surveys.invitation-opt-out"


def default_message(wave: Wave) -> InvitationMessage:
    """The wave's saved text, or the standard one in the survey's language (unsaved)."""
    saved = InvitationMessage.objects.filter(wave=wave).first()
    if saved is not None:
        return saved
    survey = wave.survey
    context = {"site": SiteSettings.load(), "survey": survey, "wave": wave}
    with translation.override(survey.language):
        subject = " ".join(render_to_string("emails/invitation-default-subject.txt", context).split())
        body = render_to_string("emails/invitation-default-body.txt", context).strip()
    return InvitationMessage(wave=wave, subject=subject, body=body)


def personal_link(token: str) -> str:
    return settings.SITE_URL + reverse("surveys:personal_link", args=[token])


def opt_out_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=OPT_OUT_SALT, compress=True)


def invitation_from_opt_out(token: str) -> Invitation | None:
    """The invitation a signed opt-out link names, or None for a forged or broken one."""
    try:
        pk = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Invitation.objects.select_related("wave__survey").filter(pk=pk).first()


def opt_out_link(token: str) -> str:
    return settings.SITE_URL + reverse("surveys:opt_out", args=[token])


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the body: lines of (text, is_link) pieces, or the button."""

    lines: list[list[tuple[str, bool]]]
    button: bool = False


def _html_paragraphs(body: str) -> list[Paragraph]:
    """The body as paragraphs for the HTML part: a paragraph that is only the
    placeholder becomes the button; a placeholder inside text becomes a plain link. The
    template escapes every piece of text."""
    paragraphs = []
    for text in body.replace("\r\n", "\n").split("\n\n"):
        if not text.strip():
            continue
        if text.strip() == PLACEHOLDER:
            paragraphs.append(Paragraph([], button=True))
            continue
        lines = []
        for line in text.strip().split("\n"):
            pieces: list[tuple[str, bool]] = []
            for index, piece in enumerate(line.split(PLACEHOLDER)):
                if index:
                    pieces.append(("", True))
                if piece:
                    pieces.append((piece, False))
            lines.append(pieces)
        paragraphs.append(Paragraph(lines))
    return paragraphs


def compose(
    *, wave: Wave, message: InvitationMessage, token: str, opt_out: str, reminder: bool = False
) -> emails.Email:
    """The email one person gets, rendered by perception.lib.emails in the survey's language."""
    link = personal_link(token)
    return emails.render(
        "invitation",
        {
            "survey": wave.survey,
            "wave": wave,
            "subject": message.subject,
            "body_text": message.body.replace(PLACEHOLDER, link),
            "body_html": _html_paragraphs(message.body),
            "link": link,
            "opt_out_link": opt_out_link(opt_out),
            "reminder": reminder,
        },
        language=wave.survey.language,
    )
