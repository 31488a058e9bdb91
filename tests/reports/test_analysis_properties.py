"""Properties of the analysis rules, checked on many generated inputs (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from scipy import stats

from reports import analysis, statistics
from reports.analysis import Measure
from reports.trends import build_measure, settle
from tests.properties import examples
from tests.reports.oracles import answers_table, count_scores, latest_only

SCALES = [
    Measure("m", "question", "m", 1, 5, favourable_from=4),
    Measure("m", "question", "m", 1, 7, favourable_from=6),
    Measure("m", "question", "m", 0, 10, favourable_from=9, net_score=True),
]


@st.composite
def scale_and_scores(draw, min_size=1):
    measure = draw(st.sampled_from(SCALES))
    values = draw(
        st.lists(st.integers(measure.scale_low, measure.scale_high), min_size=min_size, max_size=300)
    )
    return measure, np.array(values, dtype=float)


@settings(max_examples=examples(300), deadline=None)
@given(scale_and_scores())
def test_every_interval_contains_its_estimate_lies_inside_the_scale_or_says_why_it_is_missing(case):
    measure, values = case
    distinct, counts = np.unique(values, return_counts=True)
    figures = analysis.wave_figures(distinct, counts, measure)
    interval = figures.mean_interval
    if len(values) < 2:
        assert interval.low is None and interval.reason == "fewer than two answers"
    elif len(distinct) == 1:
        assert interval.low is None and interval.reason == "everyone answered the same"
    else:
        assert measure.scale_low <= interval.low <= figures.mean <= interval.high <= measure.scale_high
        raw = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
        assert interval.clipped == bool(raw[0] < measure.scale_low or raw[1] > measure.scale_high)
    fav = figures.favourable_interval
    assert 0 <= fav.low <= figures.favourable <= fav.high <= 1
    if measure.net_score:
        net = figures.net_score
        assert -100 <= net.low <= net.high <= 100
        if len(values) >= 5:  # the adjusted interval is centred away from tiny samples' plain score
            assert net.low <= net.score <= net.high
    else:
        assert figures.net_score is None


def test_favourable_uses_the_declared_cut_and_says_so():
    """A 1–5 question whose favourable cut is declared as 5 counts only the 5s."""
    measure = Measure("m", "question", "m", 1, 5, favourable_from=5)
    figures = analysis.wave_figures(np.array([3.0, 4.0, 5.0]), np.array([2, 5, 3]), measure)
    assert figures.favourable == pytest.approx(0.3)
    assert measure.favourable_definition == "favourable = 5 of 1–5"
    assert Measure("n", "question", "n", 0, 10, favourable_from=9).favourable_definition == (
        "favourable = 9–10 of 0–10"
    )


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


def summaries_of(answers: pd.DataFrame) -> pd.DataFrame:
    scores = analysis.measure_scores(latest_only(answers_table(answers)), ITEMS)
    return scores.sort_values(["measure", "wave", "score"], ignore_index=True)


@settings(max_examples=examples(100), deadline=None)
@given(answers_frames(), st.randoms(use_true_random=False))
def test_shuffling_input_rows_changes_nothing(answers, random):
    shuffled = answers.sample(frac=1, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    assert_frame_equal(summaries_of(answers), summaries_of(shuffled))


@settings(max_examples=examples(100), deadline=None)
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
    kept = latest_only(answers_table(with_later))
    assert set(kept.loc[kept["respondent"] == respondent, "response"]) == {10_001}
    n_before = summaries_of(answers).groupby(["measure", "wave"])["count"].sum()
    n_after = summaries_of(with_later).groupby(["measure", "wave"])["count"].sum()
    assert n_before.equals(n_after)


def test_overall_is_the_mean_of_dimension_scores_each_dimension_weighing_the_same():
    """Three items in one dimension, one in another: a person's overall score is the mean
    of their two dimension scores, not of their four answers."""
    items = [analysis.Item(f"q{i}", 1, 5, dimension="dimension:A") for i in range(3)]
    items.append(analysis.Item("q3", 1, 5, dimension="dimension:B"))
    table = pd.DataFrame({"wave": ["w"], "q0": [5.0], "q1": [5.0], "q2": [5.0], "q3": [1.0]})
    overall = Measure("overall", "overall", "Overall", 1, 5, favourable_from=4)
    scores = analysis.measure_scores(table, items, overall=overall)
    assert scores.loc[scores["measure"] == "overall", "score"].tolist() == [3.0]


def test_dimensions_on_different_scales_are_rescaled_to_0_100_before_the_overall_mean():
    items = [
        analysis.Item("q0", 1, 5, dimension="dimension:A"),
        analysis.Item("q1", 0, 10, dimension="dimension:B"),
    ]
    table = pd.DataFrame({"wave": ["w"], "q0": [5.0], "q1": [5.0]})
    overall = Measure("overall", "overall", "Overall", 0, 100, rescaled=True)
    scales = {"dimension:A": (1, 5), "dimension:B": (0, 10)}
    scores = analysis.measure_scores(table, items, overall=overall, dimension_scales=scales)
    assert scores.loc[scores["measure"] == "overall", "score"].tolist() == [75.0]  # (100 + 50) / 2


def built(frames: dict[str, list[float]], measure=None, months=None, k: int = 1):
    """One measure built from respondent scores per wave, waves three months apart."""
    measure = measure or Measure("m", "question", "m", 1, 5, favourable_from=4)
    rows = [{"measure": "m", "wave": w, "score": v} for w, values in frames.items() for v in values]
    scores = count_scores(pd.DataFrame(rows))
    labels = list(frames)
    months = months or {label: 3.0 * i for i, label in enumerate(labels)}
    return build_measure(measure, analysis.distributions(scores), labels, months, set(), k)


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(2, 12), st.data())
def test_removing_one_respondent_from_a_group_of_exactly_k_suppresses_it(k, data):
    values = data.draw(st.lists(st.integers(1, 5), min_size=k, max_size=k))
    shown = built({"w": [float(v) for v in values]}, k=k)
    assert not shown.waves[0]["suppressed"] and shown.waves[0]["n"] == k
    hidden = built({"w": [float(v) for v in values[1:]]}, k=k)
    entry = hidden.waves[0]
    assert entry["suppressed"]
    assert (
        entry["n"] is None
        and entry["mean"] is None
        and entry["favorable"] is None
        and entry["mean_ci"] is None
    )


def mentions(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["theme", "voice", "source", "channel", "sentiment"])


@settings(max_examples=examples(50), deadline=None)
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


def test_robustness_tries_every_voice_not_only_the_loudest():
    """The loudest voice (two mentions) can go and the theme stays a trend; the quiet
    voice who is the only one in the second conversation cannot: not robust."""
    rows = [("VPN", "person:loud", "conversation:1", "focus_group", None)] * 2
    rows += [("VPN", f"person:{i}", "conversation:1", "focus_group", None) for i in (2, 3)]
    rows += [("VPN", "person:quiet", "conversation:2", "one_on_one", None)]
    group = mentions(rows)
    summary = analysis.theme_summary(group).iloc[0]
    assert summary["status"] == "trend"
    without_loud = analysis.theme_summary(group[group["voice"] != "person:loud"]).iloc[0]
    assert without_loud["status"] == "trend", "removing the top-mention voice changes nothing"
    assert not summary["robust"]


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["p1", "p2", "p3", "p4", "p5"]), st.sampled_from(["c1", "c2", "c3"])),
        min_size=1,
        max_size=25,
    )
)
def test_status_without_each_voice_equals_recounting_without_it(pairs):
    group = mentions([("T", voice, source, "walkabout", None) for voice, source in pairs])
    counted = analysis.statuses_without_each_voice(group)
    for voice in group["voice"].unique():
        rest = group[group["voice"] != voice]
        expected = analysis.theme_summary(rest).iloc[0]["status"] if len(rest) else "none"
        assert counted[voice] == expected


def test_unlinked_voices_are_counted_apart():
    rows = [("Wi-Fi", "conversation:1", "conversation:1", "walkabout", None, False)]
    rows += [("Wi-Fi", "person:1", "conversation:2", "walkabout", None, True)]
    frame = pd.DataFrame(rows, columns=["theme", "voice", "source", "channel", "sentiment", "linked"])
    summary = analysis.theme_summary(frame).iloc[0]
    assert (summary["voices"], summary["linked_voices"], summary["unlinked_voices"]) == (2, 1, 1)


@settings(max_examples=examples(300), deadline=None)
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


def test_fewer_than_four_waves_is_not_enough_waves_never_flat():
    rng = np.random.default_rng(3)
    three = built({w: list(rng.integers(1, 6, 40).astype(float)) for w in "abc"})
    settle([three])
    assert three.mean_trend.test is None
    assert analysis.direction(three.mean_trend.test, three.shown) == "not_enough_waves"
    assert three.mean_trend.fit.slope is not None, "the slope may still be shown"


def test_a_clear_rise_over_five_waves_is_improving_and_robust():
    rng = np.random.default_rng(7)
    frames = {
        w: list(np.clip(np.round(rng.normal(2.0 + 0.5 * i, 0.8, 80)), 1, 5)) for i, w in enumerate("abcde")
    }
    item = built(frames)
    settle([item])
    test = item.mean_trend.test
    assert analysis.direction(test, item.shown) == "improving" and test.robust is True
    assert item.change.mean_test.called and item.change.mean.estimate > 0


def test_without_a_clear_rise_it_is_no_clear_trend():
    rng = np.random.default_rng(11)
    item = built({w: list(rng.integers(1, 6, 60).astype(float)) for w in "abcde"})
    settle([item])
    assert analysis.direction(item.mean_trend.test, item.shown) == "no_clear_trend"


def test_a_change_resting_on_one_respondent_is_not_robust():
    """Significant, but removing one of the four 4s undoes the finding."""
    item = built({"a": [2, 3, 3, 3, 3, 3, 3, 3, 3, 4], "b": [3, 3, 4, 4, 4, 4]})
    settle([item])
    test = item.change.mean_test
    assert test.called and test.robust is False
    assert item.change.wander_known is False, "two waves only: the usual wander is not known yet"


def test_from_three_waves_the_change_carries_the_usual_wander():
    """The same last two waves: with a wandering first wave the interval is wider."""
    last_two = {"b": [3.0] * 20 + [4.0] * 20, "c": [3.0] * 12 + [4.0] * 28}
    calm = built({"a": [3.0] * 20 + [4.0] * 20, **last_two})
    wandering = built({"a": [1.0] * 20 + [2.0] * 20, **last_two})
    assert calm.change.wander_known and wandering.change.wander_known
    assert wandering.mean_trend.fit.tau2 > calm.mean_trend.fit.tau2
    width = lambda b: b.change.mean.high - b.change.mean.low  # noqa: E731
    assert width(wandering) > width(calm)


@st.composite
def two_samples(draw):
    values = st.sampled_from([1.0, 2.0, 3.0, 3.5, 4.0, 4.25, 5.0])
    return (
        draw(st.lists(values, min_size=2, max_size=80)),
        draw(st.lists(values, min_size=2, max_size=80)),
    )


@settings(max_examples=examples(300), deadline=None)
@given(two_samples())
def test_welch_from_sufficient_statistics_equals_scipy(samples):
    """Counts per score give scipy's ttest_ind(equal_var=False) and its interval."""
    before, after = samples
    got = statistics.welch_difference(
        statistics.moments(*np.unique(before, return_counts=True)),
        statistics.moments(*np.unique(after, return_counts=True)),
    )
    if np.var(before) == 0 and np.var(after) == 0:
        assert got.p is None and got.reason == "everyone answered the same"
        return
    expected = stats.ttest_ind(after, before, equal_var=False)
    interval = expected.confidence_interval()
    assert got.p == pytest.approx(expected.pvalue, abs=1e-9)
    assert (got.low, got.high) == pytest.approx((interval.low, interval.high), abs=1e-9)


@settings(max_examples=examples(200), deadline=None)
@given(two_samples())
def test_the_weakest_single_removal_in_closed_form_equals_trying_every_person(samples):
    before, after = samples
    if len(before) < 3 or len(after) < 3 or np.mean(after) == np.mean(before):
        return
    sign = np.sign(np.mean(after) - np.mean(before))
    brute = []
    for side, values in (("before", before), ("after", after)):
        for index in range(len(values)):
            rest = values[:index] + values[index + 1 :]
            pair = (after, rest) if side == "before" else (rest, before)
            if np.var(pair[0]) == 0 and np.var(pair[1]) == 0:
                continue
            brute.append(sign * stats.ttest_ind(*pair, equal_var=False).statistic)
    if not brute:
        return
    weakest, _, _ = statistics.welch_weakest_without_one(
        np.unique(before, return_counts=True), np.unique(after, return_counts=True)
    )
    if weakest.statistic is not None:
        assert sign * weakest.statistic == pytest.approx(min(brute), abs=1e-9)


def test_extremes_are_not_always_the_most_influential_voice():
    """after=[3,3,3,4,5], before=[1,1,1,2,2,2,2,3,3,4,5]: removing the 4 weakens Welch's t
    more than removing the 5."""
    before, after = [1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5], [3, 3, 3, 4, 5]
    without_4 = stats.ttest_ind([3, 3, 3, 5], before, equal_var=False).statistic
    without_5 = stats.ttest_ind([3, 3, 3, 4], before, equal_var=False).statistic
    assert without_4 < without_5
    weakest, side, value = statistics.welch_weakest_without_one(
        np.unique(before, return_counts=True), np.unique(after, return_counts=True)
    )
    assert (side, value) == ("after", 4.0)
    assert weakest.statistic == pytest.approx(without_4, abs=1e-12)


@settings(max_examples=examples(300), deadline=None)
@given(st.integers(1, 2000), st.data())
def test_wilson_interval_equals_scipy(n, data):
    successes = data.draw(st.integers(0, n))
    expected = stats.binomtest(successes, n).proportion_ci(method="wilson")
    low, high = statistics.wilson_interval(successes, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


# -- Robustness of shares and net scores: every single voice tried ------------------------

RECOMMEND = Measure("question:9", "question", "Recommend", 0, 10, favourable_from=9, net_score=True)


def _figures(values: list[int]) -> analysis.WaveFigures:
    scores, counts = np.unique(np.asarray(values), return_counts=True)
    return analysis.wave_figures(scores, counts, RECOMMEND)


def _brute_force_weakest_share_trend_p(waves: list[list[int]], months: list[float]) -> float:
    """Refit with every single person removed in turn (τ² held), weakest p kept."""
    full = analysis.trend_fit([_figures(w) for w in waves], months, "favourable")
    worst = 0.0
    for index, wave in enumerate(waves):
        for position in range(len(wave)):
            reduced = [list(w) for w in waves]
            del reduced[index][position]
            figures = [_figures(w) for w in reduced]
            y = np.array([f.favourable for f in figures])
            v = np.array([statistics.wilson_variance(f.favourable_n, f.n) for f in figures])
            slope, se = analysis._kh_slopes(y[None, :], v[None, :], np.asarray(months), full.fit.tau2)
            t = full.test.sign * slope[0] / se[0]
            worst = max(worst, float(2 * stats.t.sf(abs(t), full.fit.df)) if t > 0 else 1.0)
    return worst


def test_a_share_trend_removes_the_weakest_single_voice():
    """The favourable share's trend now has a robustness check, equal to trying everyone."""
    waves = [
        [9] * 4 + [5] * 16,
        [9] * 7 + [6] * 13,
        [10] * 9 + [3] * 11,
        [9] * 12 + [7] * 8,
        [10] * 15 + [2] * 5,
    ]
    months = [0.0, 3.0, 6.0, 9.0, 12.0]
    fit = analysis.trend_fit([_figures(w) for w in waves], months, "favourable")
    assert fit.test.p_weakest is not None
    assert fit.test.p_weakest == pytest.approx(_brute_force_weakest_share_trend_p(waves, months), rel=1e-9)
    assert fit.test.p_weakest >= fit.test.p


def test_a_net_score_change_removes_the_weakest_single_voice():
    """Before: 3 promoters, 3 detractors of 7; after: 6 promoters of 7. The robustness of
    the net score change tries removing one promoter, passive or detractor from either
    wave, and keeps the weakest: the same as trying every one of the 14 people."""
    before_values, after_values = [10, 10, 9, 0, 1, 2, 7], [10, 10, 10, 9, 9, 9, 7]
    before, after = _figures(before_values), _figures(after_values)
    test = analysis.Test(0.01, 1, True)
    analysis._net_score_without_one(test, before, after)

    def counts(values):
        return (sum(v >= 9 for v in values), sum(v <= 6 for v in values), len(values))

    everyone = [
        statistics.net_score_difference(
            counts(before_values[:i] + before_values[i + 1 :]), counts(after_values)
        ).p
        for i in range(len(before_values))
    ] + [
        statistics.net_score_difference(
            counts(before_values), counts(after_values[:i] + after_values[i + 1 :])
        ).p
        for i in range(len(after_values))
    ]
    assert test.p_weakest == pytest.approx(max(everyone))
    assert test.p_weakest > 0.01


def test_theme_counts_take_missing_values_as_unknown_not_as_someone():
    """Nullable columns (pandas NA), unrated notes and rows without a voice: a row
    without a voice or a source is no one's mention; an unknown link does not make a voice
    unlinked; an unknown sentiment is not rated."""
    frame = pd.DataFrame(
        {
            "theme": ["VPN"] * 5,
            "voice": ["person:1", "person:2", "person:3", None, "person:1"],
            "source": ["conversation:1", "conversation:2", "conversation:2", "conversation:3", None],
            "channel": ["walkabout"] * 5,
            "sentiment": pd.array([1, pd.NA, -1, 1, 1], dtype="Int64"),
            "linked": pd.array([True, pd.NA, False, True, True], dtype="boolean"),
        }
    )
    row = analysis.theme_summary(frame).iloc[0]
    assert (row["voices"], row["mentions"], row["sources"]) == (3, 3, 2)
    assert (row["linked_voices"], row["unlinked_voices"]) == (2, 1)
    assert row["sentiment"] == 0.0
    empty = analysis.theme_summary(pd.DataFrame(columns=["theme", "voice", "source"]))
    assert list(empty.columns) == analysis.THEME_COLUMNS and empty.empty
