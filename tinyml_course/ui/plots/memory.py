"""Figures of SRAM and Flash: per-op SRAM bars with the device's limits (comparisons of schedules
and conventions: ``plots.comparison``).

Every function takes data (a MemoryProfile from ``tinyml_course.memory.profile``, a Device or a
device name) and returns a ``matplotlib.figure.Figure``. Figures are built with ``Figure()``, not
pyplot, so nothing is registered globally: a notebook shows them by displaying the object, a
widget renders them to PNG. Axes are in KiB (1 KiB = 1024 bytes, the papers' "kB").

``update_sram_figure(fig, profile, device)`` redraws an existing ``sram_figure`` in place (one
PolyCollection for all bars, one line per limit): a dashboard calls it instead of building a new
figure at every slider move, and ``sram_png(fig)`` renders it by blitting: what depends only on
the network's op names (legend, axis labels, the block ticks, spines' frame) is drawn once into a
cached background, and each redraw restores it and draws only the artists that change.
"""

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ...model.devices import get_device
from ...model.units import KIB
from .png import agg_canvas, canvas_png

KIND_COLORS = {  # bar colour per op kind
    "conv": "#4c72b0", "dwconv": "#dd8452", "pwconv": "#55a868",
    "add": "#c44e52", "pool": "#8172b3", "maxpool": "#8172b3", "linear": "#937860",
}
KIND_LABELS = {"conv": "conv", "dwconv": "depthwise", "pwconv": "1x1 conv", "add": "residual add",
               "pool": "pool", "maxpool": "max pool", "linear": "linear"}
NOT_COUNTED = "not counted"  # the legend entry of the x drawn for an op the convention leaves out
OVER_COLOR = "#d62728"  # edges of bars above the SRAM limit, the Flash bar when it misses
FIT_COLOR = "#2ca02c"  # the Flash bar when it fits
LIMIT_COLOR = "#222222"  # the device's SRAM / Flash lines
BAR_WIDTH = 0.8  # in op slots
MAX_TICK_LABELS = 14  # block labels under the bars, unrotated at 12 pt
TICK_SLOT_CHARS = 7  # characters of 12 pt text (about 8 px) per label slot of an axis holding MAX_TICK_LABELS
FIGSIZE = (11, 4.0)  # inches: 1100 x 400 px, a dashboard's figure with its controls and readouts on one slide
_ARTISTS = "_tinyml_sram_artists"  # attribute of a figure made by sram_figure
BACKGROUNDS = 8  # op lists (networks) whose static background sram_png keeps per figure

def _device(device):
    return None if device is None else get_device(device)


def group_ticks(names, max_labels=None):
    """Tick positions and labels: one tick at the first op of each block ('b3'), stem, tail ops.

    names: op names in order ('stem', 'block3.expand', ..., 'classifier') -> (positions, labels).
    max_labels: keep at most this many (every k-th block from the first), so that they fit
    unrotated at a projector's font size; the axis is taken as ``max_labels`` label slots of
    ``TICK_SLOT_CHARS`` characters, and a label closer to the one kept before it than half
    their two widths is left out (ResNet-18's 'stem', 'maxpool', 'b0' one op apart).
    """
    positions, labels, last = [], [], None
    for i, name in enumerate(names):
        group = name.split(".")[0]
        if group != last:
            positions.append(i)
            labels.append(group.replace("block", "b").replace("feature_mix", "mix")
                          .replace("classifier", "fc"))
            last = group
    if max_labels:
        step = -(-len(positions) // max_labels)  # ceil: every step-th block
        ops_per_char = len(names) / (max_labels * TICK_SLOT_CHARS)
        kept = []
        for pos, label in zip(positions[::step], labels[::step]):
            if kept:
                previous_pos, previous = kept[-1]
                if pos - previous_pos < ops_per_char * ((len(previous) + len(label)) / 2 + 1):
                    continue  # would touch the label before it
            kept.append((pos, label))
        positions, labels = [k[0] for k in kept], [k[1] for k in kept]
    return positions, labels


def _bar_verts(heights):
    """Rectangles (4 corners each) of bars of ``heights`` at x = 0, 1, 2, ...: (N, 4, 2)."""
    x = np.arange(len(heights), dtype=float)
    left, right = x - BAR_WIDTH / 2, x + BAR_WIDTH / 2
    zero = np.zeros_like(x)
    h = np.asarray(heights, dtype=float)
    return np.stack([np.stack([left, zero], 1), np.stack([left, h], 1),
                     np.stack([right, h], 1), np.stack([right, zero], 1)], axis=1)


def _fit_text(kind, need, limit):
    if limit is None:
        return f"{kind} {need / KIB:.1f} KiB"
    if need <= limit:
        return f"{kind} {need / KIB:.1f} of {limit / KIB:.0f} KiB: fits ({(limit - need) / KIB:.1f} KiB spare)"
    return f"{kind} {need / KIB:.1f} of {limit / KIB:.0f} KiB: misses by {(need - limit) / KIB:.1f} KiB"


def sram_figure(profile, device=None, figsize=FIGSIZE):
    """Per-op SRAM bars of ``profile`` with the device's SRAM line and the peak marked; Flash beside.

    profile: a MemoryProfile; device: a Device, a catalogue name or None (no limit lines).
    Bars are coloured by op kind; bars above the SRAM limit get a red edge. Returns a Figure that
    ``update_sram_figure`` can redraw in place.
    """
    fig = Figure(figsize=figsize, dpi=100)
    fig.subplots_adjust(left=0.065, right=0.975, bottom=0.18, top=0.82, wspace=0.3)
    ax, fax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [10, 1]})
    bars = PolyCollection([], linewidths=0)
    ax.add_collection(bars)
    limit_line = ax.axhline(0, color=LIMIT_COLOR, lw=1.5, ls="--", zorder=3)
    limit_text = ax.text(0.995, 0, "", transform=ax.get_yaxis_transform(), ha="right",
                         va="bottom", fontsize=11, color=LIMIT_COLOR)
    peak_mark, = ax.plot([], [], marker="v", color="black", ms=8, ls="none", zorder=4)
    # ops the convention does not count (pools and adds under mcunet): an x, not a 0 KiB bar
    uncounted, = ax.plot([], [], marker="x", color="gray", ms=7, ls="none", zorder=4)
    peak_text = ax.annotate("", xy=(0, 0), xytext=(8, 6), textcoords="offset points", fontsize=11,
                            fontweight="bold", va="bottom")
    title = ax.annotate("", xy=(0, 1), xycoords="axes fraction", xytext=(0, 24),
                        textcoords="offset points", fontsize=12, va="baseline")  # a left title
    # the y label at a fixed place (left of 5-digit ticks), so it belongs to sram_png's background
    ax.text(-0.062, 0.5, "SRAM while the op runs (KiB)", transform=ax.transAxes, rotation=90,
            ha="right", va="center")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))  # fewer labels
    ax.set_xlabel("ops in execution order (bN = block N)")
    ax.grid(axis="y", alpha=0.3)
    flash_bar = fax.bar([0], [0], width=0.6, color=FIT_COLOR)[0]
    flash_line = fax.axhline(0, color=LIMIT_COLOR, lw=1.5, ls="--")
    flash_text = fax.text(0, 0, "", ha="center", va="bottom", fontsize=10)
    verdict = fax.annotate("", xy=(0.5, 0), xycoords="axes fraction", xytext=(0, -26),
                           textcoords="offset points", ha="center", va="top", fontsize=10)
    fax.set_xlim(-0.6, 0.6)
    fax.set_xticks([0], ["weights"])
    fax.set_title("Flash (KiB)", fontsize=12)
    fax.set_yticks([])  # the bar and the verdict carry the numbers (fewer texts: faster redraw)
    setattr(fig, _ARTISTS, dict(ax=ax, fax=fax, bars=bars, limit_line=limit_line,
                                limit_text=limit_text, peak_mark=peak_mark, peak_text=peak_text,
                                uncounted=uncounted,
                                title=title, flash_bar=flash_bar, flash_line=flash_line,
                                flash_text=flash_text, verdict=verdict, xticks=None, legend=None,
                                backgrounds={}))
    return update_sram_figure(fig, profile, device)


def update_sram_figure(fig, profile, device=None):
    """Redraw a figure made by ``sram_figure`` for another profile/device, in place; return it."""
    a = sram_artists(fig)
    device = _device(device)
    ax, fax = a["ax"], a["fax"]
    layers = profile.layers
    kib = np.array([layer.sram_bytes for layer in layers], dtype=float) / KIB  # (N,)
    sram_limit = device.sram_bytes if device else None
    flash_limit = device.flash_bytes if device else None

    a["bars"].set_verts(_bar_verts(kib))
    a["bars"].set_facecolors([KIND_COLORS.get(layer.op, "gray") for layer in layers])
    over = [sram_limit is not None and layer.sram_bytes > sram_limit for layer in layers]
    a["bars"].set_edgecolors([OVER_COLOR if o else "none" for o in over])
    a["bars"].set_linewidths([1.3 if o else 0 for o in over])

    zero = [i for i, layer in enumerate(layers) if layer.sram_bytes == 0]
    a["uncounted"].set_data(zero, [0] * len(zero))
    peak = profile.peak_layer
    ipeak = layers.index(peak)
    a["peak_mark"].set_data([ipeak], [peak.sram_bytes / KIB])
    a["peak_text"].xy = (ipeak, peak.sram_bytes / KIB)
    a["peak_text"].set_text(f"peak {peak.sram_bytes / KIB:.1f} KiB\n{peak.name}")
    a["peak_text"].set_horizontalalignment("left" if ipeak < 0.7 * len(layers) else "right")
    a["peak_text"].set_position((8, 6) if ipeak < 0.7 * len(layers) else (-8, 6))

    a["limit_line"].set_visible(device is not None)
    a["limit_text"].set_visible(device is not None)
    top = peak.sram_bytes / KIB
    if device is not None:
        a["limit_line"].set_ydata([sram_limit / KIB] * 2)
        a["limit_text"].set_y(sram_limit / KIB)
        a["limit_text"].set_text(f"{device.name} SRAM {sram_limit / KIB:.0f} KiB")
        top = max(top, sram_limit / KIB)
    ax.set_ylim(0, top * 1.22)
    positions, labels = group_ticks([layer.name for layer in layers], MAX_TICK_LABELS)
    xticks = (len(layers), tuple(positions), tuple(labels))
    if xticks != a["xticks"]:  # a new op list: new block ticks (and a new background)
        ax.set_xlim(-0.7, len(layers) - 0.3)
        ax.set_xticks(xticks[1], xticks[2], fontsize=12)
        a["xticks"] = xticks
    legend = legend_entries(profile)
    if legend != a["legend"]:  # the kinds drawn changed: a new legend (and a new background)
        _draw_legend(ax, legend)
        a["legend"] = legend
    fits_text = _fit_text("SRAM", profile.peak_sram_bytes, sram_limit)
    a["title"].set_text(f"{profile.network}: schedule {profile.schedule}, convention "
                        f"{profile.convention}, {profile.dtype}  |  {fits_text}")

    flash = profile.flash_bytes
    flash_fits = flash_limit is None or flash <= flash_limit
    a["flash_bar"].set_height(flash / KIB)
    a["flash_bar"].set_color(FIT_COLOR if flash_fits else OVER_COLOR)
    a["flash_line"].set_visible(device is not None)
    a["flash_text"].set_position((0, flash / KIB))
    a["flash_text"].set_text(f"{flash / KIB:.0f}")
    ftop = flash / KIB
    if device is not None:
        a["flash_line"].set_ydata([flash_limit / KIB] * 2)
        ftop = max(ftop, flash_limit / KIB)
    fax.set_ylim(0, ftop * 1.15)
    if device is None:
        verdict = ""
    elif flash_fits:
        verdict = f"fits {flash_limit / KIB:.0f}\n{(flash_limit - flash) / KIB:.0f} KiB spare"
    else:
        verdict = f"misses {flash_limit / KIB:.0f}\nby {(flash - flash_limit) / KIB:.0f} KiB"
    a["verdict"].set_text(verdict)
    a["verdict"].set_color(FIT_COLOR if flash_fits else OVER_COLOR)
    return fig


def legend_entries(profile):
    """The legend of ``profile``'s per-op figure: the labels of the op kinds drawn as bars (an op
    the convention counts), in KIND_COLORS order, then 'not counted' if an op is drawn as an x.
    (ResNet-18 under mcunet: conv, linear, not counted; issue 20 item 12.)"""
    drawn = {layer.op for layer in profile.layers if layer.sram_bytes > 0}
    kinds = [k for k in KIND_COLORS if k in drawn and not (k == "maxpool" and "pool" in drawn)]
    labels = tuple(KIND_LABELS[k] for k in kinds)
    if any(layer.sram_bytes == 0 for layer in profile.layers):
        labels += (NOT_COUNTED,)
    return labels


def _draw_legend(ax, labels):
    colors = {KIND_LABELS[k]: c for k, c in KIND_COLORS.items()}
    handles = [Line2D([], [], marker="x", color="gray", ls="none", label=label)
               if label == NOT_COUNTED else Patch(color=colors[label], label=label)
               for label in labels]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.13), ncol=7,
              fontsize=10, frameon=False)


def sram_artists(fig):
    """The artists ``update_sram_figure`` moves (dict: ax, fax, bars, limit_line, peak_mark, ...)."""
    a = getattr(fig, _ARTISTS, None)
    if a is None:
        raise ValueError("not a figure made by sram_figure")
    return a


def _changing_artists(a):
    """The artists of an sram_figure that a redraw can change, in drawing (z) order."""
    ax, fax = a["ax"], a["fax"]
    changing = [a[k] for k in ("bars", "limit_line", "limit_text", "peak_mark", "uncounted", "peak_text",
                               "title", "flash_bar", "flash_line", "flash_text", "verdict")]
    changing += [ax.yaxis, *ax.spines.values(), *fax.spines.values()]  # y ticks follow the peak
    return sorted(changing, key=lambda artist: artist.get_zorder())  # stable, as Axes.draw


def sram_png(fig):
    """PNG bytes of a figure made by ``sram_figure``, the same pixels as ``figure_png`` but faster.

    The parts that depend only on the op names and the kinds drawn (legend, labels, block ticks,
    Flash panel's frame) are rendered once per op list and legend into a background kept on the figure (the last
    ``BACKGROUNDS`` op lists); each call restores it and draws only the changing artists (bars,
    limits, peak, title, y axis, Flash bar). The figure is opaque, so the PNG is RGB. Raises
    ValueError for a figure not made by sram_figure.
    """
    a = sram_artists(fig)
    canvas = agg_canvas(fig)
    changing = _changing_artists(a)
    key = (a["xticks"], a["legend"], canvas.get_width_height())
    backgrounds = a["backgrounds"]
    if key not in backgrounds:
        shown = [artist.get_visible() for artist in changing]
        for artist in changing:
            artist.set_visible(False)
        canvas.draw()
        for artist, visible in zip(changing, shown):
            artist.set_visible(visible)
        backgrounds[key] = canvas.copy_from_bbox(fig.bbox)
        while len(backgrounds) > BACKGROUNDS:
            del backgrounds[next(iter(backgrounds))]  # the oldest op list
    canvas.restore_region(backgrounds[key])
    renderer = canvas.get_renderer()
    for artist in changing:
        artist.draw(renderer)  # an invisible one draws nothing
    return canvas_png(canvas, "RGB")
