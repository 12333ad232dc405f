"""Figures of the deployment lecture (pure functions: data in, ``matplotlib.figure.Figure`` out).

``instruction_bars``: executed instructions per layer, one bar per kernel set (reference vs
optimised). ``memory_map``: the device's Flash and SRAM as two horizontal bars, split into what
the linker placed (code, constants, arena, other static data) and the stack's measured
high-water mark, against the device's capacity. Bytes in, KiB (1024 bytes) on the axes.
"""

import numpy as np
from matplotlib.figure import Figure

from ...model.units import KIB

BARS_FIGSIZE = (9, 3.4)  # inches
MAP_FIGSIZE = (9, 2.6)
TEXT_PT = 11  # every text of these figures: readable from the back of the room


def instruction_bars(runs, title="executed instructions per layer (measured in the emulator)"):
    """Grouped bars of instructions per layer. runs: {label: [{'name', 'instructions'}, ...]}
    with the same layer names in the same order (e.g. Deployment.layers of two kernel sets)."""
    fig = Figure(figsize=BARS_FIGSIZE)
    ax = fig.add_subplot()
    labels = list(runs)
    names = [row["name"] for row in runs[labels[0]]]
    width = 0.8 / len(labels)
    x = np.arange(len(names))
    for k, label in enumerate(labels):
        values = [row["instructions"] / 1e6 for row in runs[label]]
        ax.bar(x + (k - (len(labels) - 1) / 2) * width, values, width, label=label)
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=TEXT_PT)
    ax.tick_params(axis="y", labelsize=TEXT_PT)
    ax.set_ylabel("million instructions", fontsize=TEXT_PT)
    ax.set_title(title, fontsize=TEXT_PT + 1)
    ax.legend(fontsize=TEXT_PT)
    fig.subplots_adjust(bottom=0.38, left=0.08, right=0.98, top=0.9)
    return fig


def memory_map(sections, arena_bytes, stack_bytes, flash_capacity, sram_capacity, title=""):
    """Flash and SRAM of a linked program. sections: {section: bytes} from the ELF; arena_bytes:
    the arena's part of .bss; stack_bytes: measured high-water mark; capacities in bytes."""
    fig = Figure(figsize=MAP_FIGSIZE)
    ax = fig.add_subplot()
    flash = [(".text (code)", sections.get(".text", 0)),
             (".rodata (weights, constants)", sections.get(".rodata", 0)),
             (".data (initial values)", sections.get(".data", 0))]
    sram = [(".data", sections.get(".data", 0)), ("arena (.bss)", arena_bytes),
            ("other .bss", sections.get(".bss", 0) - arena_bytes), ("stack (high-water)", stack_bytes)]
    for row, (parts, capacity) in enumerate([(flash, flash_capacity), (sram, sram_capacity)]):
        left = 0
        for name, size in parts:
            if size > 0:
                ax.barh(row, size / KIB, left=left / KIB, label=name)
                left += size
        ax.barh(row, (capacity - left) / KIB, left=left / KIB, color="0.9", edgecolor="0.6")
        ax.text(capacity / KIB, row, f" {left / KIB:.1f} of {capacity / KIB:.0f} KiB", va="center",
                fontsize=TEXT_PT)
    ax.set_yticks([0, 1], ["Flash", "SRAM"])
    ax.tick_params(labelsize=TEXT_PT)
    ax.set_xlabel("KiB", fontsize=TEXT_PT)
    ax.set_xlim(0, max(flash_capacity, sram_capacity) / KIB * 1.6)  # room for the readouts
    ax.set_title(title or "memory map from the linker and the run", fontsize=TEXT_PT + 1)
    ax.legend(fontsize=TEXT_PT - 1, loc="upper left", bbox_to_anchor=(1.01, 1.05), borderaxespad=0)
    fig.subplots_adjust(left=0.08, right=0.66, bottom=0.22)  # the legend right of the bars
    return fig
