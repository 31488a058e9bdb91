"""Seeded simulations of the trend and change rules on wave-level sufficient statistics.

Each wave is drawn as what the analysis sees of it: n respondents on a 1–5 scale whose
mean wanders from wave to wave (independent wave effects, SD ``wander``) around a line
(``slope`` per month); the wave's sample mean and variance are drawn from their exact
sampling distributions (normal; scaled chi-squared), so a replication costs microseconds
instead of millions of rows. Used by tests/reports/test_simulation.py (hundreds of
replications) and by ``make test-deep`` / ``python -m benchmarks.simulation`` (thousands).
"""

from dataclasses import dataclass

import numpy as np

from reports import statistics

RESPONDENT_SD = 0.9  # typical spread of respondents' scores on a 1–5 scale


@dataclass(frozen=True)
class Rates:
    replications: int
    trend: float  # share of replications with the trend's unadjusted p < 0.05
    change: float  # the same for the change between the last two waves


def simulate(
    replications: int,
    seed: int,
    slope: float = 0.0,
    wander: tuple[float, float] = (0.05, 0.20),
    waves: tuple[int, int] = (4, 8),
    respondents: tuple[int, int] = (100, 500),
    months_apart: float = 3.0,
) -> Rates:
    """Share of replications whose trend (meta-regression, Knapp–Hartung) and whose change
    between the last two waves (Welch plus 2τ̂²) have unadjusted p < 0.05."""
    rng = np.random.default_rng(seed)
    trends = changes = 0
    for _ in range(replications):
        k = int(rng.integers(waves[0], waves[1] + 1))
        tau = rng.uniform(*wander)
        months = np.arange(k) * months_apart
        n = rng.integers(respondents[0], respondents[1] + 1, size=k)
        true_means = 3.5 + slope * months + rng.normal(0, tau, k)
        means = rng.normal(true_means, RESPONDENT_SD / np.sqrt(n))
        variances = RESPONDENT_SD**2 * rng.chisquare(n - 1) / (n - 1)
        fit = statistics.meta_regression(means, variances / n, months)
        trends += fit.p is not None and fit.p < statistics.ALPHA
        change = statistics.welch_difference(
            statistics.Moments(int(n[-2]), means[-2], variances[-2]),
            statistics.Moments(int(n[-1]), means[-1], variances[-1]),
            2 * fit.tau2,
            k - 2,
        )
        changes += change.p < statistics.ALPHA
    return Rates(replications, trends / replications, changes / replications)


def main() -> None:
    """Print the false-trend and false-change rates and the power at 2,000 replications."""
    null = simulate(2000, seed=1)
    power = simulate(2000, seed=2, slope=0.05, wander=(0.10, 0.10), waves=(6, 6), respondents=(300, 300))
    three = simulate(2000, seed=3, waves=(3, 3))
    print(
        f"No trend, 4–8 waves: p < 0.05 for the trend in {null.trend:.1%}, "
        f"the last change in {null.change:.1%}"
    )
    print(f"No trend, 3 waves: p < 0.05 for the last change in {three.change:.1%}")
    print(f"0.05 a month, 6 quarterly waves of 300, wander 0.10: trend found in {power.trend:.1%}")
    for wander in (0.05, 0.10, 0.15, 0.20):
        rates = simulate(2000, seed=int(wander * 100), wander=(wander, wander))
        print(f"  wander SD {wander:.2f}: trend {rates.trend:.1%}, change {rates.change:.1%}")


if __name__ == "__main__":
    main()
