"""The statistics match published worked values (tests/reports/reference_statistics.json,
a copy of shared/reference/statistics.json) and independent implementations
(statsmodels). Pure functions: no database, milliseconds."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.proportion import confint_proportions_2indep

from reports import statistics
from reports.statistics import Moments
from tests.properties import examples

REFERENCE = json.loads((Path(__file__).parent / "reference_statistics.json").read_text())
TOLERANCE = 1e-4


def moments_of(values) -> Moments:
    return statistics.moments(*np.unique(values, return_counts=True))


@pytest.mark.parametrize("case", REFERENCE["wilson_95"], ids=lambda c: f"{c['successes']}/{c['n']}")
def test_wilson_interval(case):
    low, high = statistics.wilson_interval(case["successes"], case["n"])
    assert low == pytest.approx(case["low"], abs=TOLERANCE)
    assert high == pytest.approx(case["high"], abs=TOLERANCE)


def test_net_score_with_adjusted_wald_interval():
    case = REFERENCE["net_score_adjusted_wald"]
    ratings = case["ratings"]
    promoters = sum(r >= 9 for r in ratings)
    detractors = sum(r <= 6 for r in ratings)
    assert (promoters, detractors, len(ratings)) == (case["promoters"], case["detractors"], case["n"])
    result = statistics.net_score(promoters, detractors, len(ratings))
    assert result.score == pytest.approx(case["net_score"], abs=TOLERANCE)
    assert result.low == pytest.approx(case["low"], abs=TOLERANCE)
    assert result.high == pytest.approx(case["high"], abs=TOLERANCE)


def test_net_score_difference_is_centred_on_the_adjusted_difference():
    """Two waves with the same ratings: the change is 0 and its interval symmetric about 0."""
    case = REFERENCE["net_score_adjusted_wald"]
    same = (case["promoters"], case["detractors"], case["n"])
    change = statistics.net_score_difference(same, same)
    assert change.estimate == 0 and change.p == pytest.approx(1.0)
    assert change.low == pytest.approx(-change.high)
    _, variance = statistics._adjusted_net(*same)
    assert change.high == pytest.approx(100 * statistics.Z95 * np.sqrt(2 * variance))


def test_benjamini_hochberg():
    case = REFERENCE["benjamini_hochberg"]
    assert statistics.benjamini_hochberg(case["p"]) == pytest.approx(case["q"], abs=TOLERANCE)


def test_welch_difference_in_means():
    case = REFERENCE["welch_difference_in_means_95"]
    result = statistics.welch_difference(moments_of(case["b"]), moments_of(case["a"]))
    assert result.estimate == pytest.approx(case["difference"], abs=TOLERANCE)
    assert result.statistic == pytest.approx(case["t"], abs=TOLERANCE)
    assert result.df == pytest.approx(case["df"], abs=TOLERANCE)
    assert result.p == pytest.approx(case["p_two_sided"], abs=1e-6)
    assert (result.low, result.high) == pytest.approx((case["low"], case["high"]), abs=TOLERANCE)


def test_welch_with_extra_variance_widens_the_interval_by_satterthwaite():
    case = REFERENCE["welch_difference_in_means_95"]
    plain = statistics.welch_difference(moments_of(case["b"]), moments_of(case["a"]))
    wander = statistics.welch_difference(moments_of(case["b"]), moments_of(case["a"]), 0.05, 4)
    assert wander.estimate == plain.estimate
    assert wander.high - wander.low > plain.high - plain.low
    assert wander.p > plain.p


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [([3], [1, 2, 3], "fewer than two answers"), ([4, 4, 4], [4, 4], "everyone answered the same")],
)
def test_no_interval_without_spread(before, after, reason):
    result = statistics.welch_difference(moments_of(before), moments_of(after))
    assert (result.low, result.high, result.p, result.reason) == (None, None, None, reason)


def test_mean_interval_is_missing_or_clipped_and_says_so():
    assert statistics.mean_interval(Moments(1, 3.0, 0.0), 1, 5).reason == "fewer than two answers"
    assert statistics.mean_interval(Moments(9, 5.0, 0.0), 1, 5).reason == "everyone answered the same"
    near_top = statistics.mean_interval(moments_of([5, 5, 5, 5, 4]), 1, 5)
    assert near_top.high == 5 and near_top.clipped
    middle = statistics.mean_interval(moments_of([2, 3, 4, 3, 3]), 1, 5)
    assert not middle.clipped and 1 < middle.low < middle.high < 5


@pytest.mark.parametrize(
    "case",
    REFERENCE["newcombe_hybrid_score_difference_95"]["cases"],
    ids=lambda c: f"{c['x1']}/{c['n1']}-{c['x2']}/{c['n2']}",
)
def test_newcombe_hybrid_score_interval_table_ii(case):
    """Newcombe (1998) Table II, method 10; x1/n1 is the later wave here."""
    estimate, low, high = statistics.newcombe_difference(case["x2"], case["n2"], case["x1"], case["n1"])
    assert estimate == pytest.approx(case["difference"], abs=TOLERANCE)
    assert low == pytest.approx(case["low"], abs=TOLERANCE)
    assert high == pytest.approx(case["high"], abs=TOLERANCE)
    oracle = confint_proportions_2indep(case["x1"], case["n1"], case["x2"], case["n2"], method="newcomb")
    assert (low, high) == pytest.approx(oracle, abs=1e-9)


@pytest.mark.parametrize(
    ("table", "method"),
    [((6, 7, 2, 7), "fisher"), ((5, 56, 0, 29), "fisher"), ((56, 70, 48, 80), "z")],
)
def test_two_proportions_use_an_exact_test_when_an_expected_count_is_under_5(table, method):
    x1, n1, x2, n2 = table
    p, used = statistics.two_proportion_p(x2, n2, x1, n1)
    assert used == method
    matrix = [[x1, n1 - x1], [x2, n2 - x2]]
    if method == "fisher":
        assert p == pytest.approx(stats.fisher_exact(matrix).pvalue, abs=1e-12)
    else:
        assert p == pytest.approx(stats.chi2_contingency(matrix, correction=False).pvalue, abs=1e-12)


def test_an_interval_can_exclude_zero_while_the_exact_test_does_not_call_it():
    """6/7 against 2/7: Newcombe's interval excludes 0, the exact test's p is above 0.05;
    a change is called only when both agree, so this one is not."""
    _, low, _ = statistics.newcombe_difference(2, 7, 6, 7)
    p, _ = statistics.two_proportion_p(2, 7, 6, 7)
    assert low > 0 and p > 0.05


def bcg():
    case = REFERENCE["meta_regression_reml_knapp_hartung"]
    tpos, tneg, cpos, cneg, ablat = np.array(case["trials"], dtype=float).T
    y = np.log(tpos / (tpos + tneg)) - np.log(cpos / (cpos + cneg))
    v = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    return case, y, v, ablat


def test_bcg_effect_sizes_are_the_published_ones():
    case, y, v, _ = bcg()
    assert y[:3] == pytest.approx(case["yi_first3"], abs=TOLERANCE)
    assert v[:3] == pytest.approx(case["vi_first3"], abs=TOLERANCE)


def test_reml_meta_regression_with_knapp_hartung_on_bcg():
    """metafor's rma(yi, vi, mods = ~ ablat, data = dat.bcg, test = "knha")."""
    case, y, v, ablat = bcg()
    fit = statistics.meta_regression(y, v, ablat)
    reml, knha = case["reml"], case["knapp_hartung"]
    assert fit.tau2 == pytest.approx(reml["tau2"], abs=TOLERANCE)
    assert fit.intercept == pytest.approx(reml["intercept"], abs=TOLERANCE)
    assert fit.slope == pytest.approx(reml["slope"], abs=TOLERANCE)
    assert fit.se_slope_reml == pytest.approx(reml["se_slope"], abs=TOLERANCE)
    assert fit.slope / fit.se_slope_reml == pytest.approx(reml["z_slope"], abs=1e-3)
    assert fit.s2 == pytest.approx(knha["s2"], abs=TOLERANCE)
    assert fit.se_slope == pytest.approx(knha["se_slope"], abs=TOLERANCE)
    assert fit.t == pytest.approx(knha["t_slope"], abs=TOLERANCE)
    assert fit.df == knha["df"]
    assert fit.p == pytest.approx(knha["p_slope"], abs=1e-6)
    assert (fit.low, fit.high) == pytest.approx((knha["slope_low"], knha["slope_high"]), abs=TOLERANCE)


def test_knapp_hartung_equals_statsmodels_wls_with_the_same_tau2():
    """An independent oracle: WLS with weights 1/(v + τ²) scales its covariance by the
    weighted residual variance, which is the Knapp–Hartung adjustment."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        k = int(rng.integers(4, 9))
        x = np.sort(rng.uniform(0, 24, k))
        v = rng.uniform(0.001, 0.01, k)
        y = 3.5 + 0.01 * x + rng.normal(0, 0.1, k)
        fit = statistics.meta_regression(y, v, x)
        oracle = WLS(y, np.column_stack([np.ones(k), x]), weights=1 / (v + fit.tau2)).fit()
        assert fit.slope == pytest.approx(oracle.params[1], abs=1e-10)
        assert fit.se_slope == pytest.approx(oracle.bse[1], rel=1e-8)
        assert fit.p == pytest.approx(oracle.pvalues[1], rel=1e-6)
        assert (fit.low, fit.high) == pytest.approx(tuple(oracle.conf_int()[1]), rel=1e-8)


def test_reml_tau2_is_the_maximum_of_the_restricted_likelihood():
    _, y, v, ablat = bcg()
    tau2 = statistics.reml_tau2(y, v, ablat)
    best = statistics._restricted_deviance(tau2, y, v, ablat)
    for nearby in (tau2 * 0.9, tau2 * 1.1, 0.0):
        assert statistics._restricted_deviance(nearby, y, v, ablat) > best


def test_no_wander_gives_tau2_zero():
    x = np.arange(6) * 3.0
    assert statistics.reml_tau2(3.5 + 0.0 * x, np.full(6, 0.01), x) == 0.0


def test_wilson_variance_stays_positive_at_the_ends():
    assert statistics.wilson_variance(0, 50) > 0 and statistics.wilson_variance(50, 50) > 0
    low, high = statistics.wilson_interval(20, 50)
    assert statistics.Z95 * np.sqrt(statistics.wilson_variance(20, 50)) == pytest.approx((high - low) / 2)


# -- Partially overlapping samples (Derrick, Russ, Toher & White 2017) --------------------

A_UNPAIRED, A_PAIRED = [20, 21, 16, 18, 14, 12, 14, 17], [14, 15, 18, 20, 11, 19, 14, 15]
B_UNPAIRED, B_PAIRED = [10, 16, 18, 16, 15, 14, 13, 10], [15, 10, 15, 17, 13, 19, 12, 13]


def _moments(values) -> statistics.Moments:
    values = np.asarray(values, dtype=float)
    return statistics.Moments(len(values), float(values.mean()), float(values.var(ddof=1)))


def test_overlapping_samples_match_the_published_worked_example():
    """Derrick et al. (2017, TQMP 13(2)) and Partiallyoverlapping's example: p = 0.026."""
    r = float(np.corrcoef(A_PAIRED, B_PAIRED)[0, 1])
    before, after = _moments(B_UNPAIRED + B_PAIRED), _moments(A_UNPAIRED + A_PAIRED)
    equal = statistics.overlapping_difference(before, after, paired=8, correlation=r, equal_variances=True)
    assert round(equal.p, 3) == 0.026
    assert equal.estimate == pytest.approx(2.0)
    unequal = statistics.overlapping_difference(before, after, paired=8, correlation=r)
    assert unequal.low < unequal.estimate < unequal.high and 0 < unequal.p < 0.05


def test_overlapping_samples_reduce_to_the_paired_and_to_welchs_test():
    """Everyone paired: the paired t-test; nobody paired: Welch's test (scipy as oracle)."""
    r = float(np.corrcoef(A_PAIRED, B_PAIRED)[0, 1])
    paired = statistics.overlapping_difference(
        _moments(B_PAIRED), _moments(A_PAIRED), paired=8, correlation=r
    )
    oracle = stats.ttest_rel(A_PAIRED, B_PAIRED)
    assert paired.p == pytest.approx(oracle.pvalue) and paired.df == 7
    independent = statistics.overlapping_difference(
        _moments(B_UNPAIRED), _moments(A_UNPAIRED), paired=0, correlation=0.0
    )
    welch = stats.ttest_ind(A_UNPAIRED, B_UNPAIRED, equal_var=False)
    assert independent.p == pytest.approx(welch.pvalue)
    low, high = welch.confidence_interval()
    assert (independent.low, independent.high) == (pytest.approx(low), pytest.approx(high))


def test_a_positive_correlation_narrows_the_interval_of_a_change():
    """The same people in both waves: their own consistency is not counted as noise twice."""
    before, after = _moments(B_UNPAIRED + B_PAIRED), _moments(A_UNPAIRED + A_PAIRED)
    apart = statistics.overlapping_difference(before, after, paired=8, correlation=0.0)
    together = statistics.overlapping_difference(before, after, paired=8, correlation=0.8)
    assert together.high - together.low < apart.high - apart.low


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=40))
@settings(max_examples=examples(60), deadline=None)
def test_benjamini_hochberg_agrees_with_scipy(p_values):
    expected = stats.false_discovery_control(np.asarray(p_values))
    assert statistics.benjamini_hochberg(p_values) == pytest.approx(list(expected), abs=1e-12)


@pytest.mark.parametrize("df", [1, 2, 3.5, 9, 40, 1e6, np.inf])
@pytest.mark.parametrize("value", [0.0, 0.3, 1.96, 4.0, 25.0])
def test_the_t_and_normal_tails_agree_with_scipy_stats(df, value):
    assert statistics.t_two_sided_p(value, df) == pytest.approx(
        2 * stats.t.sf(value, df), rel=1e-12, abs=1e-300
    )
    assert statistics.t_quantile(0.975, df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-12)
    assert statistics.normal_two_sided_p(value) == pytest.approx(
        2 * stats.norm.sf(value), rel=1e-12, abs=1e-300
    )


@given(
    st.integers(min_value=5, max_value=400),
    st.integers(min_value=5, max_value=400),
    st.floats(min_value=0.05, max_value=0.95),
    st.floats(min_value=0.05, max_value=0.95),
)
@settings(max_examples=examples(60), deadline=None)
def test_two_proportion_p_is_scipys_chi_squared_without_correction(
    n_before, n_after, share_before, share_after
):
    before, after = round(n_before * share_before), round(n_after * share_after)
    table = np.array([[after, n_after - after], [before, n_before - before]])
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    p, method = statistics.two_proportion_p(before, n_before, after, n_after)
    if (table.sum(axis=0) == 0).any() or (expected < 5).any():
        return
    assert method == "z"
    assert p == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-9)


@given(
    st.integers(min_value=3, max_value=10),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.floats(min_value=0.0, max_value=0.3),
)
@settings(max_examples=examples(200), deadline=None)
def test_reml_by_fisher_scoring_finds_the_same_optimum_as_a_bounded_search(k, seed, wander):
    """The oracle is scipy's bounded Brent search on the same restricted likelihood (the
    earlier implementation): scoring must reach a likelihood at least as high."""
    from scipy import optimize

    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 24, k))
    x[-1] = x[0] + 3 + x[-1]  # at least two distinct months
    v = rng.uniform(0.0005, 0.02, k)
    y = 3.5 + rng.normal(0, np.sqrt(v + wander**2))
    values = (tuple(y), tuple(v), tuple(x))
    upper = max(float(np.var(y)) * 10 + float(np.max(v)), 1e-8)
    searched = optimize.minimize_scalar(
        statistics._restricted_deviance,
        bounds=(0.0, upper),
        args=values,
        method="bounded",
        options={"xatol": 1e-10},
    )
    best = min(searched.fun, statistics._restricted_deviance(0.0, *values))
    tau2 = statistics.reml_tau2(y, v, x)
    assert statistics._restricted_deviance(tau2, *values) <= best + 1e-9


def test_reml_falls_back_to_the_bounded_search_when_scoring_does_not_converge(monkeypatch):
    case, y, v, ablat = bcg()
    scored = statistics.reml_tau2(y, v, ablat)
    assert scored == pytest.approx(case["reml"]["tau2"], abs=TOLERANCE)
    monkeypatch.setattr(statistics, "_fisher_scoring_tau2", lambda *args: None)
    assert statistics.reml_tau2(y, v, ablat) == pytest.approx(scored, abs=1e-7)


def test_the_95_percent_normal_quantile_is_scipys():
    assert statistics.Z95 == pytest.approx(stats.norm.ppf(0.975), abs=1e-12)
