"""Pure statistics, each function named after the statistic it computes.

No Django, no pandas frames, no product rules: numbers and numpy arrays in, numbers or
small frozen dataclasses out. The product rules that decide which statistic to use where
(suppression, families, robustness, what a "change" is) live in ``reports.analysis``.

All intervals are 95%. Scores arrive as *sufficient statistics* (n, mean, variance with
ddof=1) or as counts per distinct score, so the cost never grows with the number of
people.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

CONFIDENCE = 0.95
ALPHA = 0.05
Z95 = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)

# The t, normal and chi-squared tails come from scipy.special's ufuncs, which
# scipy.stats' distributions call underneath: the same numbers without the distribution
# objects' argument checking (about 50 µs a call, thousands of calls per document) and
# without importing scipy.stats (0.3–0.5 s of every command's start). scipy.special
# itself is imported on first use (0.15–0.4 s): a reader of a stored document never
# computes a tail.


def t_quantile(probability: float, df: float) -> float:
    """Student's t quantile (``scipy.stats.t.ppf``); df = inf is the normal's."""
    from scipy import special

    return float(special.stdtrit(df, probability))


def t_two_sided_p(statistic: float, df: float) -> float:
    """Two-sided p of a t statistic (``2 * scipy.stats.t.sf(|t|, df)``)."""
    from scipy import special

    return float(2 * special.stdtr(df, -abs(statistic)))


def normal_two_sided_p(z: float) -> float:
    """Two-sided p of a standard normal statistic (``2 * scipy.stats.norm.sf(|z|)``)."""
    from scipy import special

    return float(2 * special.ndtr(-abs(z)))


# Why an interval is missing; every output shows the reason instead of a number.
TOO_FEW = "fewer than two answers"
ALL_SAME = "everyone answered the same"


# -- One group ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """Sufficient statistics of one group of scores: n, mean and variance (ddof=1)."""

    n: int
    mean: float
    variance: float


def moments(values: np.ndarray, counts: np.ndarray) -> Moments:
    """n, mean and variance (ddof=1; 0 when n < 2) of scores given as counts per value."""
    values, counts = np.asarray(values, dtype=float), np.asarray(counts, dtype=float)
    n = counts.sum()
    if n == 0:
        return Moments(0, float("nan"), float("nan"))
    mean = float(counts @ values / n)
    variance = float(counts @ (values - mean) ** 2 / (n - 1)) if n > 1 else 0.0
    return Moments(int(n), mean, variance)


@dataclass(frozen=True)
class Interval:
    """A 95% interval; ``low``/``high`` are None when there is none, and ``reason`` says why.

    ``clipped`` is True when the interval was cut at the end of the scale."""

    low: float | None
    high: float | None
    clipped: bool = False
    reason: str | None = None


def mean_interval(group: Moments, scale_low: float, scale_high: float) -> Interval:
    """Student-t 95% interval of a mean, cut at the scale's ends (and marked clipped).

    No interval for n < 2 or zero variance: a width of zero would claim certainty."""
    if group.n < 2:
        return Interval(None, None, reason=TOO_FEW)
    if group.variance <= 0:
        return Interval(None, None, reason=ALL_SAME)
    half = t_quantile(0.5 + CONFIDENCE / 2, group.n - 1) * np.sqrt(group.variance / group.n)
    low, high = group.mean - half, group.mean + half
    clipped = bool(low < scale_low or high > scale_high)
    return Interval(float(max(low, scale_low)), float(min(high, scale_high)), clipped)


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% score interval of a proportion (successes of n).

    The same interval as scipy's ``binomtest(k, n).proportion_ci(method="wilson")`` (tests
    check they agree), written out because binomtest also computes an exact p-value we do
    not use, which costs a millisecond for every cell of every page.
    """
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At 0 and n the bounds are exactly 0 and 1; the formula leaves rounding dust.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return float(low), float(high)


def wilson_variance(successes: int, n: int) -> float:
    """The variance of a proportion implied by its Wilson interval: (half-width / z)².

    Centred on the Wilson centre, it stays positive at 0 and at n, so a wave where
    everyone (or no one) is favourable still carries its uncertainty into a trend."""
    p = successes / n
    z2 = Z95**2
    return float((p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n) ** 2)


@dataclass(frozen=True)
class NetScore:
    score: float
    low: float
    high: float


def _adjusted_net(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """Adjusted-Wald centre and variance of a net score, as proportions (−1..1)."""
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    return p - d, (p + d - (p - d) ** 2) / n_adj


def net_score(promoters: int, detractors: int, n: int) -> NetScore:
    """Net score (% 9–10 minus % 0–6, −100..100) with an adjusted-Wald 95% interval.

    Adjusted Wald: add 3 to n and 0.75 to each of promoters and detractors, then
    SE = sqrt((p + d − (p − d)²) / n_adj). The interval is centred on the adjusted
    estimate and clipped to −100..100; the score itself is the plain one.
    """
    score = 100.0 * (promoters - detractors) / n
    centre, variance = _adjusted_net(promoters, detractors, n)
    se = np.sqrt(variance)
    low, high = 100.0 * (centre - Z95 * se), 100.0 * (centre + Z95 * se)
    return NetScore(score, float(max(-100.0, low)), float(min(100.0, high)))


# -- Two groups: a change ---------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A difference (after − before) with its 95% interval, test statistic and p-value.

    ``low``/``high`` are None (and ``p`` is None) when the difference has no spread to
    test; ``reason`` then says why."""

    estimate: float
    low: float | None
    high: float | None
    p: float | None
    statistic: float | None = None
    df: float | None = None
    method: str = ""
    reason: str | None = None


def welch_difference(before: Moments, after: Moments, extra_variance: float = 0.0, extra_df: float = np.inf):
    """Difference in means (after − before), Welch's t interval and two-sided p.

    Equal to scipy's ``ttest_ind(after, before, equal_var=False)`` and its
    ``confidence_interval()`` when ``extra_variance`` is 0. ``extra_variance`` (such as
    2τ̂², the usual wave-to-wave wander of two wave means) is added to the variance of the
    difference; its degrees of freedom ``extra_df`` enter the Welch–Satterthwaite
    approximation like those of each group.
    """
    estimate = after.mean - before.mean
    if before.n < 2 or after.n < 2:
        return Difference(estimate, None, None, None, method="welch", reason=TOO_FEW)
    parts = np.array([before.variance / before.n, after.variance / after.n, extra_variance])
    dfs = np.array([before.n - 1, after.n - 1, extra_df], dtype=float)
    variance = parts.sum()
    if variance <= 0:
        return Difference(estimate, None, None, None, method="welch", reason=ALL_SAME)
    used = parts > 0
    df = float(variance**2 / np.sum(parts[used] ** 2 / dfs[used]))
    se = float(np.sqrt(variance))
    t = estimate / se
    half = t_quantile(0.5 + CONFIDENCE / 2, df) * se
    p = t_two_sided_p(t, df)
    return Difference(estimate, estimate - half, estimate + half, p, float(t), df, "welch")


def newcombe_difference(
    successes_before: int, n_before: int, successes_after: int, n_after: int, extra_variance: float = 0.0
) -> tuple[float, float, float]:
    """Difference of two proportions (after − before) and Newcombe's hybrid score 95%
    interval (Newcombe 1998, method 10: from the two Wilson intervals, no continuity
    correction). ``extra_variance`` (on the proportion scale) widens both sides by the same
    variance, so the usual wave-to-wave wander can be carried."""
    p1, p2 = successes_after / n_after, successes_before / n_before
    l1, u1 = wilson_interval(successes_after, n_after)
    l2, u2 = wilson_interval(successes_before, n_before)
    extra = Z95**2 * extra_variance
    estimate = p1 - p2
    low = estimate - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2 + extra)
    high = estimate + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2 + extra)
    return float(estimate), float(max(-1.0, low)), float(min(1.0, high))


def two_proportion_p(successes_before: int, n_before: int, successes_after: int, n_after: int):
    """Two-sided p-value that two proportions differ, and the name of the test used.

    Any expected count under 5: Fisher's exact test (exact and conservative; Boschloo's is
    more powerful but costs 10–100 ms a table, too slow for every department cell and its
    robustness checks); otherwise the usual two-proportion z test (chi-squared, no
    continuity correction), which is accurate there."""
    table = np.array(
        [[successes_after, n_after - successes_after], [successes_before, n_before - successes_before]]
    )
    if (table.sum(axis=0) == 0).any():
        return 1.0, "none"
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if (expected < 5).any():
        from scipy import stats  # rarely needed: small cells only

        return float(stats.fisher_exact(table).pvalue), "fisher"
    # Pearson's chi-squared on the 2×2 table, 1 df (scipy's chi2_contingency without
    # the continuity correction, written out: it is the hot path of every breakdown).
    statistic = float(np.sum((table - expected) ** 2 / expected))
    from scipy import special

    return float(special.chdtrc(1, statistic)), "z"


def proportion_difference_with_wander(
    successes_before: int, n_before: int, successes_after: int, n_after: int, extra_variance: float
) -> float:
    """Two-sided p-value of a difference in proportions whose variance also carries
    ``extra_variance`` (the wave-to-wave wander): z on the Wilson variances plus it."""
    estimate = successes_after / n_after - successes_before / n_before
    variance = (
        wilson_variance(successes_after, n_after)
        + wilson_variance(successes_before, n_before)
        + extra_variance
    )
    return normal_two_sided_p(estimate / np.sqrt(variance))


def net_score_difference(before: tuple[int, int, int], after: tuple[int, int, int]) -> Difference:
    """Change in net score (after − before, −200..200 points) with an adjusted-Wald 95%
    interval; each side is (promoters, detractors, n). The estimate is the plain
    difference; the interval and p are centred on the adjusted difference."""
    centre_a, variance_a = _adjusted_net(*after)
    centre_b, variance_b = _adjusted_net(*before)
    estimate = 100.0 * ((after[0] - after[1]) / after[2] - (before[0] - before[1]) / before[2])
    se = np.sqrt(variance_a + variance_b)
    centre = centre_a - centre_b
    z = centre / se
    return Difference(
        estimate,
        float(100 * (centre - Z95 * se)),
        float(100 * (centre + Z95 * se)),
        normal_two_sided_p(z),
        float(z),
        None,
        "adjusted_wald",
    )


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted q-values, in the input's order: p × m / rank, made
    monotone from the largest p down and capped at 1 (``scipy.stats.false_discovery_control``,
    which tests compare it with, written out to keep scipy.stats out of every start)."""
    p = np.asarray(p_values, dtype=float)
    if len(p) == 0:
        return []
    order = np.argsort(p)[::-1]
    adjusted = np.minimum.accumulate(p[order] * len(p) / np.arange(len(p), 0, -1))
    q = np.empty(len(p))
    q[order] = np.minimum(adjusted, 1.0)
    return [float(x) for x in q]


# -- Leave one out, in closed form -------------------------------------------------------


def moments_without_each(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each distinct value present, (n, mean, variance) of the group after removing one
    person with that value: n − 1, the sum less the value, the sum of squares less its
    square. Arrays aligned with ``values[counts > 0]``."""
    values, counts = np.asarray(values, dtype=float), np.asarray(counts, dtype=float)
    present = values[counts > 0]
    n = counts.sum() - 1
    total = counts @ values - present
    squares = counts @ values**2 - present**2
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        variance = np.where(n > 1, (squares - n * mean**2) / (n - 1), 0.0)
    return np.full(len(present), n), mean, np.maximum(variance, 0.0)


def welch_weakest_without_one(
    before: tuple[np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray],
    extra_variance: float = 0.0,
    extra_df: float = np.inf,
) -> tuple[Difference, str, float]:
    """The Welch difference after removing the one person whose removal weakens it most.

    Every distinct score in each group is tried in closed form (see
    ``moments_without_each``); extremes are not always the worst. Returns the weakened
    difference, the group ("before"/"after") and the score removed."""
    full_before, full_after = moments(*before), moments(*after)
    sign = 1.0 if full_after.mean >= full_before.mean else -1.0
    # Every candidate's t in one pass (the p-value and interval only for the weakest).
    candidates = []
    for side, (values, counts) in (("before", before), ("after", after)):
        present = np.asarray(values, dtype=float)[np.asarray(counts) > 0]
        ns, means, variances = moments_without_each(values, counts)
        other = full_after if side == "before" else full_before
        whole = (float(other.n), other.mean, other.variance)
        pair = (ns, means, variances, *whole) if side == "before" else (*whole, ns, means, variances)
        candidates.append((side, present, ns, means, variances, _welch_t(*pair, extra_variance)))
    strengths = np.concatenate([sign * c[5] for c in candidates])
    weakest = int(np.argmin(strengths))
    for side, present, ns, means, variances, _t in candidates:
        if weakest < len(present):
            reduced = Moments(int(ns[weakest]), float(means[weakest]), float(variances[weakest]))
            pair = (full_before, reduced) if side == "after" else (reduced, full_after)
            return welch_difference(*pair, extra_variance, extra_df), side, float(present[weakest])
        weakest -= len(present)
    raise AssertionError("no candidate")  # pragma: no cover - each group has a value


def _welch_t(n_b, mean_b, var_b, n_a, mean_a, var_a, extra_variance: float) -> np.ndarray:
    """Welch's t of after − before for arrays of group moments; 0 where it has no spread
    to test (fewer than two in a group, or no variance), as ``welch_difference`` says."""
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = var_b / n_b + var_a / n_a + extra_variance
        t = (mean_a - mean_b) / np.sqrt(variance)
    testable = (n_b >= 2) & (n_a >= 2) & (variance > 0)
    return np.where(testable, t, 0.0)


# -- Many waves: a trend ---------------------------------------------------------------


@dataclass(frozen=True)
class MetaRegression:
    """Random-effects meta-regression of estimates on one moderator (here: months).

    τ² by REML; the slope's standard error, t, p and 95% interval by Knapp–Hartung (t on
    k − 2 degrees of freedom). ``se``/``t``/``p``/``low``/``high`` are None when k < 3 or
    the fit leaves no residual spread to estimate them from."""

    k: int
    tau2: float
    intercept: float
    slope: float
    se_slope_reml: float | None
    se_slope: float | None
    t: float | None
    df: int
    p: float | None
    low: float | None
    high: float | None
    s2: float | None


def _wls(y: np.ndarray, v: np.ndarray, x: np.ndarray, tau2: float):
    """Weighted least squares of y on (1, x) with weights 1/(v + τ²), written out for the
    2×2 case (it runs dozens of times per fit): weights, log det of X'WX, (X'WX)⁻¹,
    coefficients and residuals."""
    w = 1.0 / (v + tau2)
    sw, swx, swxx = w.sum(), w @ x, w @ (x * x)
    swy, swxy = w @ y, w @ (x * y)
    det = sw * swxx - swx * swx
    inverse = np.array([[swxx, -swx], [-swx, sw]]) / det
    slope = (sw * swxy - swx * swy) / det
    intercept = (swy - swx * slope) / sw
    residual = y - intercept - slope * x
    return w, float(np.log(det)), inverse, np.array([intercept, slope]), residual


def _restricted_deviance(tau2: float, y: tuple, v: tuple, x: tuple) -> float:
    """−2 × the REML log-likelihood (constants dropped) of the meta-regression at τ²:
    Σ log(v + τ²) + log det X'WX + Σ w r². Plain floats over the few waves (``_wls``
    written out again): the search calls it dozens of times per fit, where numpy's
    per-call overhead on six numbers costs more than the arithmetic."""
    sw = swx = swxx = swy = swxy = log_v = 0.0
    for yi, vi, xi in zip(y, v, x, strict=True):
        total = vi + tau2
        wi = 1.0 / total
        sw += wi
        swx += wi * xi
        swxx += wi * xi * xi
        swy += wi * yi
        swxy += wi * xi * yi
        log_v += math.log(total)
    det = sw * swxx - swx * swx
    slope = (sw * swxy - swx * swy) / det
    intercept = (swy - swx * slope) / sw
    weighted_squares = 0.0
    for yi, vi, xi in zip(y, v, x, strict=True):
        residual = yi - intercept - slope * xi
        weighted_squares += residual * residual / (vi + tau2)
    return log_v + math.log(det) + weighted_squares


def _fisher_scoring_tau2(y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float | None:
    """τ² by Fisher scoring on the restricted likelihood, metafor's default algorithm
    (Viechtbauer 2005): with P = W − WX(X'WX)⁻¹X'W, step (y'PPy − tr P) / tr PP, a
    negative τ² truncated to 0, until a step is under 1e-10. None if it has not
    converged in 100 steps.

    With one moderator, X'WX is 2×2, so every trace is a few sums over the waves:
    tr P = Σw − tr(A⁻¹B), tr PP = Σw² − 2 tr(A⁻¹C) + tr((A⁻¹B)²) and y'PPy = Σ(w r)²,
    where A, B, C are X'WX, X'W²X, X'W³X and r the weighted least-squares residuals."""
    ys, vs, xs = y.tolist(), v.tolist(), x.tolist()
    tau2 = max(float(np.var(y, ddof=1)) - float(np.mean(v)), 0.0)  # a moment-style start
    for _ in range(100):
        s0 = s1 = s2 = b0 = b1 = b2 = c0 = c1 = c2 = sy = sxy = 0.0
        for yi, vi, xi in zip(ys, vs, xs, strict=True):
            w = 1.0 / (vi + tau2)
            w2, w3 = w * w, w * w * w
            s0 += w
            s1 += w * xi
            s2 += w * xi * xi
            b0 += w2
            b1 += w2 * xi
            b2 += w2 * xi * xi
            c0 += w3
            c1 += w3 * xi
            c2 += w3 * xi * xi
            sy += w * yi
            sxy += w * xi * yi
        det = s0 * s2 - s1 * s1
        if det <= 0:
            return None
        slope = (s0 * sxy - s1 * sy) / det
        intercept = (sy - s1 * slope) / s0
        ppy = sum(
            (yi - intercept - slope * xi) ** 2 / (vi + tau2) ** 2
            for yi, vi, xi in zip(ys, vs, xs, strict=True)
        )
        trace_p = s0 - (s2 * b0 - 2 * s1 * b1 + s0 * b2) / det
        p, q = (s2 * b0 - s1 * b1) / det, (s2 * b1 - s1 * b2) / det
        r, t = (s0 * b1 - s1 * b0) / det, (s0 * b2 - s1 * b1) / det
        information = b0 - 2 * (s2 * c0 - 2 * s1 * c1 + s0 * c2) / det + p * p + 2 * q * r + t * t
        if information <= 0:
            return None
        updated = max(tau2 + (ppy - trace_p) / information, 0.0)
        if abs(updated - tau2) < 1e-10:
            return updated
        tau2 = updated
    return None


def reml_tau2(y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    """The REML estimate of the between-estimate variance τ² (≥ 0) for the linear
    meta-regression of ``y`` (sampling variances ``v``) on ``x``.

    Fisher scoring, as metafor does, converges in a few steps; the boundary τ² = 0 is
    checked explicitly. Should scoring not converge, scipy's bounded Brent search on the
    restricted likelihood decides (imported then only: it costs every start 0.2 s)."""
    y, v, x = (np.asarray(a, dtype=float) for a in (y, v, x))
    values = (tuple(y.tolist()), tuple(v.tolist()), tuple(x.tolist()))
    tau2 = _fisher_scoring_tau2(y, v, x)
    if tau2 is None:
        from scipy import optimize

        upper = max(float(np.var(y)) * 10 + float(np.max(v)), 1e-8)
        found = optimize.minimize_scalar(
            _restricted_deviance,
            bounds=(0.0, upper),
            args=values,
            method="bounded",
            options={"xatol": 1e-10},
        )
        tau2 = float(found.x)
    if tau2 > 0 and _restricted_deviance(0.0, *values) <= _restricted_deviance(tau2, *values):
        tau2 = 0.0
    return tau2


def meta_regression(y, v, x) -> MetaRegression:
    """Random-effects meta-regression of ``y`` (with sampling variances ``v``) on ``x``.

    Weights 1/(v + τ²), τ² by REML, Knapp–Hartung standard error of the slope: the
    weighted residual variance s² = Σ w r² / (k − 2) scales the model-based variance,
    and the slope's t has k − 2 degrees of freedom. Matches metafor's
    ``rma(yi, vi, mods = ~ x, test = "knha")``.
    """
    y, v, x = (np.asarray(a, dtype=float) for a in (y, v, x))
    k = len(y)
    v = np.maximum(v, 1e-12)  # a wave where everyone answered the same still has a weight
    tau2 = reml_tau2(y, v, x) if k > 2 else 0.0
    w, _, inverse, beta, residual = _wls(y, v, x, tau2)
    if k < 3:
        return MetaRegression(
            k, tau2, float(beta[0]), float(beta[1]), None, None, None, 0, None, None, None, None
        )
    df = k - 2
    s2 = float(np.sum(w * residual**2) / df)
    se_reml = float(np.sqrt(inverse[1, 1]))
    se = float(np.sqrt(s2 * inverse[1, 1]))
    slope = float(beta[1])
    if se <= 0:
        return MetaRegression(k, tau2, float(beta[0]), slope, se_reml, None, None, df, None, None, None, s2)
    t = slope / se
    half = t_quantile(0.5 + CONFIDENCE / 2, df) * se
    p = t_two_sided_p(t, df)
    return MetaRegression(
        k, tau2, float(beta[0]), slope, se_reml, se, float(t), df, p, slope - half, slope + half, s2
    )


# -- Two waves with some of the same people ----------------------------------------------


def overlapping_difference(
    before: Moments,
    after: Moments,
    paired: int,
    correlation: float,
    equal_variances: bool = False,
    extra_variance: float = 0.0,
    extra_df: float = np.inf,
) -> Difference:
    """Difference in means (after − before) of two samples that share ``paired`` people:
    the partially overlapping samples t-test (Derrick, Russ, Toher & White 2017, T_new2;
    T_new1 with ``equal_variances``), as R's ``Partiallyoverlapping::Partover.test``.

    ``before`` and ``after`` hold every observation of each wave (the paired people's
    included); ``correlation`` is Pearson's r between the paired people's two scores
    (0 when either side has no spread). With no pairs it is Welch's test (or Student's);
    with everyone paired, the paired t-test. ``extra_variance`` (the usual wave-to-wave
    wander) is added to the variance of the difference, its degrees of freedom combined
    by Satterthwaite's rule, as in ``welch_difference``.
    """
    estimate = float(after.mean - before.mean)
    if before.n < 2 or after.n < 2:
        return Difference(estimate, None, None, None, method="overlapping", reason=TOO_FEW)
    unpaired = (before.n - paired) + (after.n - paired)
    share = -2 * correlation * paired / (before.n * after.n)
    if equal_variances:
        pooled = ((before.n - 1) * before.variance + (after.n - 1) * after.variance) / (
            before.n + after.n - 2
        )
        core = pooled * (1 / before.n + 1 / after.n + share)
        df = (paired - 1) + (unpaired + paired - 1) / (unpaired + 2 * paired) * unpaired
    else:
        parts = np.array([before.variance / before.n, after.variance / after.n])
        core = float(parts.sum() + share * np.sqrt(before.variance * after.variance))
        welch_df = parts.sum() ** 2 / np.sum(parts**2 / np.array([before.n - 1, after.n - 1]))
        df = (paired - 1) + (welch_df - paired + 1) / (unpaired + 2 * paired) * unpaired
    if unpaired == 0:
        df = paired - 1
    variance = core + extra_variance
    if variance <= 0 or df <= 0:
        return Difference(estimate, None, None, None, method="overlapping", reason=ALL_SAME)
    if extra_variance > 0:
        df = variance**2 / (core**2 / df + extra_variance**2 / extra_df)
    se = float(np.sqrt(variance))
    statistic = estimate / se
    half = t_quantile(0.5 + CONFIDENCE / 2, df) * se
    p = t_two_sided_p(statistic, df)
    return Difference(
        estimate, estimate - half, estimate + half, p, float(statistic), float(df), "overlapping"
    )


# -- Before and after a change, against a comparison: difference in differences ----------


@dataclass(frozen=True)
class DifferenceInDifferences:
    """The change of a per-wave contrast d_w from the waves before to the waves after.

    ``before``/``after`` are the weighted means of d_w on each side and ``estimate`` their
    difference; ``tau2`` the wave-to-wave wander of d_w (REML) that every weight carries;
    ``se`` the Knapp–Hartung standard error and ``low``/``high`` its 95% t interval on
    ``df`` = waves − 2 degrees of freedom. ``se``/``low``/``high``/``p`` are None with
    fewer than three waves, or one side empty: the wander is then not known."""

    waves_before: int
    waves_after: int
    before: float | None
    after: float | None
    estimate: float | None
    tau2: float | None
    se: float | None
    df: int
    low: float | None
    high: float | None
    p: float | None


def difference_in_differences(differences, variances, after) -> DifferenceInDifferences:
    """Difference in differences over waves, with the usual wave-to-wave wander.

    ``differences`` holds d_w for each wave w (e.g. the targeted group's mean minus the
    comparison group's), ``variances`` its sampling variance (the two groups' s²/n added)
    and ``after`` whether the wave is after the change (True) or before it (False).

    The estimate is the weighted mean of the after waves' d_w minus that of the before
    waves', each wave weighted 1/(v_w + τ̂²). τ̂² is the wave-to-wave wander of d_w beyond
    sampling error, estimated by REML around the two levels (before, after), so the
    interval says how far the contrast moves when nothing happened, not only how
    precisely each wave was measured. It is exactly the random-effects meta-regression of
    d_w on the 0/1 indicator "after" (``meta_regression``): the slope is the difference
    in differences, its model-based variance 1/Σw_before + 1/Σw_after, scaled by the
    Knapp–Hartung factor s² with waves − 2 degrees of freedom, which keeps the interval
    honest when τ̂² itself rests on a handful of waves.
    """
    d = np.asarray(differences, dtype=float)
    v = np.asarray(variances, dtype=float)
    x = np.asarray(after, dtype=bool)
    k_after = int(x.sum())
    k_before = int(len(x) - k_after)
    if k_before == 0 or k_after == 0:
        return DifferenceInDifferences(k_before, k_after, None, None, None, None, None, 0, None, None, None)
    fit = meta_regression(d, v, x.astype(float))
    before, after_level = fit.intercept, fit.intercept + fit.slope
    return DifferenceInDifferences(
        k_before,
        k_after,
        float(before),
        float(after_level),
        float(fit.slope),
        float(fit.tau2) if fit.k > 2 else None,
        fit.se_slope,
        fit.df,
        fit.low,
        fit.high,
        fit.p,
    )


# -- What drives an outcome: relative importance ------------------------------------------

NO_SPREAD = "a predictor or the outcome has no spread"


@dataclass(frozen=True)
class RelativeWeights:
    """Johnson's relative weights of predictors in explaining an outcome.

    ``raw`` (one per predictor, in order) add up to ``r_squared``, the R² of the linear
    regression of the outcome on all predictors; ``rescaled`` are the shares of R² (they
    add up to 1)."""

    raw: tuple[float, ...]
    rescaled: tuple[float, ...]
    r_squared: float


def relative_weights(predictors: np.ndarray, outcome: np.ndarray) -> RelativeWeights:
    """Johnson's (2000) relative weights from respondent-level data.

    ``predictors`` is an n × p array (one row a respondent, one column a predictor),
    ``outcome`` the n outcome values. The predictors' correlation matrix R is split as
    Λ Λ with Λ = R^½ (the orthogonal variables nearest the predictors); the outcome is
    regressed on those (β = Λ⁻¹ r_xy) and each predictor's raw weight is Σ_j Λ_ij² β_j².
    Matches R's ``rwa::rwa()`` (Tonidandel & LeBreton). Raises ValueError when a column
    has no spread (its correlations are undefined)."""
    x = np.asarray(predictors, dtype=float)
    y = np.asarray(outcome, dtype=float)
    if x.ndim != 2 or len(y) != x.shape[0] or x.shape[0] < 3:
        raise ValueError("need an n × p array of predictors and n outcome values, n ≥ 3")
    data = np.column_stack([x, y])
    if np.any(data.std(axis=0) == 0):
        raise ValueError(NO_SPREAD)
    correlations = np.corrcoef(data, rowvar=False)
    between, with_outcome = correlations[:-1, :-1], correlations[:-1, -1]
    eigenvalues, vectors = np.linalg.eigh(between)
    root = vectors @ np.diag(np.sqrt(np.clip(eigenvalues, 0, None))) @ vectors.T
    beta = np.linalg.pinv(root) @ with_outcome
    raw = (root**2) @ (beta**2)
    r_squared = float(raw.sum())
    rescaled = raw / r_squared if r_squared > 0 else np.full(len(raw), np.nan)
    return RelativeWeights(tuple(float(w) for w in raw), tuple(float(w) for w in rescaled), r_squared)


@dataclass(frozen=True)
class RelativeWeightsBootstrap:
    """Relative weights with percentile bootstrap 95% intervals (one low/high per
    predictor, for the rescaled weights: shares of R²), from ``replications`` resamples
    of respondents; ``skipped`` resamples had a column without spread and were redrawn."""

    estimate: RelativeWeights
    rescaled_low: tuple[float, ...]
    rescaled_high: tuple[float, ...]
    replications: int
    skipped: int
    seed: int


def relative_weights_bootstrap(
    predictors: np.ndarray, outcome: np.ndarray, *, replications: int = 1000, seed: int = 20000
) -> RelativeWeightsBootstrap:
    """``relative_weights`` with percentile 95% intervals from resampling respondents
    with replacement. Seeded (numpy's PCG64), so the same data give the same intervals."""
    x = np.asarray(predictors, dtype=float)
    y = np.asarray(outcome, dtype=float)
    estimate = relative_weights(x, y)
    generator = np.random.default_rng(seed)
    n = len(y)
    draws, skipped = [], 0
    while len(draws) < replications:
        rows = generator.integers(0, n, n)
        try:
            draws.append(relative_weights(x[rows], y[rows]).rescaled)
        except ValueError:
            skipped += 1
            if skipped > replications:  # nearly every resample degenerate: no interval
                break
    if not draws:
        nan = tuple(float("nan") for _ in estimate.raw)
        return RelativeWeightsBootstrap(estimate, nan, nan, 0, skipped, seed)
    low, high = np.percentile(np.array(draws), [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)], axis=0)
    return RelativeWeightsBootstrap(
        estimate, tuple(float(v) for v in low), tuple(float(v) for v in high), len(draws), skipped, seed
    )
