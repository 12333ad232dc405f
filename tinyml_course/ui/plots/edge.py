"""Figures of the lecture's first half: edge devices, model growth, the memory gap, what fits.

Every function returns a ``matplotlib.figure.Figure`` (built without pyplot) from the package's
data: ``model.scale``, ``model.hardware``, the zoo and ``memory.profile``. Memory axes are in
bytes on a log scale, labelled KiB / MiB / GiB (1 KiB = 1024 bytes, the papers' "KB").
"""

from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ...memory.accounting import profile as memory_profile
from ...model.hardware import MEMORY_GAP, format_amount, get_hardware
from ...model.scale import EDGE_DEVICES_2021, EDGE_DEVICES_SOURCE, MODEL_SIZES
from ...model.zoo import get_network
from .style import WIDE, projector

FIT_COLOR, MISS_COLOR, LIMIT_COLOR = "#2ca02c", "#d62728", "#222222"


def _bytes_axis(axis, base=1024, subs=(1, 32)):
    """Log-scale byte ticks at ``subs`` of each power of ``base`` (default: 1 and 32 of each
    KiB/MiB/GiB), labelled '32 KiB'."""
    axis.set_major_locator(LogLocator(base=base, subs=subs))
    axis.set_minor_locator(NullLocator())  # no minor ticks, so none labelled '1.07374x10^9'
    axis.set_major_formatter(FuncFormatter(lambda v, _: format_amount(round(v), "bytes")))


def short_name(hw):
    """'STM32F746' from 'STM32F746 (STM32F746G-DISCO, ...), Cortex-M7': the text before ' ('/','."""
    return hw.what.split(" (")[0].split(",")[0]
# the models of the "does it fit" view, small to big (the ResNet baseline last)
FIT_MODELS = ("mcunet-in1", "mbv2-w0.35", "proxyless-w0.3", "mcunet-in2", "mcunet-in4",
              "mobilenetv2", "resnet18")


def edge_devices_figure():
    """Horizontal bars of the 2021 edge-device counts (log scale), each labelled."""
    with projector():
        fig = Figure(figsize=(10, 4))
        ax = fig.add_subplot()
        names = list(EDGE_DEVICES_2021)
        counts = [EDGE_DEVICES_2021[n] for n in names]
        ax.barh(names, counts, color="#4c72b0")
        ax.set_xscale("log")
        ax.invert_yaxis()
        for y, count in enumerate(counts):
            label = f"{count / 1e9:g} billion" if count >= 1e9 else f"{count / 1e6:g} million"
            ax.text(count, y, f" {label}", va="center")
        ax.set_xlim(1e6, 4e11)
        ax.set_xlabel("devices in 2021 (log scale)")
        ax.set_title("Edge devices in 2021: where AI could run", loc="left")
        fig.text(0.01, 0.01, f"source: {EDGE_DEVICES_SOURCE}", fontsize=9, color="gray")
        fig.subplots_adjust(left=0.2, right=0.97, bottom=0.2)
    return fig


def model_growth_figure():
    """Parameters of well-known models by year (log scale), with 1 MiB of MCU Flash as int8 weights."""
    with projector():
        fig = Figure(figsize=WIDE)
        ax = fig.add_subplot()
        for domain, marker, color in (("vision", "o", "#4c72b0"), ("language", "s", "#dd8452")):
            rows = [m for m in MODEL_SIZES if m.domain == domain]
            ax.scatter([m.year for m in rows], [m.params for m in rows], s=90, marker=marker,
                       color=color, label=domain, zorder=3)
            for m in rows:
                ax.annotate(m.name, (m.year, m.params), xytext=(6, 4), textcoords="offset points")
        mcu_params = 1024 * 1024  # 1 MiB of Flash holds about 1M int8 weights
        ax.axhline(mcu_params, color=MISS_COLOR, ls="--",
                   label="1 MiB of MCU Flash = about 1M int8 weights")
        ax.set_yscale("log")
        ax.set_xlim(2011, 2021.5)
        ax.set_xlabel("year of the paper")
        ax.set_ylabel("parameters (log scale)")
        ax.set_title("Today's AI is too big: parameters grow far faster than MCU memory",
                     loc="left")
        ax.grid(alpha=0.3, which="both", axis="y")
        ax.legend(loc="upper left")
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.12)
    return fig


def memory_gap_figure(names=MEMORY_GAP):
    """Memory (activations) and storage (weights) of a cloud GPU, a phone and an MCU, log scale.

    names: hardware names of ``model.hardware.HARDWARE`` with a memory figure. Missing storage
    figures are left out (the paper gives the V100's as 'TB~PB').
    """
    rows = [get_hardware(n) for n in names]
    with projector():
        fig = Figure(figsize=WIDE)
        ax = fig.add_subplot()
        x = np.arange(len(rows))
        for offset, key, color, label in ((-0.2, "memory", "#4c72b0", "memory (activations)"),
                                          (0.2, "storage", "#55a868", "storage (weights)")):
            xs = [xi + offset for xi, h in zip(x, rows) if getattr(h, key) is not None]
            values = [getattr(h, key).value for h in rows if getattr(h, key) is not None]
            ax.bar(xs, values, width=0.38, color=color, label=label)
            for xi, value in zip(xs, values):
                ax.text(xi, value, format_amount(value, "bytes"), ha="center", va="bottom")
        ax.set_yscale("log")
        _bytes_axis(ax.yaxis)
        ax.set_xticks(x, [short_name(h) for h in rows])
        ax.set_ylim(1e5, 1e12)
        ratio = rows[0].memory.value / rows[-1].memory.value
        ax.set_title(f"The memory gap: the MCU has {ratio:,.0f}x less memory than the GPU",
                     loc="left")
        ax.set_ylabel("bytes (log scale)")
        ax.legend(loc="upper right")
        sources = sorted({f.source for h in rows for f in h.figures().values()})
        fig.text(0.01, 0.01, "sources: " + "; ".join(sources), fontsize=9, color="gray")
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.14)
    return fig


@lru_cache(maxsize=64)
def _fit_profile(model, convention):
    """The int8 in-place profile of zoo ``model`` (cached: a device pick redraws in ~0.1 s)."""
    return memory_profile(get_network(model), "in-place", convention)


def memory_names(hw):
    """What the device's two memories are called: ('SRAM', 'Flash') on a microcontroller,
    ('DRAM', 'storage') on a phone or a GPU (whose activations live in DRAM)."""
    if hw.family == "microcontroller":
        return "SRAM", "Flash"
    return "DRAM", "storage"


def fit_figure(device, models=FIT_MODELS, convention="tinyengine"):
    """Which zoo models fit ``device`` (a hardware name with memory and storage figures)?

    Two panels, log scale, a tick every 4x and each bar's value at its end: each model's peak
    activations (int8, depthwise in place, ``convention``) against the device's memory (SRAM on
    an MCU, DRAM on a phone), and its int8 weights (+ int32 biases) against its Flash or storage;
    a bar is green when it fits, red when it does not.
    """
    hw = get_hardware(device)
    if hw.memory is None or hw.storage is None:
        raise ValueError(f"{device!r} has no published memory and storage figures to compare with")
    memory_name, storage_name = memory_names(hw)
    profiles = [_fit_profile(m, convention) for m in models]
    with projector():
        fig = Figure(figsize=WIDE)
        axes = fig.subplots(1, 2)
        for ax, title, values, limit in (
                (axes[0], f"activations vs {memory_name}", [p.peak_sram_bytes for p in profiles],
                 hw.memory.value),
                (axes[1], f"weights vs {storage_name}", [p.flash_bytes for p in profiles],
                 hw.storage.value)):
            colors = [FIT_COLOR if v <= limit else MISS_COLOR for v in values]
            ax.barh(list(models), values, color=colors)
            for y, value in enumerate(values):  # the value at the end of each bar, 3 digits
                ax.text(value, y, f" {format_amount(value, 'bytes', digits=3)}", va="center",
                        fontsize=11)
            ax.axvline(limit, color=LIMIT_COLOR, ls="--", lw=2)
            ax.set_xscale("log")
            _bytes_axis(ax.xaxis, base=4, subs=(1,))  # a tick every 4x: 64 KiB, 256 KiB, 1 MiB
            ax.set_xlim(min(values + [limit]) / 3, max(values + [limit]) * 12)
            ax.invert_yaxis()
            fits = sum(v <= limit for v in values)
            ax.set_title(f"{title}: {fits} of {len(values)} fit "
                         f"{format_amount(limit, 'bytes')}", loc="left", fontsize=13)
        axes[1].set_yticks(range(len(models)), [""] * len(models))
        fig.suptitle(f"What fits the {short_name(hw)}? (int8, {convention} convention)", x=0.01, ha="left")
        fig.subplots_adjust(left=0.13, right=0.98, bottom=0.1, top=0.84, wspace=0.16)  # ticks apart
    return fig
