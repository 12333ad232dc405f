#!/usr/bin/env python3
"""Depthwise convolution, numpy (runtime/kernels.py + compression/train.py) vs PyTorch CPU, side by side.

    python benchmarks/bench_depthwise.py            # about a minute
    python benchmarks/bench_depthwise.py --quick    # fewer repeats

Shapes: the depthwise layers of MobileNetV2-224 (batch 1, float32) with k = 3, 5 and 7 (the
elastic kernels of TinyNAS), forward; and a training batch (N = 32, the supernet's largest
subnet at 96 px) forward and backward (dx and dweight). PyTorch is an OPTIONAL benchmark
dependency (``pip install torch``); without it only the numpy times print. PyTorch runs with one
thread (torch.set_num_threads(1)), as numpy's elementwise code does. Times: best of several runs.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np  # noqa: E402

from tinyml_course.compression.train import op_backward  # noqa: E402
from tinyml_course.model.network import Op  # noqa: E402
from tinyml_course.runtime import kernels  # noqa: E402
from tinyml_course.runtime.batched import op_forward  # noqa: E402

# (channels, input side, stride) of MobileNetV2-224's depthwise layers (one per stage)
MBV2 = [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1), (384, 14, 1),
        (576, 14, 2), (960, 7, 1)]
TRAIN = [(96, 48, 2, 32), (144, 24, 1, 32), (240, 12, 1, 32)]  # (C, side, stride, batch)


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    try:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("PyTorch not installed: numpy times only (pip install torch for the comparison)")
    rng = np.random.default_rng(0)
    print(f"{'forward, batch 1':<28}{'k':>3}{'numpy ms':>10}{'torch ms':>10}{'ratio':>8}")
    ratios = []
    for k in (3, 5, 7):
        for c, side, s in MBV2:
            x = rng.standard_normal((c, side, side)).astype(np.float32)
            w = rng.standard_normal((c, k, k)).astype(np.float32)
            t_np = best_of(lambda: kernels.depthwise_conv2d(x, w, None, s, k // 2), repeat)
            line = f"{f'C={c} {side}x{side} s{s}':<28}{k:>3}{1e3 * t_np:>10.2f}"
            if torch:
                xt, wt = torch.from_numpy(x[None]), torch.from_numpy(w[:, None])
                with torch.no_grad():
                    t_pt = best_of(lambda: F.conv2d(xt, wt, None, s, k // 2, groups=c), repeat)
                ratios.append(t_np / t_pt)
                line += f"{1e3 * t_pt:>10.2f}{t_np / t_pt:>7.1f}x"
            print(line)
    print(f"\n{'training batch, fwd + bwd':<28}{'k':>3}{'numpy ms':>10}{'torch ms':>10}{'ratio':>8}")
    for k in (3, 5, 7):
        for c, side, s, n in TRAIN:
            out = (side + 2 * (k // 2) - k) // s + 1
            op = Op("dw", "dwconv", ("input",), (c, side, side), (c, out, out), k, s, k // 2)
            x = rng.standard_normal((n, c, side, side)).astype(np.float32)
            w = rng.standard_normal((c, k, k)).astype(np.float32)
            dy = rng.standard_normal((n, c, out, out)).astype(np.float32)
            weights = {"dw": (w, np.zeros(c, np.float32))}

            def numpy_step():
                op_forward(op, [x], weights)
                op_backward(op, [x], None, dy, weights, need_dx=True)

            t_np = best_of(numpy_step, repeat)
            line = f"{f'N={n} C={c} {side}x{side} s{s}':<28}{k:>3}{1e3 * t_np:>10.1f}"
            if torch:
                xt = torch.from_numpy(x).requires_grad_(True)
                wt = torch.from_numpy(w[:, None]).requires_grad_(True)
                dyt = torch.from_numpy(dy)

                def torch_step():
                    y = F.conv2d(xt, wt, None, s, k // 2, groups=c)
                    y.backward(dyt)

                t_pt = best_of(torch_step, repeat)
                ratios.append(t_np / t_pt)
                line += f"{1e3 * t_pt:>10.1f}{t_np / t_pt:>7.1f}x"
            print(line)
    if ratios:
        print(f"\nnumpy / torch: median {np.median(ratios):.1f}x, worst {max(ratios):.1f}x "
              f"(target: within 3x)")


if __name__ == "__main__":
    main()
