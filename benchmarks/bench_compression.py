"""Time int8 (integer-only) inference of the trained digits model against float32, and training.

    python benchmarks/bench_compression.py [--repeats 50] [--epochs 1]

Prints milliseconds per image for: the float32 numpy kernels (batch 1, no arena), the int8 kernels
(batch 1, no arena), both inside the SRAM arena executor, the batched float forward of training;
and seconds per training epoch (1347 images, batch 32, forward + backward + Adam).
numpy's int32 einsum has no BLAS path, so int8 is slower here than float: on an MCU it is the
other way round (SIMD int8 MACs, no FPU traffic). The figure to read is the memory, not the time.
"""

import argparse
import time

import numpy as np

from tinyml_course import train, trained
from tinyml_course.data import load_digits, random_shift
from tinyml_course.executor import execute, reference_forward
from tinyml_course.int8 import Int8Backend, convert


def per_call_ms(fn, repeats):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return 1000 * (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()

    x_train, y_train, x_test, _ = load_digits()
    network, weights = trained.load_trained()
    model = convert(network, weights, x_train)
    backend = Int8Backend(model)
    x = x_test[0]
    rows = [
        ("float32 kernels, batch 1", lambda: reference_forward(network, x, weights)),
        ("int8 kernels, batch 1", lambda: reference_forward(network, x, backend)),
        ("float32 in the arena", lambda: execute(network, x, weights)),
        ("int8 in the arena", lambda: execute(network, x, backend)),
        ("float32 in the arena, in-place", lambda: execute(network, x, weights, schedule="in-place")),
        ("int8 in the arena, in-place", lambda: execute(network, x, backend, schedule="in-place")),
    ]
    print(f"{network}: {network.macs:,} MACs per image")
    print(f"{'inference':<34}{'ms/image':>10}")
    for label, fn in rows:
        print(f"{label:<34}{per_call_ms(fn, args.repeats):>10.3f}")
    batch = x_test[:256]
    ms = per_call_ms(lambda: train.forward(network, weights, batch), max(1, args.repeats // 10)) / len(batch)
    print(f"{'float32 batched (256), training fwd':<34}{ms:>10.3f}")

    w = train.init_weights(network, seed=0)
    history = train.fit(network, w, x_train, y_train, epochs=args.epochs, batch_size=trained.TRAIN_BATCH,
                        optimizer=train.Adam(lr=trained.TRAIN_LR),
                        augment=lambda b, rng: random_shift(b, rng, trained.TRAIN_SHIFT))
    for entry in history:
        print(f"training epoch {entry['epoch']}: {entry['seconds']:.2f} s for {len(x_train)} images "
              f"({1000 * entry['seconds'] / len(x_train):.2f} ms/image, forward + backward + Adam)")


if __name__ == "__main__":
    main()
