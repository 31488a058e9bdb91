"""Reading a trends document the way people talk about it: the latest figure, what it
rests on, how much it changed (with its interval) and the trend per month, in words a
manager understands. Pure functions; the dashboard, the exports, the command and the
monthly report all use them, so they always say the same thing."""

from dataclasses import dataclass

from reports.document import Document, MeasureEntry, find_measure, measures_of_kind, net_score_measure

__all__ = [
    "ChoiceGroup",
    "Headline",
    "change_words",
    "choice_groups",
    "dimension_measures",
    "find_measure",
    "headline",
    "heatmap",
    "net_score_measure",
    "question_measures",
    "trend_words",
]

# How each figure is written: (format of a value, format of a signed change, unit words).
FORMATS = {
    "mean": ("{:.2f}", "{:+.2f}", ""),
    "favorable": ("{:.0%}", "{:+.0%}", ""),
    "net_score": ("{:+.0f}", "{:+.0f}", " points"),
}
TREND_WORDS = {
    "improving": "improving",
    "declining": "declining",
    "no_clear_trend": "no clear trend",
    "not_enough_waves": "not enough waves yet for a trend",
}


def _signed(value: float, figure: str) -> str:
    text = FORMATS[figure][1].format(value)
    return text.replace("-", "−")


def change_words(change_figure: dict | None, figure: str = "mean") -> str:
    """ "+0.31, 95% interval +0.12 to +0.50" (or why there is no interval)."""
    if not change_figure:
        return ""
    unit = FORMATS[figure][2]
    delta = _signed(change_figure["delta"], figure) + unit
    ci = change_figure["ci"]
    if ci is None:
        return f"{delta} (no interval: {change_figure['ci_missing'] or 'not enough data'})"
    return f"{delta}, 95% interval {_signed(ci['low'], figure)} to {_signed(ci['high'], figure)}"


def trend_words(trend_figure: dict | None, figure: str = "mean") -> str:
    """ "+0.04 a month, 95% interval +0.01 to +0.07: improving", or "no clear trend"."""
    if not trend_figure:
        return ""
    verdict = TREND_WORDS[trend_figure["direction"]]
    slope = trend_figure["slope_per_month"]
    if slope is None:
        return verdict
    per_month = {"mean": "{:+.3f}", "favorable": "{:+.1%}", "net_score": "{:+.1f}"}[figure]
    text = per_month.format(slope).replace("-", "−") + " a month"
    ci = trend_figure["slope_ci"]
    if ci is not None:
        low, high = (per_month.format(v).replace("-", "−") for v in (ci["low"], ci["high"]))
        text += f", 95% interval {low} to {high}"
    return f"{text}: {verdict}"


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    scale_low: int
    scale_high: int
    wave: str | None
    value: float | None  # the mean, the favourable share or the net score
    low: float | None
    high: float | None
    clipped: bool
    missing: str | None  # why there is no interval
    n: int | None
    previous: float | None
    previous_wave: str | None
    direction: str  # "up", "down", "about the same" or "" when there is nothing to compare
    change: str  # the change and its interval in words
    robust: bool | None
    wander_known: bool
    trend: str  # the trend per month in words
    definition: str | None  # the favourable definition, for favourable headlines
    suppressed: bool


def _shown(measure: MeasureEntry) -> list[dict]:
    return [w for w in measure["waves"] if not w["suppressed"]]


def headline(measure: MeasureEntry, figure: str = "mean") -> Headline:
    """The latest shown wave of a measure, the previous one, the change and the trend.

    ``figure`` is "mean", "favorable" or "net_score". A change is called up or down only
    when q < 0.05 in its fixed family and its interval excludes 0; else about the same.
    """
    shown = _shown(measure)
    latest = shown[-1] if shown else None
    previous = shown[-2] if len(shown) > 1 else None
    change = measure.get("change")
    change_figure = change.get(figure) if change and previous else None
    direction = ""
    if change_figure:
        direction = {"up": "up", "down": "down"}.get(change_figure["direction"], "about the same")
    interval = latest[f"{figure}_ci"] if latest else None
    trend = measure["trend"].get(figure) if figure in ("mean", "favorable") else None
    return Headline(
        key=measure["key"],
        label=measure["label"],
        scale_low=measure["scale_low"],
        scale_high=measure["scale_high"],
        wave=latest["wave"] if latest else None,
        value=latest[figure] if latest else None,
        low=interval["low"] if interval else None,
        high=interval["high"] if interval else None,
        clipped=bool(interval and interval["clipped"]),
        missing=latest.get("mean_ci_missing") if latest and figure == "mean" else None,
        n=latest["n"] if latest else None,
        previous=previous[figure] if previous else None,
        previous_wave=previous["wave"] if previous else None,
        direction=direction,
        change=change_words(change_figure, figure),
        robust=change_figure["robust"] if change_figure else None,
        wander_known=bool(change and change["wander_known"]),
        trend=trend_words(trend, figure),
        definition=measure["favorable_definition"] if figure == "favorable" else None,
        suppressed=latest is None,
    )


@dataclass(frozen=True)
class ChoiceGroup:
    """One choice question: each option's share of the question's respondents in the
    latest shown wave, with its Wilson interval and change (``headline`` of "favorable")."""

    question: str
    options: list[tuple[str, Headline]]  # (option label, its share)


def choice_groups(document: Document) -> list[ChoiceGroup]:
    """Choice options grouped by their question, in the document's order."""
    groups: dict[str, list[tuple[str, Headline]]] = {}
    for measure in measures_of_kind(document, "choice"):
        groups.setdefault(measure["question"] or "", []).append(
            (measure["option"] or "", headline(measure, "favorable"))
        )
    return [ChoiceGroup(question, options) for question, options in groups.items()]


def question_measures(document: Document) -> list[MeasureEntry]:
    """Every rated question, with or without a dimension."""
    return measures_of_kind(document, "question")


def dimension_measures(document: Document) -> list[MeasureEntry]:
    return measures_of_kind(document, "dimension")


@dataclass(frozen=True)
class HeatCell:
    department: str
    mean: float | None
    difference: float | None  # from the whole organisation, same wave
    n: int | None
    suppressed: bool


def heatmap(document: Document) -> tuple[list[str], list[tuple[str, list[HeatCell]]], str | None]:
    """Departments × dimensions for the latest wave: (departments, rows, wave label).

    Suppressed cells stay suppressed (complementary suppression already applied)."""
    if not document["departments"] or not document["waves"]:
        return [], [], None
    wave = document["waves"][-1]["label"]
    departments = [d["department"] for d in document["departments"]]
    rows = []
    for measure in dimension_measures(document):
        organisation = next(w for w in measure["waves"] if w["wave"] == wave)
        cells = []
        for department in document["departments"]:
            own = next(m for m in department["measures"] if m["key"] == measure["key"])
            entry = next(w for w in own["waves"] if w["wave"] == wave)
            if entry["suppressed"]:
                cells.append(HeatCell(department["department"], None, None, None, True))
            else:
                difference = None if organisation["suppressed"] else entry["mean"] - organisation["mean"]
                cells.append(HeatCell(department["department"], entry["mean"], difference, entry["n"], False))
        rows.append((measure["label"], cells))
    return departments, rows, wave
