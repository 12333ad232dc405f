"""Figures of the TinyNAS notebook (pure functions: data in, ``matplotlib.figure.Figure`` out).

Accuracies are 0..1 (shown in %), memory in bytes (shown in KiB = 1024 bytes), MACs in millions.
"""

import numpy as np
from matplotlib.figure import Figure

from ...model.units import KIB
from ...stats import ERROR_BAR_SE
from .style import projector


@projector()
def samples_figure(images_by_resolution, labels, class_names, count=6):
    """A grid of the same scenes at several resolutions: {resolution: (N, 1, R, R)} -> Figure."""
    rows = list(images_by_resolution)
    fig = Figure(figsize=(1.6 * count, 1.7 * len(rows)))
    axes = fig.subplots(len(rows), count, squeeze=False)
    for r, res in enumerate(rows):
        for i in range(count):
            ax = axes[r][i]
            ax.imshow(images_by_resolution[res][i, 0], cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(class_names[labels[i]])
            if i == 0:
                ax.set_ylabel(f"{res}x{res}")
    return fig


@projector()
def resolution_figure(curves, sweeps, spread=None, chance=None):
    """Left: accuracy vs resolution ({label: [(R, acc)]}); right: one-dimension sweeps
    ({dimension: [(value, acc)]}, each on its own index axis).

    spread: accuracies (fractions) -> their standard errors (e.g. ``nas.evaluate.accuracy_spread``);
    each point then gets an error bar of two standard errors (about 95%), so a difference smaller
    than the bars is not read as a trend (issue 20 item 9). Both y-axes start at zero; ``chance``
    (a fraction, 1 / classes) is drawn as a dotted line.
    """
    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    for label, points in curves.items():
        r, acc = zip(*points)
        _points(left, r, acc, spread, label)
    left.set_xlabel("input resolution (pixels)")
    left.set_ylabel("held-out accuracy (%)")
    left.set_title("accuracy vs input resolution")
    for dim, points in sweeps.items():
        values, acc = zip(*points)
        _points(right, range(len(values)), acc, spread,
                f"{dim}: {', '.join(f'{v:g}' for v in values)}")
    right.set_xticks([0, 1, 2], ["small", "middle", "large"])
    right.set_title("one dimension at a time" + (" (bars: 2 SE)" if spread else ""))
    for ax in (left, right):
        if chance:
            ax.axhline(100 * chance, color="gray", ls=":", lw=1.2, label=f"chance {100 * chance:.1f}%")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=10)
        ax.grid(alpha=0.3)
    return fig


def _points(ax, x, acc, spread, label):
    """Accuracy points (%) joined by a line, with error bars of 2 * spread(acc) when given."""
    acc = np.asarray(acc, float)
    err = None if spread is None else 200 * np.asarray(spread(acc))
    ax.errorbar(list(x), 100 * acc, yerr=err, fmt="o-", capsize=3, label=label)


@projector()
def space_figure(spaces, chosen, device_name):
    """CDF of the MACs of fitting random archs per (width, resolution) space; chosen in bold."""
    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    for (w, r), macs in sorted(spaces.items()):
        if not len(macs):
            continue
        bold = (w, r) == chosen
        ax.plot(np.asarray(macs) / 1e6, np.linspace(0, 1, len(macs)), lw=3 if bold else 1,
                label=f"w{w:g} r{r} ({len(macs)} fit)" + (" <- chosen" if bold else ""))
    ax.set_xlabel("MACs of the fitting models (millions)")
    ax.set_ylabel("cumulative share")
    ax.set_title(f"search-space optimisation on {device_name}")
    ax.legend(fontsize=10, ncol=2)
    ax.grid(alpha=0.3)
    return fig


@projector()
def results_figure(groups, sram_limit, device_name):
    """Accuracy vs peak SRAM and vs latency of model groups (instructions of the emulated
    deployment from the calibrated model, cycles an ESTIMATE: ``deploy.latency``).

    groups: {label: [model json dicts (accuracy, accuracy_se, peak_sram_bytes, latency_ms,
    fits)]}; every accuracy is drawn with a bar of ERROR_BAR_SE standard errors each side.
    """
    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    markers = iter(["o", "s", "*", "^", "D"])
    for label, models in groups.items():
        marker = next(markers)
        size = 120 if marker == "*" else 25
        acc = [100 * m["accuracy"] for m in models]
        err = [100 * ERROR_BAR_SE * m["accuracy_se"] for m in models]
        for ax, x in ((left, [m["peak_sram_bytes"] / KIB for m in models]),
                      (right, [m["latency_ms"] for m in models])):
            ax.errorbar(x, acc, yerr=err, fmt=marker, ms=np.sqrt(size) * 1.2, capsize=2,
                        label=label, alpha=0.8)
    left.axvline(sram_limit / KIB, color="red", ls="--", label=f"{device_name} SRAM")
    left.set_xlabel("peak SRAM, int8 (KiB)")
    right.set_xlabel("latency (ms, an estimate)")
    for ax in (left, right):
        ax.set_ylabel(f"accuracy (%), bars {ERROR_BAR_SE} SE")
        ax.grid(alpha=0.3)
    left.legend(fontsize=10)
    fig.suptitle(f"{device_name}: searched models vs scaled MobileNetV2-style baselines")
    return fig


@projector()
def evolution_figure(loop_histories, evolution_histories):
    """Best accuracy so far vs accuracy evaluations, one thin line per seed, the band between the
    seeds' lowest and highest: the slide's random loop vs evolution at equal evaluations.

    loop_histories, evolution_histories: lists (one per seed) of best-so-far accuracies (0..1).
    """
    fig = Figure(figsize=(8, 4.4), layout="constrained")
    ax = fig.subplots()
    for label, runs, color in (("slide's loop (random)", loop_histories, "C0"),
                               ("evolution", evolution_histories, "C1")):
        n = min(len(r) for r in runs)
        table = 100 * np.array([r[:n] for r in runs])
        steps = np.arange(1, n + 1)
        for row in table:
            ax.plot(steps, row, color=color, lw=0.8, alpha=0.6)
        ax.fill_between(steps, table.min(0), table.max(0), color=color, alpha=0.2,
                        label=f"{label}: {len(runs)} seeds, min-max")
    ax.set_xlabel("accuracy evaluations")
    ax.set_ylabel("best accuracy so far (%)")
    ax.legend(fontsize=10)
    ax.grid(alpha=0.3)
    return fig
