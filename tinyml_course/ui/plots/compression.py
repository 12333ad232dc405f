"""Figures of the compression lecture: weight histograms and before/after bars (pure functions).

Both functions take data and return a ``matplotlib.figure.Figure`` (built with ``Figure()``, not
pyplot). Given ``fig=`` a figure they made before, they redraw it in place instead: the bars get
new heights and labels, the histogram new counts over the bins fixed when it was built, the titles
new text. Margins are fixed (no ``tight_layout``), so a dashboard's redraw is an artist update plus
one Agg render. ``stakes_figure`` (static) compares several versions of one model against a
device's limits. Accuracies are measured on held-out examples, so both draw them with error bars
of ``stats.ERROR_BAR_SE`` standard errors (``examples``: how many) and the chance line.
"""

import numpy as np
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ...model.units import KIB
from ...stats import ERROR_BAR_SE, standard_error
from .png import encode_png
from .style import WIDE, projector

BARS_FIGSIZE = (5.9, 3.2)  # inches: the dashboard shows bars and histogram side by side,
HIST_FIGSIZE = (5.9, 3.2)  # 1180 px together, on one slide with the controls and readout
TEXT_PT = 10  # every text of the dashboard's two figures: readable from the back of the room
BEFORE_COLOR, AFTER_COLOR, LIMIT_COLOR = "tab:blue", "tab:orange", "red"
ERROR_COLOR, CHANCE_COLOR = "black", "gray"
ACCURACY_TITLE = f"accuracy (%), +- {ERROR_BAR_SE} SE"
_BARS = "_tinyml_compression_bars"  # attribute of a figure made by compression_bars
_HIST = "_tinyml_weight_histogram"  # attribute of a figure made by weight_histogram


def all_weights(weights):
    """Every weight (not bias) of a {op name: (weight, bias)} dict as one flat float array."""
    return np.concatenate([np.ravel(w) for w, _ in weights.values()])


def _artists(fig, attribute, maker):
    a = getattr(fig, attribute, None)
    if a is None:
        raise ValueError(f"not a figure made by {maker}")
    return a


def histogram_artists(fig):
    """What ``weight_histogram`` updates: dict with axes, steps (StepPatch per panel), edges and
    dynamic (the artists an update changes, with the spines drawn over them)."""
    return _artists(fig, _HIST, "weight_histogram")


def bars_artists(fig):
    """What ``compression_bars`` updates: dict with axes, bars (before/after Rectangles per panel),
    labels (their value texts), limits (the device lines, None on the accuracy panel), errors
    (the accuracy panel's before/after error bars, Line2D from p - 2 SE to p + 2 SE in %), chance
    (its chance line, or None) and dynamic (the artists an update changes, with the spines drawn
    over them)."""
    return _artists(fig, _BARS, "compression_bars")


def _hist_title(name, values):
    return f"{name}\n{np.unique(values).size} distinct values, {(values == 0).mean():.0%} zeros"


def _counts(values, edges):
    """Counts of ``values`` over ``edges`` (equally spaced, from np.linspace); values outside them
    count in the outer bins. Given the bin count and range, np.histogram computes each bin index
    in O(n) over the same linspace edges, instead of a search among the edges."""
    clipped = np.clip(values, edges[0], edges[-1])
    return np.histogram(clipped, bins=len(edges) - 1, range=(edges[0], edges[-1]))[0]


def weight_histogram(before, after, label_after="after", bins=121, fig=None):
    """Histogram of all weights before and after compression (zeros of pruning show as one spike).

    before/after: {op name: (weight, bias)}; bins: number of bin edges over the range of both.
    With ``fig`` (one made here) only the 'after' panel is redrawn, over that figure's bins.
    """
    b = all_weights(after)
    if fig is not None and getattr(fig, _HIST, None) is not None:
        a = histogram_artists(fig)
        a["steps"][1].set_data(values=_counts(b, a["edges"]))
        a["axes"][1].set_title(_hist_title(label_after, b), fontsize=TEXT_PT)
        return fig
    w = all_weights(before)
    edges = np.linspace(min(w.min(), b.min()), max(w.max(), b.max()), bins)
    fig = Figure(figsize=HIST_FIGSIZE)
    fig.subplots_adjust(left=0.13, right=0.99, bottom=0.17, top=0.8, wspace=0.06)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    steps = []
    for ax, values, title, color in ((axes[0], w, "float32 (trained)", BEFORE_COLOR),
                                     (axes[1], b, label_after, AFTER_COLOR)):
        steps.append(ax.stairs(_counts(values, edges), edges, fill=True, color=color, baseline=0))
        ax.set_title(_hist_title(title, values), fontsize=TEXT_PT)
        ax.set_xlabel("weight value", fontsize=TEXT_PT)
        ax.set_yscale("log")
        ax.tick_params(labelsize=TEXT_PT)
    axes[0].set_xlim(edges[0], edges[-1])
    top = 2 * max(w.size, b.size)  # fixed y range: every count fits, 1 is visible
    axes[0].set_ylim(0.7, top)
    # plain decade labels (1, 10, 100, ...), no minor ticks: no mathtext to lay out at each render
    axes[0].yaxis.set_major_locator(ticker.FixedLocator(10.0 ** np.arange(int(np.log10(top)) + 1)))
    axes[0].yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:.0f}"))
    axes[0].yaxis.set_minor_locator(ticker.NullLocator())
    axes[0].set_ylabel("count (log)", fontsize=TEXT_PT)
    dynamic = [steps[1], axes[1].title, *axes[1].spines.values()]
    setattr(fig, _HIST, dict(axes=axes, steps=steps, edges=edges, dynamic=dynamic))
    return fig


PENDING = "measuring..."  # the label of an accuracy not measured yet


def _percent(accuracy):
    return None if accuracy is None else 100 * accuracy


def _error_pct(accuracy, examples):
    """ERROR_BAR_SE standard errors of an accuracy (0..1, or None: 0) in percentage points."""
    return 0.0 if accuracy is None else 100 * ERROR_BAR_SE * standard_error(accuracy, examples)


def _bar_rows(before, after, device_sram_bytes, device_flash_bytes):
    return [(ACCURACY_TITLE, _percent(before["accuracy"]), _percent(after["accuracy"]), None),
            ("Flash (KiB)", before["flash_bytes"] / KIB, after["flash_bytes"] / KIB,
             device_flash_bytes / KIB),
            ("peak SRAM (KiB)", before["peak_sram_bytes"] / KIB, after["peak_sram_bytes"] / KIB,
             device_sram_bytes / KIB)]


def compression_bars(before, after, device_sram_bytes, device_flash_bytes, fig=None, *,
                     examples, chance=None):
    """Accuracy (%), Flash (KiB) and peak SRAM (KiB) before vs after, device limits as lines.

    before/after: dicts with 'accuracy' (0..1, or None while it is being measured: an empty bar
    labelled PENDING, no error bar), 'flash_bytes', 'peak_sram_bytes'. examples: the held-out
    examples each accuracy was measured on (its error bar: ERROR_BAR_SE standard errors);
    chance: 1 / classes, a dotted line on the accuracy panel (fixed when the figure is built).
    A device line shows when it is in view (below 4x the larger bar). With ``fig`` (one made
    here) the bars, labels, error bars, lines and y ranges are updated in place.
    """
    if fig is None or getattr(fig, _BARS, None) is None:
        fig = Figure(figsize=BARS_FIGSIZE)
        fig.subplots_adjust(left=0.08, right=0.99, bottom=0.12, top=0.85, wspace=0.35)
        axes = fig.subplots(1, 3)
        bars, labels, limits = [], [], []
        for i, ax in enumerate(axes):
            pair = ax.bar(["before", "after"], [0, 0], color=[BEFORE_COLOR, AFTER_COLOR])
            bars.append(list(pair))
            labels.append([ax.annotate("", (x, 0), xytext=(0, 2), textcoords="offset points",
                                       ha="center", va="bottom", fontsize=TEXT_PT) for x in (0, 1)])
            limits.append(None if i == 0 else
                          ax.axhline(0, color=LIMIT_COLOR, linestyle="--", linewidth=1))
            ax.tick_params(labelsize=TEXT_PT)
        axes[0].set_ylim(0, 112)
        axes[0].set_title(ACCURACY_TITLE, fontsize=TEXT_PT)
        errors = [axes[0].plot([x, x], [0, 0], color=ERROR_COLOR, lw=1.5, marker="_",
                               markersize=10)[0] for x in (0, 1)]
        line = None
        if chance is not None:
            line = axes[0].axhline(100 * chance, color=CHANCE_COLOR, linestyle=":", linewidth=1.2)
            axes[0].set_title(f"{ACCURACY_TITLE}\ndotted: chance ({100 * chance:g}%)", fontsize=TEXT_PT)
        dynamic = [artist for i, ax in enumerate(axes) for artist in
                   [*bars[i], *labels[i], *([limits[i]] if limits[i] else []),
                    *(errors if i == 0 else []), *ax.spines.values()]]
        setattr(fig, _BARS, dict(axes=axes, bars=bars, labels=labels, limits=limits, errors=errors,
                                 chance=line, dynamic=dynamic))
    a = bars_artists(fig)
    rows = _bar_rows(before, after, device_sram_bytes, device_flash_bytes)
    tops = []  # the accuracy bars' value labels go above their error bars
    for x, (line, result) in enumerate(zip(a["errors"], (before, after))):
        p, err = _percent(result["accuracy"]), _error_pct(result["accuracy"], examples)
        line.set_data([x, x], [(p or 0) - err, (p or 0) + err])
        line.set_visible(p is not None)
        tops.append((p or 0) + err)
    for i, (title, b, v, limit) in enumerate(rows):
        ax = a["axes"][i]
        for x, (bar, label, value) in enumerate(zip(a["bars"][i], a["labels"][i], (b, v))):
            bar.set_height(value or 0)
            label.xy = (x, tops[x] if i == 0 else value or 0)
            label.set_text(PENDING if value is None else f"{value:.1f}")
        if i:  # (the accuracy title, with the chance line's, is set when the figure is built)
            ax.set_title(title, fontsize=TEXT_PT)
        if a["limits"][i] is not None:
            shown = limit < 4 * max(b, v)  # show the device line when it is in view
            a["limits"][i].set_visible(shown)
            a["limits"][i].set_ydata([limit, limit])
            ax.set_ylim(0, 1.18 * max(b, v, limit if shown else 0))
    return fig


def _dynamic_artists(fig):
    for attribute in (_BARS, _HIST):
        if getattr(fig, attribute, None) is not None:
            return getattr(fig, attribute)["dynamic"]
    raise ValueError("not a figure made by compression_bars or weight_histogram")


class PngRenderer:
    """PNG bytes of a ``compression_bars`` or ``weight_histogram`` figure, fast across updates.

    The static layer (axes, ticks, tick labels, fixed titles: most of the text, which is most of an
    Agg render) is drawn once and kept; each ``png()`` restores it and draws only the artists an
    update changes (in z-order, the spines over them). The static layer is drawn again whenever an
    axis range moves. The renderer owns the figure: it marks those artists animated, so show the
    figure through ``png()`` only (a plain ``savefig`` would leave them out).
    """

    def __init__(self, fig, dpi=None):
        self.fig = fig
        if dpi:
            fig.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(fig)
        self.dynamic = sorted(_dynamic_artists(fig), key=lambda artist: artist.get_zorder())
        for artist in self.dynamic:
            artist.set_animated(True)
        self._background, self._ranges = None, None

    def png(self):
        """The figure as PNG bytes (RGBA, what ``savefig`` draws)."""
        ranges = tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.fig.axes)
        if ranges != self._ranges:
            self.canvas.draw()
            self._background, self._ranges = self.canvas.copy_from_bbox(self.fig.bbox), ranges
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.dynamic:
            artist.draw(renderer)
        return encode_png(self.canvas.buffer_rgba())


FIT_COLOR, MISS_COLOR = "tab:green", "tab:red"


def stakes_figure(rows, device_sram_bytes, device_flash_bytes, device_name="", *, examples,
                  chance=None):
    """Accuracy (%), Flash (KiB) and peak SRAM (KiB) of several versions of one model, one bar
    each (green: fits the device, red: does not), the device's limits as dashed lines; every
    accuracy with an error bar of ERROR_BAR_SE standard errors, the chance line dotted.

    rows: list of (label, dict with 'accuracy' (0..1), 'flash_bytes', 'peak_sram_bytes' and
    'fits' (bool)), top to bottom. examples: the held-out examples each accuracy was measured on;
    chance: 1 / classes.
    """
    with projector():
        fig = Figure(figsize=(WIDE[0], 0.6 * len(rows) + 1.8))
        axes = fig.subplots(1, 3, sharey=True)
        fig.subplots_adjust(left=0.2, right=0.98, bottom=0.2, top=0.84, wspace=0.12)
        y = np.arange(len(rows))[::-1]
        colors = [FIT_COLOR if r["fits"] else MISS_COLOR for _, r in rows]
        errors = [_error_pct(r["accuracy"], examples) for _, r in rows]
        panels = ((ACCURACY_TITLE, [100 * r["accuracy"] for _, r in rows], None),
                  ("Flash (KiB)", [r["flash_bytes"] / KIB for _, r in rows], device_flash_bytes / KIB),
                  ("peak SRAM (KiB)", [r["peak_sram_bytes"] / KIB for _, r in rows],
                   device_sram_bytes / KIB))
        for i, (ax, (title, values, limit)) in enumerate(zip(axes, panels)):
            err = errors if i == 0 else [0] * len(values)
            ax.barh(y, values, color=colors, xerr=errors if i == 0 else None,
                    error_kw=dict(ecolor=ERROR_COLOR, capsize=4, lw=1.5))
            for yi, v, e in zip(y, values, err):
                ax.annotate(f"{v:.1f}", (v + e, yi), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=11)
            if limit is not None:
                ax.axvline(limit, color=LIMIT_COLOR, linestyle="--", linewidth=1.5)
            ax.set_xlim(0, 1.25 * max([v + e for v, e in zip(values, err)]
                                      + ([limit] if limit else [])))
            ax.set_title(title)
        if chance is not None:
            axes[0].axvline(100 * chance, color=CHANCE_COLOR, linestyle=":", linewidth=1.5)
        axes[0].set_yticks(y, [label for label, _ in rows])
        fig.suptitle((f"green: fits the {device_name}, red: does not; dashed: its limits"
                      if device_name else "green: fits, red: does not; dashed: the device's limits")
                     + (f"; dotted: chance ({100 * chance:g}%)" if chance is not None else ""))
    return fig
