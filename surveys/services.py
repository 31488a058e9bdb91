"""Writes that span several survey models: submitting a response, creating invitations."""

import hashlib
import hmac
import json
import os
import secrets
import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from perception.lib import emails, hooks, respondent_scoring
from perception.lib import sealed as sealed_values
from perception.lib.dates import months_before
from perception.models import Department, Theme
from surveys.bulk import (
    CHOICES,
    NUMBER,
    TEXT,
    insert_answer_columns,
    insert_respondent_scores,
    insert_response,
    insert_response_answers,
    insert_responses,
)
from surveys.imports import QUESTION_KINDS, Converted, ImportProblem, Scale, Table, convert, read_export
from surveys.invitation_email import compose, default_message, opt_out_token
from surveys.models import (
    Answer,
    Choice,
    ImportRecord,
    ImportUpload,
    Invitation,
    InvitationMessage,
    Question,
    RespondentScore,
    Response,
    Survey,
    Wave,
    hash_token,
    scoring_digest,
)


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


def invitation_issue(
    *,
    wave: Wave,
    email: str,
    resend: bool = False,
    department: Department | None = None,
    department_verified: bool | None = None,
    send_after: datetime | None = None,
) -> NewInvitation | None:
    """Create a personal link for one address, or None if it was already invited.

    An invitation that was created but never sent (a failed run) is reissued. With
    ``resend`` a sent, unused invitation gets a new token too (the old link stops working,
    since only its hash was ever stored) and is due again. A used invitation is never
    reissued. ``department`` (from the invitation list) becomes the department of the
    response; it is verified when People gives this address that department
    (``department_verified``, worked out here unless the caller knows), else it counts as
    self-reported (2k). The address and link are kept sealed (encrypted) until the wave closes, so
    that a task can send the invitation at ``send_after`` and reminders later.
    """
    digest = email_hash(email)
    if department is not None and department_verified is None:
        department_verified = _department_in_people(email, department)
    token = secrets.token_urlsafe(32)
    keep_email = email.strip() if wave.survey.anonymity == Survey.IDENTIFIED else ""
    sealed = {
        "token_hash": hash_token(token),
        "address_sealed": sealed_values.seal(email.strip()),
        "link_sealed": sealed_values.seal(token),
        "send_after": send_after,
    }
    with transaction.atomic():
        existing = Invitation.objects.select_for_update().filter(wave=wave, email_hash=digest).first()
        if existing is None:
            invitation = Invitation.objects.create(
                wave=wave,
                email_hash=digest,
                email=keep_email,
                department=department,
                department_verified=bool(department_verified),
                **sealed,
            )
            return NewInvitation(invitation, token)
        if existing.answered or existing.opted_out or (existing.sent_at is not None and not resend):
            return None
        for name, value in sealed.items():
            setattr(existing, name, value)
        existing.sent_at, existing.bounced = None, False
        fields = [*sealed, "sent_at", "bounced", "department_verified"]
        if department is not None:
            existing.department = department
            existing.department_verified = bool(department_verified)
            fields.append("department")
        existing.save(update_fields=fields)
        return NewInvitation(existing, token)


SELF_VIEW_SUFFIX = " — IT self-view"


def _free_wave_label(survey: Survey, wanted: str) -> str:
    """``wanted`` (cut to the field's 60 characters), or with a number after it, so no two
    waves of a survey share a label (a manager may have typed the same one)."""
    taken = set(survey.waves.values_list("label", flat=True))
    label, number = wanted[:60], 2
    while label in taken:
        tail = f" ({number})"
        label, number = wanted[: 60 - len(tail)] + tail, number + 1
    return label


def self_view_wave_create(*, wave: Wave) -> Wave:
    """The IT self-view wave paired with a users' wave: the same dates and questions, its
    own invitation list (``send_invitations`` with its id), answers kept apart. Returns the
    existing one if the wave already has it."""
    if wave.self_view_of_id is not None:
        raise ValueError("A self-view wave cannot have a self-view of its own.")
    with transaction.atomic():
        # Lock the users' wave: two clicks at once still make one self-view wave.
        Wave.objects.select_for_update().filter(pk=wave.pk).exists()
        existing = wave.self_views.first()
        if existing is not None:
            return existing
        return Wave.objects.create(
            survey=wave.survey,
            label=_free_wave_label(wave.survey, wave.label + SELF_VIEW_SUFFIX),
            opens=wave.opens,
            closes=wave.closes,
            self_view_of=wave,
        )


def _claim_invitation(invitation: Invitation, now: datetime) -> None:
    """Mark the link answered; exactly one of several concurrent submissions wins.

    Anonymous surveys keep no time at all, not even the day: the moment a link was used
    could otherwise be matched to the day a response arrived.
    """
    # The saved draft goes with the submission: it is never analysed.
    changes = {"answered": True, "draft": {}}
    if invitation.wave.survey.anonymity != Survey.ANONYMOUS:
        changes["used_at"] = now
    claimed = Invitation.objects.filter(pk=invitation.pk, answered=False).update(**changes)
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
    other_texts: dict[Question, str] | None = None,
) -> Response:
    """Store one response with its answers, all or nothing.

    ``answers`` maps each answered question to its cleaned value: an int for scales, a
    Choice for single choice, a list of Choices for multiple choice, a string for text.
    Unanswered questions are left out. Raises InvitationAlreadyUsed for a used link.

    A rating answered "don't know" (``Question.DONT_KNOW``) stores no answer at all, as an
    import does (DESIGN rule 9: missing, never a point). It therefore counts exactly like
    a skipped question everywhere: in the person's scores, and in the disclosure rule that
    a dimension's family holds only people who answered every dimension question — a
    don't-know is no answer the published figures could tell apart from a skip.

    ``other_texts`` holds the words given for a choice question's "other" option; they
    are kept as the text of that option's answer row.

    A personal link whose invitation names a department gives that department, whatever
    was picked. Any other department (picked by the respondent on either kind of link,
    or typed into an invitation list rather than taken from People) is self-reported. Anonymous
    surveys store only the date of submission and never the invitation.
    """
    now = now or timezone.now()
    survey = wave.survey
    other_texts = other_texts or {}
    source = Response.LINK if invitation is not None else source
    if invitation is not None and invitation.department_id is not None:
        department = invitation.department
    # Verified only when People gave the invitee this department; anything a respondent
    # picks, or a manager typed into a list, could be padded with addresses of one's own.
    verified = bool(invitation and invitation.department_id and invitation.department_verified)
    with transaction.atomic():
        if invitation is not None:
            _claim_invitation(invitation, now)
        fields = {
            "respondent_key": respondent_key_for(survey=survey, invitation=invitation),
            "department_self_reported": department is not None and not verified,
            "submitted": survey.submission_time(now),
            "source": source,
        }
        kept_invitation = invitation if survey.anonymity == Survey.IDENTIFIED else None
        response = Response(wave=wave, department=department, invitation=kept_invitation, **fields)
        response.pk = insert_response(
            wave_id=wave.pk,
            department_id=department.pk if department is not None else None,
            invitation_id=kept_invitation.pk if kept_invitation is not None else None,
            **fields,
        )
        response._state.adding, response._state.db = False, connection.alias
        # (response, question, number, choice, text) rows, inserted in one statement.
        rows: list[tuple] = []
        numbers: dict[int, float] = {}
        ticked: dict[int, list[tuple[int, ...]]] = {}  # a column of one, as scoring takes it
        for question, value in answers.items():
            if value in (None, "", []):
                continue
            if question.is_numeric:
                if value == Question.DONT_KNOW:
                    continue
                rows.append((response.pk, question.pk, float(value), None, ""))
                numbers[question.pk] = float(value)
            elif question.kind in (Question.SINGLE, Question.MULTIPLE):
                chosen = value if isinstance(value, list) else [value]
                words = other_texts.get(question, "")
                rows.extend(
                    (response.pk, question.pk, None, c.pk, words if c.is_other else "") for c in chosen
                )
                ticked[question.pk] = [tuple(c.pk for c in chosen)]
            else:
                rows.append((response.pk, question.pk, None, None, value))
        insert_response_answers(rows, marked={question.pk for question in answers if question.answered})
        # Scored from the answers in hand, with no query. Were ``answers`` not every
        # question of the survey, the digest differs from the survey's and the scores are
        # computed again from the stored answers before anyone reads them.
        questions = list(answers)
        columns = {question: [number] for question, number in numbers.items()}
        scores = respondent_scoring.score_answers(questions, [response.pk], columns, ticked)
        insert_respondent_scores(scoring_digest(questions), {response.pk: scores[response.pk]})
    return response


# -- Respondent scores, kept as responses arrive ---------------------------------------

SCORE_WRITE_BATCH = 5_000


def respondent_scores_write(*, survey: Survey, response_ids) -> dict[int, dict[str, float]]:
    """Compute and keep the scores of these responses of ``survey`` (replacing any kept
    ones), in the caller's transaction or one of its own; returns what was written.

    The scoring is reports' (``perception.lib.respondent_scoring``); this keeps it."""
    ids = sorted({int(r) for r in response_ids})
    if not ids:
        return {}
    digest = survey.scoring_digest()
    with transaction.atomic():
        scores = respondent_scoring.score_responses(survey, ids)
        for start in range(0, len(ids), SCORE_WRITE_BATCH):
            chunk = ids[start : start + SCORE_WRITE_BATCH]
            insert_respondent_scores(digest, {r: scores[r] for r in chunk}, replace=True)
    return scores


def respondent_scores_rebuild(
    *, survey: Survey, everything: bool = False, progress: Callable[[int, int], None] | None = None
) -> int:
    """Bring a survey's kept scores up to date: responses without kept scores, or kept
    under other scoring rules (every response with ``everything``). Idempotent: a second
    run finds nothing to do. Returns how many responses were scored; ``progress`` gets
    (done, to do) after each batch."""
    responses = Response.objects.filter(wave__survey=survey)
    if not everything:
        current = RespondentScore.objects.filter(rules=survey.scoring_digest())
        responses = responses.exclude(pk__in=current.values("response_id"))
    ids = list(responses.values_list("pk", flat=True).order_by("pk"))
    for start in range(0, len(ids), SCORE_WRITE_BATCH):
        respondent_scores_write(survey=survey, response_ids=ids[start : start + SCORE_WRITE_BATCH])
        if progress is not None:
            progress(min(start + SCORE_WRITE_BATCH, len(ids)), len(ids))
    return len(ids)


# -- Importing responses from other tools -------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    survey: Survey
    wave: Wave
    responses: int
    skipped_incomplete: int
    created_survey: bool


def _question_kind(kind: str) -> str:
    return {
        "rating": Question.RATING,
        "rating_5": Question.RATING_5,
        "rating_7": Question.RATING_7,
        "scale_10": Question.SCALE_10,
        "single": Question.SINGLE,
        "multiple": Question.MULTIPLE,
    }.get(kind, Question.TEXT)


def _declared(kind: str, scale: Scale | None) -> Scale | None:
    """The scale a mapped rating column is stored under (legacy kinds name their ends)."""
    if kind == "rating":
        return scale
    ends = Question.SCALES.get(_question_kind(kind))
    return Scale(*ends) if ends else None


def responses_import(
    *,
    slug: str,
    table: Table,
    converted: Converted,
    mapping: dict[str, str],
    content_hash: str,
    filename: str = "",
    wave_label: str | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    owner=None,
    scales: dict[str, Scale] | None = None,
    title: str = "",
) -> ImportResult:
    """Store converted rows as one new wave, all or nothing.

    The survey is created from the file when ``slug`` is new (question texts from the
    headers, kinds from the mapping, each rating under its confirmed scale in ``scales``).
    An existing survey is never changed (the version model is "refuse, import as a new
    survey"): the import is refused when the survey has an open or upcoming wave (its
    public form is live), when the file holds questions the survey does not have, or
    when a column's kind or scale differs from its question's. Personal data reaches this
    point only when the manager kept it (``converted.kept_personal``, recorded); a
    respondent id becomes a keyed hash. A survey created here is owned by ``owner``.
    """
    _refuse_problems(converted)
    _refuse_repeat(slug, content_hash, force)
    now = timezone.now()
    span = _ImportSpan.of(converted, now)
    scales = scales or {}
    with transaction.atomic():
        survey, created = _import_survey(slug, owner, title)
        if not created:
            _refuse_live(survey, now)
        wave = _import_wave(survey, wave_label or span.label, span, now)
        questions = _import_questions(survey, mapping, scales, created)
        responses = _import_responses(wave, converted, span)
        _import_answers(survey, questions, responses, converted, progress)
        ImportRecord.objects.create(
            survey=survey,
            wave=wave,
            content_hash=content_hash,
            filename=filename[:255],
            format=table.format,
            responses=len(responses),
            skipped_incomplete=table.skipped_incomplete,
            kept_personal=list(converted.kept_personal),
            kept_personal_by=owner if converted.kept_personal else None,
        )
        if connection.vendor == "postgresql" and len(responses) >= ANALYZE_FROM_RESPONSES:
            transaction.on_commit(_analyze_imported_tables)
        # Once stored, the publishing task publishes the new wave in the background, so
        # no page request has to (a large import takes most of a minute to publish).
        transaction.on_commit(lambda: hooks.request_publication(survey))
    return ImportResult(survey, wave, len(responses), table.skipped_incomplete, created)


# From this many imported responses, PostgreSQL's planner statistics are refreshed as the
# import commits: a new wave of 100,000 responses that the statistics still call empty
# made the query for each respondent's latest response a nested loop over the whole wave
# (hours, measured; 0.2 s once analysed). Autovacuum would get there, but the publishing
# task starts at once.
ANALYZE_FROM_RESPONSES = 1_000


def _analyze_imported_tables() -> None:
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table) for model in (Response, Answer, RespondentScore)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def upload_import(*, upload: ImportUpload, now: datetime | None = None) -> ImportResult:
    """Import a stored upload with the mapping confirmed on its page, all or nothing.

    Used by the page for small files and by the background task for large ones. Once
    imported the file's bytes are dropped; the row stays for the status page until pruned.
    """
    data = bytes(upload.data)
    table = read_export(data, upload.format)
    scales = {header: Scale.from_json(value) for header, value in (upload.scales or {}).items()}
    converted = convert(table, upload.columns, upload.labels, scales, upload.keep_personal or [])
    ImportUpload.objects.filter(pk=upload.pk).update(rows_checked=converted.count)
    result = responses_import(
        slug=upload.slug,
        table=table,
        converted=converted,
        mapping=upload.columns,
        content_hash=hashlib.sha256(data).hexdigest(),
        filename=upload.filename,
        wave_label=upload.wave_label or None,
        owner=upload.created_by,
        scales=scales,
        title=upload.title,
    )
    upload.data, upload.status = b"", ImportUpload.DONE
    upload.message = f"Imported {result.responses} responses as wave “{result.wave.label}”."
    upload.save(update_fields=["data", "status", "message"])
    return result


def uploads_prune(*, now: datetime | None = None) -> int:
    """Delete uploads left for more than a day (abandoned, or imported and seen); returns
    how many. Safe to run at any time: an import in progress is never touched."""
    deleted, _ = ImportUpload.objects.abandoned(now or timezone.now()).delete()
    return deleted


def _refuse_problems(converted: Converted) -> None:
    if converted.problems:
        listed = "\n".join(converted.problems[:20])
        more = f"\n… and {len(converted.problems) - 20} more." if len(converted.problems) > 20 else ""
        raise ImportProblem(f"Nothing was imported; fix these first:\n{listed}{more}")


def _refuse_repeat(slug: str, content_hash: str, force: bool) -> None:
    if not force and ImportRecord.objects.filter(survey__slug=slug, content_hash=content_hash).exists():
        raise ImportProblem("This file was imported into this survey before; use --force to import it again.")


@dataclass(frozen=True)
class _ImportSpan:
    """When the imported responses were given, and the wave label that says so."""

    opens: datetime
    closes: datetime
    stamped: bool  # whether the file carried timestamps at all
    label: str
    times: list[datetime]  # each row's, aware (``opens`` where the row has none)

    @classmethod
    def of(cls, converted: Converted, now: datetime) -> "_ImportSpan":
        zone = timezone.get_current_timezone()
        # What timezone.make_aware does, without looking the zone up for every row.
        times = [
            stamp if stamp is None or stamp.tzinfo else stamp.replace(tzinfo=zone)
            for stamp in converted.timestamps
        ]
        stamps = [stamp for stamp in times if stamp is not None]
        if not stamps:
            return cls(now, now, False, f"Imported {now:%Y-%m-%d %H:%M}", [now] * converted.count)
        opens, closes = min(stamps), max(stamps)
        times = [opens if stamp is None else stamp for stamp in times]
        return cls(opens, closes, True, f"{opens:%Y-%m-%d} to {closes:%Y-%m-%d}", times)


def _import_survey(slug: str, owner, title: str = "") -> tuple[Survey, bool]:
    survey, created = Survey.objects.get_or_create(
        slug=slug, defaults={"title": title or slug.replace("-", " ").capitalize()}
    )
    if created and owner is not None:
        survey.owners.add(owner)
    return survey, created


def _refuse_live(survey: Survey, now: datetime) -> None:
    """An import never touches a survey whose public form is live or about to be."""
    live = [w for w in survey.waves.all() if w.status(now) in (Wave.OPEN, Wave.UPCOMING)]
    if live:
        wave = live[0]
        raise ImportProblem(
            f"Nothing was imported: the survey “{survey.title}” has a wave that is {wave.status(now)} "
            f"(“{wave.label}”), and an import never changes a live survey. Import the file as a new "
            "survey (give it another title), or after the wave has closed."
        )


def _import_wave(survey: Survey, label: str, span: _ImportSpan, now: datetime) -> Wave:
    if Wave.objects.filter(survey=survey, label=label).exists():
        raise ImportProblem(f"The survey already has a wave called '{label}'; choose another with --wave.")
    opens, closes = span.opens, span.closes
    if span.stamped and survey.anonymity == Survey.ANONYMOUS:
        # The wave's ends would otherwise carry the first and last respondent's exact
        # times: it runs from the first day's midnight to the end of the last day (or
        # now, so that an import never leaves a wave open on the public link).
        opens = survey.submission_time(opens)
        end_of_last_day = survey.submission_time(closes) + timedelta(days=1, seconds=-1)
        closes = max(min(end_of_last_day, now), opens + timedelta(seconds=1))
    else:
        closes += timedelta(seconds=1)
    # An imported wave is closed the moment it exists, so the open link never leads to it.
    closes = min(closes, now)
    opens = min(opens, closes - timedelta(seconds=1))
    return Wave.objects.create(survey=survey, label=label, opens=opens, closes=closes)


def _import_questions(
    survey: Survey, mapping: dict[str, str], scales: dict[str, Scale], created: bool
) -> dict[str, Question]:
    """The question of every mapped column: created with the new survey, or matched by
    text to an existing survey's question of the same kind and scale. Anything else is
    refused with a message naming the column, and nothing is stored."""
    # The question on the form wins over a retired version with the same text.
    current_last = sorted(survey.questions.all(), key=lambda q: (not q.retired, q.pk))
    by_text = {q.text.lower(): q for q in current_last}
    order = max([q.order for q in by_text.values()], default=0)
    questions: dict[str, Question] = {}
    missing, clashes = [], []
    for header, kind in mapping.items():
        if kind not in QUESTION_KINDS:
            continue
        question = by_text.get(header[:300].lower())
        scale = _declared(kind, scales.get(header))
        if question is None:
            if not created:
                missing.append(header)
                continue
            order += 10
            question = _new_question(survey, order, header, kind, scale)
        elif (
            question.kind in (Question.SINGLE, Question.MULTIPLE, Question.TEXT)
            or _question_kind(kind)
            in (
                Question.SINGLE,
                Question.MULTIPLE,
                Question.TEXT,
            )
        ) and question.kind != _question_kind(kind):
            clashes.append(
                f"column '{header}' holds {_question_kind(kind).replace('_', ' ')} answers but the survey's "
                f"question is {question.get_kind_display().lower()}"
            )
        elif question.is_numeric and scale is not None and question.scale != (scale.low, scale.high):
            low, high = question.scale
            clashes.append(
                f"column '{header}' is on a {scale.low}–{scale.high} scale but the survey's question is "
                f"on {low}–{high}"
            )
        questions[header] = question
    if clashes:
        raise ImportProblem("Nothing was imported: " + "; ".join(clashes[:10]) + ".")
    if missing:
        shown = ", ".join(f"'{h[:80]}'" for h in missing[:5])
        raise ImportProblem(
            f"Nothing was imported: the file has {len(missing)} question{'s' if len(missing) > 1 else ''} "
            f"the survey “{survey.title}” does not ({shown}), and an import never changes a survey's "
            "questions. Import the file as a new survey, or mark those columns “Not imported”."
        )
    return questions


def _new_question(survey: Survey, order: int, header: str, kind: str, scale: Scale | None) -> Question:
    question = Question(survey=survey, order=order, text=header[:300], kind=_question_kind(kind))
    if scale is not None:
        question.scale_low, question.scale_high = scale.low, scale.high
        question.scale_labels = list(scale.labels)
        question.low_label = (scale.labels[0] if scale.labels else "")[:60]
        question.high_label = (scale.labels[-1] if scale.labels else "")[:60]
        question.dont_know_label = scale.dont_know[:100]
        question.favourable_from = scale.favourable_from
        question.reverse_scored = scale.reverse
        question.likelihood_to_recommend = scale.name == "Likelihood to recommend" and (
            scale.low,
            scale.high,
        ) == (0, 10)
    question.save()
    return question


def _import_responses(wave: Wave, converted: Converted, span: _ImportSpan) -> list[int]:
    """Store one response per row; returns their ids in the order of the rows."""
    survey = wave.survey
    departments = {d.name.lower(): d.pk for d in Department.objects.all()}
    for name in dict.fromkeys(converted.departments):
        if name and name.lower() not in departments:
            departments[name.lower()] = Department.objects.create(name=name).pk
    # A respondent without an id gets a random key of 32 hex digits (128 bits, as long
    # as uuid4().hex), all of them from one read of the system's random source.
    random = os.urandom(16 * len(converted.respondents)).hex()
    rows = [
        (
            wave.pk,
            keyed_hash("import:" + respondent) if respondent else random[32 * index : 32 * index + 32],
            departments[name.lower()] if name else None,
            submitted,
            Response.IMPORT,
        )
        for index, (respondent, name, submitted) in enumerate(
            zip(
                converted.respondents, converted.departments, survey.submission_times(span.times), strict=True
            )
        )
    ]
    return insert_responses(rows)


def _import_answers(
    survey: Survey,
    questions: dict[str, Question],
    responses: list[int],
    converted: Converted,
    progress: Callable[[int], None] | None,
) -> None:
    """Store the answers column by column, and every response's scores, computed from
    the values in hand (new choices included)."""
    choices: dict[tuple[int, str], int] = {
        (c.question_id, c.label.lower()): c.pk for c in Choice.objects.filter(question__survey=survey)
    }

    def choice_for(question: Question, label: str) -> int:
        choice = choices.get((question.pk, label.lower()))
        if choice is None:
            choice = Choice.objects.create(question=question, label=label[:200], order=len(choices)).pk
            choices[(question.pk, label.lower())] = choice
        return choice

    columns: list[tuple[str, int, list]] = []
    for header, question in questions.items():
        values = converted.answers.get(header)
        if values is None:
            continue
        if question.is_numeric:
            # Each distinct value made a number once, not once per cell.
            as_number = {value: float(value) for value in set(values) if value is not None}
            columns.append((NUMBER, question.pk, [None if v is None else as_number[v] for v in values]))
        elif question.kind in (Question.SINGLE, Question.MULTIPLE):
            # A cell's labels (one, or several ticked) as choice ids, once per distinct cell.
            ids_of: dict[tuple[str, ...], tuple[int, ...]] = {}
            chosen = []
            for value in values:
                labels = () if value is None else tuple(value) if isinstance(value, list) else (value,)
                ids = ids_of.get(labels)
                if ids is None:
                    ids = ids_of[labels] = tuple(choice_for(question, label) for label in labels)
                chosen.append(ids)
            columns.append((CHOICES, question.pk, chosen))
        else:
            columns.append((TEXT, question.pk, values))
    numbers = {question_id: values for kind, question_id, values in columns if kind == NUMBER}
    ticked = {question_id: values for kind, question_id, values in columns if kind == CHOICES}
    every = list(survey.questions.prefetch_related("choices"))
    # Scored, and the scores encoded, from the values in hand while the database stores
    # the answers.
    scores = insert_answer_columns(
        responses,
        columns,
        progress=progress,
        meanwhile=lambda: respondent_scoring.encoded_scores(every, responses, numbers, ticked),
    )
    insert_respondent_scores(scoring_digest(every), scores)


@transaction.atomic
def answer_code(*, answer: Answer, themes: list[Theme], new_theme: str = "") -> None:
    """Code a survey comment with themes (none means "nothing to code") and take it off the queue."""
    answers_code(answers=[answer], themes=themes, new_theme=new_theme)


@transaction.atomic
def answers_code(*, answers: list[Answer], themes: list[Theme], new_theme: str = "") -> int:
    """Code several comments with the same themes at once (none means "nothing to code")
    and take them all off the queue; returns how many were coded."""
    chosen = list(themes)
    if new_theme.strip():
        chosen.append(Theme.objects.named(new_theme))
    ids = [answer.pk for answer in answers]
    coding = Answer.themes.through
    coding.objects.filter(answer_id__in=ids).delete()
    coding.objects.bulk_create([coding(answer_id=a, theme_id=t.pk) for a in ids for t in chosen])
    now = timezone.now()
    Answer.objects.filter(pk__in=ids).update(reviewed_at=now)
    for answer in answers:
        answer.reviewed_at = now
    return len(ids)


class NotSkipped(Exception):
    """The comment was coded with a theme, or is still waiting: there is no skip to undo."""


@transaction.atomic
def answer_unskip(*, answer: Answer) -> None:
    """Undo a skip: the comment goes back to the coding queue. A coded comment stays coded."""
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    if answer.reviewed_at is None or answer.themes.exists():
        raise NotSkipped("Only a skipped comment can be brought back to the queue.")
    answer.reviewed_at = None
    answer.save(update_fields=["reviewed_at"])


# -- Retention -------------------------------------------------------------------------


def free_text_expired(*, months: int, now: datetime | None = None):
    """Free-text answers whose wave closed more than ``months`` months ago and that still
    hold text."""
    cutoff = months_before(now or timezone.now(), months)
    return Answer.objects.filter(response__wave__closes__lt=cutoff).exclude(text="")


def free_text_apply_retention(*, months: int, now: datetime | None = None) -> int:
    """Blank the text of expired free-text answers and return how many were blanked.

    The answer rows stay, with their themes, so theme counts and every figure stay as they
    were; only the words go. Running it again blanks nothing more.
    """
    return free_text_expired(months=months, now=now).update(text="")


# -- The survey builder ------------------------------------------------------------------
#
# A question that has answers is never changed in place: a change makes a new version and
# retires the old one, which stays for its answers. A change of wording only (texts,
# labels, required) keeps the new version in the old one's series, so the analysis shows
# one measure across waves; a change of scoring starts a new measure. Moving a question
# to another dimension is a change of scoring: it would change who a closed wave's
# dimension figure rests on (the family rule, reports/disclosure.py), and re-cutting a
# published figure by fewer than k people tells their answers.

SCORING_FIELDS = (
    "kind",
    "dimension",
    "scale_low",
    "scale_high",
    "reverse_scored",
    "favourable_from",
    "likelihood_to_recommend",
)


@dataclass(frozen=True)
class QuestionSpec:
    """Everything the builder asks about one question."""

    kind: str
    text: str
    help_text: str = ""
    dimension: str = ""
    required: bool = False
    scale_low: int | None = None
    scale_high: int | None = None
    scale_labels: tuple[str, ...] = ()
    low_label: str = ""
    high_label: str = ""
    favourable_from: int | None = None
    reverse_scored: bool = False
    likelihood_to_recommend: bool = False
    dont_know_label: str = ""
    choices: tuple[str, ...] = ()
    other_label: str = ""

    def fields(self) -> dict:
        """Model field values, with the fixed ends of the kinds that name their scale."""
        values = {
            name: getattr(self, name)
            for name in (
                "kind",
                "text",
                "help_text",
                "dimension",
                "required",
                "scale_low",
                "scale_high",
                "low_label",
                "high_label",
                "favourable_from",
                "reverse_scored",
                "likelihood_to_recommend",
                "dont_know_label",
            )
        }
        values["scale_labels"] = list(self.scale_labels)
        if self.kind in Question.SCALES:
            values["scale_low"], values["scale_high"] = Question.SCALES[self.kind]
        elif self.kind != Question.RATING:
            values.update(
                scale_low=None,
                scale_high=None,
                scale_labels=[],
                low_label="",
                high_label="",
                favourable_from=None,
                reverse_scored=False,
                dont_know_label="",
            )
        if values["kind"] != Question.SCALE_10:
            values["likelihood_to_recommend"] = False
        return values

    def option_labels(self) -> tuple[tuple[str, bool], ...]:
        """(label, is_other) for each option of a choice question, "other" last."""
        if self.kind not in (Question.SINGLE, Question.MULTIPLE):
            return ()
        options = tuple((label, False) for label in self.choices)
        return options + (((self.other_label, True),) if self.other_label else ())


NO_CHANGE, WORDING, SCORING = "none", "wording", "scoring"


def question_change(*, question: Question, spec: QuestionSpec) -> str:
    """What saving ``spec`` over ``question`` changes: nothing, only wording, or scoring."""
    fields = spec.fields()
    options = list(question.choices.values_list("label", "is_other"))
    if any(getattr(question, name) != fields[name] for name in SCORING_FIELDS):
        return SCORING
    if [other for _, other in options] != [other for _, other in spec.option_labels()]:
        return SCORING
    if any(getattr(question, name) != value for name, value in fields.items()):
        return WORDING
    return WORDING if options != list(spec.option_labels()) else NO_CHANGE


@dataclass(frozen=True)
class QuestionSaved:
    question: Question
    versioned: bool  # a new version replaced an answered question
    new_measure: bool  # ... and its scoring changed, so it starts a new series


def _add_options(question: Question, spec: QuestionSpec, lineage: list[Choice] | None = None) -> None:
    for position, (label, is_other) in enumerate(spec.option_labels()):
        earlier = lineage[position] if lineage else None
        Choice.objects.create(
            question=question,
            order=position,
            label=label,
            is_other=is_other,
            lineage_id=earlier.series if earlier else None,
        )


@transaction.atomic
def question_save(*, survey: Survey, spec: QuestionSpec, question: Question | None = None) -> QuestionSaved:
    """Add a question at the end, change one in place while it has no answers, or else
    replace it with a new version (the old one is retired and keeps its answers)."""
    if question is None:
        last = (
            survey.questions.filter(retired=False).order_by("-order").values_list("order", flat=True).first()
        )
        question = Question.objects.create(survey=survey, order=(last or 0) + 1, **spec.fields())
        _add_options(question, spec)
        return QuestionSaved(question, versioned=False, new_measure=False)
    question = Question.objects.select_for_update().get(pk=question.pk, survey=survey)
    change = question_change(question=question, spec=spec)
    if change == NO_CHANGE:
        return QuestionSaved(question, versioned=False, new_measure=False)
    if not question.answered:
        for name, value in spec.fields().items():
            setattr(question, name, value)
        question.save()
        question.choices.all().delete()
        _add_options(question, spec)
        return QuestionSaved(question, versioned=False, new_measure=False)
    same_series = change == WORDING
    replacement = Question.objects.create(
        survey=survey,
        order=question.order,
        lineage_id=question.series if same_series else None,
        **spec.fields(),
    )
    _add_options(replacement, spec, list(question.choices.order_by("order", "id")) if same_series else None)
    question.retired = True
    question.save(update_fields=["retired"])
    return QuestionSaved(replacement, versioned=True, new_measure=not same_series)


@transaction.atomic
def question_move(*, question: Question, up: bool) -> None:
    """Swap a question with the one above (or below) it on the form; the ends stay put."""
    questions = list(
        Question.objects.select_for_update()
        .filter(survey=question.survey_id, retired=False)
        .order_by("order", "id")
    )
    at = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other = at - 1 if up else at + 1
    if 0 <= other < len(questions):
        questions[at], questions[other] = questions[other], questions[at]
    for position, each in enumerate(questions, start=1):
        if each.order != position:
            each.order = position
            each.save(update_fields=["order"])


@transaction.atomic
def question_retire(*, question: Question) -> bool:
    """Take a question off the form. One with answers is retired (its answers stay in
    the analysis); one without is deleted. True when it was retired."""
    # Read again under a lock: an answer stored since the caller read it makes it answered.
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.answered:
        question.retired = True
        question.save(update_fields=["retired"])
        return True
    question.delete()
    return False


def _unique_slug(title: str) -> str:
    from django.utils.text import slugify

    base = (slugify(title) or "survey")[:40].strip("-") or "survey"
    slug, number = base, 2
    while slug == "new" or Survey.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def survey_create(
    *, title: str, intro: str, anonymity: str, min_group_size: int, owner, ask_department: bool = True
) -> Survey:
    """A new draft survey with a free address made from its title, owned by its creator."""
    survey = Survey.objects.create(
        title=title,
        slug=_unique_slug(title),
        intro=intro,
        anonymity=anonymity,
        min_group_size=min_group_size,
        ask_department=ask_department,
        draft=True,
    )
    survey.owners.add(owner)
    return survey


@dataclass(frozen=True)
class PublishProblem:
    """Something to fix before publishing, and the question it is about (None: the survey)."""

    message: str
    question: Question | None = None


def survey_problems(survey: Survey) -> list[PublishProblem]:
    """What stops a survey from going out, question by question in form order."""
    questions = list(survey.questions.filter(retired=False).prefetch_related("choices"))
    if not questions:
        return [PublishProblem("Add at least one question: the survey has none.")]
    problems = []
    for question in questions:
        name = f"“{question.text}”"
        if question.kind in (Question.SINGLE, Question.MULTIPLE):
            if len(question.choices.all()) < 2:
                problems.append(
                    PublishProblem(f"{name} needs at least two options to choose from.", question)
                )
        elif question.kind == Question.RATING and question.scale is None:
            problems.append(
                PublishProblem(
                    f"{name} is a rating without its scale: give its lowest and highest point.", question
                )
            )
        elif question.is_numeric:
            low, high = question.scale
            labels = question.point_labels()
            if not (labels.get(low) and labels.get(high)):
                problems.append(
                    PublishProblem(
                        f"{name} needs labels for both ends of its scale ({low} and {high}).", question
                    )
                )
            if question.favourable_from is not None and not low < question.favourable_from <= high:
                problems.append(
                    PublishProblem(
                        f"{name}: the favourable cut must lie above {low} and at most {high}.", question
                    )
                )
    return problems


@transaction.atomic
def survey_publish(*, survey: Survey) -> list[PublishProblem]:
    """Publish a draft when nothing is missing; otherwise return what is missing."""
    problems = survey_problems(survey)
    if not problems and survey.draft:
        survey.draft = False
        survey.save(update_fields=["draft"])
    return problems


def wave_create(*, survey: Survey, label: str, opens, closes) -> Wave:
    """A wave open from the start of its first day to the end of its last day, both in
    the site's time zone."""
    from datetime import time

    zone = timezone.get_default_timezone()
    return Wave.objects.create(
        survey=survey,
        label=label,
        opens=datetime.combine(opens, time.min, tzinfo=zone),
        closes=datetime.combine(closes, time(23, 59, 59), tzinfo=zone),
    )


def survey_share(*, survey: Survey, user) -> None:
    """Let another manager change the survey too (they become one of its owners)."""
    survey.owners.add(user)


# -- Sending invitations and reminders ----------------------------------------------------


class SendingStopped(Exception):
    """The mail server could not be reached; what was not sent stays due for the next run."""


@dataclass(frozen=True)
class Invited:
    """What inviting a list of people did."""

    created: int  # new or reissued invitations, due at the chosen time
    already: int  # invited before (or answered, or opted out): left alone


def _people_by_department(department_ids: set[int]) -> dict[int, set[str]]:
    """The addresses People gives each of these departments (lower case)."""
    directory = hooks.people()
    found: dict[int, set[str]] = {}
    if directory is None or not department_ids:
        return found
    for recipient in directory.find(sorted(department_ids), []):
        found.setdefault(recipient.department_id, set()).add(recipient.email.strip().lower())
    return found


def _department_in_people(email: str, department: Department) -> bool:
    return email.strip().lower() in _people_by_department({department.pk}).get(department.pk, set())


def recipients_invite(
    *, wave: Wave, recipients: list[tuple[str, Department | None]], send_after: datetime
) -> Invited:
    """Invite each (address, department) to the wave, due at ``send_after``; someone
    invited before is not invited again. Nothing is sent here: a task sends what is due."""
    created = already = 0
    in_people = _people_by_department({d.pk for _, d in recipients if d is not None})
    for address, department in recipients:
        verified = department is not None and address.strip().lower() in in_people.get(department.pk, set())
        issued = invitation_issue(
            wave=wave,
            email=address,
            department=department,
            department_verified=verified,
            send_after=send_after,
        )
        if issued is None:
            already += 1
        else:
            created += 1
    return Invited(created, already)


def recipients_seal(recipients: list[tuple[str, Department | None]]) -> str:
    """A list of recipients as one sealed value, to hand to a task: the task queue's
    table never holds an address in the clear."""
    return sealed_values.seal(json.dumps([[address, d.pk if d else None] for address, d in recipients]))


def recipients_unseal(value: str) -> list[tuple[str, Department | None]]:
    pairs = json.loads(sealed_values.unseal(value))
    departments = Department.objects.in_bulk({d for _, d in pairs if d is not None})
    return [(address, departments.get(d) if d is not None else None) for address, d in pairs]


def invitation_message_save(
    *, wave: Wave, subject: str, body: str, reminders: int | None = None, reminder_days: int | None = None
) -> InvitationMessage:
    """Keep the wave's invitation text (and, when given, its reminder plan)."""
    message = default_message(wave)
    message.subject, message.body = subject, body
    if reminders is not None:
        message.reminders = reminders
    if reminder_days is not None:
        message.reminder_days = reminder_days
    message.save()
    return message


@dataclass
class Sent:
    """What one sending run did."""

    sent: int = 0
    bounced: int = 0
    skipped: int = 0  # claimed by another run, answered or opted out in the meantime


def _batches(ids: list[int]) -> list[list[int]]:
    size = max(1, settings.INVITATION_BATCH_SIZE)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _deliver(message, on_refused: Callable[[], None], on_failure: Callable[[], None]) -> bool:
    """Send one message. A refused address is recorded as bounced; a server that cannot
    be reached gives the claim back and stops the run."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused:
        on_refused()
        return False
    except (smtplib.SMTPException, OSError) as error:
        on_failure()
        raise SendingStopped(f"The mail server could not be reached: {error}") from error
    return True


def _send_claimed(
    *,
    wave: Wave,
    message,
    pks: list[int],
    claim: Callable[[int], bool],
    release: Callable[[int], object],
    reminder: bool = False,
) -> Sent:
    """Send one email per invitation, in batches of INVITATION_BATCH_SIZE over one SMTP
    connection each: each is first ``claim``ed (a conditional UPDATE, so two workers
    never send the same one), and ``release``d again when the mail server could not be
    reached; a refused address marks the invitation bounced."""
    outcome = Sent()
    for batch in _batches(pks):
        with mail.get_connection() as connection:
            for pk in batch:
                if not claim(pk):
                    outcome.skipped += 1
                    continue
                invitation = Invitation.objects.get(pk=pk)
                email = compose(
                    wave=wave,
                    message=message,
                    token=sealed_values.unseal(invitation.link_sealed),
                    opt_out=opt_out_token(invitation),
                    reminder=reminder,
                )
                address = sealed_values.unseal(invitation.address_sealed)
                delivered = _deliver(
                    emails.message(email, to=[address], connection=connection),
                    on_refused=lambda pk=pk: Invitation.objects.filter(pk=pk).update(bounced=True),
                    on_failure=lambda pk=pk: release(pk),
                )
                if delivered:
                    outcome.sent += 1
                else:
                    outcome.bounced += 1
    return outcome


def invitations_send_due(*, wave: Wave, now: datetime | None = None) -> Sent:
    """Send every invitation of the wave that is due, in batches of INVITATION_BATCH_SIZE
    over one SMTP connection each (settings.EMAIL_TIMEOUT bounds every wait).

    Each invitation is claimed by a conditional UPDATE (``sent_at`` still empty) before
    it is sent, so two workers running at once never send the same one twice.
    """
    now = now or timezone.now()
    if not wave.is_open(now):
        return Sent()
    due = list(Invitation.objects.filter(wave=wave).due(now).order_by("pk").values_list("pk", flat=True))
    return _send_claimed(
        wave=wave,
        message=default_message(wave),
        pks=due,
        claim=lambda pk: bool(Invitation.objects.due(now).filter(pk=pk).update(sent_at=now)),
        release=lambda pk: Invitation.objects.filter(pk=pk).update(sent_at=None),
    )


def reminders_send_due(*, wave: Wave, now: datetime | None = None, right_away: bool = False) -> Sent:
    """Send the next reminder to everyone in the wave it is due for: invited, delivered,
    neither answered nor opted out, fewer reminders than the wave's plan, the last
    contact at least the plan's days ago (``right_away``: the manager asked for it now).
    Only while the wave is open. Each reminder is claimed by a conditional UPDATE of the
    reminder count, so two runs never send the same reminder twice."""
    now = now or timezone.now()
    message = default_message(wave)
    if not wave.is_open(now) or message.pk is None or message.reminders == 0:
        return Sent()
    days = 0 if right_away else message.reminder_days
    counts = dict(
        Invitation.objects.filter(wave=wave)
        .to_remind(now=now, reminders=message.reminders, days=days)
        .order_by("pk")
        .values_list("pk", "reminders_sent")
    )

    def claim(pk: int) -> bool:
        return bool(
            Invitation.objects.filter(
                pk=pk, reminders_sent=counts[pk], answered=False, opted_out=False, bounced=False
            )
            .filter(wave__closes__gt=now)
            .update(reminders_sent=F("reminders_sent") + 1, last_reminded_at=now)
        )

    return _send_claimed(
        wave=wave,
        message=message,
        pks=sorted(counts),
        claim=claim,
        release=lambda pk: Invitation.objects.filter(pk=pk).update(reminders_sent=counts[pk]),
        reminder=True,
    )


def invitation_opt_out(*, invitation: Invitation) -> None:
    """No reminder (and no invitation still waiting to go) for this person in this wave."""
    Invitation.objects.filter(pk=invitation.pk).update(opted_out=True)


def invitation_draft_save(*, invitation: Invitation, draft: dict[str, list[str]]) -> bool:
    """Keep answers to finish later, against a personal link that has not answered yet;
    only for pseudonymous and identified surveys (anonymous ones keep nothing)."""
    if invitation.wave.survey.anonymity == Survey.ANONYMOUS:
        return False
    return bool(Invitation.objects.filter(pk=invitation.pk, answered=False).update(draft=draft))


def invitations_erase_closed(*, now: datetime | None = None) -> int:
    """Erase the sealed addresses, links and saved drafts of every closed wave's
    invitations; returns how many invitations held any. Running it again erases nothing."""
    now = now or timezone.now()
    return (
        Invitation.objects.filter(wave__closes__lte=now)
        .exclude(address_sealed="", link_sealed="", draft={})
        .update(address_sealed="", link_sealed="", draft={})
    )


@dataclass(frozen=True)
class InvitationCounts:
    """How many were invited, sent, bounced, opted out and answered: never who."""

    invited: int
    scheduled: int
    sent: int
    bounced: int
    opted_out: int
    answered: int | None  # None: not published yet (anonymous surveys)
    answered_published: bool  # the figure comes from the published snapshot


def invitation_counts(wave: Wave) -> InvitationCounts:
    """The counts the invitation page shows. Unless the survey is identified (where each
    answer carries its author's name anyway), the answered count is the published one,
    in whole batches, so the page cannot be differenced before and after one person
    answers: a pseudonymous survey promises that nobody sees who answered either."""
    invitations = Invitation.objects.filter(wave=wave)
    totals = invitations.aggregate(
        invited=Count("pk"),
        scheduled=Count("pk", filter=Q(sent_at__isnull=True, send_after__isnull=False, opted_out=False)),
        sent=Count("pk", filter=Q(sent_at__isnull=False, bounced=False)),
        bounced=Count("pk", filter=Q(bounced=True)),
        opted_out=Count("pk", filter=Q(opted_out=True)),
        answered=Count("pk", filter=Q(answered=True)),
    )
    published = wave.survey.anonymity != Survey.IDENTIFIED
    answered = hooks.published_respondents(wave) if published else totals["answered"]
    return InvitationCounts(
        invited=totals["invited"],
        scheduled=totals["scheduled"],
        sent=totals["sent"],
        bounced=totals["bounced"],
        opted_out=totals["opted_out"],
        answered=answered,
        answered_published=published,
    )
