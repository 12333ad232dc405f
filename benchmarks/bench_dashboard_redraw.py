#!/usr/bin/env python3
"""The SRAM dashboard's server-side redraw per control move: full re-render vs in place.

    python benchmarks/bench_dashboard_redraw.py [--rounds 3]

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
"""
import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinyml_course.ui.plots.memory import figure_png, sram_figure, update_sram_figure  # noqa: E402
from tinyml_course.ui.widgets.memory import sram_dashboard  # noqa: E402

MOVES = [("schedule", "per-layer"), ("schedule", "in-place"), ("convention", "mcunet"),
         ("convention", "tinyengine"), ("device", "stm32f412"), ("device", "stm32f746"),
         ("dtype", "float32"), ("dtype", "int8"), ("model", "mcunet-in2"),
         ("model", "mobilenetv2"), ("width", 0.5), ("width", 1.0), ("resolution", 160),
         ("resolution", 224)]


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
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
