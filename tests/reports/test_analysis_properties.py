"""Properties of the analysis rules, checked on many generated inputs (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from scipy import stats

from reports import analysis

SCALES = [analysis.Scale(1, 5), analysis.Scale(1, 7), analysis.Scale(0, 10, net=True)]


@st.composite
def scale_and_scores(draw, min_size=5):
    scale = draw(st.sampled_from(SCALES))
    values = draw(st.lists(st.integers(scale.low, scale.high), min_size=min_size, max_size=300))
    return scale, np.array(values, dtype=float)


@settings(max_examples=300, deadline=None)
@given(scale_and_scores())
def test_every_interval_contains_its_estimate_and_lies_inside_the_scale(case):
    scale, values = case
    distinct, counts = np.unique(values, return_counts=True)
    row = analysis.summarise(distinct, counts, scale)
    assert scale.low <= row["mean_low"] <= row["mean"] + 1e-9
    assert row["mean"] - 1e-9 <= row["mean_high"] <= scale.high
    assert 0 <= row["favorable_low"] <= row["favorable"] <= row["favorable_high"] <= 1
    if scale.net:
        assert -100 <= row["net_score_low"] <= row["net_score"] <= row["net_score_high"] <= 100
    else:
        assert row["net_score"] is None


ITEMS = [
    analysis.Item("question:1", 1, 5, dimension="dimension:Reliability"),
    analysis.Item("question:2", 1, 5, reverse=True, dimension="dimension:Reliability"),
]


@st.composite
def answers_frames(draw):
    """Answers of 5–40 respondents over up to three waves to two items of one dimension."""
    rows = []
    respondents = draw(st.integers(5, 40))
    for respondent in range(respondents):
        wave = draw(st.sampled_from(["2026 Q1", "2026 Q2", "2026 Q3"]))
        for item in ITEMS:
            if draw(st.booleans()) or item.column == "question:1":
                rows.append(
                    {
                        "response": respondent,
                        "wave": wave,
                        "respondent": f"r{respondent}",
                        "submitted": pd.Timestamp("2026-01-01") + pd.Timedelta(minutes=respondent),
                        "column": item.column,
                        "value": float(draw(st.integers(1, 5))),
                    }
                )
    return pd.DataFrame(rows)


def summaries_of(answers: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    scores = analysis.measure_scores(analysis.latest_only(analysis.answers_table(answers)), ITEMS)
    scales = dict.fromkeys(scores["measure"].unique(), analysis.Scale(1, 5))
    return analysis.wave_summaries(scores, scales, k)


@settings(max_examples=100, deadline=None)
@given(answers_frames(), st.randoms(use_true_random=False))
def test_shuffling_input_rows_changes_nothing(answers, random):
    shuffled = answers.sample(frac=1, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    assert_frame_equal(summaries_of(answers), summaries_of(shuffled))


@settings(max_examples=100, deadline=None)
@given(answers_frames(), st.data())
def test_a_respondent_answering_twice_in_a_wave_counts_once_with_the_latest_answers(answers, data):
    """The contract: the latest submission stands; the earlier one is dropped whole."""
    respondent = data.draw(st.sampled_from(sorted(answers["respondent"].unique())))
    original = answers[answers["respondent"] == respondent]
    earlier = original.assign(
        response=10_000,
        submitted=original["submitted"] - pd.Timedelta(days=1),
        value=data.draw(st.sampled_from([1.0, 5.0])),
    )
    assert_frame_equal(summaries_of(answers), summaries_of(pd.concat([answers, earlier], ignore_index=True)))
    later = original.assign(response=10_001, submitted=original["submitted"] + pd.Timedelta(days=1))
    with_later = pd.concat([answers, earlier, later.assign(value=3.0)], ignore_index=True)
    kept = analysis.latest_only(analysis.answers_table(with_later))
    assert set(kept.loc[kept["respondent"] == respondent, "response"]) == {10_001}
    n_before = summaries_of(answers).set_index(["measure", "wave"])["n"]
    n_after = summaries_of(with_later).set_index(["measure", "wave"])["n"]
    assert n_before.equals(n_after)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 12), st.data())
def test_removing_one_respondent_from_a_group_of_exactly_k_suppresses_it(k, data):
    values = data.draw(st.lists(st.integers(1, 5), min_size=k, max_size=k))
    frame = pd.DataFrame({"measure": "m", "wave": "w", "respondent": range(k), "score": values})
    scales = {"m": analysis.Scale(1, 5)}
    shown = analysis.wave_summaries(analysis.count_scores(frame), scales, k)
    assert not shown["suppressed"].iloc[0] and shown["n"].iloc[0] == k
    hidden = analysis.wave_summaries(analysis.count_scores(frame.iloc[1:]), scales, k)
    assert hidden["suppressed"].iloc[0]
    assert hidden[["n", "mean", "favorable", "mean_low", "mean_high"]].isna().all(axis=None)


def mentions(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["theme", "voice", "source", "channel", "sentiment"])


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 60))
def test_a_theme_one_person_repeats_is_a_single_voice(times):
    loud = mentions(
        [("Printers", "person:1", f"conversation:{i % 3}", "walkabout", -1) for i in range(times)]
    )
    row = analysis.theme_summary(loud).iloc[0]
    assert (row["status"], row["voices"], row["mentions"], row["top_voice_share"]) == (
        "single_voice",
        1,
        times,
        1.0,
    )
    assert not row["robust"]


def test_one_person_twenty_times_is_single_voice_and_five_people_once_each_is_a_trend():
    loud = mentions([("Printers", "person:1", "conversation:1", "focus_group", -1)] * 20)
    many = mentions(
        [("Printers", f"person:{i}", f"conversation:{i % 2}", "focus_group", -1) for i in range(5)]
    )
    assert analysis.theme_summary(loud).iloc[0]["status"] == "single_voice"
    summary = analysis.theme_summary(many).iloc[0]
    assert (summary["status"], summary["voices"], summary["sources"]) == ("trend", 5, 2)
    assert summary["top_voice_share"] == 0.2
    assert summary["robust"]


def test_a_theme_carried_mostly_by_one_voice_is_not_a_trend():
    """Many voices, but one person holds more than half of the mentions: emerging."""
    rows = [("Wi-Fi", "person:loud", f"conversation:{i % 3}", "walkabout", None) for i in range(10)]
    rows += [("Wi-Fi", f"person:{i}", "conversation:9", "focus_group", None) for i in range(4)]
    summary = analysis.theme_summary(mentions(rows)).iloc[0]
    assert summary["voices"] == 5
    assert summary["status"] == "emerging"


def test_a_trend_resting_on_three_voices_is_not_robust():
    rows = [("VPN", f"person:{i}", f"conversation:{i}", "one_on_one", -1) for i in range(3)]
    summary = analysis.theme_summary(mentions(rows)).iloc[0]
    assert summary["status"] == "trend"
    assert not summary["robust"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(1, 30), min_size=1), st.integers(2, 10))
def test_complementary_suppression_never_leaves_one_small_cell_recoverable(sizes, k):
    """Either nothing small is hidden, or at least two cells are hidden together."""
    cells = pd.Series(sizes)
    hidden = analysis.complementary_suppression(cells, k)
    assert {c for c, n in sizes.items() if n < k} <= hidden
    if any(n < k for n in sizes.values()) and len(sizes) > 1:
        assert len(hidden) >= 2


def test_complementary_suppression_picks_the_next_smallest_cell():
    cells = pd.Series({"Legal": 3, "Finance": 6, "Sales": 20, "Research": 6})
    assert analysis.complementary_suppression(cells, 5) == {"Legal", "Finance"}


def test_respondents_without_a_department_count_as_a_hidden_cell():
    """A small department beside a hidden 'not given' group is already protected."""
    cells = pd.Series({"Legal": 3, "Sales": 20, "(not given)": 4})
    assert analysis.complementary_suppression(cells, 5, always_hidden={"(not given)"}) == {
        "Legal",
        "(not given)",
    }
    alone = pd.Series({"Sales": 20, "Finance": 9, "(not given)": 2})
    assert analysis.complementary_suppression(alone, 5, always_hidden={"(not given)"}) == {
        "(not given)",
        "Finance",
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), min_size=3, max_size=40))
def test_most_influential_cell_is_the_largest_share_of_kendalls_s(points):
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    table = np.zeros((4, 5))
    np.add.at(table, (x, y), 1)
    shares = [int(np.sum(np.sign(x[i] - x) * np.sign(y[i] - y))) for i in range(len(points))]
    wave, value = analysis._most_influential_cell(table, 1)
    chosen = next(shares[i] for i in range(len(points)) if x[i] == wave and y[i] == value)
    assert chosen == max(shares)


def test_fewer_than_three_waves_is_not_enough_not_flat():
    frame = pd.DataFrame(
        {"measure": "m", "wave": ["a"] * 5 + ["b"] * 5, "respondent": range(10), "score": [1] * 5 + [5] * 5}
    )
    trend = analysis.wave_trend(analysis.count_scores(frame), "m", ["a", "b"])
    analysis.settle_trends([trend])
    assert trend.direction == "not_enough_waves"


def test_a_clear_rise_over_three_waves_is_improving_and_robust():
    rng = np.random.default_rng(7)
    frames = [
        pd.DataFrame(
            {
                "measure": "m",
                "wave": w,
                "respondent": range(60),
                "score": np.clip(np.round(rng.normal(2.5 + i, 0.8, 60)), 1, 5),
            }
        )
        for i, w in enumerate(["a", "b", "c"])
    ]
    scores = analysis.count_scores(pd.concat(frames))
    trend = analysis.wave_trend(scores, "m", ["a", "b", "c"])
    change = analysis.wave_change(scores, "m", ["a", "b", "c"], analysis.Scale(1, 5))
    analysis.settle_trends([trend])
    analysis.settle_changes([change])
    assert (trend.direction, trend.robust) == ("improving", True)
    assert change.significant and change.robust and change.delta > 0


def test_a_change_resting_on_one_extreme_respondent_is_not_robust():
    """Ten people say 3; then five people, two of whom say 5: significant, but one of
    those two carries it, so removing them undoes the finding."""
    before = [3] * 10
    after = [3, 3, 3, 5, 5]
    frame = pd.DataFrame(
        {"measure": "m", "wave": ["a"] * 10 + ["b"] * 5, "respondent": range(15), "score": before + after}
    )
    change = analysis.wave_change(analysis.count_scores(frame), "m", ["a", "b"], analysis.Scale(1, 5))
    analysis.settle_changes([change])
    assert change.significant
    assert not change.robust


@st.composite
def two_samples(draw):
    values = st.sampled_from([1.0, 2.0, 3.0, 3.5, 4.0, 4.25, 5.0])
    return (
        draw(st.lists(values, min_size=1, max_size=80)),
        draw(st.lists(values, min_size=1, max_size=80)),
    )


def as_counts(values, grid) -> np.ndarray:
    return pd.Series(values).value_counts().reindex(grid, fill_value=0).to_numpy()


@settings(max_examples=300, deadline=None)
@given(two_samples())
def test_mann_whitney_from_counts_equals_scipy(samples):
    """The count-based test gives scipy.stats.mannwhitneyu's p-value (default method)."""
    before, after = samples
    if len(set(before + after)) == 1:
        expected = 1.0
    else:
        expected = float(stats.mannwhitneyu(after, before).pvalue)
    grid = sorted(set(before + after))
    got = analysis.mann_whitney_p(as_counts(before, grid), as_counts(after, grid))
    assert got == pytest.approx(expected, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6)), min_size=2, max_size=120))
def test_kendall_tau_b_from_a_table_equals_scipy(points):
    """tau-b and its p-value from a wave × score table equal scipy.stats.kendalltau."""
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    table = np.zeros((6, 7))
    np.add.at(table, (x, y), 1)
    tau, p = analysis.kendall_tau_b(table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0])
    expected = stats.kendalltau(x, y)
    if np.isnan(expected.statistic):
        assert (tau, p) == (0.0, 1.0)
    else:
        assert tau == pytest.approx(expected.statistic, abs=1e-12)
        assert p == pytest.approx(expected.pvalue, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2000), st.data())
def test_wilson_interval_equals_scipy(n, data):
    successes = data.draw(st.integers(0, n))
    expected = stats.binomtest(successes, n).proportion_ci(method="wilson")
    low, high = analysis.wilson_interval(successes, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)
