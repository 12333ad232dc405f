"""Compression with stakes: a trained model that does NOT fit a device until pruned and quantized.

The largest subnet of the supernet at 24 px (kernel 7, expand 6, depth 3 everywhere), with its
inherited, recalibrated and folded weights, on the nRF52832 (64 KiB SRAM, 512 KiB Flash), per-layer
execution (the compression lecture's accounting; an in-place depthwise schedule would fit it at
63 KiB, notebook 60):

* float32: peak SRAM 270 KiB and Flash 1.8 MiB - far off;
* int8 (quantized only): Flash fits (505 KiB), but the per-layer peak SRAM (67.5 KiB) still
  misses by 3.5 KiB, at one block (``PEAK_BLOCKS``: the first stage's first, whose 24 x 24 x 96
  expansion and 12 x 12 x 96 depthwise output are live together);
* prune where the peak is: PEAK_RATIO of that block's expanded channels cut + int8 fits
  (59.1 KiB), the cut recalibrated (``prune.recalibrate``) on the 'calib' images the subnet's
  batch norm was calibrated on (measured by ``compression.compress.compress_model``, the
  pipeline of the compression lecture, with this model's data instead of the digits; int8
  calibrated on TRAIN_IMAGES training images). The exact figures are the table's, on the
  HELD_OUT split. No fine-tuning: the lecture's recipe (``prune.fine_tune``, 4 epochs on the
  1,000 images) took 20 minutes for a quarter of the split and left 14.9% of it (docs/tinynas.md).

Cutting every block instead (``block_scan``, on the 'val' split the choices were made on) shows
why the cut goes where the peak is: 25% of every block falls to chance without recalibration
(the folded batch norms keep stale statistics) and still costs points with it, most of them at
the three stride-2 blocks that have no residual path.

int8 inference takes minutes, so ``measure_stakes()`` (the table's rows) and
``block_scan()`` are run once by ``scripts/measure_stakes.py`` into ``weights/stakes_results.json``
and ``weights/stakes_scan.json``; ``shipped_results()`` and ``shipped_scan()`` read them and
``tests/test_stakes.py`` re-measures rows of them (all of them with ``-m remeasure``).
"""

import json
from pathlib import Path

from .. import memory
from ..compression import prune
from ..compression.compress import compress_model, quick_accuracy
from ..model.ops import Role
from . import supernet as sn
from . import task
from .evaluate import shipped_supernet

STAKES_ARCH = sn.largest(24)
STAKES_DEVICE = "nrf52832"
HELD_OUT = "test"  # the table's split (2,500 images); the scan and the dashboard use 'val'


def peak_blocks(network, dtype="int8"):
    """Indices of the MBConv blocks holding a layer at ``network``'s per-layer peak SRAM (bytes,
    ``dtype`` activations): where a channel cut lowers the peak (``prune.channel_prune``'s blocks)."""
    prof = memory.profile(network, dtype=dtype)
    block_of = {op.name: op.block for op in network.ops}
    return sorted({block_of[layer.name] for layer in prof.layers
                   if layer.sram_bytes == prof.peak_sram_bytes})


PEAK_BLOCKS = peak_blocks(STAKES_ARCH.network())  # [1]: the first stage's first block at 24 px
PEAK_RATIO = 0.125  # share of the peak block's expanded channels cut: with int8, 59.1 KiB fits
PRUNE_RATIO = 0.25  # the block scan's cut: of one block, or of every block
TRAIN_IMAGES = 1000  # int8 calibration images (of the 2,000 'train' images)
RESULTS_PATH = Path(__file__).parent / "weights" / "stakes_results.json"
SCAN_PATH = Path(__file__).parent / "weights" / "stakes_scan.json"
SAMPLE_PATH = Path(__file__).parent / "weights" / "stakes_sample.json"
# what the default test run re-measures: the fitting row on the first quarter of the held-out
# images (625; about a minute on a quiet 2-core machine, the whole row four)
SAMPLE_ROW, SAMPLE_PART = "peak block cut + int8", (0, 4)
PEAK_CUT = dict(prune_method="channel", sparsity=PEAK_RATIO, blocks=PEAK_BLOCKS, quantize="int8")
# the rows of the lecture's table: label -> compress_model settings
ROWS = {
    "float32": dict(prune_method="none", quantize="none"),
    "int8": dict(prune_method="none", quantize="int8"),
    "peak block cut + int8": PEAK_CUT,
}


def stakes_subnet():
    """(network, weights) of the model at stake: inherited weights, batch norm recalibrated on
    the 500 'calib' images and folded (float32)."""
    return shipped_supernet().subnet(STAKES_ARCH, calib_images())


def calib_images():
    """The 500 'calib' images (N, 1, 24, 24) float32: the subnet's batch-norm calibration, and
    the recalibration of its cuts."""
    return task.load_split("calib", STAKES_ARCH.resolution)[0]


def stakes_model(part=None):
    """(network, weights, data) of the model at stake; data = (x_train, y_train, x_test, y_test),
    TRAIN_IMAGES 'train' images and the 2,500 HELD_OUT images at STAKES_ARCH's resolution, or
    with part = (i, k) the i-th (0-based) of k consecutive equal shares of them."""
    r = STAKES_ARCH.resolution
    net, weights = stakes_subnet()
    x_train, y_train = task.load_split("train", r, TRAIN_IMAGES)
    x_test, y_test = task.load_split(HELD_OUT, r)
    if part is not None:
        i, k = part
        x_test, y_test = (a[i * len(a) // k:(i + 1) * len(a) // k] for a in (x_test, y_test))
    return net, weights, (x_train, y_train, x_test, y_test)


def compress_at_stake(prune_method="channel", sparsity=PEAK_RATIO, quantize="int8",
                      finetune_epochs=0, blocks=PEAK_BLOCKS, model=None):
    """``compress_model`` of the model at stake for STAKES_DEVICE: before/after figures and 'fits'.
    blocks: the blocks a channel cut prunes (None: every block), recalibrated on
    ``calib_images()``; model: a ``stakes_model()`` already loaded (loaded here when None)."""
    net, weights, data = model or stakes_model()
    return compress_model(net, weights, data, prune_method=prune_method, sparsity=sparsity,
                          finetune_epochs=finetune_epochs, quantize=quantize, device=STAKES_DEVICE,
                          blocks=blocks, calib=calib_images() if prune_method == "channel" else None)


def measure_stakes(labels=None, part=None):
    """label -> ``compress_at_stake`` result, plus 'examples' (held-out images), of the rows of
    ROWS named in ``labels`` (default: all), measured now (minutes a row: int8 inference); part = (i, k): on the i-th of k shares of the held-out images only (a piece
    of a resumable run; ``combine`` joins them). Raises ValueError for a label not in ROWS or a
    part outside 0 <= i < k."""
    unknown = set(labels or ()) - set(ROWS)
    if unknown:
        raise ValueError(f"unknown stakes rows {sorted(unknown)}; the rows are {list(ROWS)}")
    if part is not None and not 0 <= part[0] < part[1]:
        raise ValueError(f"part {part[0]} of {part[1]}: the parts are 0 to {part[1] - 1}")
    model = stakes_model(part)
    examples = len(model[2][3])
    return {label: {**compress_at_stake(**{"blocks": None, **ROWS[label]}, model=model),
                    "examples": examples}
            for label in (labels or ROWS)}


def combine(parts):
    """One ``measure_stakes`` result of a row from those of its parts (a list): accuracies
    weighted by their examples, seconds and examples summed; every other figure must agree.
    Raises ValueError when they do not (parts of different settings or models)."""
    total = sum(p["examples"] for p in parts)
    first = parts[0]

    def without_accuracy(r):
        return {side: {k: v for k, v in r[side].items() if k != "accuracy"}
                for side in ("before", "after")} | {k: r[k] for k in ("model", "settings", "fits")}

    if any(without_accuracy(p) != without_accuracy(first) for p in parts):
        raise ValueError("the parts disagree on more than accuracy: not parts of one row")
    joined = {**first, "examples": total, "seconds": sum(p["seconds"] for p in parts)}
    for side in ("before", "after"):
        accuracy = sum(p[side]["accuracy"] * p["examples"] for p in parts) / total
        joined[side] = {**first[side], "accuracy": round(accuracy, 6)}
    return joined


def scan_cuts(network):
    """The block scan's cuts, name -> blocks (None: every block): each block with an expansion
    alone, then all of them."""
    expanding = [i for i, ops in network.blocks().items()
                 if any(op.role is Role.EXPAND for op in ops)]
    return {**{f"block{i}": [i] for i in expanding}, "every block": None}


def block_scan(cuts=None, n=None):
    """Float32 accuracy (0..1) of the model at stake with PRUNE_RATIO of the expanded channels of
    some blocks cut, without and with ``prune.recalibrate`` on ``calib_images()``, on the first
    ``n`` 'val' images (default all 2,500): {cut: {'blocks', 'plain', 'recalibrated'}}, plus
    'uncut' (the float32 accuracy) and 'examples'. cuts: names of ``scan_cuts`` (default all;
    about 25 s each). Raises ValueError for an unknown cut."""
    every = scan_cuts(STAKES_ARCH.network())
    unknown = set(cuts or ()) - set(every)
    if unknown:
        raise ValueError(f"unknown cuts {sorted(unknown)}; the cuts are {list(every)}")
    net, weights = stakes_subnet()
    x, y = task.load_split("val", STAKES_ARCH.resolution, n)
    scan = {"examples": len(y), "ratio": PRUNE_RATIO, "uncut": quick_accuracy(net, weights, x, y)}
    for name in cuts or every:
        accuracy = {}
        for key, calib in (("plain", None), ("recalibrated", calib_images())):
            cut, cut_weights = prune.channel_prune(net, weights, PRUNE_RATIO, "l2", every[name],
                                                   calib)
            accuracy[key] = quick_accuracy(cut, cut_weights, x, y)
        scan[name] = {"blocks": every[name], **accuracy}
    return scan


def shipped_results(path=RESULTS_PATH):
    """The results ``measure_stakes()`` wrote with the shipped weights (label -> result dict)."""
    return json.loads(Path(path).read_text())


def shipped_sample(path=SAMPLE_PATH):
    """``measure_stakes([SAMPLE_ROW], part=SAMPLE_PART)`` as scripts/measure_stakes.py --sample
    wrote it with the shipped weights (label -> result dict; 'examples' is the part's)."""
    return json.loads(Path(path).read_text())


def shipped_scan(path=SCAN_PATH):
    """The scan ``block_scan()`` wrote with the shipped weights."""
    return json.loads(Path(path).read_text())
