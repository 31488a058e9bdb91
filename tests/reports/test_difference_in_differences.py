"""Difference in differences over waves (reports.statistics.difference_in_differences):
a worked example checked by hand, and seeded simulations of its false-alarm rate."""

import numpy as np
import pytest
from scipy import stats

from reports.statistics import difference_in_differences
from tests.properties import DEEP


def test_worked_example_checked_by_hand():
    """Four waves, two before and two after; the wander τ̂² widens the interval.

    Each wave: the targeted group (n = 10, s² = 0.06) minus the comparison (n = 20,
    s² = 0.08), so every v_w = 0.06/10 + 0.08/20 = 0.006 + 0.004 = 0.01.

        wave      targeted  comparison   d_w
        before 1    3.6        3.5       0.1
        before 2    3.8        3.5       0.3
        after 1     4.2        3.6       0.6
        after 2     4.5        3.5       1.0

    Levels: before (0.1 + 0.3)/2 = 0.2, after (0.6 + 1.0)/2 = 0.8; DiD = 0.6.
    Residuals −0.1, 0.1, −0.2, 0.2: RSS = 0.10. With equal v_w the REML total variance
    is RSS/(k − 2) = 0.10/2 = 0.05, so τ̂² = 0.05 − v = 0.04 (the wander of d_w beyond
    sampling error). Each weight is 1/(v + τ̂²) = 1/0.05 = 20, so
    var(DiD) = 1/(20 + 20) + 1/(20 + 20) = 0.05, se = √0.05 = 0.2236; the Knapp–Hartung
    factor s² = Σ w r² / (k − 2) = 20 × 0.10 / 2 = 1 leaves it as it is. t(2, 0.975) =
    4.3027, so the interval is 0.6 ± 0.9621 = −0.362 to 1.562: no clear change.
    Without the wander, var would be 0.01/2 + 0.01/2 = 0.01 (se 0.1) and the interval
    0.6 ± 0.43 would have claimed a change the waves' own wander explains.
    """
    targeted = np.array([3.6, 3.8, 4.2, 4.5])
    comparison = np.array([3.5, 3.5, 3.6, 3.5])
    variances = np.full(4, 0.06 / 10 + 0.08 / 20)
    result = difference_in_differences(targeted - comparison, variances, [False, False, True, True])
    assert result.before == pytest.approx(0.2)
    assert result.after == pytest.approx(0.8)
    assert result.estimate == pytest.approx(0.6)
    assert result.tau2 == pytest.approx(0.04, abs=1e-6)
    assert result.se == pytest.approx(np.sqrt(0.05), abs=1e-6)
    assert result.df == 2
    assert result.low == pytest.approx(0.6 - 4.302653 * np.sqrt(0.05), abs=1e-5)
    assert result.high == pytest.approx(0.6 + 4.302653 * np.sqrt(0.05), abs=1e-5)
    assert result.low < 0 < result.high
    # Without wander (τ² = 0) the same t would have excluded zero: τ̂² matters.
    assert 0.6 - stats.t.ppf(0.975, 2) * 0.1 > 0


def test_steady_waves_keep_the_interval_at_the_sampling_error():
    """d_w exactly on its two levels: τ̂² = 0 and the interval is the weighted means'.

    Before: d = 0.2 (v 0.01) and 0.2 (v 0.03); after: 0.5 (v 0.02), 0.5 (v 0.02).
    Weights 100, 33.3 | 50, 50; the Knapp–Hartung s² = 0
    (no residual spread), so, as in the trend model, no interval is claimed from it."""
    result = difference_in_differences([0.2, 0.2, 0.5, 0.5], [0.01, 0.03, 0.02, 0.02], [0, 0, 1, 1])
    assert result.tau2 == 0.0
    assert result.estimate == pytest.approx(0.3)
    assert result.before == pytest.approx(0.2) and result.after == pytest.approx(0.5)
    assert result.low is None and result.p is None


def test_no_interval_without_a_wave_on_each_side_or_with_two_waves():
    """One side empty: no estimate; two waves: an estimate but the wander is unknown."""
    empty = difference_in_differences([0.1, 0.2], [0.01, 0.01], [False, False])
    assert empty.estimate is None and empty.low is None
    two = difference_in_differences([0.1, 0.4], [0.01, 0.01], [False, True])
    assert two.estimate == pytest.approx(0.3)
    assert two.low is None and two.tau2 is None


def simulate_false_alarms(replications: int, seed: int, wander=(0.05, 0.20), waves=(4, 8)) -> float:
    """Share of replications whose 95% interval excludes 0 when nothing changed.

    Each wave's contrast d_w is the wave's own wander (SD drawn from ``wander``) plus the
    sampling error of a targeted group of 20–200 and a comparison of 100–500 people
    (respondent SD 0.9 on a 1–5 scale); the change falls after 1 … k − 1 waves."""
    rng = np.random.default_rng(seed)
    alarms = 0
    for _ in range(replications):
        k = int(rng.integers(waves[0], waves[1] + 1))
        after = np.arange(k) >= int(rng.integers(1, k))
        tau = rng.uniform(*wander)
        v = 0.81 / rng.integers(20, 200, k) + 0.81 / rng.integers(100, 500, k)
        d = rng.normal(0, tau, k) + rng.normal(0, np.sqrt(v))
        result = difference_in_differences(d, v, after)
        alarms += bool(result.low > 0 or result.high < 0)
    return alarms / replications


REPLICATIONS = 2000 if DEEP else 300


def test_with_no_effect_but_wandering_waves_false_alarms_stay_near_5_percent():
    """No effect, wander SD 0.05–0.20, 4–8 waves: the interval excludes 0 in 2–8% of cases."""
    rate = simulate_false_alarms(REPLICATIONS, seed=20261128)
    assert 0.02 <= rate <= 0.08


@pytest.mark.parametrize("wander", [0.0, 0.10, 0.25])
def test_each_level_of_wander_keeps_false_alarms_near_5_percent(wander):
    rate = simulate_false_alarms(REPLICATIONS, seed=int(wander * 100) + 1, wander=(wander, wander))
    assert rate <= 0.08


def test_ignoring_the_wander_would_cry_wolf():
    """The same data with τ² forced to 0 (fixed weights, z interval) alarm far above 5%:
    the wander term is what keeps the rate nominal."""
    rng = np.random.default_rng(5)
    alarms = 0
    for _ in range(200):
        after = np.arange(6) >= 3
        v = 0.81 / rng.integers(100, 500, 6) * 2
        d = rng.normal(0, 0.15, 6) + rng.normal(0, np.sqrt(v))
        w = 1 / v
        estimate = np.average(d[after], weights=w[after]) - np.average(d[~after], weights=w[~after])
        se = np.sqrt(1 / w[after].sum() + 1 / w[~after].sum())
        alarms += abs(estimate / se) > 1.96
    assert alarms / 200 > 0.2
