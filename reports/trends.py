"""The trends document: one survey's figures, changes, trends and themes.

`manage.py trends --json` prints exactly this; the dashboard, exports and monthly
report read the same document, so every output agrees. It is built from a
``queries.SurveyData`` with the rules of ``reports.analysis``; its shape is
``reports.document.Document``.

Multiple comparisons use fixed families, computed once per document and never per
view: per wave pair, one family for the organisation's changes and one for the
department breakdown (every measure × shown department; suppressed cells are not
members); likewise one family for the organisation's trends and one for the
departments'. A department filter is a slice of the whole document, so a department's
change carries the same q on the dashboard, under the filter, in exports and in JSON.
"""

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from reports import analysis, document
from reports.analysis import Distribution, Measure, TrendFit, WaveFigures
from reports.queries import NO_DEPARTMENT, RESPONDENTS, ShownCells, SurveyData
from reports.statistics import Difference, Interval


def _round(value, digits: int = 4):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def _interval(interval: Interval | None, digits: int = 4) -> document.Interval | None:
    if interval is None or interval.low is None:
        return None
    return {
        "low": _round(interval.low, digits),
        "high": _round(interval.high, digits),
        "clipped": interval.clipped,
    }


@dataclass
class _Built:
    """One measure in one scope, computed but not yet settled against its family."""

    measure: Measure
    waves: list[document.WaveEntry]
    change: analysis.Change | None
    mean_trend: TrendFit | None
    favourable_trend: TrendFit | None
    shown: int


def _wave_entry(label: str, figures: WaveFigures | None, measure: Measure) -> document.WaveEntry:
    if figures is None:
        return {
            "wave": label,
            "n": None,
            "mean": None,
            "mean_ci": None,
            "mean_ci_missing": None,
            "favorable": None,
            "favorable_ci": None,
            "net_score": None,
            "net_score_ci": None,
            "suppressed": True,
        }
    net = figures.net_score
    return {
        "wave": label,
        "n": figures.n,
        "mean": _round(figures.mean),
        "mean_ci": _interval(figures.mean_interval),
        "mean_ci_missing": figures.mean_interval.reason,
        "favorable": _round(figures.favourable),
        "favorable_ci": _interval(figures.favourable_interval),
        "net_score": _round(net.score, 2) if net else None,
        "net_score_ci": _interval(Interval(net.low, net.high, net.low <= -100 or net.high >= 100), 2)
        if net
        else None,
        "suppressed": False,
    }


def build_measure(
    measure: Measure,
    distributions: dict[tuple[str, str], Distribution],
    labels: list[str],
    months: dict[str, float],
    hidden: set[str],
    k: int,
    returning: pd.DataFrame | None = None,
) -> _Built:
    """Wave figures, the change between the last two shown waves and the trends of one
    measure in one scope; ``hidden`` waves (and groups under ``k``) show nothing."""
    entries, shown = [], []
    for label in labels:
        counts = distributions.get((measure.key, label))
        figures = None
        if label not in hidden and counts is not None and counts.counts.sum() >= k:
            figures = analysis.wave_figures(counts.values, counts.counts, measure)
            shown.append((label, counts, figures))
        entries.append(_wave_entry(label, figures, measure))
    mean_trend = favourable_trend = None
    if len(shown) >= 3:
        figures = [f for _, _, f in shown]
        at = [months[label] for label, _, _ in shown]
        if measure.kind != "choice":  # an option's share is its figure: one trend, below
            mean_trend = analysis.trend_fit(figures, at, "mean", robustness=[c for _, c, _ in shown])
        if measure.favourable_from is not None:
            favourable_trend = analysis.trend_fit(figures, at, "favourable")
    change = None
    if len(shown) >= 2:
        (label_b, counts_b, figures_b), (label_a, counts_a, figures_a) = shown[-2], shown[-1]
        change = analysis.measure_change(
            (counts_b, figures_b),
            (counts_a, figures_a),
            measure,
            (label_b, label_a),
            len(shown),
            mean_trend.fit.tau2 if mean_trend else None,
            favourable_trend.fit.tau2 if favourable_trend else None,
            analysis.wave_overlap(returning, measure.key, label_b, label_a, k)
            if returning is not None
            else None,
        )
    return _Built(measure, entries, change, mean_trend, favourable_trend, len(shown))


def _change_tests(built: list[_Built]) -> dict[tuple[str, str], list[analysis.Test]]:
    families: dict[tuple[str, str], list[analysis.Test]] = {}
    for item in built:
        change = item.change
        if change is None:
            continue
        for test in (change.mean_test, change.favourable_test, change.net_score_test):
            if test is not None:
                families.setdefault((change.wave_from, change.wave_to), []).append(test)
    return families


def _trend_tests(built: list[_Built]) -> list[analysis.Test]:
    return [t.test for item in built for t in (item.mean_trend, item.favourable_trend) if t and t.test]


def settle(built: list[_Built]) -> None:
    """Benjamini-Hochberg over one scope's fixed families: changes per wave pair, trends."""
    for family in _change_tests(built).values():
        analysis.settle_family(family)
    analysis.settle_family(_trend_tests(built))


def _change_figure(difference: Difference | None, test: analysis.Test | None, digits: int = 4):
    if difference is None:
        return None
    called = bool(test and test.called)
    return {
        "delta": _round(difference.estimate, digits),
        "ci": _interval(Interval(difference.low, difference.high), digits),
        "ci_missing": difference.reason,
        "p": _round(difference.p, 6),
        "q": _round(test.q, 6) if test else None,
        "called": called,
        "robust": test.robust if test else None,
        "direction": ("up" if difference.estimate > 0 else "down") if called else "about_the_same",
        "method": difference.method,
    }


def _change_entry(change: analysis.Change | None) -> document.ChangeEntry | None:
    if change is None:
        return None
    return {
        "from_wave": change.wave_from,
        "to_wave": change.wave_to,
        "wander_known": change.wander_known,
        "mean": _change_figure(change.mean, change.mean_test),
        "favorable": _change_figure(change.favourable, change.favourable_test),
        "net_score": _change_figure(change.net_score, change.net_score_test, 2),
    }


def _trend_figure(trend: TrendFit | None, waves: int) -> document.TrendFigure:
    if trend is None:
        return {
            "slope_per_month": None,
            "slope_ci": None,
            "tau": None,
            "p": None,
            "q": None,
            "direction": "not_enough_waves",
            "robust": None,
        }
    fit = trend.fit
    return {
        "slope_per_month": _round(fit.slope, 5),
        "slope_ci": _interval(Interval(fit.low, fit.high), 5),
        "tau": _round(math.sqrt(fit.tau2), 5),
        "p": _round(fit.p, 6),
        "q": _round(trend.test.q, 6) if trend.test else None,
        "direction": analysis.direction(trend.test, waves),
        "robust": trend.test.robust if trend.test else None,
    }


def _measure_entry(item: _Built) -> document.MeasureEntry:
    measure = item.measure
    return {
        "key": measure.key,
        "kind": measure.kind,
        "label": measure.label,
        "scale_low": measure.scale_low,
        "scale_high": measure.scale_high,
        "rescaled": measure.rescaled,
        "favorable_from": measure.favourable_from,
        "favorable_definition": measure.favourable_definition,
        "net_score": measure.net_score,
        "question": measure.question or None,
        "option": measure.option or None,
        "waves": item.waves,
        "change": _change_entry(item.change),
        "trend": {
            "waves": item.shown,
            "mean": _trend_figure(item.mean_trend, item.shown),
            "favorable": _trend_figure(item.favourable_trend, item.shown)
            if measure.favourable_from is not None
            else None,
        },
    }


def _wave_months(data: SurveyData) -> dict[str, float]:
    midpoints = [w.opens + (w.closes - w.opens) / 2 for w in data.waves]
    return dict(zip([w.label for w in data.waves], analysis.months_between(midpoints), strict=True))


def _wave_infos(data: SurveyData, respondents: dict[str, int], hidden: set[str]) -> list[document.WaveInfo]:
    months = _wave_months(data)
    return [
        _publication_fields(data, wave.label)
        | {
            "label": wave.label,
            "opens": wave.opens.date().isoformat(),
            "closes": wave.closes.date().isoformat(),
            "months": _round(months[wave.label], 3),
            "respondents": None if wave.label in hidden else respondents.get(wave.label, 0),
            "suppressed": wave.label in hidden,
        }
        for wave in data.waves
    ]


def _publication_fields(data: SurveyData, label: str) -> dict:
    info = data.publications.get(label)
    return {
        "published_on": info.published_on.isoformat() if info else None,
        "final": info.final if info else False,
        "left_out": info.left_out if info else 0,
    }


def _shown(data: SurveyData, label: str, measure: str) -> ShownCells:
    return data.shown.get((label, measure), ShownCells(False, frozenset(), frozenset()))


def _hidden_waves(data: SurveyData, measure: str = RESPONDENTS) -> set[str]:
    """Waves whose total the latest publication does not show (reports.disclosure)."""
    return {w.label for w in data.waves if not _shown(data, w.label, measure).total}


def _departments(data: SurveyData) -> list[tuple[str, list[_Built], dict]]:
    """The department breakdown over every measure, with complementary suppression in every
    (wave, measure) cell and in each wave's respondent counts. Respondents who gave no
    department are a cell that is never shown, so it counts as hidden when deciding
    complements. Returns (name, built measures, department entry without measures)."""
    k = data.min_group_size
    scores = data.department_scores
    names = sorted(set(scores["department"]) | set(data.department_respondents["department"]))
    if data.department is not None and data.department.name not in names:
        names.append(data.department.name)
    shown_names = sorted(name for name in names if name != NO_DEPARTMENT)
    if not shown_names:
        return []
    # Which cells are hidden was decided at publication, over every state of the wave.
    hidden: set[tuple[str, str, str]] = set()
    for measure in data.measures:
        for wave in data.waves:
            cells = _shown(data, wave.label, measure.key)
            for name in names:
                if not cells.total or name in cells.hidden:
                    hidden.add((wave.label, measure.key, name))
    respondents = data.department_respondents.set_index(["wave", "department"])["respondents"]
    hidden_respondents: set[tuple[str, str]] = set()
    reported: set[str] = set()
    for wave in data.waves:
        cells = _shown(data, wave.label, RESPONDENTS)
        reported |= cells.self_reported
        for name in names:
            if not cells.total or name in cells.hidden:
                hidden_respondents.add((wave.label, name))

    labels = [w.label for w in data.waves]
    months = _wave_months(data)
    org_hidden = _hidden_waves(data)
    by_department = dict(tuple(scores.groupby("department", sort=True)))
    returning_by_department = (
        dict(tuple(data.returning.groupby("department", sort=True))) if not data.returning.empty else {}
    )
    result = []
    for name in shown_names:
        own = by_department.get(name, pd.DataFrame(columns=scores.columns)).drop(columns="department")
        distributions = analysis.distributions(own)
        own_returning = returning_by_department.get(name)
        built = []
        for measure in data.measures:
            cells_hidden = {label for label in labels if (label, measure.key, name) in hidden}
            own_hidden = cells_hidden | _hidden_waves(data, measure.key)
            built.append(build_measure(measure, distributions, labels, months, own_hidden, k, own_returning))
        counts = {
            label: int(respondents[(label, name)]) for label in labels if (label, name) in respondents.index
        }
        wave_hidden = {
            label for label in labels if (label, name) in hidden_respondents or label not in counts
        } | org_hidden
        latest = labels[-1] if labels else None
        suppressed = latest is None or latest in wave_hidden
        entry = {
            "department": name,
            "respondents": None if suppressed else counts[latest],
            "suppressed": suppressed,
            "self_reported": name in reported,
            "waves": _wave_infos(data, counts, wave_hidden),
        }
        result.append((name, built, entry))
    return result


def themes_part(mentions: pd.DataFrame, window: tuple[date, date] | None) -> dict:
    """The document's ``themes`` and ``themes_window``, from the theme mentions and their
    window (a ``SurveyData``'s, or ``queries.survey_themes``): built alone when only
    codings, notes or themes changed."""
    return {
        "themes": _themes(mentions),
        "themes_window": {"from": window[0].isoformat(), "to": window[1].isoformat()} if window else None,
    }


def _themes(mentions: pd.DataFrame) -> list[document.ThemeEntry]:
    summary = analysis.theme_summary(mentions)
    return [
        {
            "theme": row.theme,
            "voices": int(row.voices),
            "linked_voices": int(row.linked_voices),
            "unlinked_voices": int(row.unlinked_voices),
            "mentions": int(row.mentions),
            "sources": int(row.sources),
            "channels": list(row.channels),
            "top_voice_share": _round(row.top_voice_share),
            "status": row.status,
            "robust": bool(row.robust),
            "sentiment": _round(row.sentiment, 2),
        }
        for row in summary.itertuples(index=False)
    ]


def build_trends(data: SurveyData) -> document.Document:
    """The whole document for one survey under one set of filters (see the trends command).

    The organisation and the whole department breakdown are always computed and settled;
    under a department filter the document is that department's slice of the breakdown."""
    k = data.min_group_size
    hidden_waves = _hidden_waves(data)
    labels = [w.label for w in data.waves]
    months = _wave_months(data)
    distributions = analysis.distributions(data.scores)
    organisation = [
        build_measure(m, distributions, labels, months, _hidden_waves(data, m.key), k, data.returning)
        for m in data.measures
    ]
    settle(organisation)
    departments = _departments(data)
    settle([item for _, built, _ in departments for item in built])

    result: document.Document = {
        "version": document.VERSION,
        "survey": data.survey.slug,
        "title": data.survey.title,
        "min_group_size": k,
        "self_reported_min_group_size": 2 * k,
        "filters": {
            "department": data.department.name if data.department else None,
            "since": data.since.isoformat() if data.since else None,
            "until": data.until.isoformat() if data.until else None,
        },
        "waves": _wave_infos(data, data.respondents, hidden_waves),
        "measures": [_measure_entry(item) for item in organisation],
        "departments": [
            entry | {"measures": [_measure_entry(item) for item in built]} for _, built, entry in departments
        ],
        **themes_part(data.mentions, data.themes_window),
    }
    if data.department is not None:
        own = next(d for d in result["departments"] if d["department"] == data.department.name)
        result["waves"], result["measures"], result["departments"] = own["waves"], own["measures"], []
    return result
