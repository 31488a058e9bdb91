"""The perception gap: how IT sees itself against how the people it serves see it.

IT staff answer a self-view wave "as you think the people you serve would answer". Per
measure, the gap is IT's self-view mean minus users' mean (positive: IT thinks users
rate it better than they do), with Welch's 95% interval. A *blind spot* is a gap above
0 whose interval excludes 0. Both sides are published figures (``reports.disclosure``):
a side hidden for too few people hides the gap too.

Over waves, the gap estimates and their variances go into the same random-effects
meta-regression as every trend (DESIGN rule 5): from four waves, a gap is "closing" when
the slope runs towards 0 with q < 0.05 (Benjamini–Hochberg over this survey's measures)
and its interval excludes 0, "widening" when it runs away from 0 likewise.
"""

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from reports import analysis, statistics
from reports.analysis import Measure
from reports.queries import GapWave
from reports.statistics import Difference, MetaRegression, Moments

CLOSING, WIDENING, NO_CLEAR, NOT_ENOUGH = "closing", "widening", "no_clear_change", "not_enough_waves"
GAP_TREND_WORDS = {
    CLOSING: "closing",
    WIDENING: "widening",
    NO_CLEAR: "no clear change",
    NOT_ENOUGH: "not enough waves yet",
}


@dataclass(frozen=True)
class GapRow:
    """One measure in one pair of waves. ``users``/``it_staff`` are None where that side
    is hidden; ``gap`` is None then too."""

    measure: Measure
    users: Moments | None
    it_staff: Moments | None
    gap: Difference | None

    @property
    def shown(self) -> bool:
        return self.gap is not None

    @property
    def blind_spot(self) -> bool:
        """IT rates itself better than users do, and the interval excludes 0."""
        return self.gap is not None and self.gap.low is not None and self.gap.low > 0

    @property
    def hidden_side(self) -> str:
        if self.users is None and self.it_staff is None:
            return "both"
        return "users" if self.users is None else ("IT self-view" if self.it_staff is None else "")


@dataclass(frozen=True)
class GapPoint:
    wave: str
    months: float
    gap: float
    variance: float
    low: float | None
    high: float | None


@dataclass
class GapTrend:
    measure: Measure
    points: list[GapPoint]
    fit: MetaRegression | None = None
    q: float | None = None
    direction: str = NOT_ENOUGH

    @property
    def words(self) -> str:
        return GAP_TREND_WORDS[self.direction]


@dataclass
class PerceptionGap:
    """The latest pair of waves with anything shown (``rows``, biggest blind spots
    first, then by the size of the gap; hidden rows last) and each measure's gap over
    every pair of waves."""

    wave: str | None
    self_view_wave: str | None
    rows: list[GapRow] = field(default_factory=list)
    trends: list[GapTrend] = field(default_factory=list)
    pairs: int = 0

    @property
    def blind_spots(self) -> list[GapRow]:
        return [row for row in self.rows if row.blind_spot]


def gap_rows(measures: list[Measure], pair: GapWave) -> list[GapRow]:
    """Each measure's gap in one pair of waves, ordered: blind spots first (largest gap
    first), then the other shown gaps by their size, then the hidden ones."""
    rows = []
    for measure in measures:
        users, it_staff = pair.users.get(measure.key), pair.it_staff.get(measure.key)
        gap = statistics.welch_difference(users, it_staff) if users and it_staff else None
        rows.append(GapRow(measure, users, it_staff, gap))

    def order(row: GapRow):
        if row.gap is None:
            return (2, 0.0, row.measure.label)
        return (0 if row.blind_spot else 1, -abs(row.gap.estimate), row.measure.label)

    return sorted(rows, key=order)


def _midpoint(pair: GapWave) -> datetime:
    return pair.wave.opens + (pair.wave.closes - pair.wave.opens) / 2


def gap_trends(measures: list[Measure], pairs: list[GapWave]) -> list[GapTrend]:
    """Each measure's gap over the pairs of waves where both sides are shown, fitted on
    months by random-effects meta-regression (REML, Knapp–Hartung)."""
    midpoints = analysis.months_between([_midpoint(p) for p in pairs])
    months = dict(zip([p.wave.pk for p in pairs], midpoints, strict=True))
    trends = []
    for measure in measures:
        points = []
        for pair in pairs:
            users, it_staff = pair.users.get(measure.key), pair.it_staff.get(measure.key)
            if not users or not it_staff or users.n < 2 or it_staff.n < 2:
                continue
            gap = statistics.welch_difference(users, it_staff)
            variance = users.variance / users.n + it_staff.variance / it_staff.n
            points.append(
                GapPoint(pair.wave.label, months[pair.wave.pk], gap.estimate, variance, gap.low, gap.high)
            )
        trend = GapTrend(measure, points)
        if len(points) >= 2:
            trend.fit = statistics.meta_regression(
                np.array([p.gap for p in points]),
                np.array([p.variance for p in points]),
                np.array([p.months for p in points]),
            )
        trends.append(trend)
    tested = [
        t for t in trends if len(t.points) >= analysis.MIN_TREND_WAVES and t.fit and t.fit.p is not None
    ]
    for trend, q in zip(tested, statistics.benjamini_hochberg([t.fit.p for t in tested]), strict=True):
        trend.q = q
        fit = trend.fit
        called = q < statistics.ALPHA and (fit.low > 0 or fit.high < 0)
        latest = trend.points[-1].gap
        if not called or latest == 0:
            trend.direction = NO_CLEAR
        else:
            trend.direction = CLOSING if (fit.slope < 0) == (latest > 0) else WIDENING
    return trends


def perception_gap(measures: list[Measure], pairs: list[GapWave]) -> PerceptionGap:
    """The gap page's content from ``queries.perception_gap_data``."""
    shown = [p for p in pairs if any(row.shown for row in gap_rows(measures, p))]
    if not shown:
        latest = pairs[-1] if pairs else None
        return PerceptionGap(
            latest.wave.label if latest else None,
            latest.self_view.label if latest else None,
            gap_rows(measures, latest) if latest else [],
            gap_trends(measures, pairs),
            len(pairs),
        )
    latest = shown[-1]
    return PerceptionGap(
        latest.wave.label,
        latest.self_view.label,
        gap_rows(measures, latest),
        gap_trends(measures, pairs),
        len(pairs),
    )
