"""Did our change move perception? The measured effect of a done action (DESIGN idea 8).

An action names the measures it should move (dimensions, questions) and, optionally, the
departments it concerns. For each targeted measure and each wave, the *contrast* d_w is
the targeted group's mean minus a comparison's mean, with its sampling variance v_w (the
two groups' s²/n added):

- **departments**: the action concerns some departments; the comparison is the other
  departments, on the same measure. Only shown cells count (reports.disclosure), never
  hidden ones and never "no department".
- **dimensions**: the action concerns everyone; the comparison is the dimensions it did
  not target (on the same scale), in the same people: each person's targeted score
  minus the mean of their untargeted dimension scores.
- **none**: nothing untargeted to compare with. d_w is the targeted mean itself, a plain
  before/after, and the page says in words that anything else that changed at the same
  time is in the figure too.

Waves before are those that closed by the done date; with a lag of L waves, the waves
after are those opening after the done date, less the first L − 1 of them (L = 0 also
counts a wave open on the done date). The effect is the difference in differences: the
weighted mean of d_w after minus before, each wave weighted 1/(v_w + τ̂²), where τ̂² is
the wave-to-wave wander of the d_w series itself (REML around the two levels;
``reports.statistics.difference_in_differences``), with a Knapp–Hartung 95% interval
on waves − 2 degrees of freedom. We estimate the wander from the contrast, not from the
targeted measure's own trend, because the contrast is what is tested: a comparison that
moves with the targeted group takes shared wander out of it. Within one action its
targets are one family for Benjamini-Hochberg; a change is called only when q < 0.05
and the interval excludes 0, as everywhere else.

Only published figures feed it: the published snapshot rows of shown totals and shown
cells, each with at least k people (DESIGN rule 3). Voices are the people behind each
side, counted per wave: respondents of an anonymous survey cannot be linked across
waves, so one person answering two waves counts twice.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from reports.analysis import Measure
from reports.statistics import DifferenceInDifferences, benjamini_hochberg, difference_in_differences

BEFORE, AFTER, SKIPPED = "before", "after", "skipped"
DEPARTMENTS, DIMENSIONS, NONE = "departments", "dimensions", "none"
MOVED_UP, MOVED_DOWN, NO_CLEAR_CHANGE = "moved_up", "moved_down", "no_clear_change"
NOT_ENOUGH_WAVES, NO_LATER_WAVE = "not_enough_waves", "no_later_wave"

VERDICT_WORDS = {
    MOVED_UP: "moved up",
    MOVED_DOWN: "moved down",
    NO_CLEAR_CHANGE: "no clear change",
    NOT_ENOUGH_WAVES: "not enough waves yet",
    NO_LATER_WAVE: "no later wave yet",
}
COMPARISON_WORDS = {
    DEPARTMENTS: "other departments",
    DIMENSIONS: "untargeted dimensions, same people",
    NONE: "none (plain before and after)",
}
CAVEATS = {
    DEPARTMENTS: "Compared with the departments it did not concern (shown figures only): "
    "a change that reached them too would make this figure smaller.",
    DIMENSIONS: "Compared with the dimensions it did not target, in the same people: "
    "a change that lifted every dimension alike would not show here.",
    NONE: "Nothing untargeted to compare with, so this is a plain before and after: "
    "anything else that changed at the same time is in this figure too.",
}


@dataclass(frozen=True)
class WaveSpan:
    label: str
    opens: datetime
    closes: datetime


def wave_phases(waves: list[WaveSpan], done_on: date, lag: int) -> dict[str, str]:
    """Each wave's phase around a change done on ``done_on``: before, after or skipped.

    Before: closed on or before the done day. Lag 0: every other wave is after. Lag L ≥ 1:
    a wave open on the done day is skipped, and so are the first L − 1 waves opening
    after it."""
    phases, later = {}, 0
    for wave in sorted(waves, key=lambda w: w.opens):
        if wave.closes.date() <= done_on:
            phases[wave.label] = BEFORE
        elif lag == 0:
            phases[wave.label] = AFTER
        elif wave.opens.date() <= done_on:
            phases[wave.label] = SKIPPED
        else:
            later += 1
            phases[wave.label] = AFTER if later >= lag else SKIPPED
    return phases


@dataclass(frozen=True)
class WaveContrast:
    """One wave's contrast: the targeted group's and the comparison's n and mean, d_w
    (targeted − comparison; the targeted mean itself without a comparison) and v_w."""

    wave: str
    phase: str
    targeted_n: int
    targeted_mean: float
    comparison_n: int | None
    comparison_mean: float | None
    difference: float
    variance: float

    @property
    def margin(self) -> float:
        """Half the width of d_w's 95% sampling interval (normal)."""
        return 1.959964 * self.variance**0.5


def _moments(scores: pd.Series) -> tuple[int, float, float]:
    n = len(scores)
    return n, float(scores.mean()), float(scores.var(ddof=1)) if n > 1 else 0.0


def contrasts(
    scores: pd.DataFrame,
    shown: dict,
    measure: str,
    phases: dict[str, str],
    comparison: str,
    departments: frozenset[str] = frozenset(),
    comparison_measures: tuple[str, ...] = (),
) -> list[WaveContrast]:
    """The per-wave contrasts of one targeted measure, in wave order (``phases``' order).

    ``scores`` has ``response, wave, department, measure, score`` (published rows);
    ``shown`` maps (wave, measure) to what is shown (``ShownCells``: ``total``,
    ``hidden`` department names). A wave whose figures are not all shown has no contrast.
    """
    rows = []
    for wave, phase in phases.items():
        cells = shown.get((wave, measure))
        if cells is None or not cells.total:
            continue
        here = scores[(scores["wave"] == wave) & (scores["measure"] == measure)]
        if comparison == DEPARTMENTS:
            here = here[~here["department"].isin(cells.hidden)]
            inside = here["department"].isin(departments)
            targeted, other = here.loc[inside, "score"], here.loc[~inside, "score"]
            if targeted.empty or other.empty:
                continue
            (nt, mt, vt), (nc, mc, vc) = _moments(targeted), _moments(other)
            rows.append(WaveContrast(wave, phase, nt, mt, nc, mc, mt - mc, vt / nt + vc / nc))
        elif comparison == DIMENSIONS:
            if not all(getattr(shown.get((wave, m)), "total", False) for m in comparison_measures):
                continue
            wide = (
                scores[(scores["wave"] == wave) & scores["measure"].isin((measure, *comparison_measures))]
                .pivot_table(index="response", columns="measure", values="score")
                .dropna()
            )
            if wide.empty or measure not in wide:
                continue
            others = wide[list(comparison_measures)].mean(axis=1)
            n, _, variance = _moments(wide[measure] - others)
            mt, mc = float(wide[measure].mean()), float(others.mean())
            rows.append(WaveContrast(wave, phase, n, mt, n, mc, mt - mc, variance / n))
        else:
            if departments:
                here = here[here["department"].isin(departments - cells.hidden)]
            if here.empty:
                continue
            n, mean, variance = _moments(here["score"])
            rows.append(WaveContrast(wave, phase, n, mean, None, None, mean, variance / n))
    return rows


@dataclass
class MeasureEffect:
    """The measured effect of an action on one targeted measure."""

    measure: str
    label: str
    scale: str
    comparison: str
    caveat: str
    waves: list[WaveContrast]
    result: DifferenceInDifferences | None
    q: float | None = None
    verdict: str = NOT_ENOUGH_WAVES

    def voices(self, phase: str, side: str = "targeted") -> int:
        """People behind one side, summed over the waves of one phase."""
        return sum(getattr(w, f"{side}_n") or 0 for w in self.waves if w.phase == phase)

    @property
    def voices_before(self) -> int:
        return self.voices(BEFORE)

    @property
    def voices_after(self) -> int:
        return self.voices(AFTER)

    @property
    def comparison_voices_before(self) -> int:
        return self.voices(BEFORE, "comparison")

    @property
    def comparison_voices_after(self) -> int:
        return self.voices(AFTER, "comparison")

    @property
    def in_words(self) -> str:
        return effect_in_words(self)

    @property
    def wander(self) -> float | None:
        """τ̂, the wave-to-wave wander of the contrast (standard deviation)."""
        tau2 = self.result.tau2 if self.result is not None else None
        return None if tau2 is None else tau2**0.5

    @property
    def verdict_words(self) -> str:
        return VERDICT_WORDS[self.verdict]

    @property
    def comparison_words(self) -> str:
        return COMPARISON_WORDS[self.comparison]

    @property
    def called(self) -> bool:
        return self.verdict in (MOVED_UP, MOVED_DOWN)


def choose_comparison(
    measure: Measure,
    targets: list[str],
    departments: frozenset[str],
    measures: list[Measure],
    item_dimensions: dict[str, str],
    scores: pd.DataFrame,
    shown: dict,
) -> tuple[str, tuple[str, ...]]:
    """Which comparison an effect uses (see the module docstring) and, for dimensions,
    the untargeted dimensions on the targeted measure's scale."""
    if departments:
        for (wave, key), cells in shown.items():
            if key != measure.key or not cells.total:
                continue
            present = set(scores.loc[(scores["wave"] == wave) & (scores["measure"] == key), "department"])
            if present - cells.hidden - departments:
                return DEPARTMENTS, ()
        return NONE, ()
    excluded = set(targets) | {item_dimensions.get(t, "") for t in targets}
    if measure.kind == "overall":
        return NONE, ()
    others = tuple(
        m.key
        for m in measures
        if m.kind == "dimension"
        and m.key not in excluded
        and (m.scale_low, m.scale_high) == (measure.scale_low, measure.scale_high)
    )
    return (DIMENSIONS, others) if others else (NONE, ())


def measure_effects(
    targets: list[str],
    departments: frozenset[str],
    phases: dict[str, str],
    measures: list[Measure],
    item_dimensions: dict[str, str],
    scores: pd.DataFrame,
    shown: dict,
) -> list[MeasureEffect]:
    """The effect on each targeted measure the survey has, settled as one family."""
    by_key = {m.key: m for m in measures}
    effects = []
    for key in targets:
        measure = by_key.get(key)
        if measure is None:
            continue
        comparison, others = choose_comparison(
            measure, targets, departments, measures, item_dimensions, scores, shown
        )
        rows = [
            w
            for w in contrasts(scores, shown, key, phases, comparison, departments, others)
            if w.phase != SKIPPED
        ]
        result = None
        if rows:
            result = difference_in_differences(
                [w.difference for w in rows], [w.variance for w in rows], [w.phase == AFTER for w in rows]
            )
        scale = f"{measure.scale_low}–{measure.scale_high}"
        effects.append(
            MeasureEffect(key, measure.label, scale, comparison, CAVEATS[comparison], rows, result)
        )
    settle(effects)
    return effects


def settle(effects: list[MeasureEffect]) -> None:
    """Benjamini-Hochberg over one action's targets, then each effect's verdict."""
    tested = [e for e in effects if e.result is not None and e.result.p is not None]
    for effect, q in zip(tested, benjamini_hochberg([e.result.p for e in tested]), strict=True):
        effect.q = q
    for effect in effects:
        result = effect.result
        if not any(w.phase == AFTER for w in effect.waves):
            effect.verdict = NO_LATER_WAVE
        elif result is None or result.waves_before == 0 or result.low is None:
            effect.verdict = NOT_ENOUGH_WAVES
        elif effect.q is not None and effect.q < 0.05 and (result.low > 0 or result.high < 0):
            effect.verdict = MOVED_UP if result.estimate > 0 else MOVED_DOWN
        else:
            effect.verdict = NO_CLEAR_CHANGE


@dataclass(frozen=True)
class ThemeVoices:
    theme: str
    before: int
    after: int


def theme_voices(mentions_before: pd.DataFrame, mentions_after: pd.DataFrame, themes: list[str]):
    """Distinct voices raising each theme in the waves before and after (DESIGN rule 6)."""

    def count(mentions: pd.DataFrame, theme: str) -> int:
        if mentions.empty:
            return 0
        return int(mentions.loc[mentions["theme"] == theme, "voice"].nunique())

    return [ThemeVoices(t, count(mentions_before, t), count(mentions_after, t)) for t in sorted(themes)]


@dataclass
class ActionImpact:
    """One done action and what the waves around it show."""

    action: object  # conversations.models.Action, read through reports.queries
    lag: int
    phases: dict[str, str]
    effects: list[MeasureEffect] = field(default_factory=list)
    themes: list[ThemeVoices] = field(default_factory=list)
    closes: dict[str, date] = field(default_factory=dict)  # wave label -> closing day

    def waves(self, phase: str) -> list[str]:
        return [wave for wave, p in self.phases.items() if p == phase]

    @property
    def waves_before(self) -> list[str]:
        return self.waves(BEFORE)

    @property
    def waves_after(self) -> list[str]:
        return self.waves(AFTER)

    @property
    def waves_skipped(self) -> list[str]:
        return self.waves(SKIPPED)

    @property
    def shows_change(self) -> str:
        """Whether a later wave shows the change: "yes", "no", "not yet", or "nothing
        linked" when the action names no measure the survey has."""
        if not self.effects:
            return "nothing linked"
        if any(e.called for e in self.effects):
            return "yes"
        if all(e.verdict in (NO_LATER_WAVE, NOT_ENOUGH_WAVES) for e in self.effects):
            return "not yet"
        return "no"


def wave_spans(waves) -> list[WaveSpan]:
    return [WaveSpan(w.label, w.opens, w.closes) for w in waves]


def _signed(value: float, digits: int) -> str:
    """+0.41, −0.11 (a true minus sign), 0.00."""
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def effect_in_words(effect: MeasureEffect, digits: int = 2) -> str:
    """One line a reader can repeat: "Responsiveness: moved up, +0.41 (95% interval +0.25
    to +0.56)"."""
    result = effect.result
    if effect.verdict == NO_LATER_WAVE:
        return f"{effect.label}: no later wave yet"
    if result is None or result.estimate is None:
        return f"{effect.label}: not enough waves yet"
    figure = _signed(result.estimate, digits)
    if result.low is None:
        return f"{effect.label}: {figure}, not enough waves yet for an interval"
    return (
        f"{effect.label}: {effect.verdict_words}, {figure} "
        f"(95% interval {_signed(result.low, digits)} to {_signed(result.high, digits)})"
    )


DEFAULT_LAG = 1


def action_impacts(survey, actions=None, until: date | None = None) -> list[ActionImpact]:
    """Every done action's measured effect on one survey's published figures, most
    recent first (``actions``: done actions, read through reports.queries by default;
    ``until``: only waves that opened by then, for a report on a past month)."""
    from reports import queries

    data = queries.impact_data(survey)
    spans = [w for w in wave_spans(data.waves) if until is None or w.opens.date() <= until]
    by_label = {w.label: w for w in data.waves}
    impacts = []
    for action in queries.done_actions() if actions is None else actions:
        if until is not None and action.done_on > until:
            continue
        lag = action.lag_waves if action.lag_waves is not None else DEFAULT_LAG
        phases = wave_phases(spans, action.done_on, lag)
        departments = frozenset(d.name for d in action.departments.all())
        effects = measure_effects(
            list(action.targets or []),
            departments,
            phases,
            data.measures,
            data.item_dimensions,
            data.scores,
            data.shown,
        )
        themes = [t.name for t in action.themes.all()]
        voices = []
        if themes:
            before = [by_label[w] for w, p in phases.items() if p == BEFORE]
            after = [by_label[w] for w, p in phases.items() if p == AFTER]
            voices = theme_voices(
                queries.theme_mentions_within(survey, before),
                queries.theme_mentions_within(survey, after),
                themes,
            )
        closes = {w.label: w.closes.date() for w in spans}
        impacts.append(ActionImpact(action, lag, phases, effects, voices, closes))
    return impacts


def _short(effect: MeasureEffect) -> str:
    """ "Responsiveness up 0.41 on 1–5", "Reliability: no clear change yet"."""
    if effect.called:
        way = "up" if effect.verdict == MOVED_UP else "down"
        return f"{effect.label} {way} {abs(effect.result.estimate):.2f} on {effect.scale}"
    return f"{effect.label}: no clear change yet"


def measured_in_month(survey, start: date, end: date) -> list[str]:
    """For the monthly report's "what we changed": each done action that a survey wave
    closing within the month measured, with its effect in a few words, measured or not
    ("Title (Responsiveness up 0.41 on 1–5)")."""
    lines = []
    for found in action_impacts(survey, until=end):
        measured = [e for e in found.effects if e.result is not None and e.result.estimate is not None]
        closed_now = [
            w
            for e in measured
            for w in e.waves
            if w.phase == AFTER and start <= found.closes.get(w.wave, date.max) <= end
        ]
        if measured and closed_now:
            lines.append(f"{found.action.title} ({'; '.join(_short(e) for e in measured)})")
    return lines
