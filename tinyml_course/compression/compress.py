"""One compression pipeline for the CLI, the lecture notebook and the benchmarks.

``compress_model`` prunes and/or quantizes the trained digits model and measures, before and after:
held-out accuracy, Flash (bytes: ``storage.model_storage``, the cheapest storage per layer, or the
format asked for) and peak SRAM (bytes, through
the ``exact`` accounting and through the arena executor). Before = the float32 model, float32
activations. After = float32 activations, or int8 activations with ``quantize='int8'`` (integer-only
inference). ``linear``/``kmeans`` quantize the weights only: Flash shrinks, activations (and so
SRAM) stay float32 -- what the arena measures, too.
"""

import threading
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from functools import lru_cache

from ..errors import SpecError
from ..memory import accounting
from ..model.devices import get_device
from ..runtime import batched
from ..runtime.executor import execute
from ..runtime.int8_backend import Int8Backend, accuracy_int8
from . import prune
from . import quantize as Q
from .int8_convert import convert, real_weights
from .storage import BEST, FLOAT_BITS, SPARSE_FORMATS, model_storage

PRUNE_METHODS = ("none", "per-layer", "global", "channel")
QUANT_METHODS = ("none", "linear", "kmeans", "int8")
FORMATS = SPARSE_FORMATS + (BEST,)
DEFAULT_DEVICE = "arduino-nano-33-ble-sense"  # the lecture's board: 256 KB SRAM, 1 MB Flash


@dataclass
class Figures:
    """Accuracy (0..1), Flash and peak SRAM (bytes) of one model."""

    accuracy: float
    flash_bytes: int  # storage.model_storage(...).flash_bytes
    flash_parts: dict  # its 'values', 'index', 'decoder', 'biases' (bytes)
    peak_sram_bytes: int  # analytic, convention 'exact', per-layer schedule
    measured_peak_sram_bytes: int  # the arena executor's high-water mark
    activation_dtype: str
    params: int
    macs: int


def _figures(network, weights, accuracy, storage, dtype, x_probe, backend=None):
    peak = accounting.profile(network, "per-layer", "exact", dtype).peak_sram_bytes
    run = execute(network, x_probe, backend or weights)
    return Figures(float(accuracy), int(storage.flash_bytes), storage.parts(), int(peak),
                   int(run.peak_sram_bytes), dtype, int(network.params), int(network.macs))


def compress_model(network, weights, data, prune_method="none", sparsity=0.5, norm="l2",
                   finetune_epochs=0, quantize="none", bits=8, fmt="best", device=DEFAULT_DEVICE,
                   blocks=None, calib=None):
    """Compress ``(network, weights)`` and return a dict with 'before', 'after' (Figures as dicts),
    'settings', 'device' and 'fits'. data: (x_train, y_train, x_test, y_test) from data.load_digits.

    prune_method: none | per-layer | global (fine-grained, ``sparsity`` of the 1x1 and linear
    weights, ``prune.default_layers``) | channel
    (``sparsity`` = share of expanded channels removed, by ``norm`` l1/l2, in the MBConv blocks
    numbered in ``blocks``, default every block with an expansion; ``calib``: images (N, C, H, W)
    to recalibrate the cut model on, ``prune.recalibrate``, default none). quantize: none | linear
    (``bits`` 2-8, symmetric per channel) | kmeans (``bits``) | int8 (integer-only inference).
    """
    if prune_method not in PRUNE_METHODS:
        raise SpecError(f"unknown pruning {prune_method!r}; use one of {', '.join(PRUNE_METHODS)}")
    if quantize not in QUANT_METHODS:
        raise SpecError(f"unknown quantization {quantize!r}; use one of {', '.join(QUANT_METHODS)}")
    if fmt not in FORMATS:
        raise SpecError(f"unknown storage format {fmt!r}; use one of {', '.join(FORMATS)}")
    if quantize == "int8" and bits != 8:
        raise SpecError("--quantize int8 runs 8-bit integer inference; use linear or kmeans for other bit widths")
    Q.check_bits(bits)
    device = get_device(device)
    x_train, y_train, x_test, y_test = data
    x_probe = x_test[0]
    start = time.perf_counter()
    before = _figures(network, weights, batched.accuracy(network, weights, x_test, y_test),
                      model_storage(weights, FLOAT_BITS, "dense"), "float32", x_probe)

    net, w, masks = network, weights, None
    if prune_method == "channel":
        net, w = prune.channel_prune(network, weights, sparsity, norm, blocks, calib)
    elif prune_method == "per-layer":
        w, masks = prune.prune_per_layer(weights, sparsity)
    elif prune_method == "global":
        w, masks = prune.prune_global(weights, sparsity)
    if prune_method != "none" and finetune_epochs:
        w, _ = prune.fine_tune(net, w, masks or {}, x_train, y_train, epochs=finetune_epochs)

    backend = None
    if quantize == "none":
        dtype = "float32"
        acc = batched.accuracy(net, w, x_test, y_test)
        storage = model_storage(w, FLOAT_BITS, fmt)
    elif quantize == "int8":
        dtype = "int8"
        model = convert(net, w, x_train)
        backend = Int8Backend(model)
        acc = accuracy_int8(model, x_test, y_test)
        storage = model_storage(real_weights(model), 8, fmt)  # codes, scales, int32 biases
    else:  # weight-only quantization: the float kernels run, activations stay float32
        dtype = "float32"
        qw, _ = Q.quantize_weights(w, bits, method=quantize, masks=masks)  # pruned zeros kept
        acc = batched.accuracy(net, qw, x_test, y_test)
        storage = model_storage(qw, bits, fmt)
        w = qw
    after = _figures(net, w, acc, storage, dtype, x_probe, backend)
    fits = {"sram": after.peak_sram_bytes <= device.sram_bytes,
            "flash": after.flash_bytes <= device.flash_bytes}
    return {
        "model": network.name,
        "settings": {"prune": prune_method, "sparsity": sparsity, "norm": norm,
                     "blocks": None if blocks is None else sorted(blocks),
                     "calib_images": 0 if calib is None else len(calib),
                     "finetune_epochs": finetune_epochs, "quantize": quantize, "bits": bits,
                     "format": fmt, "weight_sparsity": prune.sparsity_of(w)},
        "before": asdict(before), "after": asdict(after),
        "device": {"name": device.name, "sram_bytes": device.sram_bytes, "flash_bytes": device.flash_bytes},
        "fits": {**fits, "both": fits["sram"] and fits["flash"]},
        "seconds": time.perf_counter() - start,
    }


def report_lines(result):
    """Readable lines of a compress_model result: a before/after table and the device line."""
    b, a = result["before"], result["after"]
    s = result["settings"]
    lines = [f"{result['model']}: prune {s['prune']}"
             + (f" {s['sparsity']:.2f}" if s["prune"] != "none" else "")
             + f", quantize {s['quantize']}" + (f" {s['bits']}-bit" if s["quantize"] != "none" else "")
             + f", storage {s['format']}"
             + (" (sparsity of the 1x1 and linear weights)" if s["prune"] in ("global", "per-layer")
                else ""),
             f"{'':<26}{'before':>12}{'after':>12}{'ratio':>8}"]

    def row(label, key, fmt):
        ratio = b[key] / a[key] if a[key] else float("inf")
        lines.append(f"{label:<26}{fmt(b[key]):>12}{fmt(a[key]):>12}{ratio:>7.2f}x")

    lines.append(f"{'accuracy (held-out)':<26}{100 * b['accuracy']:>11.2f}%{100 * a['accuracy']:>11.2f}%")
    row("Flash (bytes)", "flash_bytes", lambda v: f"{v:,}")
    p = a["flash_parts"]
    lines.append(f"{'':<26}(after: values {p['values']:,} + index {p['index']:,} + decoder "
                 f"{p['decoder']:,} + biases {p['biases']:,}; compression.storage)")
    row("peak SRAM (bytes)", "peak_sram_bytes", lambda v: f"{v:,}")
    row("peak SRAM measured", "measured_peak_sram_bytes", lambda v: f"{v:,}")
    lines.append(f"{'activations':<26}{b['activation_dtype']:>12}{a['activation_dtype']:>12}")
    lines.append(f"{'sparsity, all weights':<26}{'0.00':>12}{s['weight_sparsity']:>12.2f}")
    d, f = result["device"], result["fits"]
    lines.append(f"fits on {d['name']} ({d['sram_bytes'] // 1024} KiB SRAM, {d['flash_bytes'] // 1024} KiB "
                 f"Flash)? {'yes' if f['both'] else 'no'} (SRAM {'ok' if f['sram'] else 'too big'}, "
                 f"Flash {'ok' if f['flash'] else 'too big'})")
    return lines


QUICK_BATCH = 32  # images per forward batch of quick_compress: depthwise temporaries stay in cache


@lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController  # installed with scikit-learn
    except ImportError:  # pragma: no cover
        return None
    return ThreadpoolController()


def _one_blas_thread():
    """A context with BLAS on one thread: the matrices of a 32-image batch are small, and BLAS
    threads cost more than they give (about 3x the wall time on 2 busy cores)."""
    controller = _blas_controller()
    return controller.limit(limits=1, user_api="blas") if controller else nullcontext()


_ONE_AT_A_TIME = threading.Lock()  # the BLAS limit is process-wide: nested limits would race


def quick_accuracy(network, weights, x, y, batch_size=QUICK_BATCH, before_batch=None):
    """``batched.accuracy`` (0..1) with the same kernels, faster: batches of ``batch_size``, BLAS
    on one thread, one call at a time per process (dashboards measure from background threads).
    before_batch: called before each batch (it may block, e.g. while a dashboard redraws); when
    it returns true the measurement is abandoned and None returned."""
    with _ONE_AT_A_TIME, _one_blas_thread():
        hits = _count_hits(network, weights, x, y, batch_size, before_batch)
    return None if hits is None else hits / len(x)


def _count_hits(network, weights, x, y, batch_size, before_batch=None):
    hits = 0
    for i in range(0, len(x), batch_size):
        if before_batch is not None and before_batch():
            return None
        logits = batched.forward(network, weights, x[i:i + batch_size])  # (N, classes)
        hits += int((logits.argmax(1) == y[i:i + batch_size]).sum())
    return hits


def quick_memory(network, weights, sparsity=0.0, bits=32, channel_ratio=0.0, device=DEFAULT_DEVICE,
                 blocks=None):
    """Everything of ``quick_compress`` but the accuracy (the fast part: no forward pass); blocks:
    the MBConv blocks the channel cut narrows (default every block with an expansion).

    Returns a dict with 'flash_bytes', 'peak_sram_bytes', 'activation_dtype', 'weights' (the
    compressed weights), 'network' (narrower after channel pruning), 'device' and 'fits'.
    """
    device = get_device(device)
    net, w = network, weights
    if channel_ratio:
        net, w = prune.channel_prune(network, weights, channel_ratio, "l2", blocks)
    masks = None
    if sparsity:
        w, masks = prune.prune_global(w, sparsity)
    if bits == FLOAT_BITS:
        dtype, flash = "float32", model_storage(w, bits).flash_bytes
    else:
        dtype = "int8"
        w, flash = Q.quantize_weights(w, bits, masks=masks)  # pruned zeros kept
    peak = accounting.profile(net, "per-layer", "exact", dtype).peak_sram_bytes
    return {"flash_bytes": int(flash), "peak_sram_bytes": int(peak), "activation_dtype": dtype,
            "weights": w, "network": net, "device": device.name,
            "fits": peak <= device.sram_bytes and flash <= device.flash_bytes}


def quick_compress(network, weights, x_test, y_test, sparsity=0.0, bits=32, channel_ratio=0.0,
                   device=DEFAULT_DEVICE):
    """The lecture dashboard's figures, fast (about 0.1 s for the digits model): channel pruning
    by ``channel_ratio`` (L2), global magnitude pruning to ``sparsity``, then linear symmetric
    per-channel weights at ``bits`` (32 = float32 weights, float32 activations; 2-8 = int8
    activations, the runtime's).

    No fine-tuning, no arena run: accuracy (0..1) of the float kernels on the (fake-)quantized
    weights (``quick_accuracy``: the value of ``batched.accuracy``, faster), Flash (bytes, best
    sparse format), analytic peak SRAM (bytes, 'exact', per-layer).
    Returns ``quick_memory``'s dict plus 'accuracy'.
    """
    result = quick_memory(network, weights, sparsity, bits, channel_ratio, device)
    return {**result, "accuracy": quick_accuracy(result["network"], result["weights"], x_test, y_test)}
