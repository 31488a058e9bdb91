"""The one bridge from the ORM to pandas.

The per-respondent collapse happens in SQL: each respondent's latest response in a wave,
then one score per respondent and measure, then those scores counted by value. pandas
and scipy (``reports.analysis``) work on that much smaller frame.
"""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from django.db import connection
from django.db.models import Case, Count, Exists, F, FloatField, OuterRef, Q, Sum, Value, When

from perception.models import Department
from reports.analysis import Scale
from surveys.models import Answer, Question, Response, Survey, Wave

NUMERIC_KINDS = list(Question.SCALES)
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
    department_scores: pd.DataFrame  # department, measure, wave, score, count (dimensions)
    department_respondents: pd.DataFrame  # department, wave, respondents
    mentions: pd.DataFrame  # theme, voice, source, channel, sentiment
    department: Department | None = None
    since: date | None = None
    min_group_size: int = 5
    notes: list[str] = field(default_factory=list)


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


def _flipped_value():
    """The answer as scored: reverse-scored items flipped as low + high − value."""
    whens = [
        When(question__reverse_scored=True, question__kind=kind, then=Value(float(low + high)) - F("number"))
        for kind, (low, high) in Question.SCALES.items()
    ]
    return Case(*whens, default=F("number"), output_field=FloatField())


def question_distribution(responses) -> pd.DataFrame:
    """``question, wave, score, count``: respondents per value of each numeric question.

    Reverse-scored questions are flipped here too, so a higher score is always better.
    """
    rows = (
        Answer.objects.filter(response__in=responses, question__kind__in=NUMERIC_KINDS, number__isnull=False)
        .values(question_id_=F("question_id"), wave_id_=F("response__wave_id"), score=_flipped_value())
        .annotate(count=Count("response_id", distinct=True))
        .order_by()
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["question_id_", "wave_id_", "score", "count"])
    return frame.rename(columns={"question_id_": "question", "wave_id_": "wave"})


def dimension_distribution(responses) -> pd.DataFrame:
    """``department, dimension, kind, wave, total, items, count``.

    The inner query scores each respondent on each dimension (sum and number of their
    items); the outer one counts respondents per identical (sum, items). Both run in the
    database, so only a few hundred rows reach Python however many people answered.
    """
    per_respondent = (
        Answer.objects.filter(response__in=responses, question__kind__in=NUMERIC_KINDS, number__isnull=False)
        .exclude(question__dimension="")
        .values(
            respondent_=F("response_id"),
            wave_=F("response__wave_id"),
            department_=F("response__department_id"),
            dimension_=F("question__dimension"),
            kind_=F("question__kind"),
        )
        .annotate(total_=Sum(_flipped_value()), items_=Count("id"))
        .order_by()
    )
    inner_sql, params = per_respondent.query.sql_with_params()
    # The inner SQL is Django's own compilation of the queryset above; values stay in params.
    sql = (
        "SELECT department_, dimension_, kind_, wave_, total_, items_, COUNT(*) "  # noqa: S608
        f"FROM ({inner_sql}) per_respondent "
        "GROUP BY department_, dimension_, kind_, wave_, total_, items_"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame(rows, columns=["department", "dimension", "kind", "wave", "total", "items", "count"])


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


def _dimension_measures(dimensions: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Measure key per (dimension, kind); a dimension mixing scales is split by scale."""
    kinds = dimensions.groupby("dimension")["kind"].nunique().to_dict()
    keys = {}
    for dimension, kind in dimensions[["dimension", "kind"]].drop_duplicates().itertuples(index=False):
        key = f"dimension:{dimension}"
        if kinds[dimension] > 1:
            key += f" [{Scale(*Question.SCALES[kind]).label}]"
        keys[(dimension, kind)] = key
    return keys


def survey_data(
    survey: Survey, department: Department | None = None, since: date | None = None
) -> SurveyData:
    """Load one survey's respondent-level scores and theme mentions under the filters."""
    waves = list(survey.waves.order_by("opens", "pk"))
    if since is not None:
        waves = [w for w in waves if w.opens.date() >= since]
    label_of = {w.pk: w.label for w in waves}
    k = survey.min_group_size
    responses = kept_responses(survey, department, since)

    counts = responses.values("wave_id").annotate(n=Count("id")).order_by()
    respondents = {label_of[row["wave_id"]]: row["n"] for row in counts if row["wave_id"] in label_of}

    questions = [q for q in survey.questions.all() if q.is_numeric]
    labels = {
        f"question:{q.pk}": q.text + (" (reverse scored)" if q.reverse_scored else "") for q in questions
    }
    scales = {f"question:{q.pk}": Scale(*q.scale, net=q.kind == Question.SCALE_10) for q in questions}

    by_question = question_distribution(responses)
    scores = by_question.assign(
        measure="question:" + by_question["question"].astype(str), wave=by_question["wave"].map(label_of)
    )[["measure", "wave", "score", "count"]]

    dimensions = dimension_distribution(responses)
    dimension_keys = _dimension_measures(dimensions)
    for (dimension, kind), key in sorted(dimension_keys.items(), key=lambda item: item[1]):
        labels[key] = dimension
        scales[key] = Scale(*Question.SCALES[kind])
    department_names = dict(Department.objects.values_list("pk", "name"))
    dimensions = dimensions.assign(
        measure=[
            dimension_keys[(d, k_)] for d, k_ in zip(dimensions["dimension"], dimensions["kind"], strict=True)
        ],
        wave=dimensions["wave"].map(label_of),
        score=dimensions["total"] / dimensions["items"],
        department=dimensions["department"].map(department_names).fillna(NO_DEPARTMENT),
    )
    department_scores = dimensions.groupby(["department", "measure", "wave", "score"], as_index=False)[
        "count"
    ].sum()
    org_dimensions = department_scores.groupby(["measure", "wave", "score"], as_index=False)["count"].sum()
    scores = pd.concat([scores, org_dimensions], ignore_index=True)
    scores["count"] = scores["count"].astype(int)

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

    shown = {w.pk for w in waves if respondents.get(w.label, 0) >= k}
    measures = [f"question:{q.pk}" for q in questions] + sorted(set(dimension_keys.values()))
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
