"""The trends document: one survey's figures, changes, trends and themes.

`manage.py trends --json` prints exactly this; the dashboard, exports and monthly
report read the same document, so every output agrees. It is built from a
``queries.SurveyData`` with the pure functions of ``reports.analysis``.
"""

import math

import pandas as pd

from reports import analysis
from reports.queries import NO_DEPARTMENT, SurveyData


def _round(value, digits: int = 4):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def _wave_entry(label: str, row: pd.Series | None, scale: analysis.Scale) -> dict:
    if row is None or row["suppressed"]:
        return {
            "wave": label,
            "n": None,
            "mean": None,
            "mean_ci": None,
            "favorable": None,
            "favorable_ci": None,
            "net_score": None,
            "net_score_ci": None,
            "suppressed": True,
        }
    return {
        "wave": label,
        "n": int(row["n"]),
        "mean": _round(row["mean"]),
        "mean_ci": [_round(row["mean_low"]), _round(row["mean_high"])],
        "favorable": _round(row["favorable"]),
        "favorable_ci": [_round(row["favorable_low"]), _round(row["favorable_high"])],
        "net_score": _round(row["net_score"], 2) if scale.net else None,
        "net_score_ci": [_round(row["net_score_low"], 2), _round(row["net_score_high"], 2)]
        if scale.net
        else None,
        "suppressed": False,
    }


def _change_entry(change: analysis.Change | None) -> dict | None:
    if change is None:
        return None
    return {
        "from": change.wave_from,
        "to": change.wave_to,
        "delta": _round(change.delta),
        "p": _round(change.p, 6),
        "q": _round(change.q, 6),
        "significant": change.significant,
        "robust": change.robust,
        "favorable_delta": _round(change.favorable_delta),
        "favorable_p": _round(change.favorable_p, 6),
        "favorable_q": _round(change.favorable_q, 6),
        "favorable_significant": change.favorable_significant,
    }


def _trend_entry(trend: analysis.Trend) -> dict:
    tested = trend.p is not None
    return {
        "waves": trend.waves,
        "tau": _round(trend.tau) if tested else None,
        "p": _round(trend.p, 6) if tested else None,
        "q": _round(trend.q, 6) if tested else None,
        "slope": _round(trend.slope) if tested else None,
        "direction": trend.direction,
        "robust": trend.robust if tested else None,
    }


class _Measures:
    """Builds measure entries and remembers every change and trend, so that all of them
    can be settled together (Benjamini-Hochberg across everything shown at once)."""

    def __init__(self, data: SurveyData):
        self.data = data
        self.pending: list[tuple[dict, analysis.Change | None, analysis.Trend]] = []

    def build(self, measure: str, scores: pd.DataFrame, summaries: pd.DataFrame, hidden: set[str]) -> dict:
        scale = self.data.scales[measure]
        rows = {row["wave"]: row for _, row in summaries[summaries["measure"] == measure].iterrows()}
        entries, shown = [], []
        for wave in self.data.waves:
            row = None if wave.label in hidden else rows.get(wave.label)
            entry = _wave_entry(wave.label, row, scale)
            entries.append(entry)
            if not entry["suppressed"]:
                shown.append(wave.label)
        entry = {
            "key": measure,
            "label": self.data.labels[measure],
            "scale": scale.label,
            "waves": entries,
        }
        change = analysis.wave_change(scores, measure, shown, scale)
        trend = analysis.wave_trend(scores, measure, shown)
        self.pending.append((entry, change, trend))
        return entry

    def settle(self) -> None:
        changes = [change for _, change, _ in self.pending if change is not None]
        analysis.settle_changes(changes)
        analysis.settle_trends([trend for _, _, trend in self.pending])
        for entry, change, trend in self.pending:
            entry["change"] = _change_entry(change)
            entry["trend"] = _trend_entry(trend)


def _hidden_waves(data: SurveyData) -> set[str]:
    k = data.min_group_size
    return {w.label for w in data.waves if data.respondents.get(w.label, 0) < k}


def _departments(data: SurveyData, builder: _Measures) -> list[dict]:
    """The department breakdown with complementary suppression in every (wave, measure)
    cell and in the latest wave's respondent counts. Respondents who gave no department
    are a cell that is never shown, so it counts as hidden when deciding complements."""
    k = data.min_group_size
    scores = data.department_scores
    scores = scores[scores["measure"].str.startswith("dimension:")]
    names = sorted(set(scores["department"]) | set(data.department_respondents["department"]))
    shown_names = [name for name in names if name != NO_DEPARTMENT]
    if not shown_names:
        return []
    always_hidden = {NO_DEPARTMENT}
    hidden: dict[tuple[str, str, str], bool] = {}
    sizes = scores.groupby(["wave", "measure", "department"])["count"].sum()
    for (wave, measure), cell_sizes in sizes.groupby(level=[0, 1]):
        cells = cell_sizes.droplevel([0, 1])
        for name in analysis.complementary_suppression(cells, k, always_hidden=always_hidden):
            hidden[(wave, measure, name)] = True

    latest = data.waves[-1].label if data.waves else None
    latest_sizes = data.department_respondents[data.department_respondents["wave"] == latest].set_index(
        "department"
    )["respondents"]
    latest_hidden = analysis.complementary_suppression(latest_sizes, k, always_hidden=always_hidden)

    departments = []
    for name in shown_names:
        own = scores[scores["department"] == name].drop(columns="department")
        summaries = analysis.wave_summaries(own, data.scales, k)
        measures = []
        for measure in data.measures:
            if not measure.startswith("dimension:"):
                continue
            cells_hidden = {w.label for w in data.waves if hidden.get((w.label, measure, name))}
            measures.append(builder.build(measure, own, summaries, cells_hidden | _hidden_waves(data)))
        suppressed = name in latest_hidden or name not in latest_sizes.index
        departments.append(
            {
                "department": name,
                "respondents": None if suppressed else int(latest_sizes[name]),
                "suppressed": suppressed,
                "measures": measures,
            }
        )
    return departments


def _themes(data: SurveyData) -> list[dict]:
    summary = analysis.theme_summary(data.mentions)
    return [
        {
            "theme": row.theme,
            "voices": int(row.voices),
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


def build_trends(data: SurveyData) -> dict:
    """The whole document for one survey under one set of filters (see the trends command)."""
    k = data.min_group_size
    hidden_waves = _hidden_waves(data)
    builder = _Measures(data)
    summaries = analysis.wave_summaries(data.scores, data.scales, k)
    measures = [builder.build(m, data.scores, summaries, hidden_waves) for m in data.measures]
    departments = _departments(data, builder) if data.department is None else []
    builder.settle()
    return {
        "survey": data.survey.slug,
        "title": data.survey.title,
        "min_group_size": k,
        "filters": {
            "department": data.department.name if data.department else None,
            "since": data.since.isoformat() if data.since else None,
            "until": data.until.isoformat() if data.until else None,
        },
        "waves": [
            {
                "label": wave.label,
                "opens": wave.opens.date().isoformat(),
                "closes": wave.closes.date().isoformat(),
                "respondents": None if wave.label in hidden_waves else data.respondents.get(wave.label, 0),
                "suppressed": wave.label in hidden_waves,
            }
            for wave in data.waves
        ],
        "measures": measures,
        "departments": departments,
        "themes": _themes(data),
    }
