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


def _scale_bounds(scale: str) -> tuple[float, float]:
    low, high = scale.split("-")
    return float(low), float(high)


def trend_figure(measure: dict, width: float = 6.0, height: float = 2.6) -> Figure:
    """Wave means with their 95% intervals as a band; suppressed waves are left out."""
    shown = [w for w in measure["waves"] if not w["suppressed"]]
    labels = [w["wave"] for w in shown]
    means = [w["mean"] for w in shown]
    lows = [w["mean_ci"][0] for w in shown]
    highs = [w["mean_ci"][1] for w in shown]
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    positions = list(range(len(shown)))
    axes.fill_between(positions, lows, highs, color=BLUE, alpha=0.18, linewidth=0, label="95% interval")
    axes.plot(positions, means, color=BLUE, marker="o", linewidth=2, label="Mean")
    low, high = _scale_bounds(measure["scale"])
    axes.set_ylim(low, high)
    axes.set_xticks(positions, labels)
    axes.set_ylabel(f"Mean ({measure['scale']})")
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=GREY)
    figure.tight_layout()
    return figure


def describe(measure: dict) -> str:
    """A sentence for screen readers: the waves and their means."""
    shown = [w for w in measure["waves"] if not w["suppressed"]]
    points = "; ".join(
        f"{w['wave']}: {w['mean']:.2f} (95% interval {w['mean_ci'][0]:.2f} "
        f"to {w['mean_ci'][1]:.2f}, {w['n']} people)"
        for w in shown
    )
    hidden = len(measure["waves"]) - len(shown)
    tail = f" {hidden} wave(s) with too few responses are not shown." if hidden else ""
    return f"{measure['label']}, mean score by wave on a {measure['scale']} scale. {points}.{tail}"


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
