"""The one bridge from the ORM to pandas.

The per-respondent collapse happens in SQL: one row per response with one column per
numeric question (a grouped, filtered MAX per question). pandas and scipy
(``reports.analysis``) then work on that respondent-level frame, counted by score, which
is far smaller than the answers it came from.
"""

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q

from conversations.models import Action, Note
from perception.models import Department, Theme
from reports.analysis import Item, Scale, measure_scores
from surveys.models import Answer, Invitation, Question, Response, Survey, Wave

NO_DEPARTMENT = "(not given)"
# The mean of all a respondent's dimension items, when they share one scale.
OVERALL = "overall"


@dataclass
class SurveyData:
    """Everything the analysis needs about one survey under one set of filters."""

    survey: Survey
    waves: list[Wave]
    respondents: dict[str, int]  # wave label -> respondents (latest response each)
    measures: list[str]  # in display order: questions first, then dimensions
    labels: dict[str, str]
    scales: dict[str, Scale]
    scores: pd.DataFrame  # measure, wave, score, count
    department_scores: pd.DataFrame  # measure, department, wave, score, count
    department_respondents: pd.DataFrame  # department, wave, respondents
    mentions: pd.DataFrame  # theme, voice, source, channel, sentiment
    department: Department | None = None
    since: date | None = None
    until: date | None = None
    min_group_size: int = 5


def kept_responses(
    survey: Survey, department: Department | None = None, since: date | None = None, until: date | None = None
):
    """Responses that count: each respondent's latest one in each wave, within the filters."""
    later = Response.objects.filter(wave=OuterRef("wave"), respondent_key=OuterRef("respondent_key")).filter(
        Q(submitted__gt=OuterRef("submitted")) | Q(submitted=OuterRef("submitted"), pk__gt=OuterRef("pk"))
    )
    responses = Response.objects.filter(wave__survey=survey).exclude(Exists(later))
    if department is not None:
        responses = responses.filter(department=department)
    if since is not None:
        responses = responses.filter(wave__opens__date__gte=since)
    if until is not None:
        responses = responses.filter(wave__opens__date__lte=until)
    return responses


def survey_items(questions: list[Question]) -> tuple[list[Item], dict[str, str], dict[str, Scale]]:
    """Items, labels and scales of a survey's numeric questions and their dimensions.

    A dimension whose items use different scales is split into one measure per scale.
    """
    numeric = [q for q in questions if q.is_numeric]
    scales_of = {}
    for question in numeric:
        if question.dimension:
            scales_of.setdefault(question.dimension, set()).add(question.scale)
    items, labels, scales = [], {}, {}
    for question in numeric:
        column = f"question:{question.pk}"
        dimension = ""
        if question.dimension:
            dimension = f"dimension:{question.dimension}"
            if len(scales_of[question.dimension]) > 1:
                dimension += f" [{Scale(*question.scale).label}]"
            labels[dimension] = question.dimension
            scales[dimension] = Scale(*question.scale)
        items.append(Item(column, *question.scale, reverse=question.reverse_scored, dimension=dimension))
        labels[column] = question.text + (" (reverse scored)" if question.reverse_scored else "")
        scales[column] = Scale(*question.scale, net=question.kind == Question.SCALE_10)
    rated = {q.scale for q in numeric if q.dimension}
    if len(rated) == 1:
        labels[OVERALL] = "Overall score"
        scales[OVERALL] = Scale(*rated.pop())
    return items, labels, scales


def _fetch_array(queryset, width: int) -> np.ndarray:
    """Run a values() queryset and return its rows as one float array (NULL becomes NaN),
    skipping Django's per-row conversions, which cost more than the query at this size."""
    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        # Binary results: numbers arrive as numbers, not as text to parse.
        import psycopg

        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return np.array(rows, dtype=float).reshape(-1, width)


def kept_frame(responses) -> pd.DataFrame:
    """The kept responses as ``response, wave, department`` ids (department NaN if none)."""
    rows = _fetch_array(responses.values_list("id", "wave_id", "department_id").order_by(), 3)
    return pd.DataFrame(rows, columns=["response", "wave", "department"]).astype(
        {"response": "int64", "wave": "int64"}
    )


def respondent_table(kept: pd.DataFrame, questions: list[Question]) -> pd.DataFrame:
    """One row per kept response that answered a numeric question: ``response, wave,
    department`` and one ``question:<id>`` column per numeric question.

    The pivot is one GROUP BY over the answers in the database, so millions of answers
    reach Python as one row per person, then joined to the kept responses in pandas.
    """
    numeric = [q for q in questions if q.is_numeric]
    columns = ["response", "wave", "department"] + [f"question:{q.pk}" for q in numeric]
    if not numeric or kept.empty:
        return pd.DataFrame(columns=columns)
    # Restricting by the range of response ids (not by question) lets both SQLite and
    # PostgreSQL read the answers in response order and group them without sorting.
    pivot = (
        Answer.objects.filter(
            response__gte=int(kept["response"].min()),
            response__lte=int(kept["response"].max()),
            number__isnull=False,
        )
        .values("response_id")
        .annotate(**{f"q_{q.pk}": Max("number", filter=Q(question=q)) for q in numeric})
        .order_by()
    )
    answers = pd.DataFrame(_fetch_array(pivot, len(numeric) + 1), columns=["response", *columns[3:]])
    return kept.merge(answers.astype({"response": "int64"}), on="response", how="inner")[columns]


def note_mentions(
    department: Department | None = None, since: date | None = None, until: date | None = None
) -> pd.DataFrame:
    """Coded conversation notes as theme mentions. The voice is the named person, or for an
    unattributed note the conversation itself; the source is the conversation; the channel
    its kind (focus group, one-on-one, walkabout)."""
    notes = Note.themes.through.objects.all()
    if department is not None:
        notes = notes.filter(
            Q(note__conversation__departments=department) | Q(note__person__department=department)
        ).distinct()
    if since is not None:
        notes = notes.filter(note__conversation__date__gte=since)
    if until is not None:
        notes = notes.filter(note__conversation__date__lte=until)
    rows = notes.values_list(
        "theme__name",
        "note__person_id",
        "note__conversation_id",
        "note__conversation__kind",
        "note__sentiment",
    ).order_by()
    frame = pd.DataFrame(list(rows), columns=["theme", "person", "conversation", "channel", "sentiment"])
    conversation = "conversation:" + frame["conversation"].astype(str)
    person = "person:" + frame["person"].astype("Int64").astype(str)
    return pd.DataFrame(
        {
            "theme": frame["theme"],
            "voice": person.where(frame["person"].notna(), conversation),
            "source": conversation,
            "channel": frame["channel"],
            "sentiment": frame["sentiment"],
        }
    )


def theme_mentions(survey: Survey, kept: pd.DataFrame, shown_waves: set[int]) -> pd.DataFrame:
    """Coded survey comments as theme mentions: the respondent is the voice, the wave the
    source. Only kept responses count, and comments from waves too small to show are
    left out altogether."""
    rows = (
        Answer.themes.through.objects.filter(answer__response__wave__survey=survey)
        .values_list("theme__name", "answer__response__respondent_key", "answer__response_id")
        .order_by()
    )
    frame = pd.DataFrame(list(rows), columns=["theme", "voice", "response"])
    frame = frame.merge(kept[kept["wave"].isin(shown_waves)][["response", "wave"]], on="response")
    return pd.DataFrame(
        {
            "theme": frame["theme"],
            "voice": "respondent:" + frame["voice"].astype(str),
            "source": "wave:" + frame["wave"].astype(str),
            "channel": "survey",
            "sentiment": None,
        }
    )


def survey_data(
    survey: Survey, department: Department | None = None, since: date | None = None, until: date | None = None
) -> SurveyData:
    """Load one survey's respondent scores and theme mentions under the filters."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # JIT compilation costs more than it saves on these sub-second aggregates.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _survey_data(survey, department, since, until)


def _survey_data(
    survey: Survey, department: Department | None, since: date | None, until: date | None
) -> SurveyData:
    waves = list(survey.waves.order_by("opens", "pk"))
    if since is not None:
        waves = [w for w in waves if w.opens.date() >= since]
    if until is not None:
        waves = [w for w in waves if w.opens.date() <= until]
    label_of = {w.pk: w.label for w in waves}
    department_names = dict(Department.objects.values_list("pk", "name"))
    k = survey.group_threshold()
    kept = kept_frame(kept_responses(survey, department, since, until))
    kept = kept[kept["wave"].isin(label_of)]

    named = kept.assign(
        wave=kept["wave"].map(label_of),
        department=kept["department"].map(department_names).astype(object).fillna(NO_DEPARTMENT),
    )
    department_respondents = named.groupby(["department", "wave"]).size().reset_index(name="respondents")
    respondents = named.groupby("wave").size().astype(int).to_dict()

    questions = list(survey.questions.all())
    items, labels, scales = survey_items(questions)
    table = respondent_table(kept, questions)
    table = table.assign(
        wave=table["wave"].map(label_of),
        department=table["department"].map(department_names).astype(object).fillna(NO_DEPARTMENT),
    )
    overall = OVERALL if OVERALL in scales else None
    department_scores = measure_scores(table, items, by=("department", "wave"), overall=overall)
    scores = department_scores.groupby(["measure", "wave", "score"], as_index=False, sort=True)["count"].sum()

    shown = {w.pk for w in waves if respondents.get(w.label, 0) >= k}
    measures = [item.column for item in items] + sorted({item.dimension for item in items if item.dimension})
    if overall:
        measures.insert(0, overall)
    return SurveyData(
        survey=survey,
        waves=waves,
        respondents=respondents,
        measures=measures,
        labels=labels,
        scales=scales,
        scores=scores,
        department_scores=department_scores,
        department_respondents=department_respondents,
        mentions=pd.concat(
            [theme_mentions(survey, kept, shown), note_mentions(department, since, until)], ignore_index=True
        ),
        department=department,
        since=since,
        until=until,
        min_group_size=k,
    )


def raw_responses(survey: Survey) -> tuple[list[str], list[list]]:
    """Every kept response, one row each, with one column per question.

    For anonymous surveys there is no identity at all: no respondent key, no address,
    the day of submission only, and the department only where that department had at
    least the minimum group size in that wave.
    """
    questions = list(survey.questions.all())
    anonymous = survey.anonymity == Survey.ANONYMOUS
    responses = list(
        kept_responses(survey)
        .select_related("wave", "department", "invitation")
        .prefetch_related("answers__choice")
        .order_by("wave__opens", "submitted", "id")
    )
    sizes: dict[tuple[int, int | None], int] = {}
    for response in responses:
        cell = (response.wave_id, response.department_id)
        sizes[cell] = sizes.get(cell, 0) + 1
    header = ["row", "wave", "submitted", "department"]
    if survey.anonymity == Survey.PSEUDONYMOUS:
        header.append("respondent key")
    if survey.anonymity == Survey.IDENTIFIED:
        header.append("email")
    header += [q.text for q in questions]
    rows = []
    for number, response in enumerate(responses, start=1):
        shown = sizes[(response.wave_id, response.department_id)] >= survey.group_threshold()
        department = response.department.name if response.department and (shown or not anonymous) else ""
        row = [
            number,
            response.wave.label,
            response.submitted.date().isoformat() if anonymous else response.submitted.isoformat(),
            department,
        ]
        if survey.anonymity == Survey.PSEUDONYMOUS:
            row.append(response.respondent_key)
        if survey.anonymity == Survey.IDENTIFIED:
            row.append(response.invitation.email if response.invitation else "")
        by_question: dict[int, list] = {}
        for answer in response.answers.all():
            value = (
                answer.number
                if answer.number is not None
                else (answer.choice.label if answer.choice else answer.text)
            )
            by_question.setdefault(answer.question_id, []).append(value)
        for question in questions:
            values = by_question.get(question.pk, [])
            row.append(
                "; ".join(str(v) for v in values) if len(values) > 1 else (values[0] if values else None)
            )
        rows.append(row)
    return header, rows


# -- Small reads for the results pages -------------------------------------------------


@dataclass(frozen=True)
class SurveyOverview:
    survey: Survey
    wave: Wave | None
    status: str  # open, upcoming, closed or none
    responses: int


def survey_overview(now: datetime) -> list[SurveyOverview]:
    """Each survey with the wave its open link leads to and how many answered it."""
    rows = []
    # list() runs the queries here, not while the template renders.
    for survey in list(Survey.objects.prefetch_related("waves")):
        wave, status = survey.public_wave(now)
        rows.append(SurveyOverview(survey, wave, status, wave.responses.count() if wave else 0))
    return rows


def response_rate(survey: Survey, wave_label: str | None) -> dict | None:
    """Share of personal links sent for the wave that were answered (None without invitations)."""
    wave = survey.waves.filter(label=wave_label).first() if wave_label else None
    if wave is None:
        return None
    sent = Invitation.objects.filter(wave=wave, sent_at__isnull=False).count()
    if not sent:
        return None
    answered = Response.objects.filter(wave=wave, source=Response.LINK).count()
    return {"invited": sent, "percent": round(100 * answered / sent)}


def open_actions(limit: int) -> list[Action]:
    return list(Action.objects.filter(status__in=[Action.PLANNED, Action.IN_PROGRESS])[:limit])


def theme_comments(theme: Theme, survey: Survey, shown_waves: list[str], department: Department | None):
    """The survey comments coded with a theme, from the shown waves only, newest first."""
    comments = Answer.objects.filter(
        themes=theme, response__wave__survey=survey, response__wave__label__in=shown_waves
    )
    if department is not None:
        comments = comments.filter(response__department=department)
    return comments.select_related("response__wave").order_by("-response__submitted", "-id")


def theme_notes(theme: Theme):
    """The conversation notes coded with a theme, newest conversation first."""
    return (
        Note.objects.filter(themes=theme)
        .select_related("person", "conversation")
        .order_by("-conversation__date")
    )
