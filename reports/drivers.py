"""What drives satisfaction: each dimension's importance against its performance.

Importance is a dimension's Johnson relative weight in explaining the survey's declared
overall question across respondents (its share of R², with a seeded bootstrap 95%
interval); performance is the dimension's published mean. Never the overall *score*:
built from the dimensions themselves, it would explain itself with R² = 1.

Shown only where the frame holds at least ten respondents per dimension; otherwise the
page says why. Dimensions whose figure is hidden (too few people) are left out.
"""

from dataclasses import dataclass, field

import numpy as np

from reports import statistics
from reports.analysis import Measure
from reports.queries import DriverFrame

RESPONDENTS_PER_DIMENSION = 10
REPLICATIONS = 1000
SEED = 20000  # Johnson (2000): any fixed number does; fixed so pages never wobble

FIX_FIRST = "fix_first"
KEEP_UP = "keep_up"
LOWER_PRIORITY = "lower_priority"
POSSIBLE_OVERKILL = "possible_overkill"
QUADRANT_WORDS = {
    FIX_FIRST: "fix first: important and weak",
    KEEP_UP: "keep up: important and strong",
    LOWER_PRIORITY: "lower priority: less important and weak",
    POSSIBLE_OVERKILL: "possible overkill: less important and strong",
}


@dataclass(frozen=True)
class Driver:
    measure: Measure
    importance: float  # share of R², 0..1
    low: float
    high: float
    mean: float
    n: int
    quadrant: str

    @property
    def quadrant_words(self) -> str:
        return QUADRANT_WORDS[self.quadrant]


@dataclass
class Drivers:
    """The drivers page: ``drivers`` by importance (largest first), or ``reason`` why
    nothing is shown."""

    wave: str | None
    overall_label: str | None
    respondents: int = 0
    needed: int = 0
    r_squared: float | None = None
    drivers: list[Driver] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    importance_cut: float | None = None
    performance_cut: float | None = None
    reason: str | None = None
    replications: int = 0
    scale: tuple[int, int] | None = None

    @property
    def fix_first(self) -> list[Driver]:
        return [d for d in self.drivers if d.quadrant == FIX_FIRST]


def quadrant(importance: float, mean: float, importance_cut: float, performance_cut: float) -> str:
    """Which quadrant a dimension falls in: importance at or above the average share and
    performance below the average mean is "fix first", and so on."""
    important = importance >= importance_cut
    strong = mean >= performance_cut
    if important:
        return KEEP_UP if strong else FIX_FIRST
    return POSSIBLE_OVERKILL if strong else LOWER_PRIORITY


def drivers(frame: DriverFrame) -> Drivers:
    """Importance (relative weights with bootstrap intervals) and performance of every
    shown dimension of the frame's wave, or the reason nothing is shown."""
    result = Drivers(
        frame.wave.label if frame.wave else None,
        frame.overall.label if frame.overall else None,
        hidden=[m.label for m in frame.hidden],
    )
    if frame.overall is None:
        result.reason = (
            "This survey has no overall question. Mark one rating question (such as “Overall, how "
            "satisfied are you with IT?”) as the overall question, outside every dimension."
        )
        return result
    if frame.wave is None:
        result.reason = "No closed wave has enough respondents published yet."
        return result
    if not frame.final:
        result.reason = (
            "This wave is still open. Importance is worked out once a wave has closed, so it never "
            "shifts with a batch of new answers (a shift that could say something about those few people)."
        )
        return result
    if not frame.overall_shown:
        result.reason = "The overall question's figure is hidden in this wave: too few people answered it."
        return result
    dimensions = frame.dimensions
    result.needed = RESPONDENTS_PER_DIMENSION * len(dimensions)
    result.respondents = len(frame.scores)
    if len(dimensions) < 2:
        result.reason = "Importance compares dimensions: at least two must be shown."
        return result
    if result.respondents < result.needed:
        result.reason = (
            f"Importance is shown only with at least {RESPONDENTS_PER_DIMENSION} respondents per "
            f"dimension ({result.needed} for {len(dimensions)} dimensions) who answered every "
            f"dimension and the overall question; this wave has {result.respondents}. With fewer, "
            "the weights mostly reflect chance."
        )
        return result
    x = frame.scores[[m.key for m in dimensions]].to_numpy(dtype=float)
    y = frame.scores[frame.overall.key].to_numpy(dtype=float)
    try:
        boot = statistics.relative_weights_bootstrap(x, y, replications=REPLICATIONS, seed=SEED)
    except ValueError:
        result.reason = (
            "Everyone gave the same answer to a dimension or to the overall question: no spread to explain."
        )
        return result
    result.r_squared = boot.estimate.r_squared
    result.replications = boot.replications
    means = [frame.performance[m.key].mean for m in dimensions]
    result.importance_cut = 1 / len(dimensions)
    result.performance_cut = float(np.mean(means))
    result.scale = (dimensions[0].scale_low, dimensions[0].scale_high)
    found = [
        Driver(
            measure=m,
            importance=share,
            low=low,
            high=high,
            mean=mean,
            n=frame.performance[m.key].n,
            quadrant=quadrant(share, mean, result.importance_cut, result.performance_cut),
        )
        for m, share, low, high, mean in zip(
            dimensions, boot.estimate.rescaled, boot.rescaled_low, boot.rescaled_high, means, strict=True
        )
    ]
    result.drivers = sorted(found, key=lambda d: (-d.importance, d.measure.label))
    return result
