"""The product rules of an action's measured effect (reports.impact): which waves count
as before and after, which comparison is used, and that hidden cells never feed it."""

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from reports import impact
from reports.analysis import Measure
from reports.queries import NO_DEPARTMENT, ShownCells

SHOWN = ShownCells(True, frozenset({NO_DEPARTMENT}), frozenset())


def span(label: str, opens: str, closes: str) -> impact.WaveSpan:
    return impact.WaveSpan(
        label,
        datetime.fromisoformat(opens).replace(tzinfo=UTC),
        datetime.fromisoformat(closes).replace(tzinfo=UTC),
    )


WAVES = [
    span("Q1", "2026-01-05", "2026-02-01"),
    span("Q2", "2026-04-05", "2026-05-01"),
    span("Q3", "2026-07-05", "2026-08-01"),
    span("Q4", "2026-10-05", "2026-11-01"),
]


@pytest.mark.parametrize(
    "done_on, lag, expected",
    [
        (date(2026, 3, 1), 1, ["before", "after", "after", "after"]),
        (date(2026, 3, 1), 2, ["before", "skipped", "after", "after"]),
        (date(2026, 4, 20), 1, ["before", "skipped", "after", "after"]),  # done mid-wave
        (date(2026, 4, 20), 0, ["before", "after", "after", "after"]),
        (date(2026, 5, 1), 1, ["before", "before", "after", "after"]),  # done the day it closed
    ],
)
def test_waves_before_and_after_allow_the_lag(done_on, lag, expected):
    phases = impact.wave_phases(WAVES, done_on, lag)
    assert list(phases.values()) == expected


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["response", "wave", "department", "measure", "score"])


def people(wave: str, department: str, measure: str, scores, start: int) -> list:
    return [(start + i, wave, department, measure, float(s)) for i, s in enumerate(scores)]


def test_department_contrast_uses_shown_cells_only():
    """A hidden department never enters either side: only HR (targeted) against Sales."""
    rows = (
        people("Q1", "HR", "dimension:R", [3, 3, 4, 4, 4], 0)
        + people("Q1", "Sales", "dimension:R", [2, 3, 3, 3, 4], 10)
        + people("Q1", "Legal", "dimension:R", [1, 1], 20)
        + people("Q1", NO_DEPARTMENT, "dimension:R", [5], 30)
    )
    shown = {("Q1", "dimension:R"): ShownCells(True, frozenset({"Legal", NO_DEPARTMENT}), frozenset())}
    (row,) = impact.contrasts(
        frame(rows), shown, "dimension:R", {"Q1": "before"}, impact.DEPARTMENTS, frozenset({"HR"})
    )
    # HR: mean 3.6, s² 0.3; Sales: mean 3.0, s² 0.5; v = 0.3/5 + 0.5/5 = 0.16.
    assert (row.targeted_n, row.comparison_n) == (5, 5)
    assert row.targeted_mean == pytest.approx(3.6) and row.comparison_mean == pytest.approx(3.0)
    assert row.difference == pytest.approx(0.6) and row.variance == pytest.approx(0.16)


def test_a_wave_whose_total_is_hidden_gives_no_contrast():
    rows = people("Q1", "HR", "dimension:R", [3, 4, 5], 0)
    shown = {("Q1", "dimension:R"): ShownCells(False, frozenset({"HR"}), frozenset())}
    assert impact.contrasts(frame(rows), shown, "dimension:R", {"Q1": "before"}, impact.NONE) == []


def test_dimension_contrast_is_each_persons_gap_to_their_untargeted_dimensions():
    """Per person: targeted score − mean of the untargeted dimensions; then mean and s²/n."""
    rows = []
    for response, (target, a, b) in enumerate([(4, 3, 3), (5, 4, 2), (3, 3, 3), (4, 2, 4)]):
        rows += [
            (response, "Q1", "HR", "dimension:T", float(target)),
            (response, "Q1", "HR", "dimension:A", float(a)),
            (response, "Q1", "HR", "dimension:B", float(b)),
        ]
    shown = {("Q1", m): SHOWN for m in ("dimension:T", "dimension:A", "dimension:B")}
    (row,) = impact.contrasts(
        frame(rows),
        shown,
        "dimension:T",
        {"Q1": "after"},
        impact.DIMENSIONS,
        comparison_measures=("dimension:A", "dimension:B"),
    )
    gaps = np.array([1.0, 2.0, 0.0, 1.0])
    assert row.difference == pytest.approx(gaps.mean())
    assert row.variance == pytest.approx(gaps.var(ddof=1) / 4)
    # A comparison dimension the wave does not show: no contrast for that wave at all.
    del shown[("Q1", "dimension:B")]
    assert (
        impact.contrasts(
            frame(rows),
            shown,
            "dimension:T",
            {"Q1": "after"},
            impact.DIMENSIONS,
            comparison_measures=("dimension:A", "dimension:B"),
        )
        == []
    )


MEASURES = [
    Measure("overall", "overall", "Overall score", 1, 5),
    Measure("question:1", "question", "Hear back quickly", 1, 5),
    Measure("dimension:Responsiveness", "dimension", "Responsiveness", 1, 5),
    Measure("dimension:Reliability", "dimension", "Reliability", 1, 5),
    Measure("dimension:Ten", "dimension", "On ten", 0, 10),
]
ITEMS = {"question:1": "dimension:Responsiveness"}


def test_an_organisation_wide_action_is_compared_with_the_dimensions_it_did_not_target():
    """Its own dimension (and a question's) and dimensions on other scales are left out."""
    measure = MEASURES[1]
    comparison, others = impact.choose_comparison(
        measure, ["question:1"], frozenset(), MEASURES, ITEMS, frame([]), {}
    )
    assert comparison == impact.DIMENSIONS and others == ("dimension:Reliability",)


def test_the_overall_score_has_no_comparison_and_says_so():
    comparison, _ = impact.choose_comparison(
        MEASURES[0], ["overall"], frozenset(), MEASURES, ITEMS, frame([]), {}
    )
    assert comparison == impact.NONE
    assert "plain before and after" in impact.CAVEATS[comparison]


def test_departments_are_the_comparison_only_where_another_department_is_shown():
    rows = people("Q1", "HR", "dimension:Reliability", [3] * 5, 0) + people(
        "Q1", "Sales", "dimension:Reliability", [3] * 5, 10
    )
    hidden_sales = {("Q1", "dimension:Reliability"): ShownCells(True, frozenset({"Sales"}), frozenset())}
    shown_sales = {("Q1", "dimension:Reliability"): SHOWN}
    args = (MEASURES[3], ["dimension:Reliability"], frozenset({"HR"}), MEASURES, ITEMS, frame(rows))
    assert impact.choose_comparison(*args, shown_sales)[0] == impact.DEPARTMENTS
    assert impact.choose_comparison(*args, hidden_sales)[0] == impact.NONE


def effect_with(estimates_after: float, spread: float = 0.02) -> impact.MeasureEffect:
    """An effect over 6 waves whose contrast steps by ``estimates_after`` after the third."""
    rng = np.random.default_rng(4)
    waves = [
        impact.WaveContrast(
            f"W{i}",
            "after" if i >= 3 else "before",
            100,
            3.0,
            100,
            3.0,
            float(rng.normal(0, spread) + (estimates_after if i >= 3 else 0)),
            0.0004,
        )
        for i in range(6)
    ]
    from reports.statistics import difference_in_differences

    result = difference_in_differences(
        [w.difference for w in waves], [w.variance for w in waves], [w.phase == "after" for w in waves]
    )
    return impact.MeasureEffect("m", "Responsiveness", "1–5", impact.DIMENSIONS, "", waves, result)


def test_a_clear_step_is_called_and_said_in_words():
    effect = effect_with(0.5)
    impact.settle([effect])
    assert effect.verdict == impact.MOVED_UP
    assert effect.in_words.startswith("Responsiveness: moved up, +0.49 (95% interval +0.4")


def test_no_step_is_no_clear_change_and_no_later_wave_is_said():
    still = effect_with(0.0)
    waiting = impact.MeasureEffect("m", "Reliability", "1–5", impact.NONE, "", still.waves[:3], None)
    impact.settle([still, waiting])
    assert still.verdict == impact.NO_CLEAR_CHANGE
    assert waiting.verdict == impact.NO_LATER_WAVE and waiting.in_words == "Reliability: no later wave yet"


def test_theme_voices_count_distinct_people_before_and_after():
    before = pd.DataFrame({"theme": ["Slow", "Slow", "Slow", "Wi-Fi"], "voice": ["a", "a", "b", "c"]})
    after = pd.DataFrame({"theme": ["Slow"], "voice": ["d"]})
    assert impact.theme_voices(before, after, ["Slow", "Wi-Fi"]) == [
        impact.ThemeVoices("Slow", 2, 1),
        impact.ThemeVoices("Wi-Fi", 1, 0),
    ]
