#!/usr/bin/env python3
"""Benchmarks of the core: numpy kernels vs the naive loops, accounting, the dashboard's redraw.

    python benchmarks/bench_core.py           # about half a minute
    python benchmarks/bench_core.py --quick   # fewer repeats, smaller naive runs

1. Kernels, on MobileNetV2-224 layer shapes (float32). The numpy kernel runs at the full shape.
   The naive loops of naive.py would take minutes there, so both run again on a reduced shape
   (same kernel, stride, channels where possible; fewer output pixels, fewer output channels when
   one pixel is already too much) of about NAIVE_MACS multiply-accumulates. The speed-up compares
   the two at that same shape; ns/MAC scales the full and reduced runs fairly.
2. Accounting: building each zoo network and profiling it under every schedule x convention.
3. The dashboard: one redraw (cached profile + in-place figure update + PNG) per control change,
   and a redraw that has to build a network and profile it first.
Times are the best of several runs (wall clock, time.perf_counter), except the redraws (median).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np  # noqa: E402

from tinyml_course.runtime import kernels, naive  # noqa: E402
from tinyml_course.memory.conventions import CONVENTIONS  # noqa: E402
from tinyml_course.memory.accounting import profile
from tinyml_course.model.network import Op  # noqa: E402
from tinyml_course.model.zoo import ZOO_NAMES, get_network  # noqa: E402

NAIVE_MACS = 150_000  # multiply-accumulates per naive run (~0.2-0.5 s of Python loops)
LAYERS = ("stem", "block1.expand", "block1.dw", "block3.dw", "block13.expand", "block16.project",
          "classifier")  # MobileNetV2-224 ops: every kernel kind, early (large) and late (deep)


def best_time(fn, repeats):
    """Best wall-clock seconds of ``repeats`` calls of fn()."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def reduced(op, target_macs):
    """A copy of ``op`` with fewer output pixels (and channels if needed): about target_macs MACs."""
    cout, ho, wo = op.out_shape
    per_pixel = op.macs // (ho * wo)
    if per_pixel > target_macs:  # even one pixel is too much: cut output channels too
        cout = max(1, cout * target_macs // per_pixel)
        per_pixel = op.macs // (ho * wo) * cout // op.out_shape[0]
    side = max(1, min(ho, int((target_macs / per_pixel) ** 0.5)))
    hin = (side - 1) * op.stride + op.kernel - 2 * op.padding  # input size giving side x side
    cin = op.in_shape[0] if op.kind != "dwconv" else cout
    if op.kind == "linear":
        return Op(op.name, op.kind, op.inputs, op.in_shape, (cout, 1, 1))
    return Op(op.name, op.kind, op.inputs, (cin, hin, hin), (cout, side, side), op.kernel,
              op.stride, op.padding)


def make_args(op, rng):
    """Random float32 input, weight and bias for ``op``."""
    x = rng.standard_normal(op.in_shape).astype(np.float32)  # (C, H, W)
    w = (rng.standard_normal(op.weight_shape) * 0.1).astype(np.float32)
    b = rng.standard_normal(op.out_shape[0]).astype(np.float32)
    return x, w, b


def fast_call(op, x, w, b):
    if op.kind == "conv":
        return lambda: kernels.conv2d(x, w, b, op.stride, op.padding)
    if op.kind == "dwconv":
        return lambda: kernels.depthwise_conv2d(x, w, b, op.stride, op.padding)
    if op.kind == "pwconv":
        return lambda: kernels.pointwise_conv2d(x, w, b)
    return lambda: kernels.linear(x, w, b)


def naive_call(op, x, w, b):
    if op.kind == "conv":
        return lambda: naive.naive_conv2d(x, w, b, op.stride, op.padding)
    if op.kind == "dwconv":
        return lambda: naive.naive_depthwise_conv2d(x, w, b, op.stride, op.padding)
    if op.kind == "pwconv":  # a 1x1 conv is a full conv with k = 1
        return lambda: naive.naive_conv2d(x, w[:, :, None, None], b, 1, 0)
    return lambda: naive.naive_linear(x.reshape(-1), w, b)


def bench_kernels(repeats, target_macs):
    net = get_network("mobilenetv2", 224)
    rng = np.random.default_rng(0)
    print(f"1. kernels vs naive loops, MobileNetV2-224 layers, float32 (naive on ~{target_macs:,} "
          f"MACs)")
    print(f"{'op':<16}{'kind':<8}{'full shape in -> out':<29}{'numpy ms':>9}{'ns/MAC':>8} | "
          f"{'reduced out':<13}{'numpy ms':>9}{'naive ms':>10}{'ns/MAC':>8}{'speed-up':>10}")
    for name in LAYERS:
        op = net.op(name)
        full = fast_call(op, *make_args(op, rng))
        t_full = best_time(full, repeats)
        small = reduced(op, target_macs)
        args = make_args(small, rng)
        np.testing.assert_allclose(fast_call(small, *args)(), naive_call(small, *args)().reshape(
            small.out_shape), rtol=1e-3, atol=1e-3)  # same answer before timing
        t_small = best_time(fast_call(small, *args), repeats)
        t_naive = best_time(naive_call(small, *args), 1)
        shape = f"{'x'.join(map(str, op.in_shape))} -> {'x'.join(map(str, op.out_shape))}"
        print(f"{name:<16}{op.kind:<8}{shape:<29}{1e3 * t_full:>9.2f}{1e9 * t_full / op.macs:>8.2f} | "
              f"{'x'.join(map(str, small.out_shape)):<13}{1e3 * t_small:>9.3f}{1e3 * t_naive:>10.1f}"
              f"{1e9 * t_naive / small.macs:>8.0f}{t_naive / t_small:>9.0f}x")
    print()


def bench_accounting(repeats):
    print("2. accounting: build each zoo network, profile it (bytes, int8)")
    print(f"{'model':<16}{'res':>5}{'ops':>5}{'build ms':>10}{'profile ms':>12}  (per schedule x "
          f"convention, mean of {2 * len(CONVENTIONS)})")
    total = 0.0
    for model in ZOO_NAMES:
        t_build = best_time(lambda: get_network(model), repeats)
        net = get_network(model)
        combos = [(s, c) for s in ("per-layer", "in-place") for c in CONVENTIONS]
        t_prof = best_time(lambda: [profile(net, s, c) for s, c in combos], repeats)
        total += t_build + t_prof
        print(f"{model:<16}{net.input_shape[1]:>5}{len(net):>5}{1e3 * t_build:>10.2f}"
              f"{1e3 * t_prof / len(combos):>12.2f}")
    print(f"the whole zoo, built and profiled {2 * len(CONVENTIONS)} ways: {1e3 * total:.0f} ms\n")


def bench_dashboard(rounds):
    from tinyml_course.ui.plots.memory import sram_png, update_sram_figure
    from tinyml_course.ui.widgets.memory import sram_dashboard, cached_network, cached_profile

    print("3. dashboard redraw (profile lookup + in-place figure update + PNG), per control change")
    d = sram_dashboard()
    changes = [("schedule", "per-layer"), ("schedule", "in-place"), ("convention", "mcunet"),
               ("convention", "tinyengine"), ("device", "stm32f412"), ("device", "stm32f746"),
               ("dtype", "float32"), ("dtype", "int8"), ("model", "mcunet-in2"),
               ("model", "mobilenetv2"), ("width", 0.5), ("width", 1.0)]
    for field, value in changes:  # warm the caches once
        d.controls[field].value = value
    times = {}
    for _ in range(rounds):
        for field, value in changes:
            d.controls[field].value = value
            times.setdefault(field, []).append(d.last_redraw_s)
    print(f"{'control':<12}{'median ms':>10}{'max ms':>8}")
    for field, ts in times.items():
        print(f"{field:<12}{1e3 * statistics.median(ts):>10.0f}{1e3 * max(ts):>8.0f}")
    alls = [t for ts in times.values() for t in ts]
    print(f"{'all':<12}{1e3 * statistics.median(alls):>10.0f}{1e3 * max(alls):>8.0f}")
    # the parts of one redraw
    state = d.state
    t_profile = best_time(state.profile, 20)
    t_update = best_time(lambda: update_sram_figure(d.figure, state.profile(), state.device), 10)
    t_png = best_time(lambda: sram_png(d.figure), 5)
    print(f"parts: cached profile {1e3 * t_profile:.3f} ms, figure update {1e3 * t_update:.1f} ms, "
          f"render PNG (blitted) {1e3 * t_png:.0f} ms")
    # uncached: a resolution never seen, so the network is built and profiled first
    cold = []
    for res in (112, 128, 144, 176):
        d.controls["resolution"].value = res
        cold.append(d.last_redraw_s)
    print(f"resolution (uncached network + profile): median {1e3 * statistics.median(cold):.0f} ms; "
          f"caches hold {cached_network.cache_info().currsize} networks, "
          f"{cached_profile.cache_info().currsize} profiles\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller naive runs")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 5
    start = time.perf_counter()
    print(f"numpy {np.__version__}, {os.cpu_count()} CPU(s)\n")
    bench_kernels(repeats, NAIVE_MACS // 3 if args.quick else NAIVE_MACS)
    bench_accounting(repeats)
    bench_dashboard(1 if args.quick else 3)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
