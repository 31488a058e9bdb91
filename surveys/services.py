"""Writes that span several survey models: submitting a response, creating invitations."""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from perception.lib import respondent_scoring
from perception.lib.dates import months_before
from perception.models import Department, Theme
from surveys.bulk import insert_answers, insert_respondent_scores
from surveys.imports import QUESTION_KINDS, Converted, ImportProblem, Scale, Table, convert, read_export
from surveys.models import (
    Answer,
    Choice,
    ImportRecord,
    ImportUpload,
    Invitation,
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
    *, wave: Wave, email: str, resend: bool = False, department: Department | None = None
) -> NewInvitation | None:
    """Create a personal link for one address, or None if it was already invited.

    An invitation that was created but never sent (a failed run) is reissued. With
    ``resend`` a sent, unused invitation gets a new token too (the old link stops working,
    since only its hash was ever stored). A used invitation is never reissued.
    ``department`` (from the invitation list) becomes the department of the response.
    """
    digest = email_hash(email)
    token = secrets.token_urlsafe(32)
    keep_email = email.strip() if wave.survey.anonymity == Survey.IDENTIFIED else ""
    with transaction.atomic():
        existing = Invitation.objects.select_for_update().filter(wave=wave, email_hash=digest).first()
        if existing is None:
            invitation = Invitation.objects.create(
                wave=wave,
                email_hash=digest,
                email=keep_email,
                token_hash=hash_token(token),
                department=department,
            )
            return NewInvitation(invitation, token)
        if existing.answered or (existing.sent_at is not None and not resend):
            return None
        existing.token_hash = hash_token(token)
        fields = ["token_hash"]
        if department is not None:
            existing.department = department
            fields.append("department")
        existing.save(update_fields=fields)
        return NewInvitation(existing, token)


def invitation_mark_sent(*, invitation: Invitation, now: datetime | None = None) -> None:
    invitation.sent_at = now or timezone.now()
    invitation.save(update_fields=["sent_at"])


def _claim_invitation(invitation: Invitation, now: datetime) -> None:
    """Mark the link answered; exactly one of several concurrent submissions wins.

    Anonymous surveys keep no time at all, not even the day: the moment a link was used
    could otherwise be matched to the day a response arrived.
    """
    changes = {"answered": True}
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
) -> Response:
    """Store one response with its answers, all or nothing.

    ``answers`` maps each answered question to its cleaned value: an int for scales, a
    Choice for single choice, a list of Choices for multiple choice, a string for text.
    Unanswered questions are left out. Raises InvitationAlreadyUsed for a used link.

    A personal link whose invitation names a department gives that department, whatever
    was picked; a department picked on the open link is marked self-reported. Anonymous
    surveys store only the date of submission and never the invitation.
    """
    now = now or timezone.now()
    survey = wave.survey
    source = Response.LINK if invitation is not None else source
    if invitation is not None and invitation.department_id is not None:
        department = invitation.department
    with transaction.atomic():
        if invitation is not None:
            _claim_invitation(invitation, now)
        response = Response.objects.create(
            wave=wave,
            respondent_key=respondent_key_for(survey=survey, invitation=invitation),
            department=department,
            department_self_reported=source == Response.WEB and department is not None,
            submitted=survey.submission_time(now),
            source=source,
            invitation=invitation if survey.anonymity == Survey.IDENTIFIED else None,
        )
        rows = []
        numbers: dict[int, float] = {}
        ticked: set[tuple[int, int, int]] = set()
        for question, value in answers.items():
            if value in (None, "", []):
                continue
            if question.is_numeric:
                rows.append(Answer(response=response, question=question, number=float(value)))
                numbers[question.pk] = float(value)
            elif question.kind == Question.SINGLE:
                rows.append(Answer(response=response, question=question, choice=value))
                ticked.add((response.pk, question.pk, value.pk))
            elif question.kind == Question.MULTIPLE:
                rows.extend(Answer(response=response, question=question, choice=c) for c in value)
                ticked.update((response.pk, question.pk, c.pk) for c in value)
            else:
                rows.append(Answer(response=response, question=question, text=value))
        Answer.objects.bulk_create(rows)
        # Scored from the answers in hand, with no query. Were ``answers`` not every
        # question of the survey, the digest differs from the survey's and the scores are
        # computed again from the stored answers before anyone reads them.
        questions = list(answers)
        scores = respondent_scoring.score_answers(questions, {response.pk: numbers}, ticked)
        RespondentScore.objects.create(
            response=response, rules=scoring_digest(questions), scores=scores[response.pk]
        )
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
        responses = _import_responses(wave, converted.rows, span.opens)
        _import_answers(survey, questions, responses, converted.rows, progress)
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
    return ImportResult(survey, wave, len(responses), table.skipped_incomplete, created)


def upload_import(*, upload: ImportUpload, now: datetime | None = None) -> ImportResult:
    """Import a stored upload with the mapping confirmed on its page, all or nothing.

    Used by the page for small files and by the background task for large ones. Once
    imported the file's bytes are dropped; the row stays for the status page until pruned.
    """
    data = bytes(upload.data)
    table = read_export(data, upload.format)
    scales = {header: Scale.from_json(value) for header, value in (upload.scales or {}).items()}
    converted = convert(table, upload.columns, upload.labels, scales, upload.keep_personal or [])
    ImportUpload.objects.filter(pk=upload.pk).update(rows_checked=len(converted.rows))
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


def _aware(stamp: datetime) -> datetime:
    return timezone.make_aware(stamp) if timezone.is_naive(stamp) else stamp


@dataclass(frozen=True)
class _ImportSpan:
    """When the imported responses were given, and the wave label that says so."""

    opens: datetime
    closes: datetime
    stamped: bool  # whether the file carried timestamps at all
    label: str

    @classmethod
    def of(cls, converted: Converted, now: datetime) -> "_ImportSpan":
        stamps = [_aware(row["timestamp"]) for row in converted.rows if row["timestamp"]]
        if not stamps:
            return cls(now, now, False, f"Imported {now:%Y-%m-%d %H:%M}")
        opens, closes = min(stamps), max(stamps)
        return cls(opens, closes, True, f"{opens:%Y-%m-%d} to {closes:%Y-%m-%d}")


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
    by_text = {q.text.lower(): q for q in survey.questions.all()}
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


def _import_responses(wave: Wave, rows: list[dict], default_time: datetime) -> list[Response]:
    survey = wave.survey
    departments = {d.name.lower(): d for d in Department.objects.all()}
    responses = []
    for row in rows:
        name = row["department"]
        department = None
        if name:
            department = departments.get(name.lower())
            if department is None:
                department = departments[name.lower()] = Department.objects.create(name=name)
        key = keyed_hash("import:" + row["respondent"]) if row["respondent"] else uuid.uuid4().hex
        stamp = _aware(row["timestamp"]) if row["timestamp"] is not None else default_time
        responses.append(
            Response(
                wave=wave,
                respondent_key=key,
                department=department,
                submitted=survey.submission_time(stamp),
                source=Response.IMPORT,
            )
        )
    Response.objects.bulk_create(responses, batch_size=2000)
    return responses


def _import_answers(
    survey: Survey,
    questions: dict[str, Question],
    responses: list[Response],
    rows: list[dict],
    progress: Callable[[int], None] | None,
) -> None:
    choices: dict[tuple[int, str], Choice] = {
        (c.question_id, c.label.lower()): c for c in Choice.objects.filter(question__survey=survey)
    }

    def choice_for(question: Question, label: str) -> Choice:
        choice = choices.get((question.pk, label.lower()))
        if choice is None:
            choice = Choice.objects.create(question=question, label=label[:200], order=len(choices))
            choices[(question.pk, label.lower())] = choice
        return choice

    answers = []
    numbers: dict[int, dict[int, float]] = {}
    ticked: set[tuple[int, int, int]] = set()
    for index, (response, row) in enumerate(zip(responses, rows, strict=True)):
        numbers[response.pk] = numbered = {}
        for header, value in row["answers"].items():
            question = questions.get(header)
            if question is None:
                continue
            if question.is_numeric:
                answers.append((response.pk, question.pk, float(value), None, ""))
                numbered[question.pk] = float(value)
            elif question.kind in (Question.SINGLE, Question.MULTIPLE):
                for label in value if isinstance(value, list) else [value]:
                    choice = choice_for(question, label).pk
                    answers.append((response.pk, question.pk, None, choice, ""))
                    ticked.add((response.pk, question.pk, choice))
            else:
                answers.append((response.pk, question.pk, None, None, value))
        if progress and (index + 1) % 10000 == 0:
            progress(index + 1)
    insert_answers(answers)
    # Scored from the rows in hand (new choices included), stored in the same transaction.
    every = list(survey.questions.prefetch_related("choices"))
    scores = respondent_scoring.score_answers(every, numbers, ticked)
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
