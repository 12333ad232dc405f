"""Figures of the compression lecture: weight histograms and before/after bars (pure functions)."""

import numpy as np
from matplotlib.figure import Figure

from ..units import KIB


def all_weights(weights):
    """Every weight (not bias) of a {op name: (weight, bias)} dict as one flat float array."""
    return np.concatenate([np.ravel(w) for w, _ in weights.values()])


def weight_histogram(before, after, label_after="after", bins=121, fig=None):
    """Histogram of all weights before and after compression (zeros of pruning show as one spike)."""
    fig = fig or Figure(figsize=(8, 3))
    fig.clear()
    a, b = all_weights(before), all_weights(after)
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), bins)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, values, title in ((axes[0], a, "float32 (trained)"), (axes[1], b, label_after)):
        ax.hist(values, bins=edges, color="tab:blue" if ax is axes[0] else "tab:orange")
        ax.set_title(f"{title}: {np.unique(values).size} distinct values, "
                     f"{(values == 0).mean():.0%} zeros", fontsize=9)
        ax.set_xlabel("weight value")
        ax.set_yscale("log")
    axes[0].set_ylabel("count (log)")
    fig.tight_layout()
    return fig


def compression_bars(before, after, device_sram_bytes, device_flash_bytes, fig=None):
    """Accuracy (%), Flash (KiB) and peak SRAM (KiB) before vs after, device limits as lines.

    before/after: dicts with 'accuracy' (0..1), 'flash_bytes', 'peak_sram_bytes'.
    """
    fig = fig or Figure(figsize=(8, 2.8))
    fig.clear()
    axes = fig.subplots(1, 3)
    rows = [("accuracy (%)", 100 * before["accuracy"], 100 * after["accuracy"], None),
            ("Flash (KiB)", before["flash_bytes"] / KIB, after["flash_bytes"] / KIB, device_flash_bytes / KIB),
            ("peak SRAM (KiB)", before["peak_sram_bytes"] / KIB, after["peak_sram_bytes"] / KIB,
             device_sram_bytes / KIB)]
    for ax, (title, b, a, limit) in zip(axes, rows):
        bars = ax.bar(["before", "after"], [b, a], color=["tab:blue", "tab:orange"])
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
        ax.set_title(title, fontsize=9)
        if limit is not None and limit < 4 * max(a, b):  # show the device line when it is in view
            ax.axhline(limit, color="red", linestyle="--", linewidth=1)
    axes[0].set_ylim(0, 105)
    fig.tight_layout()
    return fig
