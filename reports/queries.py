"""The one bridge from the ORM to pandas.

The per-respondent collapse happens in SQL: one row per response with one column per
numeric question (a grouped, filtered MAX per question). pandas and scipy
(``reports.analysis``) then work on that respondent-level frame, counted by score, which
is far smaller than the answers it came from.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter

import numpy as np
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum

from conversations.models import Action, Conversation, Note, Person
from perception.lib.lazy import lazy_module
from perception.models import Department, Theme
from reports.analysis import (
    Item,
    Measure,
    default_favourable_from,
    measure_values,
    respondent_measure_values,
)
from reports.statistics import Moments, moments
from surveys.models import Answer, Choice, Invitation, Question, Response, Survey, Wave

# Imported on first use: reading a stored document needs no pandas (0.3–0.5 s of a
# command's start).
pd = lazy_module("pandas")

NO_DEPARTMENT = "(not given)"
OVERALL = "overall"
RESPONDENTS = "respondents"  # reports.disclosure.RESPONDENTS: who is counted at all


@dataclass
class SurveyData:
    """Everything the analysis needs about one survey under one set of filters.

    Scores are always loaded for everyone (the department breakdown is the one source of
    every department's figures and q-values); ``department`` narrows only the themes."""

    survey: Survey
    waves: list[Wave]
    respondents: dict[str, int]  # wave label -> respondents (latest response each)
    measures: list[Measure]  # in display order: overall, questions, then dimensions
    scores: pd.DataFrame  # measure, wave, score, count
    department_scores: pd.DataFrame  # measure, department, wave, score, count
    department_respondents: pd.DataFrame  # department, wave, respondents
    mentions: pd.DataFrame  # theme, voice, source, channel, sentiment, linked
    department: Department | None = None
    since: date | None = None
    until: date | None = None
    min_group_size: int = 5
    themes_window: tuple[date, date] | None = None
    # What each wave's latest publication shows, per (wave label, measure key or
    # "respondents"): see ``reports.disclosure``. Missing means nothing is shown.
    shown: dict[tuple[str, str], ShownCells] = field(default_factory=dict)
    publications: dict[str, PublicationInfo] = field(default_factory=dict)
    # Pseudonymous and identified surveys only: each published score with its respondent
    # key, so people who answered two waves can be paired (``measure, department, wave,
    # respondent, score``); empty for anonymous surveys, whose answers are never linked.
    returning: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())


@dataclass(frozen=True)
class ShownCells:
    """One measure in one wave as published: is the total shown, which departments
    (by name; NO_DEPARTMENT included) are hidden, which cells are self-reported."""

    total: bool
    hidden: frozenset[str]
    self_reported: frozenset[str]


@dataclass(frozen=True)
class PublicationInfo:
    published_on: date
    final: bool
    left_out: int


def published_scores(wave_ids: list[int]) -> pd.DataFrame:
    """The published respondent scores of these waves: ``response, wave, department``
    (ids; department NaN for none), ``measure, score, personal_link``."""
    from reports.models import PublishedScore

    rows = PublishedScore.objects.filter(wave_id__in=wave_ids).values_list(
        "response_id", "wave_id", "department_id", "measure", "score", "personal_link"
    )
    return pd.DataFrame(
        list(rows.order_by()),
        columns=["response", "wave", "department", "measure", "score", "personal_link"],
    )


def published_people_with_codings(wave_ids: list[int]) -> pd.DataFrame:
    """The published respondents (the ``respondents`` measure) of these waves with a coded
    comment: ``response, wave, department`` (ids; department NaN for none) and
    ``personal_link``."""
    from reports.models import PublishedScore

    # Every coding's response, by primary key (not filtered on the survey: that turns
    # SQLite's plan round to walk every answer of it).
    coded = Answer.themes.through.objects.values("answer__response_id")
    rows = PublishedScore.objects.filter(wave_id__in=wave_ids, measure=RESPONDENTS, response_id__in=coded)
    values = rows.values_list("response_id", "wave_id", "department_id", "personal_link")
    array = _fetch_array(values.order_by(), 4)
    return pd.DataFrame(
        {
            "response": array[:, 0].astype(np.int64),
            "wave": array[:, 1].astype(np.int64),
            "department": array[:, 2],
            "personal_link": array[:, 3].astype(bool),
        }
    )


def counted_responses(wave_ids: list[int]):
    """The responses (a query of ``response_id`` values) the published figures count, of
    those of these waves whose latest publication shows how many people answered: while a
    wave's total is hidden (fewer than k people) its respondents are published one by one,
    so a list or count of their comments would follow single people."""
    from reports.models import Publication, PublishedScore, PublishedTotal

    latest = Publication.objects.filter(wave_id=OuterRef("publication__wave_id")).order_by("-number")
    shown = PublishedTotal.objects.filter(
        measure=RESPONDENTS,
        shown=True,
        publication__wave_id__in=wave_ids,
        publication=Subquery(latest.values("pk")[:1]),
    ).values("publication__wave_id")
    return PublishedScore.objects.filter(wave_id__in=shown, measure=RESPONDENTS).values("response_id")


def published_counts(wave_ids: list[int]) -> pd.DataFrame:
    """The published scores of these waves counted per cell and value (``PublishedCount``):
    ``measure, wave, department`` (ids; department NaN for none), ``score, count``."""
    from reports.models import PublishedCount

    rows = PublishedCount.objects.filter(wave_id__in=wave_ids).values_list(
        "measure", "wave_id", "department_id", "score", "count"
    )
    return pd.DataFrame(list(rows.order_by()), columns=["measure", "wave", "department", "score", "count"])


def published_shown(waves: list[Wave], names: dict[int, str]):
    """What the latest publication of each wave shows, and its date: ``({(wave label,
    measure): ShownCells}, {wave label: PublicationInfo})``."""
    from reports.models import Publication, PublishedCell, PublishedTotal

    label_of = {w.pk: w.label for w in waves}
    latest = {p.wave_id: p for p in Publication.objects.filter(wave__in=waves).order_by("wave_id", "number")}
    ids = [p.pk for p in latest.values()]
    wave_of = {p.pk: label_of[p.wave_id] for p in latest.values()}
    hidden: dict[tuple[str, str], set] = {}
    reported: dict[tuple[str, str], set] = {}
    for publication, measure, department, shown, self_reported in PublishedCell.objects.filter(
        publication__in=ids
    ).values_list("publication_id", "measure", "department_id", "shown", "self_reported"):
        name = cell_name(department, names)
        key = (wave_of[publication], measure)
        if not shown:
            hidden.setdefault(key, set()).add(name)
        if self_reported:
            reported.setdefault(key, set()).add(name)
    shown_cells = {}
    for publication, measure, total in PublishedTotal.objects.filter(publication__in=ids).values_list(
        "publication_id", "measure", "shown"
    ):
        key = (wave_of[publication], measure)
        shown_cells[key] = ShownCells(total, frozenset(hidden.get(key, ())), frozenset(reported.get(key, ())))
    infos = {label_of[w]: PublicationInfo(p.published_on, p.final, p.left_out) for w, p in latest.items()}
    return shown_cells, infos


_HIDDEN = ShownCells(False, frozenset(), frozenset())


def cell_name(department: int | None, names: dict[int, str]) -> str:
    """The cell a published department id stands for, as every reader names it: no
    department (None) is its own cell, and a department deleted since keeps a cell of its
    own ("(department 7)"), never merged into another one's figures or comments."""
    if department is None:
        return NO_DEPARTMENT
    return names.get(department, f"(department {department})")


def cell_names(departments: pd.Series, names: dict[int, str]) -> pd.Series:
    """``cell_name`` for a column of department ids (NaN: no department)."""
    named = departments.map(names).astype(object)
    deleted = departments.notna() & named.isna()
    if deleted.any():
        named[deleted] = [f"(department {int(d)})" for d in departments[deleted]]
    return named.fillna(NO_DEPARTMENT)


def departments_published(wave_ids: list[int]) -> dict[int, set[int | None]]:
    """The departments (ids; None for no department) with published respondents in each
    of these waves, from the published counts."""
    from reports.models import PublishedCount

    present: dict[int, set[int | None]] = {}
    rows = PublishedCount.objects.filter(wave_id__in=wave_ids, measure=RESPONDENTS)
    for wave, department in rows.values_list("wave_id", "department_id").distinct().order_by():
        present.setdefault(wave, set()).add(department)
    return present


def commenting_respondents(
    shown_cells: dict[tuple[str, str], ShownCells],
    label_of: dict[int, str],
    names: dict[int, str],
    department: Department | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published respondents of these waves with a coded comment, and those of them
    whose comments may be shown (both ``response, wave, department`` ids, the first with
    ``personal_link``): whole waves whose count is shown, and — once any department of a
    wave is shown, so lists per department exist — only respondents of shown cells, so no
    list minus others isolates a hidden group. Under a department filter, that
    department's respondents if its cell is shown.

    Only the respondents with a coded comment are read (a few thousand of 120,000 at 20k
    × 6); which departments each wave holds comes from the published counts."""
    wave_ids = list(label_of)
    people = published_people_with_codings(wave_ids)
    present = departments_published(wave_ids)
    keep = []
    for wave, group in people.groupby("wave"):
        cells = shown_cells.get((label_of[wave], RESPONDENTS), _HIDDEN)
        if not cells.total:
            continue
        visible = ~cell_names(group["department"], names).isin(cells.hidden)
        if department is not None:
            keep.append(group[visible & (group["department"] == department.pk)])
        elif {cell_name(d, names) for d in present.get(wave, ())} - cells.hidden:
            keep.append(group[visible])
        else:
            keep.append(group)
    columns = ["response", "wave", "department"]
    return people, (pd.concat(keep)[columns] if keep else pd.DataFrame(columns=columns))


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


def _favourable_from(question: Question) -> int:
    if question.favourable_from is not None:
        return question.favourable_from
    return default_favourable_from(*question.scale)


def series_heads(questions: list[Question]) -> list[Question]:
    """The version that speaks for each question's series (its versions that differ only
    in wording): the newest one on the form, else the newest retired one; in form order.
    A series is one measure, named ``question:<series id>``, across all its versions."""
    heads: dict[int, Question] = {}
    for question in sorted(questions, key=lambda q: (not q.retired, q.pk)):
        heads[question.series] = question
    return [q for q in questions if heads[q.series] is q]


def _versions(questions: list[Question]) -> dict[int, list[int]]:
    """Question ids of every version, per series id."""
    versions: dict[int, list[int]] = {}
    for question in questions:
        versions.setdefault(question.series, []).append(question.pk)
    return versions


def survey_items(questions: list[Question]) -> tuple[list[Item], list[Measure], dict[str, tuple[int, int]]]:
    """Items, measures and each dimension's scale, for a survey's numeric questions.

    A dimension whose items use different scales is split into one measure per scale
    (favourable shares combine only items of one scale); its favourable cut is its items'
    common cut, or the scale's top two points when they disagree. The overall score is
    the mean of a person's dimension scores, on the dimensions' scale when they share
    one, else on 0–100 (each dimension rescaled first). A question's versions that differ
    only in wording are one item (see ``series_heads``)."""
    numeric = [q for q in series_heads(questions) if q.is_numeric]
    scales_of: dict[str, set] = {}
    for question in numeric:
        if question.dimension:
            scales_of.setdefault(question.dimension, set()).add(question.scale)
    items, question_measures, dimensions = [], [], {}
    for question in numeric:
        low, high = question.scale
        column = f"question:{question.series}"
        dimension = ""
        if question.dimension:
            dimension = f"dimension:{question.dimension}"
            if len(scales_of[question.dimension]) > 1:
                dimension += f" [{low}-{high}]"
            dimensions.setdefault(dimension, (question.dimension, (low, high), set()))[2].add(
                _favourable_from(question)
            )
        items.append(Item(column, low, high, reverse=question.reverse_scored, dimension=dimension))
        question_measures.append(
            Measure(
                key=column,
                kind="question",
                label=question.text + (" (reverse scored)" if question.reverse_scored else ""),
                scale_low=low,
                scale_high=high,
                favourable_from=_favourable_from(question),
                net_score=question.likelihood_to_recommend and (low, high) == (0, 10),
            )
        )
    dimension_measures, dimension_scales = [], {}
    for key, (name, (low, high), cuts) in sorted(dimensions.items()):
        cut = cuts.pop() if len(cuts) == 1 else default_favourable_from(low, high)
        dimension_measures.append(Measure(key, "dimension", name, low, high, favourable_from=cut))
        dimension_scales[key] = (low, high)
    measures = question_measures + dimension_measures
    if dimension_measures:
        ends = {(m.scale_low, m.scale_high) for m in dimension_measures}
        cuts = {m.favourable_from for m in dimension_measures}
        if len(ends) == 1:
            (low, high), cut = ends.pop(), (cuts.pop() if len(cuts) == 1 else None)
            overall = Measure(OVERALL, "overall", "Overall score", low, high, favourable_from=cut)
        else:
            overall = Measure(OVERALL, "overall", "Overall score", 0, 100, rescaled=True)
        measures.insert(0, overall)
    return items, measures, dimension_scales


def choice_key(question_id: int, choice_id: int) -> str:
    return f"choice:{question_id}:{choice_id}"


def choice_measures(questions: list[Question]) -> list[Measure]:
    """One measure per option of every single- and multiple-choice question: the share of
    the question's respondents who chose it (0/1 per person; "favourable" = chose it, so
    the share gets its Wilson interval and its change Newcombe's, DESIGN rule 2)."""
    measures = []
    for question in series_heads(questions):
        if question.kind not in (Question.SINGLE, Question.MULTIPLE):
            continue
        for choice in question.choices.all():
            measures.append(
                Measure(
                    key=choice_key(question.series, choice.series),
                    kind="choice",
                    label=f"{question.text} — {choice.label}",
                    scale_low=0,
                    scale_high=1,
                    favourable_from=1,
                    question=question.text,
                    option=choice.label,
                )
            )
    return measures


def _choice_options(questions: list[Question]) -> dict[int, list[int]]:
    """Each choice question's series id and its options' series ids (a question's
    versions that differ only in wording are one question, each option its first
    version; see ``series_heads``)."""
    return {
        q.series: [c.series for c in q.choices.all()]
        for q in series_heads(questions)
        if q.kind in (Question.SINGLE, Question.MULTIPLE)
    }


def _as_series(
    questions: list[Question], ticked: set[tuple[int, int, int]] | list[tuple[int, int, int]]
) -> set[tuple[int, int, int]]:
    """``(response, question, choice)`` triples named by their series: every version of a
    question counts as the series, each option as its first version."""
    options = _choice_options(questions)
    series_of = {q.pk: q.series for q in questions if q.series in options}
    option_series = {c.pk: c.series for q in questions if q.pk in series_of for c in q.choices.all()}
    return {
        (response, series_of[question], option_series[choice])
        for response, question, choice in ticked
        if question in series_of and choice in option_series
    }


def ticked_choices(kept: pd.DataFrame, questions: list[Question]) -> set[tuple[int, int, int]]:
    """``(response, question series, option series)`` for every option a kept response ticked."""
    options = _choice_options(questions)
    if not options or kept.empty:
        return set()
    versions = [q.pk for q in questions if q.series in options]
    ticked = Answer.objects.filter(
        response__gte=int(kept["response"].min()),
        response__lte=int(kept["response"].max()),
        question__in=versions,
        choice__isnull=False,
        number__isnull=True,  # always so for a ticked option: lets the index by question serve
    ).values_list("response_id", "question_id", "choice_id")
    wanted = set(kept["response"].astype(int))
    return _as_series(questions, [row for row in ticked.order_by() if row[0] in wanted])


def _fetch_array(queryset, width: int) -> np.ndarray:
    """Run a values() queryset and return its rows as one float array (NULL becomes NaN),
    skipping Django's per-row conversions, which cost more than the query at this size."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. filtered on an empty list of waves
        return np.empty((0, width))
    database = connections[queryset.db]  # the replica for published rows, when there is one
    database.ensure_connection()
    if database.vendor == "postgresql":
        # Binary results: numbers arrive as numbers, not as text to parse.
        import psycopg

        with psycopg.Cursor(database.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            rows = cursor.fetchall()
    else:
        with database.cursor() as cursor:
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
    department`` and one ``question:<series id>`` column per numeric question series
    (the answers to all its wording versions).

    The pivot is one GROUP BY over the answers in the database, so millions of answers
    reach Python as one row per person, then joined to the kept responses in pandas.
    """
    numeric = [q for q in series_heads(questions) if q.is_numeric]
    versions = _versions(questions)
    columns = ["response", "wave", "department"] + [f"question:{q.series}" for q in numeric]
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
        .annotate(
            **{f"q_{q.series}": Max("number", filter=Q(question__in=versions[q.series])) for q in numeric}
        )
        .order_by()
    )
    answers = pd.DataFrame(_fetch_array(pivot, len(numeric) + 1), columns=["response", *columns[3:]])
    return kept.merge(answers.astype({"response": "int64"}), on="response", how="inner")[columns]


def scores_from_answers(
    questions: list[Question],
    response_ids: list[int],
    table: pd.DataFrame,
    ticked: set[tuple[int, int, int]],
) -> dict[int, dict[str, float]]:
    """Every measure each response has a score in: each numeric question after
    reverse-scoring, each dimension and the overall score
    (``analysis.respondent_measure_values``: the scoring rules), and for each choice
    question the response answered, 0/1 per option (people who skipped it are not in its
    options' shares). ``table`` has ``response`` and one ``question:<series id>`` column
    per numeric question answered, ``ticked`` names questions and options by their series
    (``_as_series``); a response with no score gets an empty entry."""
    result = _choice_scores(questions, response_ids, ticked)
    if table.empty:
        return result
    items, overall, dimension_scales = _scoring_rules(questions)
    values = respondent_measure_values(table, items, overall, dimension_scales)
    _add_scores(result, table["response"].to_numpy(dtype="int64"), values)
    return result


def _choice_scores(
    questions: list[Question], response_ids: list[int], ticked: set[tuple[int, int, int]]
) -> dict[int, dict[str, float]]:
    """An entry per response, holding 0/1 per option of each choice question it answered."""
    return _choice_scores_of(_choice_options(questions), response_ids, ticked)


def _choice_scores_of(
    options: dict[int, list[int]], response_ids: list[int], ticked: set[tuple[int, int, int]]
) -> dict[int, dict[str, float]]:
    result: dict[int, dict[str, float]] = {int(r): {} for r in response_ids}
    picked: dict[tuple[int, int], set[int]] = {}
    for response, question, option in ticked:
        picked.setdefault((response, question), set()).add(option)
    # Each question's 0/1 entries for each set of options ticked, worked out once.
    entries: dict[tuple[int, frozenset], list[tuple[str, float]]] = {}
    for response, question in sorted(picked):
        chosen = frozenset(picked[(response, question)])
        entry = entries.get((question, chosen))
        if entry is None:
            entry = entries[(question, chosen)] = _choice_entry(question, options.get(question, []), chosen)
        result[response].update(entry)
    return result


def _scoring_rules(
    questions: list[Question],
) -> tuple[list[Item], Measure | None, dict[str, tuple[int, int]]]:
    items, measures, dimension_scales = survey_items(questions)
    return items, next((m for m in measures if m.kind == "overall"), None), dimension_scales


def _add_scores(
    result: dict[int, dict[str, float]], responses: np.ndarray, values: dict[str, np.ndarray]
) -> None:
    """Each response's score in each measure it has one in (not NaN), in the order of
    ``values``."""
    if not values:
        return
    measures = list(values)
    table = np.column_stack([values[measure] for measure in measures])
    gaps = np.isnan(table).any(axis=1).tolist()
    for response, row, gap in zip(responses.tolist(), table.tolist(), gaps, strict=True):
        if gap:
            result[response].update((m, v) for m, v in zip(measures, row, strict=True) if v == v)
        else:
            result[response].update(zip(measures, row, strict=True))


@dataclass(frozen=True)
class _AnswerScoring:
    """What scoring answers in hand needs of a survey's questions (``score_answered``)."""

    versions: dict[int, list[int]]  # question ids of every version, per series id
    numeric: list[int]  # the numeric series, in form order
    options: dict[int, list[int]]  # each choice question series' options' series ids
    choice_versions: dict[int, list[int]]  # choice question ids of every version, per series id
    option_series: dict[int, int]  # option id -> its series
    items: list[Item]
    overall: Measure | None
    dimension_scales: dict[str, tuple[int, int]]


# Worked out once per version of a survey's questions and kept (a submission scores one
# response, and working these out again each time was half of scoring it). Bounded.
_answer_scorings: dict[tuple, _AnswerScoring] = {}
ANSWER_SCORINGS_KEPT = 256


def _answer_scoring(questions: list[Question]) -> _AnswerScoring:
    key = tuple(
        (
            q.pk,
            q.lineage_id,
            q.retired,
            q.kind,
            q.scale_low,
            q.scale_high,
            q.dimension,
            q.reverse_scored,
            q.favourable_from,
            q.likelihood_to_recommend,
            tuple((c.pk, c.lineage_id) for c in q.choices.all()),
        )
        for q in questions
    )
    scoring = _answer_scorings.get(key)
    if scoring is None:
        options = _choice_options(questions)
        versions = _versions(questions)
        scoring = _AnswerScoring(
            versions,
            [q.series for q in series_heads(questions) if q.is_numeric],
            options,
            {series: versions[series] for series in options},
            {c.pk: c.series for q in questions if q.series in options for c in q.choices.all()},
            *_scoring_rules(questions),
        )
        if len(_answer_scorings) >= ANSWER_SCORINGS_KEPT:
            _answer_scorings.clear()
        _answer_scorings[key] = scoring
    return scoring


def score_answered(
    questions: list[Question],
    response_ids: list[int],
    numbers: dict[int, list[float | None]],
    chosen: dict[int, list[tuple[int, ...]]],
) -> dict[int, dict[str, float]]:
    """Responses' scores from their answers in hand, with no query: for responses being
    submitted or imported. ``numbers``: question id to one number (or None) per response
    of ``response_ids``, column by column as an import reads them (a submission's are
    columns of one); ``chosen``: choice question id to the options ticked (a tuple of
    choice ids, empty when skipped) per response, likewise. ``questions`` are all the
    survey's, choices prefetched. Answers to any wording version of a question count as
    its series (``series_heads``).

    The same rules as ``scores_from_answers`` (``analysis.measure_values``), on one array
    per question instead of a frame: a submission scores one response, and building a
    frame for it cost more than the rest of storing it; an import scores 3 million cells."""
    ids = [int(r) for r in response_ids]
    choices, answered, values = _answered_measures(_answer_scoring(questions), ids, numbers, chosen)
    result: dict[int, dict[str, float]] = {r: {} for r in ids}
    for series, options, column in choices:
        entries: dict[frozenset, list[tuple[str, float]]] = {}
        for response, ticked in zip(ids, column, strict=True):
            if ticked:
                entry = entries.get(ticked)
                if entry is None:
                    entry = entries[ticked] = _choice_entry(series, options, ticked)
                result[response].update(entry)
    if values:
        _add_scores(result, np.array(ids, dtype="int64")[answered], values)
    return result


def encode_answered(
    questions: list[Question],
    response_ids: list[int],
    numbers: dict[int, list[float | None]],
    chosen: dict[int, list[tuple[int, ...]]],
) -> list[tuple[int, str]]:
    """``score_answered`` as the JSON text ``surveys.models.RespondentScore`` keeps, one
    ``(response id, text)`` per response: the very text ``json.dumps`` gives of that
    response's scores, built a measure at a time instead of a response at a time (an
    import of 100,000 responses builds 100,000 dicts of 30 scores otherwise, and encoding
    them took longer than storing its 3 million answers)."""
    ids = [int(r) for r in response_ids]
    choices, answered, values = _answered_measures(_answer_scoring(questions), ids, numbers, chosen)
    fragments: list[list[str | None]] = []
    for series, options, column in choices:
        texts: dict[frozenset, str] = {}
        fragment = []
        for ticked in column:
            if not ticked:
                fragment.append(None)
                continue
            text = texts.get(ticked)
            if text is None:
                entry = _choice_entry(series, options, ticked)
                text = texts[ticked] = ", ".join(f"{json.dumps(key)}: {value!r}" for key, value in entry)
            fragment.append(text)
        fragments.append(fragment)
    for measure, scores in values.items():
        full = np.full(len(ids), np.nan)
        full[answered] = scores
        prefix = f"{json.dumps(measure)}: "
        fragments.append([f"{prefix}{score!r}" if score == score else None for score in full.tolist()])
    if not fragments:
        return [(r, "{}") for r in ids]
    return [
        (response, "{" + ", ".join(filter(None, row)) + "}")
        for response, row in zip(ids, zip(*fragments, strict=True), strict=True)
    ]


def _choice_entry(series: int, options: list[int], ticked: frozenset) -> list[tuple[str, float]]:
    """A choice question's 0/1 per option for a response that ticked ``ticked``."""
    return [(choice_key(series, option), 1.0 if option in ticked else 0.0) for option in options]


def _answered_measures(
    scoring: _AnswerScoring,
    ids: list[int],
    numbers: dict[int, list[float | None]],
    chosen: dict[int, list[tuple[int, ...]]],
) -> tuple[list[tuple[int, list[int], list[frozenset]]], np.ndarray, dict[str, np.ndarray]]:
    """What ``score_answered`` and ``encode_answered`` both render: for each choice
    question series (in order), its options and the set of option series each response
    ticked (empty when none); which responses have a number; and each measure's scores of
    those responses (NaN where none)."""
    choices = []
    # The options ticked named by their series, worked out once per distinct set of ids.
    as_series: dict[tuple[int, ...], frozenset] = {}

    def named(ticked: tuple[int, ...]) -> frozenset:
        known = as_series.get(ticked)
        if known is None:
            known = as_series[ticked] = frozenset(
                scoring.option_series[c] for c in ticked if c in scoring.option_series
            )
        return known

    for series in sorted(scoring.options):
        columns = [chosen[q] for q in scoring.choice_versions.get(series, ()) if q in chosen]
        if not columns:
            continue
        column = [named(ticked) for ticked in columns[0]]
        for other in columns[1:]:  # several wording versions: the options of all count
            column = [a | named(b) if b else a for a, b in zip(column, other, strict=True)]
        choices.append((series, scoring.options[series], column))
    series_columns = {}
    for series in scoring.numeric:
        column = None
        # A response's answers to several wording versions count as their largest, as
        # the pivot from the stored answers counts them (``respondent_table``: MAX).
        for version in scoring.versions[series]:
            values = numbers.get(version)
            if values is None:
                continue
            given = np.array(values, dtype=float)  # None is NaN
            column = given if column is None else np.fmax(column, given)
        series_columns[f"question:{series}"] = np.full(len(ids), np.nan) if column is None else column
    # Only responses with a number are scored (as the frame from the database holds only them).
    answered = np.zeros(len(ids), dtype=bool)
    for answers in series_columns.values():
        answered |= ~np.isnan(answers)
    if not answered.any():
        return choices, answered, {}
    if not answered.all():
        series_columns = {column: answers[answered] for column, answers in series_columns.items()}
    values = measure_values(
        series_columns, int(answered.sum()), scoring.items, scoring.overall, scoring.dimension_scales
    )
    return choices, answered, values


# Responses scored per pass when scores are computed from the stored answers: bounds the
# size of each pivot and of each ``IN`` list (SQLite allows 32,766 parameters).
SCORING_CHUNK = 10_000


def score_responses(survey: Survey, response_ids: list[int]) -> dict[int, dict[str, float]]:
    """``scores_from_answers`` for responses of ``survey``, read from the stored answers."""
    result: dict[int, dict[str, float]] = {}
    questions = list(survey.questions.prefetch_related("choices"))
    ids = sorted({int(r) for r in response_ids})
    for start in range(0, len(ids), SCORING_CHUNK):
        chunk = ids[start : start + SCORING_CHUNK]
        kept = kept_frame(Response.objects.filter(wave__survey=survey, pk__in=chunk))
        table = respondent_table(kept, questions)
        result.update(scores_from_answers(questions, chunk, table, ticked_choices(kept, questions)))
    return result


def respondent_scores(survey: Survey, responses, wanted: set[int]) -> dict[int, dict[str, float]]:
    """The kept scores of the ``wanted`` responses among ``responses`` (a queryset),
    ``{response id: {measure: score}}``.

    Rows missing (responses stored before scores were kept, or written around the
    services) or computed under other scoring rules (a scale or reverse-scoring changed)
    are computed again first, through ``surveys.services``, so what is read always
    matches the answers under today's rules."""
    from surveys.models import RespondentScore
    from surveys.services import respondent_scores_write

    digest = survey.scoring_digest()
    stored: dict[int, dict[str, float]] = {}
    rows = RespondentScore.objects.filter(response__in=responses.values("pk")).values_list(
        "response_id", "rules", "scores"
    )
    for response, rules, scores in rows.order_by():
        if rules == digest and response in wanted:
            stored[response] = scores
    stale = wanted - set(stored)
    if stale:
        stored.update(respondent_scores_write(survey=survey, response_ids=stale))
    return stored


def note_mentions(
    department: Department | None = None, window: tuple[date, date] | None = None
) -> pd.DataFrame:
    """Coded conversation notes as theme mentions. The voice is the named person, or for an
    unattributed note the conversation itself (not linked: one person may speak in several
    conversations); the source is the conversation; the channel its kind. ``window``
    (first, last day) keeps only notes whose conversation lies within it."""
    notes = Note.themes.through.objects.all()
    if department is not None:
        notes = notes.filter(
            Q(note__conversation__departments=department) | Q(note__person__department=department)
        ).distinct()
    if window is not None:
        notes = notes.filter(note__conversation__date__gte=window[0], note__conversation__date__lte=window[1])
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
            "linked": frame["person"].notna(),
        }
    )


CODED_CHUNK = 5000


def coded_comments(survey: Survey) -> list[tuple[str, str, int]]:
    """Every theme coded on the survey's comments: (theme name, respondent key, response).

    PostgreSQL plans the join from the few coded answers. SQLite, which keeps no
    statistics unless asked, walks every answer of the survey to find them (0.45 s at
    2.8 million answers), so there the codings are read first and their answers by
    primary key (0.12 s)."""
    if connection.vendor == "postgresql":
        return list(
            Answer.themes.through.objects.filter(answer__response__wave__survey=survey)
            .values_list("theme__name", "answer__response__respondent_key", "answer__response_id")
            .order_by()
        )
    codings = list(Answer.themes.through.objects.values_list("answer_id", "theme__name").order_by())
    answer_ids = sorted({answer for answer, _ in codings})
    about: dict[int, tuple[int, str]] = {}
    for start in range(0, len(answer_ids), CODED_CHUNK):
        chunk = answer_ids[start : start + CODED_CHUNK]
        # By primary key only: a filter on the survey here turns the plan round again.
        rows = Answer.objects.filter(pk__in=chunk).values_list(
            "pk", "response_id", "response__respondent_key", "response__wave__survey_id"
        )
        about.update(
            (pk, (response, key)) for pk, response, key, owner in rows.order_by() if owner == survey.pk
        )
    return [(theme, about[answer][1], about[answer][0]) for answer, theme in codings if answer in about]


def theme_mentions(survey: Survey, kept: pd.DataFrame, shown_waves: set[int]) -> pd.DataFrame:
    """Coded survey comments as theme mentions: the respondent is the voice, the survey the
    source (one source however many waves it has). Only kept responses count, and comments
    from waves too small to show are left out altogether. Respondents of an anonymous
    survey cannot be linked across waves, so their voices are marked not linked."""
    frame = pd.DataFrame(coded_comments(survey), columns=["theme", "voice", "response"])
    frame = frame.merge(kept[kept["wave"].isin(shown_waves)][["response", "wave"]], on="response")
    linked = survey.anonymity != Survey.ANONYMOUS or frame["wave"].nunique() <= 1
    return pd.DataFrame(
        {
            "theme": frame["theme"],
            "voice": "respondent:" + frame["voice"].astype(str),
            "source": f"survey:{survey.slug}",
            "channel": "survey",
            "sentiment": None,
            "linked": linked,
        }
    )


def survey_data(
    survey: Survey,
    department: Department | None = None,
    since: date | None = None,
    until: date | None = None,
    *,
    publish: bool = True,
) -> SurveyData:
    """Load one survey's published respondent scores and theme mentions under the filters.

    Reading is what triggers publishing (``reports.disclosure.ensure_published``): a wave
    never published, or closed and not yet final, is published first, unless the caller
    has just done so (``publish=False``; it must then not call this inside a snapshot
    after publishing: a REPEATABLE READ transaction that locks a wave another publisher
    just wrote fails rather than waits)."""
    from reports import disclosure

    if publish:
        disclosure.ensure_published(survey)
    with snapshot():
        _plan_for_small_reads()
        return _survey_data(survey, department, since, until)


def survey_themes(survey: Survey) -> tuple[pd.DataFrame, tuple[date, date] | None]:
    """The theme mentions of the organisation-wide document (no filters) and their window,
    read alone: what ``survey_data`` reads for them, without the figures. For a document
    whose figures still stand when only codings, notes or themes changed. Reads only
    what is published; inside the caller's snapshot, if any."""
    with snapshot():
        _plan_for_small_reads()
        waves = list(survey.waves.of_users().order_by("opens", "pk"))
        label_of = {w.pk: w.label for w in waves}
        department_names = dict(Department.objects.values_list("pk", "name"))
        shown_cells, _ = published_shown(waves, department_names)
        return _theme_mentions(survey, waves, label_of, department_names, shown_cells, None)


def _plan_for_small_reads() -> None:
    if connection.vendor == "postgresql":
        # JIT compilation costs more than it saves on these sub-second aggregates; and
        # these reads take a few thousand rows of large, cached tables by index, which
        # the default random_page_cost (4, spinning disks) prices as a full scan
        # (the coded comments: 0.1 s by index, 0.35 s scanning every answer).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL random_page_cost = 1.1")


def _theme_mentions(
    survey: Survey,
    waves: list[Wave],
    label_of: dict[int, str],
    department_names: dict[int, str],
    shown_cells: dict,
    department: Department | None,
) -> tuple[pd.DataFrame, tuple[date, date] | None]:
    """Themes beside a survey: comments only where the disclosure rules allow them (whole
    waves, shown cells), notes within those whole waves. Returns the mentions and that
    window (first, last day; None when no wave is shown)."""
    shown = [w for w in waves if (shown_cells.get((w.label, RESPONDENTS)) or _HIDDEN).total]
    window = (shown[0].opens.date(), shown[-1].closes.date()) if shown else None
    mentions = [_comment_mentions(survey, label_of, department_names, shown_cells, department)]
    if window is not None:
        mentions.append(note_mentions(department, window))
    return pd.concat(mentions, ignore_index=True), window


def _comment_mentions(
    survey: Survey,
    label_of: dict[int, str],
    names: dict[int, str],
    shown_cells: dict,
    department: Department | None,
) -> pd.DataFrame:
    """The coded comments of these waves that the disclosure rules let count, as theme
    mentions."""
    _, commenters = commenting_respondents(shown_cells, label_of, names, department)
    return theme_mentions(survey, commenters, set(commenters["wave"]))


@contextmanager
def snapshot():
    """A transaction whose reads all see the database as it was at its first one: on
    PostgreSQL REPEATABLE READ when this opens the transaction (READ COMMITTED would let
    a publication committed between two reads mix its counts with the cells the older
    one showed); SQLite's transactions read one state already. Inside a transaction
    already open, a savepoint of it."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _survey_data(
    survey: Survey, department: Department | None, since: date | None, until: date | None
) -> SurveyData:
    # User figures only: an IT self-view wave is read by ``perception_gap`` alone.
    waves = list(survey.waves.of_users().order_by("opens", "pk"))
    if since is not None:
        waves = [w for w in waves if w.opens.date() >= since]
    if until is not None:
        waves = [w for w in waves if w.opens.date() <= until]
    label_of = {w.pk: w.label for w in waves}
    department_names = dict(Department.objects.values_list("pk", "name"))
    k = survey.group_threshold()
    # Figures come from the published snapshots, never from live responses: the
    # published scores counted per cell and value.
    counts = published_counts(list(label_of))
    shown_cells, publications = published_shown(waves, department_names)
    named = counts.assign(
        wave=counts["wave"].map(label_of),
        department=cell_names(counts["department"], department_names),
    )
    people = named[named["measure"] == RESPONDENTS]
    department_respondents = (
        people.groupby(["department", "wave"])["count"].sum().reset_index(name="respondents")
        if not people.empty
        else pd.DataFrame(columns=["department", "wave", "respondents"])
    )
    respondents = people.groupby("wave")["count"].sum().astype(int).to_dict()

    questions = list(survey.questions.prefetch_related("choices"))
    _, measures, _ = survey_items(questions)
    measures += choice_measures(questions)
    known = {m.key for m in measures}
    scored = named[named["measure"].isin(known)]
    department_scores = (
        scored.groupby(["measure", "department", "wave", "score"])["count"].sum().reset_index(name="count")
        if not scored.empty
        else pd.DataFrame(columns=["measure", "department", "wave", "score", "count"])
    )
    scores = department_scores.groupby(["measure", "wave", "score"], as_index=False, sort=True)["count"].sum()

    mentions, window = _theme_mentions(survey, waves, label_of, department_names, shown_cells, department)
    return SurveyData(
        survey=survey,
        waves=waves,
        respondents=respondents,
        measures=measures,
        scores=scores,
        department_scores=department_scores,
        department_respondents=department_respondents,
        mentions=mentions,
        department=department,
        since=since,
        until=until,
        min_group_size=k,
        themes_window=window,
        shown=shown_cells,
        publications=publications,
        returning=returning_scores(survey, label_of, department_names, known),
    )


def returning_scores(survey: Survey, label_of: dict[int, str], names: dict[int, str], known: set[str]):
    """The published scores with their respondent's key (``measure, department, wave,
    respondent, score``), for surveys whose keys link a person across waves (read one row
    per person and measure, so only for them)."""
    columns = ["measure", "department", "wave", "respondent", "score"]
    if survey.anonymity == Survey.ANONYMOUS:
        return pd.DataFrame(columns=columns)
    published = published_scores(list(label_of))
    scored = published[published["measure"].isin(known)]
    if scored.empty:
        return pd.DataFrame(columns=columns)
    scored = scored.assign(
        wave=scored["wave"].map(label_of),
        department=cell_names(scored["department"], names),
    )
    keys = dict(Response.objects.filter(wave__survey=survey).values_list("pk", "respondent_key").order_by())
    return scored.assign(respondent=scored["response"].map(keys))[columns]


def _shuffle_key(response_id: int, purpose: str = "raw-export") -> str:
    """A keyed hash of the id: rows sort in an order that says nothing about when anyone
    answered, and that no one without the server secret can undo."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{response_id}".encode(), "sha256").hexdigest()


# Responses read per chunk by the raw export: two queries a chunk (the responses, then
# their answers as plain tuples), so memory stays flat however many responded. A chunk's
# answers are read whole (about 50,000 tuples for 25 questions): a server-side cursor
# (.iterator()) in autocommit is declared WITH HOLD, which made PostgreSQL spend half
# as much CPU again for the same rows.
RAW_EXPORT_CHUNK = 2_000


def raw_responses(survey: Survey) -> tuple[list[str], Iterator[list]]:
    """Every published respondent (reports.disclosure), one row each, with one column
    per question, in an order that is neither the order of answering nor of ids.

    The header is ready at once; the rows are read lazily, ``RAW_EXPORT_CHUNK`` responses
    at a time, so a download can stream them. The order needs every id, so the ids (and
    only the ids) are read and sorted first. Answers are read as plain tuples, never as
    model objects: a number stays a number, an option is its label ("Other: words" when
    words were given), text is as typed, and several answers to one question (ticked
    options) are joined with "; " in the order they were stored.

    For anonymous surveys there is no identity at all: no respondent key, no address, no
    date, and the department only where the published figures show that department's
    cell in that wave.
    """
    from reports import disclosure
    from reports.models import PublishedScore

    disclosure.ensure_published(survey)
    questions = list(survey.questions.all())
    anonymous = survey.anonymity == Survey.ANONYMOUS
    waves = list(survey.waves.of_users())
    names = dict(Department.objects.values_list("pk", "name"))
    shown_cells, _ = published_shown(waves, names)
    published = dict(
        PublishedScore.objects.filter(wave__in=waves, measure=RESPONDENTS).values_list(
            "response_id", "department_id"
        )
    )
    # Waves whose published total is hidden are left out whole. Rows: responses that still
    # exist and that the snapshot read above counts (.order_by(): the default ordering
    # would join the waves and sort, for nothing).
    waves_shown = {w.pk for w in waves if shown_cells.get((w.label, RESPONDENTS), _HIDDEN).total}
    kept = Response.objects.filter(wave__in=waves_shown).order_by().values_list("pk", flat=True)
    ids = sorted((pk for pk in kept if pk in published), key=_shuffle_key)
    # Anonymous surveys: no date at all (a lone answer on one day would be singled out).
    header = ["row", "wave", "department"] if anonymous else ["row", "wave", "submitted", "department"]
    fields = ["pk", "wave_id"] if anonymous else ["pk", "wave_id", "submitted"]
    if survey.anonymity == Survey.PSEUDONYMOUS:
        header.append("respondent key")
        fields.append("respondent_key")
    if survey.anonymity == Survey.IDENTIFIED:
        header.append("email")
        fields.append("invitation__email")
    header += [q.text for q in questions]
    column_of = {q.pk: index for index, q in enumerate(questions)}
    labels = dict(Choice.objects.filter(question__survey=survey).values_list("pk", "label"))
    wave_label = {w.pk: w.label for w in waves}

    def department_shown(wave_id: int, department_id: int | None) -> str:
        name = names.get(department_id, "") if department_id is not None else ""
        if not anonymous:
            return name
        cells = shown_cells.get((wave_label[wave_id], RESPONDENTS), _HIDDEN)
        return name if cells.total and name and name not in cells.hidden else ""

    departments: dict[tuple[int, int | None], str] = {}

    def head_for(pk: int, wave_id: int, *rest) -> list:
        """The cells before the answers: wave, date, department, key or address."""
        key = (wave_id, published[pk])
        if key not in departments:
            departments[key] = department_shown(*key)
        if anonymous:
            return [wave_label[wave_id], departments[key]]
        submitted, *identity = rest
        return [wave_label[wave_id], submitted.isoformat(), departments[key], *(v or "" for v in identity)]

    def answer_cells(chunk: list[int]) -> dict[int, list]:
        """Each response's answer cells, from its answers read as tuples in stored order."""
        cells = {pk: [None] * len(questions) for pk in chunk}
        answers = list(
            Answer.objects.filter(response_id__in=chunk)
            .order_by()
            .values_list("id", "response_id", "question_id", "number", "choice_id", "text")
        )
        # Stored order, so ticked options join as before; sorted here, where the answers
        # arrive nearly in order already, rather than by the database.
        answers.sort(key=itemgetter(0))
        for _, response_id, question_id, number, choice_id, text in answers:
            column = column_of.get(question_id)
            if column is None:
                continue
            if number is not None:
                value = number
            elif choice_id is not None:
                value = f"{labels[choice_id]}: {text}" if text else labels[choice_id]
            else:
                value = text
            row = cells[response_id]
            # Answers are never None, so None means "no answer yet"; a second one (another
            # ticked option) joins the first as text.
            row[column] = value if row[column] is None else f"{row[column]}; {value}"
        return cells

    def rows() -> Iterator[list]:
        for start in range(0, len(ids), RAW_EXPORT_CHUNK):
            chunk = ids[start : start + RAW_EXPORT_CHUNK]
            responses = Response.objects.filter(pk__in=chunk).order_by().values_list(*fields)
            heads = {pk: head_for(pk, *rest) for pk, *rest in responses}
            cells = answer_cells(chunk)
            for number, pk in enumerate(chunk, start=start + 1):
                yield [number, *heads[pk], *cells[pk]]

    return header, rows()


# -- Small reads for the results pages -------------------------------------------------


@dataclass(frozen=True)
class SurveyOverview:
    survey: Survey
    wave: Wave | None
    status: str  # open, upcoming, closed or none
    responses: int | None  # published respondents; None while too few to show
    as_of: date | None = None


def survey_overview(now: datetime) -> list[SurveyOverview]:
    """Each survey with the wave its open link leads to and how many answered it, as
    published (reports.disclosure): a live count would change with every response."""
    from reports import disclosure
    from reports.models import Publication, PublishedTotal

    disclosure.ensure_all_published()
    rows = []
    # list() runs the queries here, not while the template renders.
    for survey in list(Survey.objects.prefetch_related("waves")):
        wave, status = survey.public_wave(now)
        publication = (
            Publication.objects.filter(wave=wave).order_by("-number").first() if wave is not None else None
        )
        total = (
            PublishedTotal.objects.filter(publication=publication, measure=RESPONDENTS).first()
            if publication
            else None
        )
        count = total.n if total and total.shown else None
        rows.append(
            SurveyOverview(survey, wave, status, count, publication.published_on if publication else None)
        )
    return rows


def response_rate(survey: Survey, wave_label: str | None) -> dict | None:
    """Share of personal links sent for the wave that were answered, counting published
    respondents only, so the rate moves in whole batches (None without invitations)."""
    from reports.models import PublishedScore

    wave = survey.waves.of_users().filter(label=wave_label).first() if wave_label else None
    if wave is None:
        return None
    sent = Invitation.objects.filter(wave=wave, sent_at__isnull=False).count()
    if not sent:
        return None
    answered = PublishedScore.objects.filter(wave=wave, measure=RESPONDENTS, personal_link=True).count()
    return {"invited": sent, "percent": round(100 * answered / sent)}


def open_actions(limit: int) -> list[Action]:
    return list(Action.objects.filter(status__in=[Action.PLANNED, Action.IN_PROGRESS])[:limit])


# -- Action impact (reports.impact): done actions and the published figures around them ----


@dataclass
class ImpactData:
    """What the measured effect of actions reads about one survey, all of it published:
    ``scores`` (``response, wave, department, measure, score``; wave labels, department
    names or NO_DEPARTMENT) of the published snapshots, and what each wave shows."""

    survey: Survey
    waves: list[Wave]
    measures: list[Measure]
    item_dimensions: dict[str, str]  # question measure key -> its dimension's key
    scores: pd.DataFrame
    shown: dict[tuple[str, str], ShownCells]
    min_group_size: int


def done_actions() -> list[Action]:
    """Actions done on a known day, most recent first, with themes and departments."""
    return list(
        Action.objects.filter(status=Action.DONE, done_on__isnull=False)
        .prefetch_related("themes", "departments")
        .order_by("-done_on", "-id")
    )


def done_action(pk: int) -> Action | None:
    return Action.objects.filter(pk=pk, status=Action.DONE, done_on__isnull=False).first()


def impact_data(survey: Survey) -> ImpactData:
    """The published figures of a survey's waves, for measuring actions' effects.

    Reading publishes first (``reports.disclosure.ensure_published``), as every page does."""
    from reports import disclosure

    disclosure.ensure_published(survey)
    waves = list(survey.waves.of_users().order_by("opens", "pk"))  # IT's self-view is not a user figure
    label_of = {w.pk: w.label for w in waves}
    names = dict(Department.objects.values_list("pk", "name"))
    questions = list(survey.questions.all())
    items, measures, _ = survey_items(questions)
    published = published_scores(list(label_of))
    published = published[published["measure"].isin({m.key for m in measures})]
    shown, _ = published_shown(waves, names)
    scores = published.assign(
        wave=published["wave"].map(label_of),
        department=cell_names(published["department"], names),
    )[["response", "wave", "department", "measure", "score"]]
    return ImpactData(
        survey=survey,
        waves=waves,
        measures=measures,
        item_dimensions={item.column: item.dimension for item in items if item.dimension},
        scores=scores,
        shown=shown,
        min_group_size=survey.group_threshold(),
    )


def theme_mentions_within(survey: Survey, waves: list[Wave]) -> pd.DataFrame:
    """Theme mentions within whole waves, as the dashboard counts them for those waves:
    comments of published respondents the disclosure rules let be listed, and notes of
    conversations between the first wave's opening and the last one's closing."""
    columns = ["theme", "voice", "source", "channel", "sentiment", "linked"]
    if not waves:
        return pd.DataFrame(columns=columns)
    label_of = {w.pk: w.label for w in waves}
    names = dict(Department.objects.values_list("pk", "name"))
    shown_cells, _ = published_shown(waves, names)
    window = (min(w.opens for w in waves).date(), max(w.closes for w in waves).date())
    return pd.concat(
        [_comment_mentions(survey, label_of, names, shown_cells, None), note_mentions(None, window)],
        ignore_index=True,
    )


def theme_comments(theme: Theme, survey: Survey, shown_waves: list[str], department: Department | None):
    """The survey comments coded with a theme that may be listed here, newest wave first,
    and how many of the published ones are withheld (``reports.disclosure``): whole
    shown waves, published respondents only, none from hidden cells once any department
    is shown."""
    waves = list(survey.waves.of_users().filter(label__in=shown_waves))
    label_of = {w.pk: w.label for w in waves}
    names = dict(Department.objects.values_list("pk", "name"))
    shown_cells, _ = published_shown(waves, names)
    people, allowed = commenting_respondents(shown_cells, label_of, names, department)
    coded = Answer.objects.filter(themes=theme, response__wave__in=list(label_of))
    published, may_list = set(people["response"].tolist()), set(allowed["response"].tolist())
    if department is not None:
        # Only the department's published cell, where it is shown. Counting what is
        # withheld under a department filter would give a hidden cell's own number of
        # comments (and the theme's count for a group of fewer than k people).
        published = may_list
    rows = [
        (pk, response)
        for pk, response in coded.values_list("pk", "response_id").order_by()
        if response in published
    ]
    listed = [pk for pk, response in rows if response in may_list]
    withheld = len(rows) - len(listed)
    # Newest wave first; within a wave in a keyed-hash order, never the order of answering.
    answers = [
        answer
        for start in range(0, len(listed), CODED_CHUNK)  # (SQLite's limit on values per query)
        for answer in Answer.objects.filter(pk__in=listed[start : start + CODED_CHUNK]).select_related(
            "response__wave"
        )
    ]
    ordered = sorted(
        answers, key=lambda a: (-a.response.wave.opens.timestamp(), _shuffle_key(a.pk, "comment"))
    )
    return ordered, withheld


def theme_notes(theme: Theme, window: dict | None):
    """The conversation notes coded with a theme, newest conversation first; beside a
    survey, only those within the whole waves shown (``window``: from and to dates, as in
    the trends document), none when no wave is shown."""
    notes = Note.objects.filter(themes=theme).select_related("person", "conversation")
    if window is None:
        return notes.none()
    return notes.filter(
        conversation__date__gte=window["from"], conversation__date__lte=window["to"]
    ).order_by("-conversation__date")


# -- Reads for the rest of reports: surveys, coverage, fingerprints, monthly counts ---------


def surveys():
    """Every survey, by title."""
    return Survey.objects.order_by("title")


def survey_named(slug: str) -> Survey | None:
    return Survey.objects.filter(slug=slug).first()


def first_survey() -> Survey | None:
    """The survey a page shows when none is asked for: the oldest."""
    return Survey.objects.order_by("pk").first()


def survey_by_pk(pk: int) -> Survey | None:
    return Survey.objects.filter(pk=pk).first()


def department_published_waves() -> list[tuple[int, datetime]]:
    """(department id, wave close) for every wave whose published figures show that
    department's cell: a department is heard in a survey only as the figures say so
    (``reports.disclosure``), never by counting live answers."""
    from reports.disclosure import RESPONDENTS
    from reports.models import PublishedCell

    return list(
        PublishedCell.objects.filter(
            measure=RESPONDENTS,
            shown=True,
            department_id__isnull=False,
            publication__wave__self_view_of__isnull=True,  # IT answering for users is not hearing them
        )
        .values_list("department_id", "publication__wave__closes")
        .distinct()
        .order_by()
    )


def department_conversation_days() -> dict[int, date]:
    """Each department's last conversation held with it."""
    return dict(
        Conversation.objects.values_list("departments")
        .annotate(last=Max("date"))
        .values_list("departments", "last")
    )


def department_note_days() -> dict[int, date]:
    """Each department's last conversation in which one of its people was noted."""
    return dict(
        Person.objects.filter(department__isnull=False, notes__isnull=False)
        .values_list("department")
        .annotate(last=Max("notes__conversation__date"))
        .values_list("department", "last")
    )


def influencers_last_heard() -> list[tuple[str, date | None, int]]:
    """Each influencer's name, last conversation day and id, by name."""
    people = (
        Person.objects.filter(is_influencer=True).annotate(last=Max("conversations__date")).order_by("name")
    )
    return [(p.name, p.last, p.pk) for p in people]


# Every stored field of a question but whether it has answers, which changes no figure
# (it flips with a question's first answer).
QUESTION_FIGURE_FIELDS = [f.attname for f in Question._meta.concrete_fields if f.name != "answered"]


def figure_inputs(survey: Survey) -> list:
    """Counts and highest ids, or whole rows, of everything a trends document's figures
    depend on (all of it but its themes), cheap enough for each dashboard and chart
    request (nothing over the answers table itself).

    Figures come from publications, so a publication, not a response, changes them: a new
    response leaves the document (and its cache) as it was until its batch is published.
    Themes depend on these too (which respondents are shown) and on ``theme_inputs``."""
    from reports.models import Publication

    return [
        # From the primary, as the document is built: a lagging replica would name an
        # older publication than the one the document holds.
        Publication.objects.using("default")
        .filter(wave__survey=survey)
        .aggregate(n=Count("id"), last=Max("id")),
        # Small tables, read whole: a renamed department, wave or question, or a survey's
        # new title, shows at once (the document is kept until this changes).
        list(Department.objects.order_by("pk").values_list()),
        list(Survey.objects.filter(pk=survey.pk).values_list()),
        list(survey.waves.order_by("pk").values_list()),
        list(survey.questions.order_by("pk").values_list(*QUESTION_FIGURE_FIELDS)),
        list(Choice.objects.filter(question__survey=survey).order_by("pk").values_list()),
        {"k": survey.group_threshold()},
    ]


def theme_inputs() -> list:
    """What a document's themes depend on besides ``figure_inputs``: every coding, the
    coded notes read whole, conversations, and the codebook. A coding or a note changes
    these and leaves the figures as they were."""
    return [
        # With the sum of ids: a recoding deletes and inserts, and on PostgreSQL a row with
        # a lower id may commit after a higher one, leaving the count and the highest id
        # as they were.
        Answer.themes.through.objects.aggregate(n=Count("id"), last=Max("id"), ids=Sum("id")),
        # The coded notes read whole (``note_mentions``' rows): a note's person or
        # sentiment, its conversation's kind or date, edited without a new coding.
        list(
            Note.themes.through.objects.order_by("pk").values_list(
                "pk",
                "theme_id",
                "note__person_id",
                "note__sentiment",
                "note__conversation_id",
                "note__conversation__kind",
                "note__conversation__date",
            )
        ),
        Conversation.objects.aggregate(n=Count("id"), last=Max("id")),
        # A renamed theme shows at once.
        list(Theme.objects.order_by("pk").values_list()),
    ]


def scoring_rules(survey: Survey) -> list:
    """What scores depend on besides the answers: each question's kind and scoring fields."""
    return list(
        survey.questions.order_by("pk").values_list(
            "pk",
            "kind",
            "dimension",
            "reverse_scored",
            "favourable_from",
            "likelihood_to_recommend",
            "scale_low",
            "scale_high",
        )
    )


def responses_in(waves: list[Wave]) -> int:
    """How many responses these waves hold (live, published or not)."""
    return Response.objects.filter(wave__in=waves).count()


def responses_seen(survey: Survey) -> dict:
    """How many responses a survey has and the highest id: they change with every response."""
    return Response.objects.filter(wave__survey=survey).aggregate(n=Count("id"), last=Max("id"))


def surveyed_between(response_ids, start: date, end: date) -> int:
    """How many of the given responses were submitted between two days (users' waves only:
    IT's self-view answers are not people heard)."""
    return Response.objects.filter(
        pk__in=response_ids,
        submitted__date__gte=start,
        submitted__date__lte=end,
        wave__self_view_of__isnull=True,
    ).count()


def conversation_voices_between(start: date, end: date) -> int:
    """People heard in conversations between two days: named participants and unnamed ones."""
    conversations = Conversation.objects.filter(date__gte=start, date__lte=end)
    named = conversations.aggregate(n=Count("participants", distinct=True))["n"]
    unnamed = conversations.aggregate(n=Sum("unnamed_participants"))["n"] or 0
    return named + unnamed


def actions_done_between(start: date, end: date) -> list[Action]:
    return list(Action.objects.filter(done_on__gte=start, done_on__lte=end).order_by("done_on", "id"))


# -- The perception gap and what drives satisfaction ---------------------------------------


def _published_moments(wave_ids: list[int], keys: set[str]) -> dict[tuple[int, str], Moments]:
    """(wave id, measure) -> n, mean and variance of the published respondent scores."""
    scores = published_scores(wave_ids)
    scores = scores[scores["measure"].isin(keys)]
    counted = scores.groupby(["wave", "measure", "score"]).size().reset_index(name="count")
    return {
        (int(wave), measure): moments(group["score"].to_numpy(), group["count"].to_numpy())
        for (wave, measure), group in counted.groupby(["wave", "measure"])
    }


@dataclass
class GapWave:
    """One users' wave and its IT self-view wave, each side's published figure per
    measure key (only measures whose whole-wave figure is shown on that side)."""

    wave: Wave
    self_view: Wave
    users: dict[str, Moments]
    it_staff: dict[str, Moments]


def perception_gap_data(survey: Survey) -> tuple[list[Measure], list[GapWave]]:
    """The rating measures (dimensions, then questions) and, oldest first, every users'
    wave that has an IT self-view wave, with both sides' published figures. A side whose
    figure is hidden (fewer than k, or suppressed) has no entry for that measure."""
    from reports import disclosure

    disclosure.ensure_published(survey)
    questions = list(survey.questions.all())
    _, measures, _ = survey_items(questions)
    measures = [m for m in measures if m.kind == "dimension"] + [m for m in measures if m.kind == "question"]
    keys = {m.key for m in measures}
    pairs = [
        (wave.self_view_of, wave)
        for wave in survey.waves.self_views().select_related("self_view_of").order_by("opens", "pk")
    ]
    pairs.sort(key=lambda pair: (pair[0].opens, pair[0].pk))
    waves = [w for pair in pairs for w in pair]
    shown_cells, _ = published_shown(waves, dict(Department.objects.values_list("pk", "name")))
    figures = _published_moments([w.pk for w in waves], keys)

    def side(wave: Wave) -> dict:
        return {
            key: figures[(wave.pk, key)]
            for key in keys
            if (wave.pk, key) in figures and shown_cells.get((wave.label, key), _HIDDEN).total
        }

    return measures, [GapWave(users, it_wave, side(users), side(it_wave)) for users, it_wave in pairs]


@dataclass
class DriverFrame:
    """One users' wave's respondent-level frame for the drivers page: one row per
    published respondent holding a score on every shown dimension and on the overall
    question (``scores``: one column per dimension key, then the overall question's key).

    Dimensions whose whole-wave figure is hidden are left out (``hidden``);
    ``performance`` holds each shown dimension's published figure."""

    wave: Wave | None
    waves: list[Wave]
    overall: Measure | None
    overall_shown: bool
    dimensions: list[Measure]
    hidden: list[Measure]
    performance: dict[str, Moments]
    scores: pd.DataFrame
    final: bool = False


def driver_frame(survey: Survey, wave_label: str | None = None) -> DriverFrame:
    """The drivers frame of one users' wave (by label; default the latest closed one whose
    count of respondents is shown), over published respondents only (``reports.disclosure``).
    The overall question is the one declared ``overall_measure``, never a score built
    from the dimensions themselves. ``final`` says the wave's figures will not move again:
    weights worked out on an open wave would shift with each batch of answers."""
    from reports import disclosure

    disclosure.ensure_published(survey)
    waves = list(survey.waves.of_users().order_by("opens", "pk"))
    questions = list(survey.questions.all())
    _, measures, _ = survey_items(questions)
    declared = next((q for q in questions if q.overall_measure and q.is_numeric and not q.dimension), None)
    overall = next((m for m in measures if declared and m.key == f"question:{declared.pk}"), None)
    dimensions = [m for m in measures if m.kind == "dimension"]
    shown_cells, publications = published_shown(waves, dict(Department.objects.values_list("pk", "name")))

    def final(wave: Wave) -> bool:
        return wave.label in publications and publications[wave.label].final

    if wave_label is not None:
        wave = next((w for w in waves if w.label == wave_label), None)
    else:
        wave = next(
            (
                w
                for w in reversed(waves)
                if final(w) and shown_cells.get((w.label, RESPONDENTS), _HIDDEN).total
            ),
            None,
        )
    empty = DriverFrame(wave, waves, overall, False, [], dimensions, {}, pd.DataFrame())
    if wave is None or overall is None:
        return empty
    if not final(wave):
        return DriverFrame(wave, waves, overall, False, [], [], {}, pd.DataFrame(), final=False)

    def shown(key: str) -> bool:
        return shown_cells.get((wave.label, key), _HIDDEN).total

    visible = [m for m in dimensions if shown(m.key)]
    hidden = [m for m in dimensions if not shown(m.key)]
    if not shown(overall.key):
        return DriverFrame(wave, waves, overall, False, visible, hidden, {}, pd.DataFrame())
    keys = [m.key for m in visible] + [overall.key]
    published = published_scores([wave.pk])
    published = published[published["measure"].isin(keys)]
    scores = published.pivot(index="response", columns="measure", values="score")
    scores = scores.reindex(columns=keys).dropna().sort_index()
    performance = {
        key: value for (_, key), value in _published_moments([wave.pk], {m.key for m in visible}).items()
    }
    scores = scores.reset_index(drop=True)
    return DriverFrame(wave, waves, overall, True, visible, hidden, performance, scores, final=True)
