"""Charts from computed trends: SVG for pages, PNG for email. No queries here.

Matplotlib's object API only (never pyplot in server code). Colours are from the
Okabe-Ito palette, which people with the common colour-vision deficiencies can tell apart.
"""

import io
from html import escape

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

BLUE = "#0072B2"
ORANGE = "#E69F00"
GREY = "#555555"
Z95 = 1.959964  # the 95% normal quantile, for sampling intervals drawn as bars


def _literal(text: object) -> str:
    """Text matplotlib draws as typed: a `$...$` pair (a wave label, a question) would
    otherwise be read as TeX, and a stray one makes drawing fail."""
    return str(text).replace("$", r"\$")


def trend_figure(measure: dict, width: float = 6.0, height: float = 2.6) -> Figure:
    """Wave means with their 95% intervals as a band; suppressed waves are left out."""
    shown = [w for w in measure["waves"] if not w["suppressed"]]
    labels = [_literal(w["wave"]) for w in shown]
    means = [w["mean"] for w in shown]
    # A wave without an interval (n < 2, or everyone answered the same) draws no band.
    lows = [w["mean_ci"]["low"] if w["mean_ci"] else w["mean"] for w in shown]
    highs = [w["mean_ci"]["high"] if w["mean_ci"] else w["mean"] for w in shown]
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    positions = list(range(len(shown)))
    axes.fill_between(positions, lows, highs, color=BLUE, alpha=0.18, linewidth=0, label="95% interval")
    axes.plot(positions, means, color=BLUE, marker="o", linewidth=2, label="Mean")
    axes.set_ylim(measure["scale_low"], measure["scale_high"])
    axes.set_xticks(positions, labels)
    axes.set_ylabel(f"Mean ({measure['scale_low']}–{measure['scale_high']})")
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=GREY)
    figure.tight_layout()
    return figure


def _wave_words(wave: dict) -> str:
    interval = wave["mean_ci"]
    if interval is None:
        spread = f"no interval: {wave['mean_ci_missing']}"
    else:
        clipped = ", cut at the end of the scale" if interval["clipped"] else ""
        spread = f"95% interval {interval['low']:.2f} to {interval['high']:.2f}{clipped}"
    return f"{wave['wave']}: {wave['mean']:.2f} ({spread}, {wave['n']} people)"


def describe(measure: dict) -> str:
    """A sentence for screen readers: the waves and their means."""
    shown = [w for w in measure["waves"] if not w["suppressed"]]
    points = "; ".join(_wave_words(w) for w in shown)
    hidden = len(measure["waves"]) - len(shown)
    tail = f" {hidden} wave(s) with too few responses are not shown." if hidden else ""
    scale = f"{measure['scale_low']}–{measure['scale_high']}"
    return f"{measure['label']}, mean score by wave on a {scale} scale. {points}.{tail}"


def trend_svg(measure: dict) -> str:
    """The trend chart as SVG text, with a title and a description for screen readers."""
    buffer = io.StringIO()
    trend_figure(measure).savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    start = svg.index("<svg")
    end = svg.index(">", start)
    accessible = (
        svg[:end]
        + ' role="img" aria-labelledby="chart-title chart-desc">'
        + f'<title id="chart-title">{escape(measure["label"])}</title>'
        + f'<desc id="chart-desc">{escape(describe(measure))}</desc>'
    )
    return accessible + svg[end + 1 :]


def trend_png(measure: dict, width: float = 5.0, height: float = 2.2) -> bytes:
    """The trend chart as a small PNG, for email."""
    buffer = io.BytesIO()
    trend_figure(measure, width, height).savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def impact_figure(effect, width: float = 6.0, height: float = 2.6) -> Figure:
    """An action's contrast per wave (reports.impact.MeasureEffect): each wave's d_w with
    its 95% sampling interval, and the weighted levels before and after as lines."""
    waves = effect.waves
    positions = list(range(len(waves)))
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    for phase, colour, marker in (("before", GREY, "o"), ("after", BLUE, "s")):
        points = [(i, w) for i, w in zip(positions, waves, strict=True) if w.phase == phase]
        if not points:
            continue
        axes.errorbar(
            [i for i, _ in points],
            [w.difference for _, w in points],
            yerr=[Z95 * w.variance**0.5 for _, w in points],
            color=colour,
            marker=marker,
            linestyle="none",
            capsize=3,
            label=f"Waves {phase}",
        )
    result = effect.result
    if result is not None and result.before is not None:
        before = [i for i, w in enumerate(waves) if w.phase == "before"]
        after = [i for i, w in enumerate(waves) if w.phase == "after"]
        spans = (
            (before, result.before, GREY, "--", "Level before"),
            (after, result.after, ORANGE, "-", "Level after"),
        )
        for indices, level, colour, style, label in spans:
            axes.hlines(
                level,
                min(indices) - 0.3,
                max(indices) + 0.3,
                color=colour,
                linestyle=style,
                label=label,
            )
    axes.axhline(0, color="#bbbbbb", linewidth=0.8)
    axes.set_xticks(positions, [_literal(w.wave) for w in waves])
    axes.set_xlim(-0.6, len(waves) - 0.4)
    axes.set_ylabel("Contrast" if effect.comparison != "none" else f"Mean ({effect.scale})")
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=GREY)
    # Above the plot, so it never covers a wave's bar.
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize="small", frameon=False)
    figure.tight_layout()
    return figure


def impact_svg(effect, title: str, description: str) -> str:
    """The impact chart as SVG text, with a title and a description for screen readers."""
    buffer = io.StringIO()
    impact_figure(effect).savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    start = svg.index("<svg")
    end = svg.index(">", start)
    return (
        svg[:end]
        + ' role="img" aria-labelledby="chart-title chart-desc">'
        + f'<title id="chart-title">{escape(title)}</title>'
        + f'<desc id="chart-desc">{escape(description)}</desc>'
        + svg[end + 1 :]
    )
