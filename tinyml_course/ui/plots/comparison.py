"""One network under several schedules and conventions: a panel per profile, and their peaks.

Every function returns a ``matplotlib.figure.Figure`` (built without pyplot). Memory in KiB
(1 KiB = 1024 bytes, the papers' "kB"). Each profile gets its own panel on a shared y-axis from
zero (issue 20 item 16: five step lines on one axis hid each other and the legend sat on the
peak); an op the convention does not count (a residual add or a pool under ``mcunet``) is left
out of its curve, not drawn at 0 KiB.
"""

import numpy as np
from matplotlib.figure import Figure

from ...memory.accounting import profile as memory_profile
from ...model.devices import get_device
from ...model.units import KIB
from .memory import LIMIT_COLOR, group_ticks
from .style import projector

# the (schedule, convention) pairs a comparison shows by default, as the papers count them
# (tinyengine runs every depthwise in place, so it is only ever paired with "in-place")
DEFAULT_COMPARISON = (("per-layer", "mcunet"), ("in-place", "mcunet"), ("in-place", "tinyengine"),
                      ("per-layer", "exact"), ("in-place", "exact"))
FIGSIZE = (12, 6.2)  # inches: a 1200 x 620 px image, one slide with its code cell
MAX_TICK_LABELS = 10  # block labels under the bottom panel, unrotated


def comparison_label(profile):
    """'in-place / mcunet'; a tinyengine profile says its depthwise always runs in place."""
    if profile.convention == "tinyengine":
        return "tinyengine (dw always in place)"
    return f"{profile.schedule} / {profile.convention}"


def counted_kib(profile):
    """Per-op SRAM in KiB, NaN where the convention counts nothing (the curve has a gap there)."""
    return np.array([layer.sram_bytes / KIB if layer.sram_bytes else np.nan
                     for layer in profile.layers])


def comparison_figure(profiles, labels=None, device=None, figsize=FIGSIZE):
    """Per-op SRAM of several profiles (usually of one network), one panel each, and their peaks.

    profiles: MemoryProfiles; labels: one string each (default 'schedule / convention'); device:
    adds its SRAM line. Left: a step curve per profile in its own panel (all on one y-axis from 0,
    the peak marked and labelled; a curve equal to an earlier one says so); right: one bar per
    profile with its peak in KiB. ``fig.axes``: the curve panels, then the bar axes.
    """
    device = None if device is None else get_device(device)
    labels = labels or [comparison_label(p) for p in profiles]
    limit = device.sram_bytes / KIB if device else None
    peaks = [p.peak_sram_bytes / KIB for p in profiles]
    top = max(peaks + ([limit] if limit else [])) * 1.3
    with projector():
        fig = Figure(figsize=figsize, dpi=100)
        grid = fig.add_gridspec(len(profiles), 2, width_ratios=[3, 1.15], left=0.07, right=0.98,
                                bottom=0.1, top=0.9, wspace=0.08, hspace=0.12)
        axes = [fig.add_subplot(grid[i, 0]) for i in range(len(profiles))]
        bax = fig.add_subplot(grid[:, 1])
        drawn = []  # (label, per-op KiB) of the curves so far
        for i, (ax, prof, label) in enumerate(zip(axes, profiles, labels)):
            kib = counted_kib(prof)
            same = next((other for other, values in drawn
                         if np.array_equal(values, kib, equal_nan=True)), None)
            ax.step(range(len(kib)), kib, where="mid", color=f"C{i}", lw=2.2)
            ipeak = prof.layers.index(prof.peak_layer)
            ax.plot([ipeak], [peaks[i]], marker="v", color="black", ms=7)
            ax.text(0.995, 0.9, f"{label}: peak {peaks[i]:.0f} KiB"
                    + (f", = {same}" if same else f" at {prof.peak_layer.name}"),
                    transform=ax.transAxes, va="top",
                    ha="right", fontsize=12, color=f"C{i}", fontweight="bold")
            if limit:
                ax.axhline(limit, color=LIMIT_COLOR, ls="--", lw=1.2)
            ax.set_ylim(0, top)
            ax.set_xlim(-0.7, len(kib) - 0.3)
            ax.grid(axis="y", alpha=0.3)
            ax.tick_params(labelsize=10)
            ax.set_xticks([])
            drawn.append((label, kib))
        positions, ticks = group_ticks([layer.name for layer in profiles[0].layers],
                                       MAX_TICK_LABELS)
        axes[-1].set_xticks(positions, ticks, fontsize=12)
        axes[-1].set_xlabel("ops in execution order (bN = block N; gaps: ops the rule does not count)")
        fig.text(0.012, 0.5, "SRAM while the op runs (KiB)", rotation=90, va="center")
        axes[0].set_title(f"{profiles[0].network}, {profiles[0].dtype}: the same network, counted "
                          "differently" + (f"; dashed: {device.name} SRAM {limit:.0f} KiB"
                                           if limit else ""), loc="left", fontsize=14)
        y = np.arange(len(profiles))
        bax.barh(y, peaks, color=[f"C{i}" for i in range(len(profiles))])
        for yi, value in zip(y, peaks):
            bax.text(value, yi, f" {value:.0f}", va="center", fontsize=12)
        bax.set_yticks([])
        bax.invert_yaxis()
        bax.set_xlabel("peak SRAM (KiB)")
        bax.set_xlim(0, top)
        if limit:
            bax.axvline(limit, color=LIMIT_COLOR, ls="--", lw=1.3)
    return fig


def schedule_comparison_figure(network, pairs=DEFAULT_COMPARISON, device=None, dtype="int8"):
    """``comparison_figure`` of ``network`` under each (schedule, convention) pair of ``pairs``."""
    profiles = [memory_profile(network, schedule, convention, dtype) for schedule, convention in pairs]
    return comparison_figure(profiles, device=device)
