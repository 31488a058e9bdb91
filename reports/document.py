"""The typed trends document (version 2): what `trends --json` prints and every page,
export and email reads.

Plain JSON-ready dicts described by TypedDicts, so the cache, the command and the
templates share one shape. Consumers read explicit fields (``kind``, ``scale_low``,
``scale_high``, ``favorable_definition``, ``net_score``) and never parse a key or a
label. The README's "JSON contract" section describes the same fields.
"""

from typing import Literal, TypedDict

VERSION = 2

Kind = Literal["overall", "dimension", "question", "choice"]
TrendDirection = Literal["improving", "declining", "no_clear_trend", "not_enough_waves"]


class Interval(TypedDict):
    """A 95% interval. ``clipped``: cut at the end of the scale."""

    low: float
    high: float
    clipped: bool


class WaveEntry(TypedDict):
    """One measure in one wave. Every figure is None when ``suppressed``; an interval is
    None with its ``*_missing`` reason ("fewer than two answers", "everyone answered the
    same") when there is none."""

    wave: str
    n: int | None
    mean: float | None
    mean_ci: Interval | None
    mean_ci_missing: str | None
    favorable: float | None
    favorable_ci: Interval | None
    net_score: float | None
    net_score_ci: Interval | None
    suppressed: bool


class ChangeFigure(TypedDict):
    """The change of one figure (mean, favourable share, net score) between two waves.

    ``called``: q < 0.05 in its fixed family and the interval excludes 0; ``robust``
    (called changes only; else None): still called without the one voice whose removal
    weakens it most. ``direction`` is "up", "down" or "about_the_same"."""

    delta: float
    ci: Interval | None
    ci_missing: str | None
    p: float | None
    q: float | None
    called: bool
    robust: bool | None
    direction: str
    method: str


class ChangeEntry(TypedDict):
    """Between the last two shown waves. ``wander_known`` is False with only two shown
    waves: the usual wave-to-wave wander is not yet known, so it is not in the interval."""

    from_wave: str
    to_wave: str
    wander_known: bool
    mean: ChangeFigure
    favorable: ChangeFigure | None
    net_score: ChangeFigure | None


class TrendFigure(TypedDict):
    """A slope per month from a random-effects meta-regression of wave values on time
    (REML τ², Knapp–Hartung t on waves − 2 df). ``slope_ci`` and ``p`` need 3+ waves;
    ``q`` and a direction other than "not_enough_waves" need 4+."""

    slope_per_month: float | None
    slope_ci: Interval | None
    tau: float | None
    p: float | None
    q: float | None
    direction: TrendDirection
    robust: bool | None


class TrendEntry(TypedDict):
    waves: int
    mean: TrendFigure
    favorable: TrendFigure | None


class MeasureEntry(TypedDict):
    key: str  # an opaque identifier: compare it, never parse it
    kind: Kind
    label: str
    scale_low: int
    scale_high: int
    rescaled: bool  # on 0–100, made from dimensions on different scales
    favorable_from: float | None
    favorable_definition: str | None  # "favourable = 4–5 of 1–5"
    net_score: bool  # a likelihood-to-recommend question
    question: str | None  # kind "choice": the question's text (its option is ``option``)
    option: str | None  # kind "choice": the option; its share is ``favorable`` (Wilson interval)
    waves: list[WaveEntry]
    change: ChangeEntry | None
    trend: TrendEntry


class WaveInfo(TypedDict):
    label: str
    opens: str
    closes: str
    months: float  # from the first wave's midpoint to this wave's midpoint
    respondents: int | None
    suppressed: bool
    published_on: str | None  # the date of the figures: the wave's latest publication
    final: bool  # the wave has closed and its figures will not change again
    left_out: int  # respondents not (yet) in the figures: too few to add without isolating anyone


class DepartmentEntry(TypedDict):
    department: str
    respondents: int | None  # in the latest wave
    suppressed: bool
    self_reported: bool  # picked on an open link: shown only from 2k respondents
    waves: list[WaveInfo]
    measures: list[MeasureEntry]


class ThemeEntry(TypedDict):
    theme: str
    voices: int
    linked_voices: int
    unlinked_voices: int  # may be one person counted more than once
    mentions: int
    sources: int
    channels: list[str]
    top_voice_share: float
    status: str
    robust: bool
    sentiment: float | None


class Filters(TypedDict):
    department: str | None
    since: str | None
    until: str | None


class Document(TypedDict):
    version: int
    survey: str
    title: str
    min_group_size: int
    self_reported_min_group_size: int
    filters: Filters
    waves: list[WaveInfo]
    measures: list[MeasureEntry]
    departments: list[DepartmentEntry]
    themes: list[ThemeEntry]
    themes_window: dict | None  # {"from": date, "to": date}: notes counted beside the survey


def measures_of_kind(document: Document, *kinds: str) -> list[MeasureEntry]:
    return [m for m in document["measures"] if m["kind"] in kinds]


def find_measure(document: Document, key: str) -> MeasureEntry | None:
    return next((m for m in document["measures"] if m["key"] == key), None)


def net_score_measure(document: Document) -> MeasureEntry | None:
    """The first likelihood-to-recommend question, if the survey has one."""
    return next((m for m in document["measures"] if m["net_score"]), None)
