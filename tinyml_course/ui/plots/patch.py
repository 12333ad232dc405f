"""Figures of patch-based inference: windows on an image, per-op SRAM before/after, the overlap
overhead against the grid, redistribution, and the search's memory-vs-MACs scatter.

Pure functions: data in, ``matplotlib.figure.Figure`` out (built with ``Figure()``, no pyplot).
Memory axes are in KiB (1 KiB = 1024 bytes, the papers' "kB"); MACs in millions.
"""

from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ...memory.accounting import profile
from ...memory.patch_accounting import mac_overhead
from ...memory.patch_plan import patch_plan
from ...model.devices import get_device
from ...model.units import KIB
from .memory import group_ticks
from .style import WIDE, projector

SCHEDULE_COLORS = {"per-layer": "#4c72b0", "in-place": "#55a868", "patch": "#dd8452",
                   "none": "#bbbbbb"}  # search scatter: the schedule that made a candidate fit
WINDOW_COLOR = "#ffbf00"  # every patch's input window
FOCUS_COLOR = "#d62728"  # the highlighted patch
LIMIT_COLOR = "#222222"  # a device's SRAM line


def demo_image(network):
    """A smooth synthetic (H, W, 3) RGB image in [0, 1] of the network's input size (no data)."""
    _, h, w = network.input_shape
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    return np.clip(np.stack([0.5 + 0.4 * np.sin(6 * x), 0.5 + 0.4 * np.cos(5 * y),
                             0.6 - 0.4 * x * y], axis=-1), 0, 1)


def windows_figure(network, split, patches, focus=(0, 0), image=None, figsize=(10, 4.6)):
    """The input windows of an n x n patch grid drawn over an image, and the stage output tiles.

    focus: (i, j) of the patch drawn in red, with its receptive field before clipping (dashed:
    the part outside the image is zero padding). image: (H, W) or (H, W, 3), default demo_image.
    """
    plan = patch_plan(network, split, patches)
    receptive = patch_plan(network, split, patches, clip=False)
    _, h, w = network.input_shape
    fig = Figure(figsize=figsize, layout="constrained")
    ax, out = fig.subplots(1, 2, width_ratios=[1.3, 1])
    ax.imshow(demo_image(network) if image is None else image, extent=(0, w, h, 0))
    for i, j in plan.patch_order():
        win = plan.window(i, j, "input")
        ax.add_patch(Rectangle((win.c0, win.r0), win.w, win.h, fill=False, lw=0.8,
                               ec=WINDOW_COLOR, alpha=0.7))
    i, j = focus
    win, rf = plan.window(i, j, "input"), receptive.window(i, j, "input")
    ax.add_patch(Rectangle((rf.c0, rf.r0), rf.w, rf.h, fill=False, lw=1.5, ls="--", ec=FOCUS_COLOR))
    ax.add_patch(Rectangle((win.c0, win.r0), win.w, win.h, fill=False, lw=2.5, ec=FOCUS_COLOR))
    pad = max(0, -rf.r0, -rf.c0, rf.r1 - h, rf.c1 - w) + 2
    ax.set_xlim(-pad, w + pad)
    ax.set_ylim(h + pad, -pad)
    ax.set_title(f"input {h}x{w}: patch ({i}, {j})\nreads {win.h}x{win.w} "
                 f"(receptive field {rf.h}x{rf.w})", fontsize=10)
    c, oh, ow = network.shape_of(plan.split)
    out.set_xlim(0, ow)
    out.set_ylim(oh, 0)
    for a, b in plan.row_tiles:
        out.axhline(a, color="#888888", lw=0.8)
    for a, b in plan.col_tiles:
        out.axvline(a, color="#888888", lw=0.8)
    tile = plan.tile(i, j)
    out.add_patch(Rectangle((tile.c0, tile.r0), tile.w, tile.h, color=FOCUS_COLOR, alpha=0.6))
    out.set_aspect("equal")
    out.set_title(f"stage output {plan.split}\n{c}x{oh}x{ow}, tile {tile.h}x{tile.w}",
                  fontsize=10)
    return fig


def memory_figure(network, split, patches, convention="mcunet", dtype="int8", device=None,
                  figsize=(11, 4)):
    """Per-op SRAM (KiB) of the network per layer (in place) and with the patch stage, and peaks.

    An op the convention does not count (a residual add under ``mcunet``) is a gap in the curve,
    not a drop to 0 KiB (issue 20 item 16).
    """
    before = profile(network, "in-place", convention, dtype)
    after = profile(network, "patch", convention, dtype, patches=patches, split=split)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(network.ops))
    patch_label = str(replace(after.schedule, split=after.patch.split))  # the split op's name
    for prof, label, color in ((before, "per layer (in place)", SCHEDULE_COLORS["in-place"]),
                               (after, patch_label, SCHEDULE_COLORS["patch"])):
        y = np.array([layer.sram_bytes / KIB if layer.sram_bytes else np.nan
                      for layer in prof.layers])
        ax.step(x, y, where="mid", color=color, lw=2,
                label=f"{label}: peak {prof.peak_sram_bytes / KIB:.1f} KiB")
    split_index = network.index(after.patch.split)
    ax.axvspan(-0.5, split_index + 0.5, color=SCHEDULE_COLORS["patch"], alpha=0.08)
    if device is not None:
        device = get_device(device)
        ax.axhline(device.sram_bytes / KIB, color=LIMIT_COLOR, ls="--",
                   label=f"{device.name} SRAM {device.sram_bytes // KIB} KiB")
    positions, labels = group_ticks([op.name for op in network.ops], 8)
    ax.set_xticks(positions, labels, fontsize=11)
    ax.set_xlabel("ops in execution order (bN = block N; gaps: not counted)", fontsize=11)
    ax.set_ylim(0, None)
    ax.set_ylabel(f"SRAM, KiB ({convention}, {dtype})", fontsize=11)
    ax.set_title(f"{network.name}: per-op SRAM, per layer vs patches (shaded: patch stage)",
                 fontsize=11, loc="left")
    ax.legend(fontsize=10)
    return fig


def overhead_figure(network, split, grids=range(1, 9), convention="mcunet", dtype="int8",
                    figsize=WIDE):
    """MAC overhead (%) of the overlap and peak SRAM (KiB) against the grid n (n x n patches)."""
    grids = [n for n in grids if n <= network.shape_of(patch_plan(network, split, 1).split)[1]]
    costs = [mac_overhead(network, split, n) for n in grids]
    peaks = [profile(network, "patch", convention, dtype, patches=n, split=split).peak_sram_bytes
             for n in grids]
    with projector():
        return _overhead_figure(network, split, grids, costs, peaks, convention, figsize)


def _overhead_figure(network, split, grids, costs, peaks, convention, figsize):
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    ax.plot(grids, [100 * c.stage_overhead_naive for c in costs], "o--", color="#c44e52",
            label="patch stage, naive")
    ax.plot(grids, [100 * c.stage_overhead for c in costs], "o-", color="#c44e52",
            label="patch stage, clipped")
    ax.plot(grids, [100 * c.network_overhead_naive for c in costs], "s--", color="#8172b3",
            label="whole network, naive")
    ax.plot(grids, [100 * c.network_overhead for c in costs], "s-", color="#8172b3",
            label="whole network, clipped")
    ax.set_xlabel("n (n x n patches)")
    ax.set_ylabel("extra MACs, %")
    twin = ax.twinx()
    twin.plot(grids, np.array(peaks) / KIB, "^-", color=SCHEDULE_COLORS["in-place"],
              label=f"peak SRAM ({convention})")
    twin.set_ylabel("peak SRAM, KiB")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper center")
    ax.set_title(f"{network.name}: overlap overhead and peak SRAM vs grid, split "
                 f"{patch_plan(network, split, 1).split}", loc="left")
    return fig


def redistribution_figure(costs, labels=("original", "redistributed"), figsize=WIDE):
    """Bars of MAC overhead (%) and SRAM (KiB) for redistribution.compare's PatchCosts."""
    with projector():
        return _redistribution_figure(costs, labels, figsize)


def _redistribution_figure(costs, labels, figsize):
    fig = Figure(figsize=figsize, layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(costs))
    width = 0.38
    left.bar(x - width / 2, [100 * c.network_overhead_naive for c in costs], width,
             color="#c44e52", alpha=0.5, label="naive")
    left.bar(x + width / 2, [100 * c.network_overhead for c in costs], width, color="#c44e52",
             label="clipped")
    for xi, c in zip(x, costs):
        left.annotate(f"{100 * c.network_overhead:.1f}%", (xi + width / 2,
                      100 * c.network_overhead), ha="center", va="bottom")
    left.set_xticks(x, [f"{lab}\n{c.macs / 1e6:.1f}M MACs, RF {c.input_window[0]}"
                        for lab, c in zip(labels, costs)])
    left.set_ylabel("whole-network extra MACs, %")
    left.legend()
    right.bar(x - width / 2, [c.peak_sram_bytes / KIB for c in costs], width,
              color=SCHEDULE_COLORS["in-place"], label="network peak")
    right.bar(x + width / 2, [c.stage_peak_bytes / KIB for c in costs], width,
              color=SCHEDULE_COLORS["patch"], label="patch stage peak")
    right.set_xticks(x, labels)
    right.set_ylabel("SRAM, KiB")
    right.set_ylim(0, 1.3 * max(c.peak_sram_bytes / KIB for c in costs))  # room for the legend
    right.legend(loc="upper center", ncol=2)
    fig.suptitle(f"network redistribution, {costs[0].patches}x{costs[0].patches} patches")
    return fig


def search_figure(result, figsize=WIDE):
    """Search candidates: peak SRAM (KiB) vs MACs (M), coloured by the schedule that made them fit.

    result: a search.SearchResult. The dashed line is the device's SRAM; candidates whose weights
    miss the Flash are drawn hollow; the best is a star.
    """
    with projector():
        return _search_figure(result, figsize)


def _search_figure(result, figsize):
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    for kind, color in SCHEDULE_COLORS.items():
        group = [c for c in result.candidates if c.kind == kind]
        if not group:
            continue
        macs = np.array([c.macs for c in group]) / 1e6
        peak = np.array([c.peak_sram_bytes for c in group]) / KIB
        flash = np.array([c.flash_fits for c in group])
        ax.scatter(macs[flash], peak[flash], s=12, color=color, label=f"{kind} ({len(group)})")
        ax.scatter(macs[~flash], peak[~flash], s=12, facecolors="none", edgecolors=color)
    ax.axhline(result.sram_limit / KIB, color=LIMIT_COLOR, ls="--",
               label=f"{result.device} SRAM {result.sram_limit // KIB} KiB")
    if result.best:
        ax.scatter([result.best.macs / 1e6], [result.best.peak_sram_bytes / KIB], marker="*",
                   s=250, color="gold", edgecolors="black", zorder=5,
                   label=f"best: {result.best.macs / 1e6:.0f}M MACs, {result.best.kind}")
    ax.set_xlabel("architecture MACs, M")
    ax.set_ylabel("peak SRAM of its schedule, KiB")
    ax.set_yscale("log")
    ax.set_title(f"search: {len(result.candidates)} candidates, seed {result.seed} "
                 f"(hollow: weights miss the Flash)", loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return fig
