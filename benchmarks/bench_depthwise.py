#!/usr/bin/env python3
"""Depthwise convolution, numpy (runtime/kernels.py + compression/train.py) vs PyTorch CPU, side by side.

    python benchmarks/bench_depthwise.py            # about two minutes on a shared machine
    python benchmarks/bench_depthwise.py --quick    # fewer repeats
    python benchmarks/bench_depthwise.py --only s2  # the shapes whose label contains "s2"

Shapes: the depthwise layers of MobileNetV2-224 (batch 1, float32) with k = 3, 5 and 7 (the
elastic kernels of TinyNAS), forward; and a training batch (N = 32, the supernet's largest
subnet at 96 px) forward and backward (dx and dweight). Prints numpy ms, torch ms and their ratio
per shape, then the median and the worst ratio against the 3x target (docs/tinynas.md holds the
measured table). PyTorch is an OPTIONAL benchmark dependency, not a project one: the CPU build,
``pip install torch --index-url https://download.pytorch.org/whl/cpu``; without it only the numpy
times print. PyTorch runs with one thread (torch.set_num_threads(1)) and numpy's BLAS with one
(the depthwise kernels themselves are single-threaded numpy). Times: best of several runs, numpy
and torch timed in turns.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's BLAS on one thread, as torch

import numpy as np  # noqa: E402

from tinyml_course.compression.train import op_backward  # noqa: E402
from tinyml_course.model.network import Op  # noqa: E402
from tinyml_course.runtime import kernels  # noqa: E402
from tinyml_course.runtime.backend import FloatBackend  # noqa: E402
from tinyml_course.runtime.batched import op_forward  # noqa: E402

# (channels, input side, stride) of MobileNetV2-224's depthwise layers (one per stage)
MBV2 = [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1), (384, 14, 1),
        (576, 14, 2), (960, 7, 1)]
TRAIN = [(96, 48, 2, 32), (144, 24, 1, 32), (240, 12, 1, 32)]  # (C, side, stride, batch)


def best_of(fns, repeat):
    """Best time (s) of each function in ``fns``, run in turns: a load spike on a shared machine
    then hits both sides of a comparison alike instead of one."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def numpy_cases():
    """(table, label, k, numpy step, setup for the torch step) of every measured shape."""
    rng = np.random.default_rng(0)
    for k in (3, 5, 7):
        for c, side, s in MBV2:
            x = rng.standard_normal((c, side, side)).astype(np.float32)
            w = rng.standard_normal((c, k, k)).astype(np.float32)
            yield ("forward, batch 1", f"C={c} {side}x{side} s{s}", k,
                   lambda x=x, w=w, s=s, k=k: kernels.depthwise_conv2d(x, w, None, s, k // 2),
                   (x[None], w, s, k, None))
    for k in (3, 5, 7):
        for c, side, s, n in TRAIN:
            out = (side + 2 * (k // 2) - k) // s + 1
            op = Op("dw", "dwconv", ("input",), (c, side, side), (c, out, out), k, s, k // 2)
            x = rng.standard_normal((n, c, side, side)).astype(np.float32)
            w = rng.standard_normal((c, k, k)).astype(np.float32)
            dy = rng.standard_normal((n, c, out, out)).astype(np.float32)
            backend = FloatBackend({"dw": (w, np.zeros(c, np.float32))})

            def numpy_step(op=op, x=x, dy=dy, backend=backend):
                op_forward(op, [x], backend)
                op_backward(op, [x], None, dy, backend.weights, need_dx=True)

            yield ("training batch, fwd + bwd", f"N={n} C={c} {side}x{side} s{s}", k, numpy_step,
                   (x, w, s, k, dy))


def torch_step(torch, x, w, s, k, dy):
    """PyTorch's depthwise conv2d on the same arrays: forward only (dy None), else forward and
    backward."""
    import torch.nn.functional as F
    c = w.shape[0]
    if dy is None:
        xt, wt = torch.from_numpy(x), torch.from_numpy(w[:, None])

        def forward():
            with torch.no_grad():
                F.conv2d(xt, wt, None, s, k // 2, groups=c)
        return forward
    xt = torch.from_numpy(x).requires_grad_(True)
    wt = torch.from_numpy(w[:, None]).requires_grad_(True)
    dyt = torch.from_numpy(dy)

    def step():
        F.conv2d(xt, wt, None, s, k // 2, groups=c).backward(dyt)
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="only the shapes whose label contains this")
    args = parser.parse_args()
    repeat = 3 if args.quick else 9
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("PyTorch is not installed: numpy times only, no comparison (for the torch column: "
              "pip install torch --index-url https://download.pytorch.org/whl/cpu)")
    ratios, table = [], None
    for name, label, k, numpy_step, arrays in numpy_cases():
        if args.only not in f"{label} k={k}":
            continue
        if name != table:
            table = name
            print(f"\n{name:<28}{'k':>3}{'numpy ms':>10}{'torch ms':>10}{'numpy/torch':>13}")
        fns = [numpy_step] + ([torch_step(torch, *arrays)] if torch else [])
        times = best_of(fns, repeat)
        line = f"{label:<28}{k:>3}{1e3 * times[0]:>10.2f}"
        if torch:
            ratios.append((times[0] / times[1], f"{label} k={k}"))
            line += f"{1e3 * times[1]:>10.2f}{times[0] / times[1]:>12.1f}x"
        print(line, flush=True)
    if ratios:
        worst = max(ratios)
        print(f"\nnumpy / torch: median {np.median([r for r, _ in ratios]):.1f}x, "
              f"worst {worst[0]:.1f}x ({worst[1]}); target: within 3x, "
              f"{sum(r <= 3 for r, _ in ratios)} of {len(ratios)} shapes are")


if __name__ == "__main__":
    main()
