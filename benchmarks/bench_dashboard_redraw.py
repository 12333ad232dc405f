#!/usr/bin/env python3
"""The SRAM dashboard's server-side redraw per control move: full re-render vs in place.

    python benchmarks/bench_dashboard_redraw.py [--rounds 3] [--dashboard sram|stakes|both]

For the same sequence of control moves (schedule, convention, device, dtype, model, width,
resolution), median milliseconds (wall clock, and CPU time of this process, which a busy machine
inflates less) of:

- full re-render: a new ``sram_figure`` and ``savefig`` PNG per move (what a naive widget does);
- in place, whole figure drawn: the artists updated in place, then one full Agg draw and a PNG
  (``figure_png``: the dashboard before blitting);
- in place, first visit: ``SramDashboard`` with its image cache emptied before every move (the
  artists updated in place, ``sram_png``: the cached background restored, only the changing
  artists drawn, an RGB zlib-1 PNG);
- in place, revisit: the same moves again (a state shown before comes from the PNG cache).

The profiles are warmed first (functools caches), so all of them time the figure and PNG only.

Then the same for the compression dashboard on the model at stake (``nas.stakes``: the largest
48 px subnet, 200 held-out scenes, the nRF52832), over STAKES_MOVES:

- full re-render: ``quick_compress`` (accuracy included) + two new figures + two ``savefig`` PNGs;
- new state, memory first: the dashboard's redraw (prefetch off: every state a first visit), which
  shows Flash, SRAM, the fit and the histogram with the accuracy pending;
- new state, accuracy shown: from the move until the background measurement has redrawn;
- revisit: the same moves again (every result cached).
"""
import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinyml_course.compression.compress import quick_compress  # noqa: E402
from tinyml_course.nas import stakes, task  # noqa: E402
from tinyml_course.ui.plots.compression import compression_bars, weight_histogram  # noqa: E402
from tinyml_course.ui.plots.memory import figure_png, sram_figure, update_sram_figure  # noqa: E402
from tinyml_course.ui.widgets.compression import compression_dashboard  # noqa: E402
from tinyml_course.ui.widgets.memory import sram_dashboard  # noqa: E402

MOVES = [("schedule", "per-layer"), ("schedule", "in-place"), ("convention", "mcunet"),
         ("convention", "tinyengine"), ("device", "stm32f412"), ("device", "stm32f746"),
         ("dtype", "float32"), ("dtype", "int8"), ("model", "mcunet-in2"),
         ("model", "mobilenetv2"), ("width", 0.5), ("width", 1.0), ("resolution", 160),
         ("resolution", 224)]
# the lecture's story on the model at stake: quantize, cut channels until it fits, then prune more
STAKES_MOVES = [("bits", 8), ("channel_ratio", 0.125), ("channel_ratio", 0.25), ("sparsity", 0.05),
                ("sparsity", 0.3), ("bits", 4), ("channel_ratio", 0.375), ("bits", 32)]
STAKES_IMAGES = 200  # held-out scenes the dashboard measures accuracy on


def timed(call):
    """(wall s, CPU s) of ``call()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def full_render(state):
    buf = io.BytesIO()
    sram_figure(state.profile(), state.device).savefig(buf, format="png",
                                                       pil_kwargs={"compress_level": 1})


def whole_draw(fig, state):
    figure_png(update_sram_figure(fig, state.profile(), state.device))


def full_compression_render(lab, state):
    """What a naive compression widget does per move: everything measured and drawn anew (s)."""
    start = time.perf_counter()
    result = quick_compress(lab.network, lab.weights, lab.x_test, lab.y_test, state.sparsity,
                            state.bits, state.channel_ratio, lab.device.name)
    for fig in (compression_bars(lab.baseline, result, lab.device.sram_bytes, lab.device.flash_bytes,
                                 examples=len(lab.y_test), chance=1 / lab.classes),
                weight_histogram(lab.weights, result["weights"], state.label)):
        fig.savefig(io.BytesIO(), format="png", dpi=120, pil_kwargs={"compress_level": 1})
    return time.perf_counter() - start


def bench_stakes():
    net, weights = stakes.stakes_subnet()
    x, y = task.load_split("val", stakes.STAKES_ARCH.resolution, STAKES_IMAGES)
    d = compression_dashboard(net, weights, x, y, device=stakes.STAKES_DEVICE, prefetch=False)
    full, memory_first, accuracy_shown, again = [], [], [], []
    for field, value in STAKES_MOVES:
        d.controls[field].value = value
        memory_first.append(d.last_redraw_s)
        d.wait()
        accuracy_shown.append(d.accuracy_shown_s)
        full.append(full_compression_render(d.lab, d.state))
    for field, value in STAKES_MOVES:
        d.controls[field].value = value
        again.append(d.last_redraw_s)
    print(f"compression dashboard on the model at stake ({net.macs / 1e6:.1f}M MACs, "
          f"{STAKES_IMAGES} scenes), {len(STAKES_MOVES)} control moves, {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f}")
    for label, times in (("full re-render (measure + new figures)", full),
                         ("new state, memory first", memory_first),
                         ("new state, accuracy shown", accuracy_shown),
                         ("revisit (results cached)", again)):
        print(f"  {label:<40} median {1e3 * statistics.median(times):6.1f} ms, "
              f"max {1e3 * max(times):6.1f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dashboard", choices=("sram", "stakes", "both"), default="both")
    args = parser.parse_args(argv)
    if args.dashboard in ("stakes", "both"):
        bench_stakes()
    if args.dashboard == "stakes":
        return
    d = sram_dashboard()
    for field, value in MOVES:  # warm the network and profile caches
        d.controls[field].value = value
    other = sram_figure(d.state.profile(), d.state.device)  # updated in place, drawn whole
    full, whole, first, again = [], [], [], []
    for _ in range(args.rounds):
        for field, value in MOVES:
            d._pngs = type(d._pngs)()  # empty image cache: a first visit
            first.append(timed(lambda: setattr(d.controls[field], "value", value)))
            full.append(timed(lambda: full_render(d.state)))
            whole.append(timed(lambda: whole_draw(other, d.state)))
        for field, value in MOVES:  # fill the image cache with every state of the sequence
            d.controls[field].value = value
        for field, value in MOVES:
            again.append(timed(lambda: setattr(d.controls[field], "value", value)))
    print(f"SRAM dashboard redraw, {len(MOVES)} control moves x {args.rounds} rounds, "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}")
    for label, times in (("full re-render (new figure + savefig)", full),
                         ("in place, whole figure drawn", whole),
                         ("in place, first visit (blitted)", first),
                         ("in place, revisit (PNG cache)", again)):
        walls, cpus = [t[0] for t in times], [t[1] for t in times]
        print(f"  {label:<38} median {1e3 * statistics.median(walls):6.1f} ms "
              f"(CPU {1e3 * statistics.median(cpus):5.1f} ms), max {1e3 * max(walls):6.1f} ms")


if __name__ == "__main__":
    main()
