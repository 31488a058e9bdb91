"""The trend and change rules do not cry wolf, and still find a real trend (seeded
simulations on wave-level sufficient statistics; see benchmarks/simulation.py)."""

import os

import pytest

from benchmarks.simulation import simulate

NOMINAL_CEILING = 0.07  # 5% nominal, with room for simulation noise


def test_with_no_true_trend_few_trends_or_changes_reach_p_below_5_percent():
    """No trend, wave wander SD 0.05–0.20, 4–8 waves of 100–500: p < 0.05 at most 7%."""
    rates = simulate(300, seed=20261123)
    assert rates.trend <= NOMINAL_CEILING
    assert rates.change <= NOMINAL_CEILING


@pytest.mark.parametrize("wander", [0.05, 0.10, 0.20])
def test_each_level_of_wander_keeps_the_false_trend_rate_near_5_percent(wander):
    rates = simulate(250, seed=int(wander * 1000), wander=(wander, wander))
    assert rates.trend <= NOMINAL_CEILING and rates.change <= NOMINAL_CEILING


def test_the_change_between_the_last_two_of_three_waves_allows_for_wander():
    rates = simulate(300, seed=3, waves=(3, 3))
    assert rates.change <= NOMINAL_CEILING


def test_a_real_trend_is_found():
    """0.05 a month over 6 quarterly waves of 300, wander SD 0.10: p < 0.05 in ≥ 80%."""
    rates = simulate(200, seed=7, slope=0.05, wander=(0.10, 0.10), waves=(6, 6), respondents=(300, 300))
    assert rates.trend >= 0.80


@pytest.mark.skipif(not os.environ.get("PERCEPTION_DEEP"), reason="2,000 replications: `make test-deep`")
def test_two_thousand_replications_keep_the_false_trend_rate_near_5_percent():
    """The same as the first test with 2,000 replications (`make test-deep`)."""
    rates = simulate(2000, seed=1)
    assert rates.trend <= NOMINAL_CEILING and rates.change <= NOMINAL_CEILING
    power = simulate(2000, seed=2, slope=0.05, wander=(0.10, 0.10), waves=(6, 6), respondents=(300, 300))
    assert power.trend >= 0.80
