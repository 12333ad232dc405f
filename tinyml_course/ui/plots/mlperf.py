"""The MLPerf Tiny reference models beside the published results, as one figure (notebook 40).

``mlperf_figure(rows)``: rows are ``deploy.mlperf_deploy.MlperfRow`` of the models on one board.
Left, the arena of each schedule (linked, bytes in, KiB = 1024 bytes on the axis) beside the
activation RAM X-CUBE-AI 9.0 reports; right, our in-place latency ESTIMATE beside the published
measured latencies on that board (a log axis: they span two orders of magnitude), for the models
with a published latency.
"""

import numpy as np
from matplotlib.figure import Figure

from ...model.mlperf_results import XCUBE, XCUBE_ACTIVATION_BYTES, published_latencies
from ...model.units import KIB

FIGSIZE = (10, 2.7)  # inches (the slide it sits on is 800 px tall: 2.9 overflowed it by 13 px)
TEXT_PT = 10  # ticks, labels, legends: readable from the back of the room
SCHEDULES = ("per-layer", "in-place", "patch")


def _grouped(ax, groups, series, ylabel):
    """Grouped bars: series {label: [value or None per group]}; a None leaves a gap."""
    x = np.arange(len(groups))
    width = 0.8 / len(series)
    for k, (label, values) in enumerate(series.items()):
        at = [(i, v) for i, v in enumerate(values) if v is not None]
        if at:
            ax.bar([x[i] + (k - (len(series) - 1) / 2) * width for i, _ in at],
                   [v for _, v in at], width, label=label)
    ax.set_xticks(x, groups, fontsize=TEXT_PT)
    ax.tick_params(axis="y", labelsize=TEXT_PT)
    ax.set_ylabel(ylabel, fontsize=TEXT_PT)
    ax.legend(fontsize=TEXT_PT, loc="upper left", ncol=2)  # in the headroom above the bars


def mlperf_figure(rows):
    """Arena (KiB) per schedule beside X-CUBE-AI's activation RAM, and latency (ms) beside the
    published ones, for the MlperfRows ``rows`` of one board."""
    device = rows[0].device
    fig = Figure(figsize=FIGSIZE)
    memory_ax, latency_ax = fig.subplots(1, 2)
    memory = {f"{kind} (ours)": [None if r.run(kind) is None else
                                  r.run(kind).arena_bytes / KIB for r in rows]
              for kind in SCHEDULES}
    memory[XCUBE] = [XCUBE_ACTIVATION_BYTES[r.model] / KIB for r in rows]
    _grouped(memory_ax, [r.model for r in rows], memory, "activation SRAM (KiB)")
    memory_ax.set_ylim(0, 1.9 * memory_ax.get_ylim()[1])  # headroom for the legend
    memory_ax.set_title(f"arena on the {device}: ours linked, {XCUBE}'s reported",
                        fontsize=TEXT_PT + 1, loc="left")
    timed = [r for r in rows if published_latencies(r.model, r.device)]
    stacks = sorted({s for r in timed for s in published_latencies(r.model, r.device)})
    latency = {"ours (ESTIMATE)": [r.estimated_ms for r in timed]}
    for stack in stacks:
        latency[stack] = [getattr(published_latencies(r.model, r.device).get(stack),
                                                  "ms", None) for r in timed]
    _grouped(latency_ax, [r.model for r in timed], latency, "latency (ms, log scale)")
    latency_ax.set_yscale("log")
    low, high = latency_ax.get_ylim()
    latency_ax.set_ylim(low, high * (high / low) ** 0.9)  # headroom for the legend (log axis)
    latency_ax.set_title(f"latency: ours estimated (in place), others measured",
                         fontsize=TEXT_PT + 1, loc="left")
    fig.subplots_adjust(left=0.07, right=0.99, wspace=0.25)
    return fig
