#!/usr/bin/env python3
"""The SRAM dashboard's server-side redraw per control move: full re-render vs in place.

    python benchmarks/bench_dashboard_redraw.py [--rounds 3]

For the same sequence of control moves (schedule, convention, device, dtype, model, width,
resolution), median milliseconds of:

- full re-render: a new ``sram_figure`` and ``savefig`` PNG per move (what a naive widget does);
- in place, first visit: ``SramDashboard`` with its image cache emptied before every move (the
  figure's artists updated in place, one Agg draw, a zlib-1 PNG);
- in place, revisit: the same moves again (a state shown before comes from the PNG cache).

The profiles are warmed first (functools caches), so all three time the figure and PNG only.
"""
import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinyml_course.ui.plots.memory import sram_figure  # noqa: E402
from tinyml_course.ui.widgets.memory import sram_dashboard  # noqa: E402

MOVES = [("schedule", "per-layer"), ("schedule", "in-place"), ("convention", "mcunet"),
         ("convention", "tinyengine"), ("device", "stm32f412"), ("device", "stm32f746"),
         ("dtype", "float32"), ("dtype", "int8"), ("model", "mcunet-in2"),
         ("model", "mobilenetv2"), ("width", 0.5), ("width", 1.0), ("resolution", 160),
         ("resolution", 224)]


def full_render(state):
    start = time.perf_counter()
    fig = sram_figure(state.profile(), state.device)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    d = sram_dashboard()
    for field, value in MOVES:  # warm the network and profile caches
        d.controls[field].value = value
    full, first, again = [], [], []
    for _ in range(args.rounds):
        for field, value in MOVES:
            d._pngs = type(d._pngs)()  # empty image cache: a first visit
            d.controls[field].value = value
            first.append(d.last_redraw_s)
            full.append(full_render(d.state))
        for field, value in MOVES:  # fill the image cache with every state of the sequence
            d.controls[field].value = value
        for field, value in MOVES:
            d.controls[field].value = value
            again.append(d.last_redraw_s)
    print(f"SRAM dashboard redraw, {len(MOVES)} control moves x {args.rounds} rounds, "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}")
    for label, times in (("full re-render (new figure + savefig)", full),
                         ("in place, first visit", first), ("in place, revisit (PNG cache)", again)):
        print(f"  {label:<40} median {1e3 * statistics.median(times):6.1f} ms, "
              f"max {1e3 * max(times):6.1f} ms")


if __name__ == "__main__":
    main()
