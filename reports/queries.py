"""The one bridge from the ORM to pandas.

The per-respondent collapse happens in SQL: one row per response with one column per
numeric question (a grouped, filtered MAX per question). pandas and scipy
(``reports.analysis``) then work on that respondent-level frame, counted by score, which
is far smaller than the answers it came from.
"""

from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q

from perception.models import Department
from reports.analysis import Item, Scale, measure_scores
from surveys.models import Answer, Question, Response, Survey, Wave

NO_DEPARTMENT = "(not given)"


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
    min_group_size: int = 5


def kept_responses(survey: Survey, department: Department | None = None, since: date | None = None):
    """Responses that count: each respondent's latest one in each wave, within the filters."""
    later = Response.objects.filter(wave=OuterRef("wave"), respondent_key=OuterRef("respondent_key")).filter(
        Q(submitted__gt=OuterRef("submitted")) | Q(submitted=OuterRef("submitted"), pk__gt=OuterRef("pk"))
    )
    responses = Response.objects.filter(wave__survey=survey).exclude(Exists(later))
    if department is not None:
        responses = responses.filter(department=department)
    if since is not None:
        responses = responses.filter(wave__opens__date__gte=since)
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
    return items, labels, scales


def respondent_table(
    waves: list[Wave], questions: list[Question], department: Department | None = None
) -> pd.DataFrame:
    """One row per response that answered a numeric question: ``response, wave,
    department, respondent, submitted`` and a ``question:<id>`` column per question.

    The pivot is a GROUP BY in the database, so a few hundred thousand answers become one
    row per person before they reach Python.
    """
    numeric = [q for q in questions if q.is_numeric]
    columns = ["response", "wave", "department", "respondent", "submitted"]
    if not numeric or not waves:
        return pd.DataFrame(columns=columns + [f"question:{q.pk}" for q in numeric])
    responses = Response.objects.filter(wave__in=waves, answers__question__in=numeric)
    if department is not None:
        responses = responses.filter(department=department)
    pivot = (
        responses.values("id", "wave_id", "department_id", "respondent_key", "submitted")
        .annotate(**{f"q_{q.pk}": Max("answers__number", filter=Q(answers__question=q)) for q in numeric})
        .order_by()
    )
    sql, params = pivot.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=names)
    renames = {
        "id": "response",
        "wave_id": "wave",
        "department_id": "department",
        "respondent_key": "respondent",
    }
    renames |= {f"q_{q.pk}": f"question:{q.pk}" for q in numeric}
    return frame.rename(columns=renames)


def theme_mentions(responses, shown_waves: set[int]) -> pd.DataFrame:
    """Coded survey comments as theme mentions: the respondent is the voice, the wave the
    source. Comments from waves too small to show are left out altogether."""
    rows = (
        Answer.themes.through.objects.filter(
            answer__response__in=responses, answer__response__wave_id__in=shown_waves
        )
        .values_list("theme__name", "answer__response__respondent_key", "answer__response__wave_id")
        .order_by()
    )
    frame = pd.DataFrame(list(rows), columns=["theme", "voice", "source"])
    return frame.assign(
        voice="respondent:" + frame["voice"].astype(str),
        source="wave:" + frame["source"].astype(str),
        channel="survey",
        sentiment=None,
    )


def survey_data(
    survey: Survey, department: Department | None = None, since: date | None = None
) -> SurveyData:
    """Load one survey's respondent scores and theme mentions under the filters."""
    waves = list(survey.waves.order_by("opens", "pk"))
    if since is not None:
        waves = [w for w in waves if w.opens.date() >= since]
    label_of = {w.pk: w.label for w in waves}
    department_names = dict(Department.objects.values_list("pk", "name"))
    k = survey.min_group_size
    responses = kept_responses(survey, department, since)

    per_department = responses.values("wave_id", "department_id").annotate(n=Count("id")).order_by()
    department_respondents = pd.DataFrame(
        [
            {
                "department": department_names.get(row["department_id"], NO_DEPARTMENT),
                "wave": label_of[row["wave_id"]],
                "respondents": row["n"],
            }
            for row in per_department
            if row["wave_id"] in label_of
        ],
        columns=["department", "wave", "respondents"],
    )
    respondents = department_respondents.groupby("wave")["respondents"].sum().astype(int).to_dict()

    questions = list(survey.questions.all())
    items, labels, scales = survey_items(questions)
    table = respondent_table(waves, questions, department)
    table = table.assign(
        wave=table["wave"].map(label_of),
        department=table["department"].map(department_names).fillna(NO_DEPARTMENT),
    )
    department_scores = measure_scores(table, items, by=("department", "wave"))
    scores = department_scores.groupby(["measure", "wave", "score"], as_index=False, sort=True)["count"].sum()

    shown = {w.pk for w in waves if respondents.get(w.label, 0) >= k}
    measures = [item.column for item in items] + sorted({item.dimension for item in items if item.dimension})
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
        mentions=theme_mentions(responses, shown),
        department=department,
        since=since,
        min_group_size=k,
    )
