"""Reading a trends document the way people talk about it: the latest figure, what it
rests on, and whether it went up, down or stayed about the same. Pure functions; the
dashboard and the monthly report both use them, so they always say the same thing."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    scale: str
    wave: str | None
    value: float | None  # the mean, or the net score for net_score headlines
    low: float | None
    high: float | None
    n: int | None
    previous: float | None
    previous_wave: str | None
    direction: str  # "up", "down", "about the same" or "" when there is nothing to compare
    suppressed: bool


def find_measure(document: dict, key: str) -> dict | None:
    return next((m for m in document["measures"] if m["key"] == key), None)


def net_score_measure(document: dict) -> dict | None:
    return next((m for m in document["measures"] if m["scale"] == "0-10"), None)


def _shown(measure: dict) -> list[dict]:
    return [w for w in measure["waves"] if not w["suppressed"]]


def headline(measure: dict, figure: str = "mean") -> Headline:
    """The latest shown wave of a measure, with the previous one and the verdict.

    ``figure`` is "mean", "favorable" or "net_score". A change is called up or down only
    when it is significant (q < 0.05 after Benjamini-Hochberg); otherwise about the same.
    """
    shown = _shown(measure)
    latest = shown[-1] if shown else None
    previous = shown[-2] if len(shown) > 1 else None
    change = measure.get("change")
    direction = ""
    if change and previous:
        significant = change["favorable_significant"] if figure == "favorable" else change["significant"]
        delta = change["favorable_delta"] if figure == "favorable" else change["delta"]
        direction = ("up" if delta > 0 else "down") if significant else "about the same"
    interval = latest[f"{figure}_ci"] if latest and latest[f"{figure}_ci"] else [None, None]
    return Headline(
        key=measure["key"],
        label=measure["label"],
        scale=measure["scale"],
        wave=latest["wave"] if latest else None,
        value=latest[figure] if latest else None,
        low=interval[0],
        high=interval[1],
        n=latest["n"] if latest else None,
        previous=previous[figure] if previous else None,
        previous_wave=previous["wave"] if previous else None,
        direction=direction,
        suppressed=latest is None,
    )


def dimension_measures(document: dict) -> list[dict]:
    return [m for m in document["measures"] if m["key"].startswith("dimension:")]


@dataclass(frozen=True)
class HeatCell:
    department: str
    mean: float | None
    difference: float | None  # from the whole organisation, same wave
    n: int | None
    suppressed: bool


def heatmap(document: dict) -> tuple[list[str], list[tuple[str, list[HeatCell]]], str | None]:
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
