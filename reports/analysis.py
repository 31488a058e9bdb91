"""Turning voices into trends: pure pandas and scipy, no Django.

Every function here takes plain frames or numbers and returns frames, dataclasses or
numbers, so the rules of DESIGN.md ("Analysis rules") are tested without a database.
The frames used throughout:

answers      one row per stored answer: ``wave, respondent, response, submitted,
             question, dimension, reverse, low, high, value`` (``dimension`` may be "").
scores       respondent scores counted by value: ``measure, wave, score, count`` where
             ``count`` is how many distinct respondents have that score. A respondent-level
             frame is the special case ``count == 1``; the database hands over this
             compact form after collapsing to one row per respondent in SQL.
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
    """Wilson 95% interval of a proportion (scipy's binomtest)."""
    interval = stats.binomtest(int(successes), int(n)).proportion_ci(CONFIDENCE, method="wilson")
    return float(interval.low), float(interval.high)


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


def latest_responses(answers: pd.DataFrame) -> pd.DataFrame:
    """Keep only each respondent's latest response inside each wave."""
    if answers.empty:
        return answers
    latest = (
        answers[["wave", "respondent", "submitted", "response"]]
        .drop_duplicates()
        .sort_values(["wave", "respondent", "submitted", "response"])
        .drop_duplicates(["wave", "respondent"], keep="last")["response"]
    )
    return answers[answers["response"].isin(latest)]


def scale_label(low: int, high: int) -> str:
    return f"{int(low)}-{int(high)}"


def respondent_scores(answers: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent, wave and measure: ``measure, wave, respondent, score``.

    Measures are ``question:<id>`` (the answer) and ``dimension:<name>`` (the mean of the
    respondent's items in that dimension). Reverse-scored items are flipped as
    low + high − value in both, so a higher score is always better.
    """
    columns = ["measure", "wave", "respondent", "score"]
    answers = latest_responses(answers)
    if answers.empty:
        return pd.DataFrame(columns=columns)
    flipped = answers["value"].where(
        ~answers["reverse"].astype(bool), answers["low"] + answers["high"] - answers["value"]
    )
    answers = answers.assign(score=flipped)
    questions = answers.assign(measure="question:" + answers["question"].astype(str))
    rated = answers[answers["dimension"] != ""]
    dimensions = (
        rated.assign(measure="dimension:" + rated["dimension"])
        .groupby(["measure", "wave", "respondent"], as_index=False)["score"]
        .mean()
    )
    frame = pd.concat([questions[columns], dimensions[columns]], ignore_index=True)
    return frame.sort_values(columns, ignore_index=True)


def count_scores(respondents: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Respondent-level scores to the compact ``measure, wave, score, count`` form."""
    keys = [*by, "measure", "wave", "score"]
    return respondents.groupby(keys, as_index=False).size().rename(columns={"size": "count"})


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


def _expand(group: pd.DataFrame) -> np.ndarray:
    return np.repeat(group["score"].to_numpy(dtype=float), group["count"].to_numpy(dtype=int))


def _remove_one(values: np.ndarray, which: str) -> np.ndarray:
    index = int(np.argmax(values) if which == "max" else np.argmin(values))
    return np.delete(values, index)


def _mann_whitney_p(before: np.ndarray, after: np.ndarray) -> float:
    if len(before) == 0 or len(after) == 0 or (np.ptp(np.concatenate([before, after])) == 0):
        return 1.0
    return float(stats.mannwhitneyu(after, before).pvalue)


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
    data = scores[scores["measure"] == measure]
    before = _expand(data[data["wave"] == wave_from])
    after = _expand(data[data["wave"] == wave_to])
    delta = float(after.mean() - before.mean())
    threshold = scale.favorable_from
    fav_before, fav_after = int((before >= threshold).sum()), int((after >= threshold).sum())
    # The most influential single respondent: removing the extreme that carries the
    # difference weakens it most; removing the opposite extreme strengthens it most.
    up = delta >= 0
    weakening = [
        (_remove_one(after, "max" if up else "min"), before),
        (after, _remove_one(before, "min" if up else "max")),
    ]
    strengthening = [
        (_remove_one(after, "min" if up else "max"), before),
        (after, _remove_one(before, "max" if up else "min")),
    ]
    return Change(
        measure=measure,
        wave_from=wave_from,
        wave_to=wave_to,
        delta=delta,
        p=_mann_whitney_p(before, after),
        favorable_delta=fav_after / len(after) - fav_before / len(before),
        favorable_p=_two_proportion_p(fav_before, len(before), fav_after, len(after)),
        p_weakest=max(_mann_whitney_p(b, a) for a, b in weakening),
        p_strongest=min(_mann_whitney_p(b, a) for a, b in strengthening),
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


def _most_influential_cell(table: np.ndarray, sign: int) -> tuple[int, int]:
    """The (wave, value) cell whose one respondent adds most to Kendall's S in direction
    ``sign``. An observation's share of S is the count of others below-left or above-right
    of it, minus those above-left or below-right, read off 2-D cumulative sums."""
    padded = np.zeros((table.shape[0] + 1, table.shape[1] + 1))
    padded[1:, 1:] = table.cumsum(axis=0).cumsum(axis=1)
    total = padded[-1, -1]
    lower_both = padded[:-1, :-1]
    earlier_higher = padded[:-1, -1:] - padded[:-1, 1:]
    later_lower = padded[-1:, :-1] - padded[1:, :-1]
    higher_both = total - padded[1:, -1:] - padded[-1:, 1:] + padded[1:, 1:]
    contribution = sign * (lower_both + higher_both - earlier_higher - later_lower)
    contribution = np.where(table > 0, contribution, -np.inf)
    wave, value = np.unravel_index(np.argmax(contribution), table.shape)
    return int(wave), int(value)


def wave_trend(scores: pd.DataFrame, measure: str, shown_waves: list) -> Trend:
    """Kendall's tau-b between wave order and every respondent's score, with the
    Theil-Sen slope of the wave means. Fewer than three shown waves: not enough waves.

    Improving or declining needs p < 0.05 (q once settled with the others).
    """
    if len(shown_waves) < 3:
        return Trend(measure, len(shown_waves))
    data = scores[(scores["measure"] == measure) & scores["wave"].isin(shown_waves)]
    order = {wave: i for i, wave in enumerate(shown_waves)}
    x = np.repeat(data["wave"].map(order).to_numpy(), data["count"].to_numpy(dtype=int))
    y = _expand(data)
    tau, p = stats.kendalltau(x, y)
    tau, p = (0.0, 1.0) if np.isnan(tau) else (float(tau), float(p))
    means = data.assign(total=data["score"] * data["count"]).groupby("wave")[["total", "count"]].sum()
    wave_means = (means["total"] / means["count"]).reindex(shown_waves).to_numpy()
    slope = float(stats.theilslopes(wave_means, np.arange(len(shown_waves))).slope)
    trend = Trend(measure, len(shown_waves), tau, p, slope)
    # Robustness: remove the one respondent who pushes tau furthest in its own direction.
    values = np.unique(y)
    table = np.zeros((len(shown_waves), len(values)))
    np.add.at(table, (x, np.searchsorted(values, y)), 1)
    wave_index, value_index = _most_influential_cell(table, 1 if tau >= 0 else -1)
    drop = np.flatnonzero((x == wave_index) & (y == values[value_index]))[0]
    tau_without, p_without = stats.kendalltau(np.delete(x, drop), np.delete(y, drop))
    trend.tau_without = 0.0 if np.isnan(tau_without) else float(tau_without)
    trend.p_without = 1.0 if np.isnan(p_without) else float(p_without)
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
