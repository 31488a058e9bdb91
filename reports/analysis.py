"""The product rules of DESIGN.md ("Analysis rules"): what is a measure, what may be
compared, which comparisons form one family, what "robust" means, how themes are counted.

Pure pandas and numpy, no Django; the statistics themselves are in
``reports.statistics``. The frames used throughout:

table        one row per kept response (the per-respondent collapse): ``response, wave,
             department`` and one column per numeric question, named by its
             ``Item.column``. The database builds it in SQL (``reports.queries``).
scores       respondent scores counted by value: ``measure, wave, score, count`` (plus
             ``department`` where broken down), ``count`` being how many distinct
             respondents have that score. All statistics work on this compact form, so
             their cost depends on the number of distinct scores, not of people.
mentions     one row per theme mention: ``theme, voice, source, channel, sentiment, linked``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from perception.lib.lazy import lazy_module
from reports import statistics
from reports.statistics import ALPHA, Difference, Interval, MetaRegression, Moments

# Imported on first use: reading a stored document needs no pandas (0.3–0.5 s of a
# command's start).
pd = lazy_module("pandas")

DAYS_PER_MONTH = 365.25 / 12


# -- Measures and how they are scored (rules 1, 2 and 9) ---------------------------------


def default_favourable_from(low: int, high: int) -> int:
    """The top two points of any scale: 4–5 of 1–5, 6–7 of 1–7, 9–10 of 0–10 and 1–10."""
    return high - 1


@dataclass(frozen=True)
class Measure:
    """What one measure is: its kind, its scale and the definitions of its figures.

    ``kind`` is "overall", "dimension", "question" or "choice". ``favourable_from`` is the
    lowest favourable score (after reverse-scoring), None where a favourable share is not
    defined (an overall score over dimensions on different scales). ``net_score`` only for
    questions marked likelihood-to-recommend. ``rescaled``: the scale is 0–100, made from
    dimensions on different scales."""

    key: str
    kind: str
    label: str
    scale_low: int
    scale_high: int
    favourable_from: float | None = None
    net_score: bool = False
    rescaled: bool = False
    question: str = ""  # choice options: the question's text
    option: str = ""  # choice options: the option's label

    @property
    def favourable_definition(self) -> str | None:
        """How the favourable share is defined, in words: "favourable = 4–5 of 1–5"."""
        if self.favourable_from is None:
            return None
        cut = f"{self.favourable_from:g}"
        top = f"{cut}–{self.scale_high}" if self.favourable_from < self.scale_high else cut
        return f"favourable = {top} of {self.scale_low}–{self.scale_high}"


@dataclass(frozen=True)
class Item:
    """A numeric question as the analysis sees it."""

    column: str  # the table column, also the measure key
    low: int
    high: int
    reverse: bool = False
    dimension: str = ""  # the key of the dimension measure it belongs to, or ""


def _count(groups: np.ndarray, keys: pd.DataFrame, measure: str, values: np.ndarray) -> pd.DataFrame:
    """Respondents per (group, score) for one measure; ``groups`` numbers the rows of ``keys``."""
    answered = ~np.isnan(values)
    score_index, scores = pd.factorize(values[answered], sort=True)
    cells = np.bincount(groups[answered] * len(scores) + score_index, minlength=len(keys) * len(scores))
    present = np.flatnonzero(cells)
    frame = keys.iloc[present // len(scores)].reset_index(drop=True)
    return frame.assign(measure=measure, score=scores[present % len(scores)], count=cells[present])


def _row_means(answered: np.ndarray) -> np.ndarray:
    """Each row's mean over its answered (not NaN) cells; NaN where none was answered."""
    counts = (~np.isnan(answered)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.nansum(answered, axis=1) / counts, np.nan)


def respondent_measure_values(
    table: pd.DataFrame,
    items: list[Item],
    overall: Measure | None = None,
    dimension_scales: dict[str, tuple[int, int]] | None = None,
) -> dict[str, np.ndarray]:
    """The scoring rules (``measure_values``) for every row of ``table``: one row per
    respondent, one ``item.column`` per item, NaN where not answered."""
    columns = {
        item.column: table[item.column].to_numpy(dtype=float) for item in items if item.column in table
    }
    return measure_values(columns, len(table), items, overall, dimension_scales)


def measure_values(
    columns: dict[str, np.ndarray],
    rows: int,
    items: list[Item],
    overall: Measure | None = None,
    dimension_scales: dict[str, tuple[int, int]] | None = None,
) -> dict[str, np.ndarray]:
    """The scoring rules: each measure's score for each of ``rows`` respondents, NaN where
    the respondent has none. ``columns`` holds each item's answers by its ``item.column``
    (floats, one per respondent, NaN where not answered); an item without a column was
    answered by nobody. The one implementation for a whole wave (a frame from the
    database) and for a single response being submitted (arrays of one).

    Measures are each item (the answer, reverse-scored items flipped as low + high −
    value) and each dimension (the mean of the respondent's answered items in it). With
    ``overall``, a respondent's overall score is the mean of their dimension scores, so each
    dimension weighs the same however many items it has; when ``overall.rescaled`` the
    dimension scores are first put on 0–100 (``dimension_scales`` gives each one's ends)."""
    values: dict[str, np.ndarray] = {}
    dimensions: dict[str, list[str]] = {}
    for item in items:
        answers = columns.get(item.column)
        if answers is None:
            answers = np.full(rows, np.nan)
        values[item.column] = item.low + item.high - answers if item.reverse else answers
        if item.dimension:
            dimensions.setdefault(item.dimension, []).append(item.column)
    dimension_scores = {}
    for measure, members in sorted(dimensions.items()):
        dimension_scores[measure] = _row_means(np.column_stack([values[c] for c in members]))
        values[measure] = dimension_scores[measure]
    if overall is not None and dimension_scores:
        parts = []
        for measure, scores in sorted(dimension_scores.items()):
            if overall.rescaled:
                low, high = (dimension_scales or {})[measure]
                scores = 100.0 * (scores - low) / (high - low)
            parts.append(scores)
        values[overall.key] = _row_means(np.column_stack(parts))
    return values


def measure_scores(
    table: pd.DataFrame,
    items: list[Item],
    by: tuple[str, ...] = ("wave",),
    overall: Measure | None = None,
    dimension_scales: dict[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Respondent scores on every measure (``respondent_measure_values``), counted by
    value: ``measure, *by, score, count``. The table holds one response per respondent
    and wave (``queries.kept_responses``)."""
    columns = ["measure", *by, "score", "count"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    codes, keys = pd.MultiIndex.from_frame(table[list(by)].astype(object)).factorize(sort=True)
    keys = keys.to_frame(index=False, name=list(by))
    values = respondent_measure_values(table, items, overall, dimension_scales)
    frames = [_count(codes, keys, measure, scores) for measure, scores in values.items()]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


# -- Per-wave figures (rules 2 and 3) ----------------------------------------------------


@dataclass(frozen=True)
class WaveFigures:
    """One measure in one wave: mean, favourable share and (where declared) net score,
    each with its 95% interval, plus the counts the changes and trends are built from."""

    n: int
    mean: float
    variance: float
    mean_interval: Interval
    favourable_n: int | None
    favourable: float | None
    favourable_interval: Interval | None
    net_score: statistics.NetScore | None
    promoters: int = 0
    detractors: int = 0

    @property
    def moments(self) -> Moments:
        return Moments(self.n, self.mean, self.variance)


def wave_figures(values: np.ndarray, counts: np.ndarray, measure: Measure) -> WaveFigures:
    """The figures of one group (scores given as counts per value) on one measure."""
    values, counts = np.asarray(values, dtype=float), np.asarray(counts)
    group = statistics.moments(values, counts)
    favourable_n = favourable = favourable_interval = None
    if measure.favourable_from is not None:
        favourable_n = int(counts[values >= measure.favourable_from - 1e-9].sum())
        favourable = favourable_n / group.n
        favourable_interval = Interval(*statistics.wilson_interval(favourable_n, group.n))
    net = None
    promoters = detractors = 0
    if measure.net_score:
        promoters, detractors = int(counts[values >= 9].sum()), int(counts[values <= 6].sum())
        net = statistics.net_score(promoters, detractors, group.n)
    return WaveFigures(
        group.n,
        group.mean,
        group.variance,
        statistics.mean_interval(group, measure.scale_low, measure.scale_high),
        favourable_n,
        favourable,
        favourable_interval,
        net,
        promoters,
        detractors,
    )


@dataclass(frozen=True)
class Distribution:
    """One measure's respondents in one group: distinct scores and how many have each."""

    values: np.ndarray
    counts: np.ndarray


def distributions(scores: pd.DataFrame) -> dict[tuple[str, str], Distribution]:
    """Every (measure, wave) of a counted frame as a ``Distribution``."""
    if scores.empty:
        return {}
    values, counts = scores["score"].to_numpy(dtype=float), scores["count"].to_numpy(dtype=float)
    # Row positions per group, found in one pass (iterating the groups costs a frame each).
    groups = scores.groupby(["measure", "wave"], sort=True).indices
    return {key: Distribution(values[rows], counts[rows]) for key, rows in sorted(groups.items())}


# -- Complementary suppression (rule 3) --------------------------------------------------


def complementary_suppression(
    sizes: pd.Series, k: int, total_shown: bool = True, always_hidden: frozenset | set = frozenset()
) -> set:
    """The cells of one breakdown to hide, given each cell's size (number of respondents).

    Cells under ``k`` are suppressed. ``always_hidden`` cells (such as people who gave no
    department) are never shown but are part of the total. If exactly one cell is hidden,
    it is smaller than ``k`` and a total is shown, the smallest shown cell is suppressed
    too, so the hidden figure cannot be recovered by subtraction. Ties go by label.
    """
    sizes = sizes[sizes > 0]
    hidden = {cell for cell, size in sizes.items() if size < k or cell in always_hidden}
    if total_shown and len(hidden) == 1 and sizes[next(iter(hidden))] < k:
        shown = sorted((size, str(cell), cell) for cell, size in sizes.items() if cell not in hidden)
        if shown:
            hidden.add(shown[0][2])
    return hidden


# -- Trend across waves (rule 5) ---------------------------------------------------------

MIN_TREND_WAVES = 4


@dataclass
class Test:
    """One tested finding (a change or a trend of one figure) awaiting its family's q.

    ``p`` is the unadjusted p-value; ``sign`` the direction of the estimate;
    ``p_weakest`` the p-value after removing the one voice whose removal weakens the
    finding most (None when not computed); ``excludes_zero`` whether the interval
    excludes 0, with ``excludes_zero_weakest`` the same after that removal."""

    p: float
    sign: int
    excludes_zero: bool
    p_weakest: float | None = None
    excludes_zero_weakest: bool | None = None
    q: float | None = None
    called: bool = False
    robust: bool | None = None


def _may_be_called(test: Test) -> bool:
    """Whether any family could call this finding: q is never below p, so one with
    p ≥ 0.05, or an interval that includes 0, is never called, and its robustness (which
    is reported for called findings only) need not be computed."""
    return test.p is not None and test.p < ALPHA and test.excludes_zero


def months_between(midpoints: list) -> list[float]:
    """Months from the first midpoint to each (a month being 365.25 / 12 days)."""
    if not midpoints:
        return []
    first = midpoints[0]
    return [(m - first).total_seconds() / 86400 / DAYS_PER_MONTH for m in midpoints]


@dataclass
class TrendFit:
    """The meta-regression of one figure's wave values on months, and its test."""

    fit: MetaRegression
    test: Test | None  # None with fewer than MIN_TREND_WAVES waves or no spread to test


def _kh_slopes(y: np.ndarray, v: np.ndarray, x: np.ndarray, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Knapp–Hartung slope and standard error for many candidate series at once (rows of
    ``y`` and ``v``), τ² held."""
    w = 1.0 / (v + tau2)
    sw, swx, swxx = w.sum(1), (w * x).sum(1), (w * x * x).sum(1)
    swy, swxy = (w * y).sum(1), (w * x * y).sum(1)
    det = sw * swxx - swx**2
    slope = (sw * swxy - swx * swy) / det
    intercept = (swy - swx * slope) / sw
    residual = y - intercept[:, None] - slope[:, None] * x
    s2 = (w * residual**2).sum(1) / (y.shape[1] - 2)
    return slope, np.sqrt(s2 * sw / det)


def trend_fit(
    figures: list[WaveFigures], months: list[float], figure: str = "mean", robustness: list | None = None
) -> TrendFit:
    """Random-effects meta-regression of the wave values of a figure ("mean" or
    "favourable") on months, with its test from four waves on.

    Means use their sampling variance s²/n; shares the variance implied by their Wilson
    interval. Robustness (rule 7) tries every single voice that could be removed, with τ²
    held at the full fit's, and keeps the weakest Knapp–Hartung slope: for means,
    ``robustness`` is the list of each wave's ``Distribution`` and every distinct score in
    every wave is tried; for shares, one favourable or one other person from each wave."""
    if figure == "mean":
        y = np.array([f.mean for f in figures])
        v = np.array([f.variance / f.n for f in figures])
    else:
        y = np.array([f.favourable for f in figures])
        v = np.array([statistics.wilson_variance(f.favourable_n, f.n) for f in figures])
    x = np.asarray(months, dtype=float)
    fit = statistics.meta_regression(y, v, x)
    if len(figures) < MIN_TREND_WAVES or fit.p is None:
        return TrendFit(fit, None)
    sign = 1 if fit.slope >= 0 else -1
    test = Test(fit.p, sign, bool(fit.low > 0 or fit.high < 0))
    if not _may_be_called(test):
        return TrendFit(fit, test)
    if figure == "mean" and robustness is not None:
        rows = _mean_candidates(y, v, robustness)
    elif figure != "mean":
        rows = _share_candidates(y, v, figures)
    else:
        rows = (np.empty((0, len(y))), np.empty((0, len(y))))
    if len(rows[0]):
        test.p_weakest, test.excludes_zero_weakest = _trend_without_one(fit, x, rows)
    return TrendFit(fit, test)


def _mean_candidates(y, v, robustness) -> tuple[np.ndarray, np.ndarray]:
    """The wave means and variances with one voice removed, every distinct score of every
    wave: one candidate series a row."""
    rows_y, rows_v = [], []
    for index, counts in enumerate(robustness):
        ns, means, variances = statistics.moments_without_each(counts.values, counts.counts)
        kept = ns >= 1
        ns, means, variances = ns[kept], means[kept], variances[kept]
        candidate_y, candidate_v = np.tile(y, (len(ns), 1)), np.tile(v, (len(ns), 1))
        candidate_y[:, index] = means
        candidate_v[:, index] = np.maximum(variances, 1e-12) / ns
        rows_y.append(candidate_y)
        rows_v.append(candidate_v)
    if not rows_y:
        return np.empty((0, len(y))), np.empty((0, len(y)))
    return np.concatenate(rows_y), np.concatenate(rows_v)


def _share_candidates(y, v, figures: list[WaveFigures]) -> tuple[np.ndarray, np.ndarray]:
    """The wave shares and Wilson variances with one favourable, or one other, person
    removed: one candidate series a row."""
    rows = []
    for index, wave in enumerate(figures):
        for favourable, n in ((wave.favourable_n - 1, wave.n - 1), (wave.favourable_n, wave.n - 1)):
            if n < 1 or not 0 <= favourable <= n:
                continue
            candidate_y, candidate_v = y.copy(), v.copy()
            candidate_y[index] = favourable / n
            candidate_v[index] = statistics.wilson_variance(favourable, n)
            rows.append((candidate_y, candidate_v))
    if not rows:
        return np.empty((0, len(y))), np.empty((0, len(y)))
    return np.array([row for row, _ in rows]), np.array([row for _, row in rows])


def _trend_without_one(fit, x, rows: tuple[np.ndarray, np.ndarray]) -> tuple[float, bool]:
    rows_y, rows_v = rows
    slopes, ses = _kh_slopes(rows_y, np.maximum(rows_v, 1e-12), x, fit.tau2)
    sign = 1 if fit.slope >= 0 else -1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ses > 0, sign * slopes / ses, 0.0)
    weakest = int(np.argmin(t))
    df = fit.df
    p = statistics.t_two_sided_p(float(t[weakest]), df)
    half = statistics.t_quantile(0.975, df) * ses[weakest]
    excludes = bool(sign * slopes[weakest] - half > 0)
    return p, excludes


# -- Change between two waves (rule 4) ---------------------------------------------------


@dataclass
class Change:
    """The change of one measure between two shown waves, each figure with its interval.

    ``wander_known``: from three shown waves on, each figure's variance carries 2τ̂² from
    that figure's trend model; with two, the usual wave-to-wave wander is not known yet."""

    wave_from: str
    wave_to: str
    wander_known: bool
    mean: Difference
    mean_test: Test | None
    favourable: Difference | None = None
    favourable_test: Test | None = None
    net_score: Difference | None = None
    net_score_test: Test | None = None
    tests: list[Test] = field(default_factory=list)


def _excludes_zero(low: float | None, high: float | None) -> bool:
    return low is not None and high is not None and (low > 0 or high < 0)


@dataclass(frozen=True)
class Overlap:
    """People who answered both waves of a change: how many, and the correlation of
    their two scores."""

    paired: int
    correlation: float


def wave_overlap(returning: pd.DataFrame, measure: str, wave_before: str, wave_after: str, k: int):
    """The overlap of two waves on one measure (``returning``: ``measure, wave,
    respondent, score`` of one scope), or None when fewer than ``k`` people answered
    both: below k the pairing would rest on too few people to publish anything from."""
    if returning.empty:
        return None
    own = returning[returning["measure"] == measure]
    before = own[own["wave"] == wave_before].set_index("respondent")["score"]
    after = own[own["wave"] == wave_after].set_index("respondent")["score"]
    both = before.to_frame("before").join(after.to_frame("after"), how="inner")
    if len(both) < max(k, 2):
        return None
    spread = both["before"].std() > 0 and both["after"].std() > 0
    correlation = float(np.corrcoef(both["before"], both["after"])[0, 1]) if spread else 0.0
    return Overlap(len(both), correlation)


def _mean_change(
    before: Distribution, after: Distribution, tau2: float | None, waves: int, overlap: Overlap | None = None
):
    extra, extra_df = (2 * tau2, max(waves - 2, 1)) if tau2 is not None else (0.0, np.inf)
    before_moments = statistics.moments(before.values, before.counts)
    after_moments = statistics.moments(after.values, after.counts)
    if overlap is not None:
        difference = statistics.overlapping_difference(
            before_moments,
            after_moments,
            overlap.paired,
            overlap.correlation,
            extra_variance=extra,
            extra_df=extra_df,
        )
    else:
        difference = statistics.welch_difference(before_moments, after_moments, extra, extra_df)
    if difference.p is None:
        return difference, None
    sign = 1 if difference.estimate >= 0 else -1
    test = Test(difference.p, sign, _excludes_zero(difference.low, difference.high))
    if not _may_be_called(test):
        return difference, test
    weakest, _, _ = statistics.welch_weakest_without_one(
        (before.values, before.counts), (after.values, after.counts), extra, extra_df
    )
    if weakest.p is not None:
        test.p_weakest = weakest.p
        test.excludes_zero_weakest = _excludes_zero(weakest.low, weakest.high) and (
            np.sign(weakest.estimate) == sign
        )
    return difference, test


def _favourable_difference(xb: int, nb: int, xa: int, na: int, tau2: float | None) -> Difference:
    estimate, low, high = statistics.newcombe_difference(xb, nb, xa, na, 2 * tau2 if tau2 else 0.0)
    if tau2:
        p, method = statistics.proportion_difference_with_wander(xb, nb, xa, na, 2 * tau2), "newcombe+wander"
    else:
        p, method = statistics.two_proportion_p(xb, nb, xa, na)
        method = f"newcombe+{method}"
    return Difference(estimate, low, high, p, method=method)


def _favourable_change(before: WaveFigures, after: WaveFigures, tau2: float | None):
    xb, nb, xa, na = before.favourable_n, before.n, after.favourable_n, after.n
    difference = _favourable_difference(xb, nb, xa, na, tau2)
    sign = 1 if difference.estimate >= 0 else -1
    test = Test(difference.p, sign, _excludes_zero(difference.low, difference.high))
    if not _may_be_called(test):
        return difference, test
    # The one voice whose removal weakens it most: one favourable or one other person,
    # from either wave (four candidates).
    weakest = None
    for candidate in (
        (xb - 1, nb - 1, xa, na),
        (xb, nb - 1, xa, na),
        (xb, nb, xa - 1, na - 1),
        (xb, nb, xa, na - 1),
    ):
        cxb, cnb, cxa, cna = candidate
        if min(cnb, cna) < 1 or cxb < 0 or cxa < 0 or cxb > cnb or cxa > cna:
            continue
        reduced = _favourable_difference(cxb, cnb, cxa, cna, tau2)
        if weakest is None or (reduced.p, -sign * reduced.estimate) > (weakest.p, -sign * weakest.estimate):
            weakest = reduced
    if weakest is not None:
        test.p_weakest = weakest.p
        test.excludes_zero_weakest = (
            _excludes_zero(weakest.low, weakest.high) and np.sign(weakest.estimate) == sign
        )
    return difference, test


def measure_change(
    before: tuple[Distribution, WaveFigures],
    after: tuple[Distribution, WaveFigures],
    measure: Measure,
    labels: tuple[str, str],
    waves_shown: int,
    tau2_mean: float | None,
    tau2_favourable: float | None,
    overlap: Overlap | None = None,
) -> Change:
    """The change between two shown waves of one measure: mean (Welch), favourable share
    (Newcombe hybrid score; exact test at small counts) and net score (adjusted Wald).

    ``tau2_*`` are the τ̂² of each figure's trend model over the shown waves (None with
    only two shown waves): 2τ̂² is added to the variance of the change so that a change
    must exceed the usual wander. Robustness (``Test.p_weakest``) removes the one voice
    whose removal weakens the change most, found exactly.

    With an ``overlap`` (a pseudonymous survey whose waves share at least k people) the
    mean uses the partially overlapping samples t-test (Derrick et al. 2017) instead of
    Welch's; its robustness check still removes one voice under Welch's test, which is
    the more cautious of the two for positively correlated answers."""
    (before_counts, before_figures), (after_counts, after_figures) = before, after
    mean, mean_test = _mean_change(before_counts, after_counts, tau2_mean, waves_shown, overlap)
    if measure.kind == "choice":
        # An option's figure is its share (the mean of 0/1 is the same number): tested
        # once, by Newcombe below, so the family holds one test per option.
        mean_test = None
    change = Change(labels[0], labels[1], tau2_mean is not None, mean, mean_test)
    if measure.favourable_from is not None:
        change.favourable, change.favourable_test = _favourable_change(
            before_figures, after_figures, tau2_favourable
        )
    if measure.net_score:
        change.net_score = statistics.net_score_difference(
            (before_figures.promoters, before_figures.detractors, before_figures.n),
            (after_figures.promoters, after_figures.detractors, after_figures.n),
        )
        sign = 1 if change.net_score.estimate >= 0 else -1
        change.net_score_test = Test(
            change.net_score.p, sign, _excludes_zero(change.net_score.low, change.net_score.high)
        )
        if _may_be_called(change.net_score_test):
            _net_score_without_one(change.net_score_test, before_figures, after_figures)
    return change


def _net_score_without_one(test: Test, before: WaveFigures, after: WaveFigures) -> None:
    """Robustness of a net score change: remove one promoter, passive or detractor from
    either wave (six candidates) and keep the weakest result."""
    sides = ((before.promoters, before.detractors, before.n), (after.promoters, after.detractors, after.n))
    weakest = None
    for side in (0, 1):
        promoters, detractors, n = sides[side]
        for reduced in (
            (promoters - 1, detractors, n - 1),
            (promoters, detractors - 1, n - 1),
            (promoters, detractors, n - 1),
        ):
            p, d, m = reduced
            if m < 1 or p < 0 or d < 0 or p + d > m:
                continue
            pair = (reduced, sides[1]) if side == 0 else (sides[0], reduced)
            difference = statistics.net_score_difference(*pair)
            key = (difference.p, -test.sign * difference.estimate)
            if weakest is None or key > weakest[0]:
                weakest = (key, difference)
    if weakest is not None:
        difference = weakest[1]
        test.p_weakest = difference.p
        test.excludes_zero_weakest = _excludes_zero(difference.low, difference.high) and (
            np.sign(difference.estimate) == test.sign
        )


# -- Fixed families (rules 4, 5 and 7) ---------------------------------------------------


def settle_family(tests: list[Test]) -> None:
    """Benjamini-Hochberg over one fixed family, then judge each test.

    Called: q < 0.05 and the interval excludes 0. Robust (for called findings): still
    called after removing the one voice that weakens it most, with the test's BH factor
    (q / p) held. Not-called findings have no robustness (None)."""
    for test, q in zip(tests, statistics.benjamini_hochberg([t.p for t in tests]), strict=True):
        test.q = q
        test.called = q < ALPHA and test.excludes_zero
        if not test.called or test.p_weakest is None:
            test.robust = None if not test.called else True
            continue
        factor = q / test.p if test.p > 0 else 1.0
        test.robust = bool(min(1.0, test.p_weakest * factor) < ALPHA and test.excludes_zero_weakest)


def direction(test: Test | None, waves: int, words: tuple[str, str] = ("improving", "declining")) -> str:
    """A trend's verdict: "not_enough_waves" under four waves, "improving"/"declining"
    when called, else "no_clear_trend" (never "flat": that would claim no change)."""
    if waves < MIN_TREND_WAVES or test is None:
        return "not_enough_waves"
    if not test.called:
        return "no_clear_trend"
    return words[0] if test.sign > 0 else words[1]


# -- Themes counted by voices (rules 6 and 7) --------------------------------------------

THEME_COLUMNS = [
    "theme",
    "voices",
    "linked_voices",
    "unlinked_voices",
    "mentions",
    "sources",
    "channels",
    "top_voice_share",
    "status",
    "robust",
    "sentiment",
]


def theme_status(voices: int, sources: int, top_voice_share: float) -> str:
    """Trend: ≥3 voices, ≥2 sources, no voice over half the mentions; one voice: single."""
    if voices == 0:
        return "none"
    if voices == 1:
        return "single_voice"
    if voices >= 3 and sources >= 2 and top_voice_share <= 0.5:
        return "trend"
    return "emerging"


def statuses_without_each_voice(mentions: pd.DataFrame) -> pd.Series:
    """For each voice of one theme, the theme's status once that voice is removed (by
    voice, sorted)."""
    per_voice = Counter(mentions["voice"].tolist())
    voices_of_source: dict = {}
    for voice, source in zip(mentions["voice"].tolist(), mentions["source"].tolist(), strict=True):
        voices_of_source.setdefault(source, set()).add(voice)
    statuses = _statuses_without_each_voice(per_voice, voices_of_source)
    return pd.Series(statuses).sort_index()


def _statuses_without_each_voice(per_voice: Counter, voices_of_source: dict) -> dict:
    """For each voice (``per_voice``: its mentions), the theme's status without it.

    Counted, not recomputed: a source is lost when the removed voice is its only voice;
    the top share becomes the largest remaining voice's share of the remaining mentions."""
    total, voices, sources = sum(per_voice.values()), len(per_voice), len(voices_of_source)
    lost = Counter(next(iter(own)) for own in voices_of_source.values() if len(own) == 1)
    ordered = sorted(per_voice.values(), reverse=True)
    top, second = ordered[0], (ordered[1] if len(ordered) > 1 else 0)
    unique_top = ordered.count(top) == 1
    # Few distinct (sources left, share) pairs however many voices: judge each once.
    judged: dict[tuple[int, float], str] = {}
    statuses = {}
    for voice, own in per_voice.items():
        # Without a voice, the largest remaining voice is the runner-up only when that
        # voice was the one unique top.
        largest = second if own == top and unique_top else top
        remaining = total - own
        key = (sources - lost[voice], largest / remaining if remaining > 0 else 0.0)
        if key not in judged:
            judged[key] = theme_status(voices - 1, *key)
        statuses[voice] = judged[key]
    return statuses


def theme_summary(mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per theme: voices (linked and unlinked), mentions, sources, channels, the
    top voice's share, status, robustness and mean sentiment (−1..1, None without rated
    notes).

    Unlinked voices are those that may be one person counted more than once (anonymous
    respondents in several waves, unattributed notes). Robust: the status stays the same
    after removing any one voice, every voice tried. A single voice is never robust.

    Counted in plain Python over the rows: a few thousand mentions in a dozen themes,
    where a pandas grouping per theme cost more than the counting.
    """
    rows = []
    # A row without a theme, a voice or a source is no one's mention.
    mentions = mentions.dropna(subset=["theme", "voice", "source"]) if len(mentions) else mentions
    if mentions.empty:
        return pd.DataFrame(rows, columns=THEME_COLUMNS)
    columns = [mentions[name].tolist() for name in ("theme", "voice", "source", "channel")]
    linked = mentions["linked"].tolist() if "linked" in mentions else [True] * len(mentions)
    sentiment = pd.to_numeric(mentions["sentiment"], errors="coerce").tolist()
    rows_of: dict[str, list[int]] = {}
    for index, theme in enumerate(columns[0]):
        rows_of.setdefault(theme, []).append(index)
    _, voice_of, source_of, channel_of = columns
    for theme in sorted(rows_of):
        own = rows_of[theme]
        per_voice = Counter(voice_of[i] for i in own)
        voices_of_source: dict = {}
        all_linked: dict = {}
        for i in own:
            voices_of_source.setdefault(source_of[i], set()).add(voice_of[i])
            # (An unknown link, NaN or NA, does not make a voice unlinked.)
            all_linked[voice_of[i]] = all_linked.get(voice_of[i], True) and (
                pd.isna(linked[i]) or bool(linked[i])
            )
        voices, total, sources = len(per_voice), len(own), len(voices_of_source)
        top_share = max(per_voice.values()) / total
        status = theme_status(voices, sources, top_share)
        robust = status != "single_voice" and all(
            other == status for other in _statuses_without_each_voice(per_voice, voices_of_source).values()
        )
        rated = [sentiment[i] for i in own if not pd.isna(sentiment[i])]
        linked_voices = sum(all_linked.values())
        rows.append(
            {
                "theme": theme,
                "voices": voices,
                "linked_voices": linked_voices,
                "unlinked_voices": voices - linked_voices,
                "mentions": total,
                "sources": sources,
                "channels": sorted({channel_of[i] for i in own}),
                "top_voice_share": top_share,
                "status": status,
                "robust": bool(robust),
                "sentiment": sum(rated) / len(rated) if rated else None,
            }
        )
    frame = pd.DataFrame(rows, columns=THEME_COLUMNS)
    return frame.sort_values(
        ["voices", "mentions", "theme"], ascending=[False, False, True], ignore_index=True
    )
