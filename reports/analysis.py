"""Turning voices into trends: pure pandas and scipy, no Django.

Every function here takes plain frames or numbers and returns frames, dataclasses or
numbers, so the rules of DESIGN.md ("Analysis rules") are tested without a database.
The frames used throughout:

table        one row per response (the per-respondent collapse): ``response, wave,
             respondent, submitted, department`` and one column per numeric question,
             named by its ``Item.column``. The database builds it in SQL; tests and
             importers can build it from long answers with ``answers_table``.
scores       respondent scores counted by value: ``measure, wave, score, count`` (plus
             ``department`` where broken down), ``count`` being how many distinct
             respondents have that score. All statistics work on this compact form, so
             their cost depends on the number of distinct scores, not of people.
mentions     one row per theme mention: ``theme, voice, source, channel, sentiment``.

Duplicates: a respondent who answered twice inside one wave counts once, with their
latest submission (latest ``submitted``, then highest ``response`` id). Their earlier
answers are dropped whole, not averaged, because the latest is what they think now.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05
Z95 = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))


# -- Intervals -------------------------------------------------------------------------


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% score interval of a proportion.

    The same interval as scipy's ``binomtest(k, n).proportion_ci(method="wilson")``
    (tests check they agree), written out because binomtest also computes an exact
    p-value we do not use, which costs a millisecond for every cell of every page.
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


def mean_interval(mean: float, sd: float, n: int) -> tuple[float, float]:
    """Student-t 95% interval of a mean from its standard deviation (ddof=1) and n."""
    if n < 2 or sd == 0:
        return float(mean), float(mean)
    low, high = stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=sd / np.sqrt(n))
    return float(low), float(high)


@dataclass(frozen=True)
class NetScore:
    score: float
    low: float
    high: float


def net_score(promoters: int, detractors: int, n: int) -> NetScore:
    """Net score (% 9–10 minus % 0–6, −100..100) with an adjusted-Wald 95% interval.

    Adjusted Wald: add 3 to n and 0.75 to each of promoters and detractors, then
    SE = sqrt((p + d − (p − d)²) / n_adj). The interval is centred on the adjusted
    estimate and clipped to −100..100; the score itself is the plain one.
    """
    score = 100.0 * (promoters - detractors) / n
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    centre = p - d
    se = np.sqrt((p + d - centre**2) / n_adj)
    low, high = 100.0 * (centre - Z95 * se), 100.0 * (centre + Z95 * se)
    return NetScore(score, float(max(-100.0, low)), float(min(100.0, high)))


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted q-values, in the input's order."""
    if len(p_values) == 0:
        return []
    return [float(q) for q in stats.false_discovery_control(np.asarray(p_values, dtype=float))]


# -- Trend statistics on a series ------------------------------------------------------


@dataclass(frozen=True)
class MannKendall:
    s: float
    var_s: float
    z: float
    p: float
    tau: float
    slope: float


def mann_kendall(series: list[float]) -> MannKendall:
    """Mann-Kendall trend test of a series in time order (for monthly figures).

    S counts concordant minus discordant pairs; its variance is corrected for ties; z
    uses the continuity correction; tau is S over all pairs; the slope is Theil-Sen.
    scipy has Kendall's tau and Theil-Sen but not this classic form of the test.
    """
    y = np.asarray(series, dtype=float)
    n = len(y)
    signs = np.sign(y[None, :] - y[:, None])
    s = float(np.triu(signs, k=1).sum())
    _, tie_counts = np.unique(y, return_counts=True)
    var_s = float(
        (n * (n - 1) * (2 * n + 5) - np.sum(tie_counts * (tie_counts - 1) * (2 * tie_counts + 5))) / 18
    )
    z = 0.0 if s == 0 or var_s == 0 else (s - np.sign(s)) / np.sqrt(var_s)
    p = float(2 * stats.norm.sf(abs(z)))
    tau = s / (n * (n - 1) / 2)
    slope = float(stats.theilslopes(y, np.arange(n)).slope)
    return MannKendall(s, var_s, float(z), p, float(tau), slope)


# -- From answers to respondent scores (rule 1) -----------------------------------------


@dataclass(frozen=True)
class Item:
    """A numeric question as the analysis sees it."""

    column: str  # the table column, also the measure key: "question:<id>"
    low: int
    high: int
    reverse: bool = False
    dimension: str = ""  # the dimension's measure key, "dimension:<name>", or ""


def answers_table(answers: pd.DataFrame) -> pd.DataFrame:
    """Long answers (``response, wave, respondent, submitted, [department], column,
    value``) to the per-response table: one row per response, one column per item."""
    ids = [c for c in ("response", "wave", "respondent", "submitted", "department") if c in answers]
    table = answers.groupby([*ids, "column"], dropna=False)["value"].first().unstack("column")
    table.columns.name = None
    return table.reset_index()


def latest_only(table: pd.DataFrame) -> pd.DataFrame:
    """Keep each respondent's latest response inside each wave (see the module docstring)."""
    ordered = table.sort_values(["wave", "respondent", "submitted", "response"], kind="stable")
    return ordered.drop_duplicates(["wave", "respondent"], keep="last")


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


def measure_scores(
    table: pd.DataFrame, items: list[Item], by: tuple[str, ...] = ("wave",), overall: str | None = None
) -> pd.DataFrame:
    """Respondent scores on every measure, counted by value: ``measure, *by, score, count``.

    Measures are each item (``question:<id>``: the answer) and each dimension
    (``dimension:<name>``: the mean of the respondent's answered items in it).
    Reverse-scored items are flipped as low + high − value in both, so a higher score is
    always better. With ``overall`` (a measure key), the mean of all the respondent's
    dimension items is one more measure. The table holds one response per respondent and
    wave: resolve duplicates first (``latest_only``, or the database's ``kept_responses``).
    """
    columns = ["measure", *by, "score", "count"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    codes, keys = pd.MultiIndex.from_frame(table[list(by)].astype(object)).factorize(sort=True)
    keys = keys.to_frame(index=False, name=list(by))
    scored, frames, dimensions = {}, [], {}
    for item in items:
        values = table[item.column] if item.column in table else pd.Series(np.nan, index=table.index)
        values = values.to_numpy(dtype=float)
        scored[item.column] = item.low + item.high - values if item.reverse else values
        frames.append(_count(codes, keys, item.column, scored[item.column]))
        if item.dimension:
            dimensions.setdefault(item.dimension, []).append(item.column)
    groups = sorted(dimensions.items())
    if overall and dimensions:
        groups.append((overall, [c for _, members in sorted(dimensions.items()) for c in members]))
    for measure, members in groups:
        frames.append(_count(codes, keys, measure, _row_means(np.column_stack([scored[c] for c in members]))))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def count_scores(respondents: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """A respondent-level frame (``measure, wave, score`` per person) to the counted form."""
    keys = ["measure", *by, "wave", "score"]
    return respondents.groupby(keys, as_index=False).size().rename(columns={"size": "count"})


def scale_label(low: int, high: int) -> str:
    return f"{int(low)}-{int(high)}"


# -- Per-wave summaries (rules 2 and 3) ------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """What a measure is measured on: its ends, and whether it carries a net score."""

    low: int
    high: int
    net: bool = False

    @property
    def label(self) -> str:
        return scale_label(self.low, self.high)

    @property
    def favorable_from(self) -> float:
        """Top-2 box: 4–5 of 5, 6–7 of 7, 9–10 of 0–10."""
        return self.high - 1


SUMMARY_COLUMNS = [
    "measure",
    "wave",
    "n",
    "mean",
    "mean_low",
    "mean_high",
    "favorable",
    "favorable_low",
    "favorable_high",
    "net_score",
    "net_score_low",
    "net_score_high",
    "suppressed",
]


def summarise(values: np.ndarray, counts: np.ndarray, scale: Scale) -> dict:
    """Mean, favourable share and (0–10 only) net score, each with its 95% interval."""
    n = int(counts.sum())
    mean = float(np.average(values, weights=counts))
    sd = float(np.sqrt(np.sum(counts * (values - mean) ** 2) / (n - 1))) if n > 1 else 0.0
    mean_low, mean_high = mean_interval(mean, sd, n)
    favorable_n = int(counts[values >= scale.favorable_from].sum())
    fav_low, fav_high = wilson_interval(favorable_n, n)
    row = {
        "n": n,
        "mean": mean,
        "mean_low": max(mean_low, scale.low),
        "mean_high": min(mean_high, scale.high),
        "favorable": favorable_n / n,
        "favorable_low": fav_low,
        "favorable_high": fav_high,
        "net_score": None,
        "net_score_low": None,
        "net_score_high": None,
    }
    if scale.net:
        net = net_score(int(counts[values >= 9].sum()), int(counts[values <= 6].sum()), n)
        row |= {"net_score": net.score, "net_score_low": net.low, "net_score_high": net.high}
    return row


def wave_summaries(scores: pd.DataFrame, scales: dict[str, Scale], k: int) -> pd.DataFrame:
    """One row per measure and wave; a group under ``k`` respondents is suppressed.

    A suppressed row has ``suppressed`` True and no figures at all, ``n`` included.
    """
    rows = []
    for (measure, wave), group in scores.groupby(["measure", "wave"], sort=True):
        counts = group["count"].to_numpy()
        if counts.sum() < k:
            rows.append({"measure": measure, "wave": wave, "n": None, "suppressed": True})
            continue
        summary = summarise(group["score"].to_numpy(dtype=float), counts, scales[measure])
        rows.append({"measure": measure, "wave": wave, **summary, "suppressed": False})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


# -- Complementary suppression (rule 3) ------------------------------------------------


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


# -- Change between waves (rule 4) and trend across waves (rule 5) --------------------
#
# Both tests run on counts per score rather than on one value per person: the same
# statistics scipy computes on the expanded data (tests check they agree), at a cost that
# does not grow with the number of respondents. Where scipy would use an exact method
# (small samples without ties) scipy itself is called on the expanded values.


@dataclass(frozen=True)
class Distribution:
    """One measure's respondents counted per score: a row per wave, a column per score."""

    waves: list
    values: np.ndarray  # the distinct scores, ascending
    counts: np.ndarray  # shape (len(waves), len(values))


def distribution(scores: pd.DataFrame, measure: str, waves: list) -> Distribution:
    data = scores[(scores["measure"] == measure) & scores["wave"].isin(waves)]
    values, value_index = np.unique(data["score"].to_numpy(dtype=float), return_inverse=True)
    counts = np.zeros((len(waves), len(values)))
    np.add.at(
        counts, (pd.Index(waves).get_indexer(data["wave"]), value_index), data["count"].to_numpy(dtype=float)
    )
    return Distribution(list(waves), values, counts)


def mann_whitney_p(before: np.ndarray, after: np.ndarray) -> float:
    """Two-sided Mann-Whitney U p-value for two samples given as counts over the same
    ascending scores; the value scipy.stats.mannwhitneyu(after, before) gives with its
    default method on the expanded samples."""
    x, y = np.asarray(after, dtype=float), np.asarray(before, dtype=float)
    n1, n2 = int(x.sum()), int(y.sum())
    ties = x + y
    if n1 == 0 or n2 == 0 or np.count_nonzero(ties) == 1:
        return 1.0
    if (n1 <= 8 or n2 <= 8) and ties.max() <= 1:
        ranks = np.arange(len(ties), dtype=float)
        return float(
            stats.mannwhitneyu(np.repeat(ranks, x.astype(int)), np.repeat(ranks, y.astype(int))).pvalue
        )
    average_rank = np.cumsum(ties) - (ties - 1) / 2
    u1 = float(np.sum(x * average_rank) - n1 * (n1 + 1) / 2)
    u = max(u1, n1 * n2 - u1)
    n = n1 + n2
    sd = np.sqrt(n1 * n2 / 12 * ((n + 1) - np.sum(ties**3 - ties) / (n * (n - 1))))
    z = (u - n1 * n2 / 2 - 0.5) / sd
    return float(min(1.0, 2 * stats.norm.sf(z)))


def _without_one(counts: np.ndarray, which: str) -> np.ndarray:
    """The sample with one respondent at its highest or lowest score removed."""
    present = np.flatnonzero(counts)
    reduced = counts.copy()
    reduced[present[-1] if which == "max" else present[0]] -= 1
    return reduced


def _two_proportion_p(fav_a: int, n_a: int, fav_b: int, n_b: int) -> float:
    table = np.array([[fav_a, n_a - fav_a], [fav_b, n_b - fav_b]])
    if (table.sum(axis=0) == 0).any():
        return 1.0
    return float(stats.chi2_contingency(table, correction=False).pvalue)


@dataclass
class Change:
    """The change of one measure between its last two shown waves."""

    measure: str
    wave_from: object
    wave_to: object
    delta: float
    p: float
    favorable_delta: float
    favorable_p: float
    # Filled once every change shown together is known (Benjamini-Hochberg).
    q: float = 1.0
    favorable_q: float = 1.0
    significant: bool = False
    favorable_significant: bool = False
    robust: bool = True
    # p-values after removing the most influential respondent either way, for robustness.
    p_weakest: float = 1.0
    p_strongest: float = 1.0


def wave_change(scores: pd.DataFrame, measure: str, shown_waves: list, scale: Scale) -> Change | None:
    """Mann-Whitney U on respondent scores, and two proportions for favourable share,
    between the last two shown (not suppressed) waves of ``shown_waves``."""
    if len(shown_waves) < 2:
        return None
    wave_from, wave_to = shown_waves[-2], shown_waves[-1]
    counted = distribution(scores, measure, [wave_from, wave_to])
    before, after = counted.counts
    n_before, n_after = before.sum(), after.sum()
    delta = float(after @ counted.values / n_after - before @ counted.values / n_before)
    favorable = counted.values >= scale.favorable_from
    fav_before, fav_after = int(before[favorable].sum()), int(after[favorable].sum())
    # The most influential single respondent: in a rank test, removing the extreme that
    # carries the difference weakens it most; removing the opposite extreme strengthens it.
    high, low = ("max", "min") if delta >= 0 else ("min", "max")
    return Change(
        measure=measure,
        wave_from=wave_from,
        wave_to=wave_to,
        delta=delta,
        p=mann_whitney_p(before, after),
        favorable_delta=fav_after / n_after - fav_before / n_before,
        favorable_p=_two_proportion_p(fav_before, int(n_before), fav_after, int(n_after)),
        p_weakest=max(
            mann_whitney_p(before, _without_one(after, high)),
            mann_whitney_p(_without_one(before, low), after),
        ),
        p_strongest=min(
            mann_whitney_p(before, _without_one(after, low)),
            mann_whitney_p(_without_one(before, high), after),
        ),
    )


def settle_changes(changes: list[Change]) -> None:
    """Adjust every change shown at once for many comparisons, then judge each.

    The family is every score and favourable-share test in ``changes``. A change is
    significant when q < 0.05. It is robust when the verdict stays the same after removing
    the single most influential respondent, with that test's BH factor (q / p) held.
    """
    p_values = [c.p for c in changes] + [c.favorable_p for c in changes]
    q_values = benjamini_hochberg(p_values)
    for change, q, favorable_q in zip(
        changes, q_values[: len(changes)], q_values[len(changes) :], strict=True
    ):
        change.q, change.favorable_q = q, favorable_q
        change.significant = q < ALPHA
        change.favorable_significant = favorable_q < ALPHA
        factor = q / change.p if change.p > 0 else 1.0
        if change.significant:
            change.robust = change.p_weakest * factor < ALPHA
        else:
            change.robust = min(1.0, change.p_strongest * factor) >= ALPHA


@dataclass
class Trend:
    measure: str
    waves: int
    tau: float | None = None
    p: float | None = None
    slope: float | None = None
    direction: str = "not_enough_waves"
    robust: bool = True
    q: float | None = None
    p_without: float | None = None
    tau_without: float | None = None


def _tie_terms(margins: np.ndarray) -> tuple[float, float, float]:
    margins = margins[margins > 1]
    return (
        float(np.sum(margins * (margins - 1) / 2)),
        float(np.sum(margins * (margins - 1) * (margins - 2))),
        float(np.sum(margins * (margins - 1) * (2 * margins + 5))),
    )


def _pairs_below(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each cell: observations in earlier rows with a lower, and with a higher, column."""
    padded = np.zeros((table.shape[0] + 1, table.shape[1] + 1))
    padded[1:, 1:] = table.cumsum(axis=0).cumsum(axis=1)
    lower = padded[:-1, :-1]
    higher = padded[:-1, -1:] - padded[:-1, 1:]
    return lower, higher


def kendall_tau_b(table: np.ndarray) -> tuple[float, float]:
    """Kendall's tau-b and its two-sided p-value from a contingency table whose rows are
    wave order and columns score order; what scipy.stats.kendalltau gives on the
    expanded data. Without ties (where scipy may be exact) scipy is called."""
    table = np.asarray(table, dtype=float)
    n = table.sum()
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    if rows.max() <= 1 and columns.max() <= 1:
        x = np.repeat(np.arange(len(rows)), rows.astype(int))
        y = np.concatenate([np.flatnonzero(row) for row in table if row.any()])
        tau, p = stats.kendalltau(x, y)
        return (0.0, 1.0) if np.isnan(tau) else (float(tau), float(p))
    lower, higher = _pairs_below(table)
    s = float(np.sum(table * lower) - np.sum(table * higher))
    xtie, x0, x1 = _tie_terms(rows)
    ytie, y0, y1 = _tie_terms(columns)
    total = n * (n - 1) / 2
    if xtie == total or ytie == total:
        return 0.0, 1.0
    tau = float(np.clip(s / np.sqrt(total - xtie) / np.sqrt(total - ytie), -1, 1))
    m = n * (n - 1)
    var = (m * (2 * n + 5) - x1 - y1) / 18 + 2 * xtie * ytie / m + x0 * y0 / (9 * m * (n - 2))
    return tau, float(2 * stats.norm.sf(abs(s) / np.sqrt(var)))


def _most_influential_cell(table: np.ndarray, sign: int) -> tuple[int, int]:
    """The (wave, value) cell whose one respondent adds most to Kendall's S in direction
    ``sign``. An observation's share of S is the count of others below-left or above-right
    of it, minus those above-left or below-right, read off 2-D cumulative sums."""
    padded = np.zeros((table.shape[0] + 1, table.shape[1] + 1))
    padded[1:, 1:] = table.cumsum(axis=0).cumsum(axis=1)
    lower_both, earlier_higher = _pairs_below(table)
    later_lower = padded[-1:, :-1] - padded[1:, :-1]
    higher_both = padded[-1, -1] - padded[1:, -1:] - padded[-1:, 1:] + padded[1:, 1:]
    contribution = sign * (lower_both + higher_both - earlier_higher - later_lower)
    contribution = np.where(table > 0, contribution, -np.inf)
    wave, value = np.unravel_index(np.argmax(contribution), table.shape)
    return int(wave), int(value)


def wave_trend(scores: pd.DataFrame, measure: str, shown_waves: list) -> Trend:
    """Kendall's tau-b between wave order and every respondent's score, with the
    Theil-Sen slope of the wave means. Fewer than three shown waves: not enough waves.

    Improving or declining needs q < 0.05 once settled with the other trends shown.
    """
    if len(shown_waves) < 3:
        return Trend(measure, len(shown_waves))
    counted = distribution(scores, measure, shown_waves)
    table, values = counted.counts, counted.values
    tau, p = kendall_tau_b(table)
    wave_means = (table @ values) / table.sum(axis=1)
    slope = float(stats.theilslopes(wave_means, np.arange(len(shown_waves))).slope)
    trend = Trend(measure, len(shown_waves), tau, p, slope)
    # Robustness: remove the one respondent who pushes tau furthest in its own direction.
    wave_index, value_index = _most_influential_cell(table, 1 if tau >= 0 else -1)
    reduced = table.copy()
    reduced[wave_index, value_index] -= 1
    trend.tau_without, trend.p_without = kendall_tau_b(reduced)
    return trend


def settle_trends(trends: list[Trend]) -> None:
    """Correct the trends shown together for many comparisons and name each direction."""
    tested = [t for t in trends if t.p is not None]
    for trend, q in zip(tested, benjamini_hochberg([t.p for t in tested]), strict=True):
        trend.q = q
        trend.direction = _direction(trend.tau, q)
        factor = q / trend.p if trend.p > 0 else 1.0
        trend.robust = _direction(trend.tau_without, min(1.0, trend.p_without * factor)) == trend.direction


def _direction(tau: float, q: float) -> str:
    if q >= ALPHA or tau == 0:
        return "flat"
    return "improving" if tau > 0 else "declining"


# -- Themes counted by voices (rules 6 and 7) ------------------------------------------

THEME_COLUMNS = [
    "theme",
    "voices",
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


def _theme_figures(mentions: pd.DataFrame) -> tuple[int, int, int, float, str]:
    per_voice = mentions.groupby("voice").size()
    voices, total = len(per_voice), len(mentions)
    sources = mentions["source"].nunique()
    top_share = float(per_voice.max() / total) if total else 0.0
    return voices, total, sources, top_share, theme_status(voices, sources, top_share)


def theme_summary(mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per theme: voices, mentions, sources, channels, top voice's share,
    status, robustness and mean sentiment (−1..1, None without rated notes).

    Robust: the status is the same after removing the voice with the most mentions
    (ties: the first voice in sorted order). A single voice is never robust.
    """
    rows = []
    for theme, group in mentions.groupby("theme", sort=True):
        voices, total, sources, top_share, status = _theme_figures(group)
        per_voice = group.groupby("voice").size()
        top_voice = sorted(per_voice[per_voice == per_voice.max()].index, key=str)[0]
        without = group[group["voice"] != top_voice]
        robust = _theme_figures(without)[4] == status
        sentiment = pd.to_numeric(group["sentiment"], errors="coerce").dropna()
        rows.append(
            {
                "theme": theme,
                "voices": voices,
                "mentions": total,
                "sources": sources,
                "channels": sorted(group["channel"].unique()),
                "top_voice_share": top_share,
                "status": status,
                "robust": robust,
                "sentiment": float(sentiment.mean()) if len(sentiment) else None,
            }
        )
    frame = pd.DataFrame(rows, columns=THEME_COLUMNS)
    return frame.sort_values(
        ["voices", "mentions", "theme"], ascending=[False, False, True], ignore_index=True
    )
