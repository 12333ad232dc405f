"""Time int8 (integer-only) inference of the trained digits model against float32, and training.

    python benchmarks/bench_compression.py [--repeats 50] [--epochs 1] [--moves 6]

Prints milliseconds per image for: the float32 numpy kernels (batch 1, no arena), the int8 kernels
(batch 1, no arena), both inside the SRAM arena executor, the batched float forward of training;
and seconds per training epoch (1347 images, batch 32, forward + backward + Adam).
numpy's int32 einsum has no BLAS path, so int8 is slower here than float: on an MCU it is the
other way round (SIMD int8 MACs, no FPU traffic). The figure to read is the memory, not the time.

Then the compression dashboard's redraw (median seconds per slider move, per control): 'rebuild'
redraws as the dashboard did before (quick_compress through batched.accuracy, two new figures with
tight_layout, two full PNGs at 100 dpi); 'dashboard' is the widget's redraw on a first visit
(quick_compress, artists updated in place, partial renders) and on a revisit (cached result).
On the 2-core machine, busy: the old dashboard 0.95-1.0 s per move; rebuild 0.45-0.7 s,
dashboard 0.08-0.11 s (0.2 s under heavier load), revisit 0.02 s.
"""

from tinyml_course.compression import train
from tinyml_course.runtime import batched
from tinyml_course.runtime.backend import random_weights
import argparse
import io
import statistics
import time


from tinyml_course.compression import compress, trained
from tinyml_course.compression.data import load_digits, random_shift
from tinyml_course.runtime.executor import execute, reference_forward
from tinyml_course.runtime.int8_backend import Int8Backend
from tinyml_course.compression.int8_convert import convert
from tinyml_course.ui.plots.compression import compression_bars, weight_histogram
from tinyml_course.ui.widgets.compression import BITS, CompressionDashboard, CompressionLab

CONTROLS = {"sparsity": [0.05 * i for i in range(1, 19)], "bits": [b for b in BITS if b != 32],
            "channel_ratio": [0.125 * i for i in range(1, 7)]}


def per_call_ms(fn, repeats):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return 1000 * (time.perf_counter() - start) / repeats


def rebuild_redraw(lab, sparsity=0.0, bits=32, channel_ratio=0.0):
    """The dashboard's redraw before it was made fast: no cache, per-image stem conv, batches of
    256, new figures, tight_layout, two full PNGs. Returns seconds."""
    fast = compress.quick_accuracy
    compress.quick_accuracy = batched.accuracy  # the old accuracy: per-image stem, BLAS threads
    try:
        start = time.perf_counter()
        result = compress.quick_compress(lab.network, lab.weights, lab.x_test, lab.y_test, sparsity,
                                         bits, channel_ratio, lab.device.name)
    finally:
        compress.quick_accuracy = fast
    figures = [compression_bars(lab.baseline, result, lab.device.sram_bytes, lab.device.flash_bytes,
                                examples=len(lab.y_test), chance=1 / lab.classes),
               weight_histogram(lab.weights, result["weights"], f"{bits}-bit, {sparsity:.0%} sparse")]
    for fig in figures:
        fig.tight_layout()
        fig.savefig(io.BytesIO(), format="png", dpi=100)
    return time.perf_counter() - start


def redraw_times(network, weights, x_test, y_test, moves):
    """Median redraw seconds per control: rebuild, dashboard (first visit) and revisit."""
    dash = CompressionDashboard(CompressionLab(network, weights, x_test, y_test))
    print(f"{'dashboard redraw, median s/move':<34}{'rebuild':>10}{'dashboard':>10}{'revisit':>10}")
    for control, values in CONTROLS.items():
        values = values[:moves]
        rebuild = [rebuild_redraw(dash.lab, **{control: v}) for v in values]
        first = [dash.set(**{control: v}) or dash.last_redraw_s for v in values]
        again = [dash.set(**{control: v}) or dash.last_redraw_s for v in values]
        dash.set(**{control: 32 if control == "bits" else 0.0})
        print(f"{control:<34}" + "".join(f"{statistics.median(t):>10.3f}" for t in (rebuild, first, again)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--moves", type=int, default=6, help="slider moves timed per control")
    args = parser.parse_args()

    x_train, y_train, x_test, y_test = load_digits()
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
    ms = per_call_ms(lambda: batched.forward(network, weights, batch), max(1, args.repeats // 10)) / len(batch)
    print(f"{'float32 batched (256), training fwd':<34}{ms:>10.3f}")

    redraw_times(network, weights, x_test, y_test, args.moves)

    w = random_weights(network, 0, bias_std=0)
    history = train.fit(network, w, x_train, y_train, epochs=args.epochs, batch_size=trained.TRAIN_BATCH,
                        optimizer=train.Adam(lr=trained.TRAIN_LR),
                        augment=lambda b, rng: random_shift(b, rng, trained.TRAIN_SHIFT))
    for entry in history:
        print(f"training epoch {entry['epoch']}: {entry['seconds']:.2f} s for {len(x_train)} images "
              f"({1000 * entry['seconds'] / len(x_train):.2f} ms/image, forward + backward + Adam)")


if __name__ == "__main__":
    main()
