"""The perception gap and relative weights against worked values: a gap by hand, Johnson's
relative weights against rwa's published mtcars example, and a deterministic bootstrap.
Pure functions: no database."""

import json
from pathlib import Path

import numpy as np
import pytest

from reports import drivers, statistics

REFERENCE = json.loads((Path(__file__).parent / "reference_relative_weights.json").read_text())


def mtcars():
    data = np.array(REFERENCE["rows"])
    return data[:, 1:], data[:, 0]


def test_relative_weights_match_the_published_rwa_mtcars_example():
    """rwa README (github.com/martinctc/rwa): mpg on cyl, disp, hp and gear."""
    x, y = mtcars()
    weights = statistics.relative_weights(x, y)
    assert weights.r_squared == pytest.approx(REFERENCE["r_squared"], abs=1e-6)
    assert weights.raw == pytest.approx(REFERENCE["raw"], abs=1e-6)
    assert [100 * w for w in weights.rescaled] == pytest.approx(REFERENCE["rescaled_percent"], abs=1e-4)


def test_relative_weights_add_up_to_the_regression_r_squared():
    x, y = mtcars()
    design = np.column_stack([np.ones(len(y)), x])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r_squared = 1 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert sum(statistics.relative_weights(x, y).raw) == pytest.approx(r_squared)


def test_relative_weights_refuse_a_predictor_without_spread():
    x, y = mtcars()
    x[:, 3] = 4.0
    with pytest.raises(ValueError):
        statistics.relative_weights(x, y)


def test_bootstrap_is_deterministic_and_its_interval_holds_the_estimate():
    x, y = mtcars()
    first = statistics.relative_weights_bootstrap(x, y, replications=300, seed=7)
    again = statistics.relative_weights_bootstrap(x, y, replications=300, seed=7)
    other = statistics.relative_weights_bootstrap(x, y, replications=300, seed=8)
    assert first == again
    assert first.rescaled_low != other.rescaled_low
    for estimate, low, high in zip(
        first.estimate.rescaled, first.rescaled_low, first.rescaled_high, strict=True
    ):
        assert low <= estimate <= high


def test_gap_worked_by_hand():
    """Users: 3, 3, 4, 2, 3 (mean 3, variance 0.5); IT: 4, 5, 4, 4, 5, 4 (mean 4⅓, variance
    4/15). Gap 1⅓; SE² = 0.5/5 + (4/15)/6 = 0.14444, SE = 0.38006; Welch df = 0.14444² /
    (0.1²/4 + 0.04444²/5) = 7.2068; t(0.975, 7.2068) = 2.3509 (tables: 2.365 at 7 df, 2.306
    at 8), so the interval is 1.3333 ± 0.8935."""
    users = statistics.moments(np.array([2, 3, 4]), np.array([1, 3, 1]))
    it_staff = statistics.moments(np.array([4, 5]), np.array([4, 2]))
    assert (users.mean, users.variance) == pytest.approx((3.0, 0.5))
    assert (it_staff.mean, it_staff.variance) == pytest.approx((13 / 3, 4 / 15))
    gap = statistics.welch_difference(users, it_staff)
    assert gap.estimate == pytest.approx(4 / 3)
    assert gap.df == pytest.approx(7.2068, abs=1e-4)
    assert gap.low == pytest.approx(4 / 3 - 0.8935, abs=1e-4)
    assert gap.high == pytest.approx(4 / 3 + 0.8935, abs=1e-4)


@pytest.mark.parametrize(
    ("importance", "mean", "quadrant"),
    [
        (0.4, 3.0, drivers.FIX_FIRST),
        (0.4, 4.0, drivers.KEEP_UP),
        (0.1, 3.0, drivers.LOWER_PRIORITY),
        (0.1, 4.0, drivers.POSSIBLE_OVERKILL),
    ],
)
def test_quadrants_split_at_the_average_importance_and_mean(importance, mean, quadrant):
    assert drivers.quadrant(importance, mean, importance_cut=0.25, performance_cut=3.5) == quadrant
