"""Figures of MCUNet's results: model size vs peak activation, accuracy vs memory and latency,
TinyEngine against other MCU libraries.

Published points come from ``model.published_results`` (each figure says its source); points
the suite computes itself (``memory.profile``) are drawn beside them, marked as ours.
"""

import numpy as np
from matplotlib.figure import Figure

from ...memory.accounting import profile as memory_profile
from ...model.devices import get_device
from ...model.published_results import (LIBRARY_NAMES, MCUNET_README, PATCH_FIGURE,
                                        PATCH_GAIN_LABELS, TINYENGINE_ALIAS, TINYENGINE_README,
                                        ZOO_ALIAS, library_result, mcunetv2_gain, patch_results,
                                        zoo_results)
from ...model.units import KIB, MIB
from ...model.zoo import get_network
from .style import WIDE, projector

FAMILY_STYLE = {  # marker, colour, legend label
    "mcunet": ("*", "#d62728", "MCUNet"),
    "mobilenetv2": ("o", "#4c72b0", "MobileNetV2"),
    "proxylessnas": ("s", "#55a868", "ProxylessNAS"),
}
MCUNETV2_COLOR = "#8c1a1a"  # MCUNetV2's bars: a darker MCUNet red
LIBRARY_COLORS = dict(zip(LIBRARY_NAMES, ("#8c8c8c", "#4c72b0", "#dd8452", "#d62728")))
SIZE_MODELS = ("resnet18", "mobilenetv2", "mcunet-in4")  # the MCUNet paper's comparison


def _source(fig, text):
    fig.text(0.01, 0.01, f"source: {text}", fontsize=9, color="gray")


def params_vs_peak_figure(models=SIZE_MODELS, convention="mcunet"):
    """Parameters (MiB at int8) beside peak activation (KiB, int8, per-layer) for each model.

    Computed by this package (``memory.profile``, ``convention``, depthwise not in place: the
    network as published, before any scheduling trick). Two bar groups, one per quantity.
    """
    nets = [get_network(m) for m in models]
    profiles = [memory_profile(n, "per-layer", convention) for n in nets]
    params_mb = [n.params / MIB for n in nets]  # int8: one byte per weight
    peak_kb = [p.peak_sram_bytes / KIB for p in profiles]
    with projector():
        fig = Figure(figsize=WIDE)
        pax, aax = fig.subplots(1, 2)
        colors = ["#8c8c8c", "#4c72b0", "#d62728"][:len(models)] + ["C4"] * max(0, len(models) - 3)
        for ax, values, unit, title in ((pax, params_mb, "MiB", "model size (int8 weights, Flash)"),
                                        (aax, peak_kb, "KiB", "peak activation (int8, SRAM)")):
            ax.bar(range(len(models)), values, color=colors)
            for i, v in enumerate(values):
                ratio = f"\n({values[0] / v:.1f}x smaller)" if i and v < values[0] else (
                    f"\n({v / values[0]:.2f}x of {models[0]})" if i else "")
                ax.text(i, v, f"{v:,.1f} {unit}{ratio}", ha="center", va="bottom", fontsize=12)
            ax.set_xticks(range(len(models)), models)
            ax.set_ylim(0, max(values) * 1.35)
            ax.set_title(title, loc="left")
            ax.set_ylabel(unit)
        fig.suptitle("MobileNetV2 shrinks the model, not the peak activation", x=0.01, ha="left")
        _source(fig, f"computed by tinyml_course (memory.profile, per-layer, {convention} "
                     "convention, 1 KiB = 1024 bytes)")
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.86, wspace=0.25)
    return fig


def imagenet_points(family, library="TinyEngine"):
    """(net_id, top-1 int8 %, latency ms, peak SRAM bytes) of the ImageNet models of ``family``
    that both READMEs list, measured under ``library`` (models it ran out of memory on are left
    out), sorted by latency."""
    points = []
    for r in zoo_results("imagenet"):
        if r.family != family or r.net_id not in TINYENGINE_ALIAS:
            continue
        measured = library_result(TINYENGINE_ALIAS[r.net_id], library)
        if measured.latency_ms is not None:
            points.append((r.net_id, r.top1_int8, measured.latency_ms, measured.sram_bytes))
    return sorted(points, key=lambda p: p[2])


def _accuracy_figure(x_index, xlabel, title, library):
    fig = Figure(figsize=WIDE)
    ax = fig.add_subplot()
    for family, (marker, color, label) in FAMILY_STYLE.items():
        pts = imagenet_points(family, library)
        xs = [p[x_index] if x_index == 2 else p[x_index] / KIB for p in pts]
        ax.plot(xs, [p[1] for p in pts], marker=marker, ms=18 if marker == "*" else 11,
                color=color, ls="none", label=label)
        for xi, p in zip(xs, pts):
            ax.annotate(p[0], (xi, p[1]), xytext=(9, -5), textcoords="offset points", fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("top-1 accuracy, ImageNet, int8 (%)")
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")  # the empty corner: no point label under it
    ax.margins(x=0.12)
    _source(fig, f"accuracy: {MCUNET_README};\n{xlabel.split(' (')[0]}: {TINYENGINE_README}")
    fig.subplots_adjust(left=0.08, right=0.97, bottom=0.19)
    return fig, ax


def accuracy_vs_memory_figure(library="TinyEngine", ours=True):
    """Top-1 (int8, mcunet README) against peak SRAM measured under ``library`` (tinyengine
    README, STM32H743) for MCUNet and its baselines. ``ours``: also mark the activation peak
    this package computes for each (tinyengine convention), joined to it by a dotted line."""
    with projector():
        fig, ax = _accuracy_figure(3, f"peak SRAM under {library} (KiB)",
                                   "MCUNet: higher accuracy at the same memory", library)
        if ours:
            first = True
            for family in FAMILY_STYLE:
                for net_id, top1, _, sram in imagenet_points(family, library):
                    if net_id not in ZOO_ALIAS:
                        continue
                    mine = memory_profile(get_network(ZOO_ALIAS[net_id]), "in-place",
                                          "tinyengine").peak_sram_bytes / KIB
                    ax.plot([mine, sram / KIB], [top1] * 2, color="gray", lw=1, ls=":")
                    ax.plot([mine], [top1], marker="|", ms=20, mew=3, color="black", ls="none",
                            label="activations only, computed here" if first else None)
                    first = False
            ax.legend(loc="upper left")  # the empty corner: no point label under it
    return fig


def accuracy_vs_latency_figure(library="TinyEngine"):
    """Top-1 (int8, mcunet README) against latency (ms) under ``library`` (tinyengine README,
    STM32H743) of MCUNet and its baselines; models that ran out of memory are left out."""
    with projector():
        fig, _ = _accuracy_figure(2, f"latency under {library} (ms)",
                                  "MCUNet: higher accuracy at the same latency", library)
    return fig


LIBRARY_FIGURE_NETS = ("mcunet-in1", "mcunet-in2", "mcunet-in4", "proxyless-w0.3", "mcunet-vww1")


def library_figure(nets=LIBRARY_FIGURE_NETS):
    """Latency (log scale) and peak SRAM of ``nets`` under each library (tinyengine README);
    OOM bars are drawn as a hatched 'OOM' marker at the axis top."""
    with projector():
        fig = Figure(figsize=WIDE)
        lax, sax = fig.subplots(1, 2)
        width = 0.8 / len(LIBRARY_NAMES)
        x = np.arange(len(nets))
        for ax, key, scale in ((lax, "latency_ms", 1), (sax, "sram_bytes", 1 / KIB)):
            for j, lib in enumerate(LIBRARY_NAMES):
                values = [getattr(library_result(n, lib), key) for n in nets]
                xs = x + (j - 1.5) * width
                ax.bar([xi for xi, v in zip(xs, values) if v is not None],
                       [v * scale for v in values if v is not None], width,
                       color=LIBRARY_COLORS[lib], label=lib)
                for xi, v in zip(xs, values):
                    if v is None:
                        ax.text(xi, 0.02, "OOM", rotation=90, ha="center", va="bottom",
                                transform=ax.get_xaxis_transform(), fontsize=10,
                                color=LIBRARY_COLORS[lib])
            ax.set_xticks(x, nets, rotation=20)
        lax.set_yscale("log")
        lax.set_ylabel("latency (ms, log scale)")
        lax.set_title("latency", loc="left")
        sax.set_ylabel("peak SRAM (KiB)")
        sax.set_title("peak SRAM", loc="left")
        lax.legend(fontsize=11)
        fig.suptitle("TinyEngine against other MCU libraries (STM32H743)", x=0.01, ha="left")
        _source(fig, TINYENGINE_README)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.22, top=0.86, wspace=0.25)
    return fig


# the higher budget's bars: the README's figure says STM32F746, the review 512 kB / 2 MB
PATCH_PANEL_TITLES = {"stm32f412": "STM32F412", "stm32f746": "higher budget"}


def patch_gain_figure(devices=tuple(PATCH_GAIN_LABELS)):
    """MCUNetV2 (patch-based) against MCUNet-v1 and the baselines: ImageNet top-1 bars per device
    (one panel each, the device's SRAM in its title), MCUNetV2's gain over MCUNet-v1 marked; the
    published bars of the tinyengine README's figure."""
    with projector():
        fig = Figure(figsize=WIDE)
        axes = fig.subplots(1, len(devices), gridspec_kw={
            "width_ratios": [len(patch_results(d)) for d in devices]})
        for ax, device in zip(np.atleast_1d(axes), devices):
            rows = patch_results(device)
            colors = [MCUNETV2_COLOR if r.family == "mcunetv2" else FAMILY_STYLE[r.family][1]
                      for r in rows]
            tops = [r.top1 for r in rows]
            ax.bar(range(len(rows)), tops, color=colors, width=0.65)
            for i, top1 in enumerate(tops):
                ax.text(i, top1 + 0.4, f"{top1:.1f}", ha="center", va="bottom")
            ax.set_ylim(0, max(tops) + 12)  # bars compared: from zero (the README's start at 40%)
            ax.set_xticks(range(len(rows)), [r.model.replace(" ", "\n", 1) for r in rows])
            v1 = next(i for i, r in enumerate(rows) if r.family == "mcunet")
            ax.axhline(tops[v1], color="gray", ls=":", lw=1.5)
            ax.text((v1 + len(rows) - 1) / 2, max(tops) + 6,
                    f"+{mcunetv2_gain(device):.1f} points", ha="center", color=MCUNETV2_COLOR,
                    fontweight="bold")
            ax.set_title(PATCH_PANEL_TITLES.get(device, get_device(device).name.upper())
                         + f" ({rows[0].sram_bytes // KIB} KiB SRAM)", loc="left", fontsize=13)
            ax.grid(axis="y", alpha=0.3)
        np.atleast_1d(axes)[0].set_ylabel("ImageNet top-1 (%)")
        fig.suptitle("MCUNetV2 (patch-based inference) beats MCUNet-v1 on the same MCU", x=0.01,
                     ha="left")
        _source(fig, PATCH_FIGURE)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.2, top=0.84, wspace=0.2)
    return fig
