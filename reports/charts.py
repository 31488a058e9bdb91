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
    return _accessible_svg(trend_figure(measure), measure["label"], describe(measure))


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
    return _accessible_svg(impact_figure(effect), title, description)


def _accessible_svg(figure: Figure, title: str, description: str) -> str:
    """A figure as SVG text with a title and a description for screen readers."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
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


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def gap_svg(rows: list, title: str) -> str:
    """The perception gap of each shown measure (``reports.gap.GapRow``, in the order
    given) as a dot with its 95% interval around 0: right of 0, IT rates itself better
    than users do. Hidden rows are left out."""
    shown = [row for row in rows if row.shown]
    figure = Figure(figsize=(7.0, max(1.6, 0.42 * len(shown) + 1.0)), dpi=100)
    axes = figure.add_subplot()
    positions = list(range(len(shown)))[::-1]
    for position, row in zip(positions, shown, strict=True):
        colour = ORANGE if row.blind_spot else BLUE
        if row.gap.low is not None:
            axes.plot([row.gap.low, row.gap.high], [position, position], color=colour, linewidth=2)
        axes.plot([row.gap.estimate], [position], marker="D" if row.blind_spot else "o", color=colour)
    axes.axvline(0, color=GREY, linewidth=1)
    axes.set_yticks(positions, [_literal(_short(row.measure.label)) for row in shown])
    axes.set_xlabel("Gap: IT self-view mean minus users' mean (95% interval)")
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=GREY)
    figure.tight_layout()
    words = "; ".join(
        f"{row.measure.label}: {row.gap.estimate:+.2f}"
        + (f" (95% interval {row.gap.low:+.2f} to {row.gap.high:+.2f})" if row.gap.low is not None else "")
        + (", blind spot" if row.blind_spot else "")
        for row in shown
    )
    hidden = len(rows) - len(shown)
    tail = f" {hidden} measure(s) with too few people on a side are not shown." if hidden else ""
    return _accessible_svg(figure, title, f"Gap per measure, IT self-view minus users. {words}.{tail}")


def drivers_svg(result, title: str) -> str:
    """Importance (share of R², x) against performance (mean, y) of each dimension
    (``reports.drivers.Drivers``), split into four labelled quadrants at the average
    importance and the average mean."""
    from reports.drivers import QUADRANT_WORDS

    figure = Figure(figsize=(7.0, 4.6), dpi=100)
    axes = figure.add_subplot()
    means = [d.mean for d in result.drivers]
    for driver in result.drivers:
        x, y = 100 * driver.importance, driver.mean
        axes.plot([100 * driver.low, 100 * driver.high], [y, y], color=GREY, linewidth=1, alpha=0.6)
        axes.plot([x], [y], marker="o", color=ORANGE if driver.quadrant == "fix_first" else BLUE)
        label = _literal(_short(driver.measure.label, 28))
        axes.annotate(label, (x, y), textcoords="offset points", xytext=(6, 5), fontsize=8)
    x_cut, y_cut = 100 * result.importance_cut, result.performance_cut
    axes.axvline(x_cut, color=GREY, linewidth=1, linestyle="--")
    axes.axhline(y_cut, color=GREY, linewidth=1, linestyle="--")
    x_high = max(max(100 * d.high for d in result.drivers), x_cut * 2) * 1.08
    spread = max(max(means) - min(means), 0.2)
    y_low, y_high = min(means) - spread * 0.6, max(means) + spread * 0.6
    axes.set_xlim(0, x_high)
    axes.set_ylim(y_low, y_high)
    corners = {
        "fix_first": (x_high * 0.98, y_low, "right", "bottom"),
        "keep_up": (x_high * 0.98, y_high, "right", "top"),
        "lower_priority": (x_high * 0.02, y_low, "left", "bottom"),
        "possible_overkill": (x_high * 0.02, y_high, "left", "top"),
    }
    for key, (x, y, horizontal, vertical) in corners.items():
        words = QUADRANT_WORDS[key].replace(": ", ":\n")  # two short lines stay clear of the axes
        axes.text(x, y, words, ha=horizontal, va=vertical, fontsize=8, color=GREY, style="italic")
    axes.set_xlabel("Importance: share of the overall question explained (%, 95% interval)")
    low, high = result.scale
    axes.set_ylabel(f"Mean score ({low}–{high})")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=GREY)
    figure.tight_layout()
    words = "; ".join(
        f"{d.measure.label}: importance {100 * d.importance:.0f}%, mean {d.mean:.2f}, {d.quadrant_words}"
        for d in result.drivers
    )
    return _accessible_svg(figure, title, f"Importance against mean score per dimension. {words}.")
