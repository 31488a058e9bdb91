"""The statistics match published worked values (tests/reports/reference_statistics.json,
copied from shared/reference/statistics.json) to 1e-4."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports import analysis

REFERENCE = json.loads((Path(__file__).parent / "reference_statistics.json").read_text())
TOLERANCE = 1e-4


@pytest.mark.parametrize("case", REFERENCE["wilson_95"], ids=lambda c: f"{c['successes']}/{c['n']}")
def test_wilson_interval(case):
    low, high = analysis.wilson_interval(case["successes"], case["n"])
    assert low == pytest.approx(case["low"], abs=TOLERANCE)
    assert high == pytest.approx(case["high"], abs=TOLERANCE)


def test_mann_kendall_worked_example():
    case = REFERENCE["mann_kendall"]
    result = analysis.mann_kendall(case["series"])
    assert result.s == pytest.approx(case["S"], abs=TOLERANCE)
    assert result.var_s == pytest.approx(case["var_S"], abs=1e-3)
    assert result.z == pytest.approx(case["z"], abs=TOLERANCE)
    assert result.p == pytest.approx(case["p_two_sided"], abs=TOLERANCE)
    assert result.tau == pytest.approx(case["tau"], abs=TOLERANCE)
    assert result.slope == pytest.approx(case["sen_slope"], abs=TOLERANCE)


def test_kendall_and_theil_sen_on_monthly_satisfaction():
    """The trend of wave means: Kendall's tau-b and Theil-Sen slope against wave order."""
    case = REFERENCE["kendall_monthly_csat"]
    series = case["series"]
    scores = analysis.count_scores(
        pd.DataFrame(
            {"measure": "m", "wave": [f"w{i}" for i in range(len(series))], "respondent": 0, "score": series}
        )
    )
    trend = analysis.wave_trend(scores, "m", [f"w{i}" for i in range(len(series))])
    assert trend.tau == pytest.approx(case["tau"], abs=TOLERANCE)
    assert trend.p == pytest.approx(case["p_two_sided"], abs=TOLERANCE)
    assert trend.slope == pytest.approx(case["theil_sen_slope"], abs=TOLERANCE)


def test_net_score_with_adjusted_wald_interval():
    case = REFERENCE["net_score_adjusted_wald"]
    ratings = case["ratings"]
    promoters = sum(r >= 9 for r in ratings)
    detractors = sum(r <= 6 for r in ratings)
    assert (promoters, detractors, len(ratings)) == (case["promoters"], case["detractors"], case["n"])
    result = analysis.net_score(promoters, detractors, len(ratings))
    assert result.score == pytest.approx(case["net_score"], abs=TOLERANCE)
    assert result.low == pytest.approx(case["low"], abs=TOLERANCE)
    assert result.high == pytest.approx(case["high"], abs=TOLERANCE)


def test_net_score_summary_of_a_0_to_10_measure():
    """The same ratings through the per-wave summary give the same net score and interval."""
    case = REFERENCE["net_score_adjusted_wald"]
    values, counts = np.unique(case["ratings"], return_counts=True)
    row = analysis.summarise(values.astype(float), counts, analysis.Scale(0, 10, net=True))
    assert row["net_score"] == pytest.approx(case["net_score"], abs=TOLERANCE)
    assert row["net_score_low"] == pytest.approx(case["low"], abs=TOLERANCE)
    assert row["net_score_high"] == pytest.approx(case["high"], abs=TOLERANCE)


def test_mann_whitney_change_between_waves():
    case = REFERENCE["mann_whitney_wave_change"]
    frame = pd.DataFrame(
        {"measure": "m", "wave": ["a"] * len(case["wave_a"]) + ["b"] * len(case["wave_b"]), "respondent": 0}
    ).assign(score=case["wave_a"] + case["wave_b"])
    change = analysis.wave_change(analysis.count_scores(frame), "m", ["a", "b"], analysis.Scale(1, 5))
    assert change.p == pytest.approx(case["p_two_sided"], abs=TOLERANCE)


def test_benjamini_hochberg():
    case = REFERENCE["benjamini_hochberg"]
    assert analysis.benjamini_hochberg(case["p"]) == pytest.approx(case["q"], abs=TOLERANCE)
