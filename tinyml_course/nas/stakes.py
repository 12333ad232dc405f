"""Compression with stakes: a trained model that does NOT fit a device until pruned and quantized.

The largest subnet of the supernet at 24 px (kernel 7, expand 6, depth 3 everywhere), with its
inherited, recalibrated and folded weights, on the nRF52832 (64 KiB SRAM, 512 KiB Flash), per-layer
execution (the compression lecture's accounting; an in-place depthwise schedule would fit it at
63 KiB, notebook 60):

* float32: peak SRAM 270 KiB and Flash 1.8 MiB - far off;
* int8 (quantized only): Flash fits (505 KiB), but the per-layer peak SRAM (67.5 KiB) still
  misses by 3.5 KiB;
* 25% of the expanded channels of every block pruned + int8: fits (50.6 KiB SRAM; pruned but
  float32 it does not: 202.5 KiB; 12.5% would fit too, at 59.1 KiB), and fine-tuning on
  TRAIN_IMAGES of the task's training images recovers part of the accuracy (measured by
  ``compression.compress.compress_model``, the pipeline of the compression lecture, with this
  model's data instead of the digits). The exact figures are the table's.

Fine-tuning the model takes minutes, so ``measure_stakes()`` (every row of the compression
lecture's table: float32, int8, pruned + int8 before and after fine-tuning) is run once by
``scripts/measure_stakes.py`` into ``weights/stakes_results.json``; ``shipped_results()`` reads it
and ``tests/test_stakes.py`` re-measures rows of it (all of them with ``-m remeasure``).
"""

import json
from pathlib import Path

from ..compression.compress import compress_model
from . import supernet as sn
from . import task
from .evaluate import shipped_supernet

STAKES_ARCH = sn.largest(24)
STAKES_DEVICE = "nrf52832"
TRAIN_IMAGES = 1000  # fine-tuning images (of the 2,000 'train' images)
PRUNE_RATIO = 0.25  # share of the expanded channels cut in every block (with int8: fits)
FINETUNE_EPOCHS = 4  # the measured fine-tuning (about 4 minutes on the shared 2-core machine)
RESULTS_PATH = Path(__file__).parent / "weights" / "stakes_results.json"
# the rows of the lecture's table: label -> compress_model settings
ROWS = {
    "float32": dict(prune_method="none", quantize="none"),
    "int8": dict(prune_method="none", quantize="int8"),
    "pruned + int8": dict(prune_method="channel", sparsity=PRUNE_RATIO, quantize="int8"),
    "pruned + int8, fine-tuned": dict(prune_method="channel", sparsity=PRUNE_RATIO, quantize="int8",
                                      finetune_epochs=FINETUNE_EPOCHS),
}


def stakes_subnet():
    """(network, weights) of the model at stake: inherited weights, batch norm recalibrated on
    the 500 'calib' images and folded (float32)."""
    calib = task.load_split("calib", STAKES_ARCH.resolution)[0]
    return shipped_supernet().subnet(STAKES_ARCH, calib)


def stakes_model():
    """(network, weights, data) of the model at stake; data = (x_train, y_train, x_val, y_val),
    TRAIN_IMAGES 'train' images and the 2,500 'val' images at STAKES_ARCH's resolution."""
    r = STAKES_ARCH.resolution
    net, weights = stakes_subnet()
    x_train, y_train = task.load_split("train", r, TRAIN_IMAGES)
    x_val, y_val = task.load_split("val", r)
    return net, weights, (x_train, y_train, x_val, y_val)


def compress_at_stake(prune_method="channel", sparsity=PRUNE_RATIO, quantize="int8",
                      finetune_epochs=FINETUNE_EPOCHS, model=None):
    """``compress_model`` of the model at stake for STAKES_DEVICE: before/after figures and 'fits'.
    model: a ``stakes_model()`` already loaded (loaded here when None)."""
    net, weights, data = model or stakes_model()
    return compress_model(net, weights, data, prune_method=prune_method, sparsity=sparsity,
                          finetune_epochs=finetune_epochs, quantize=quantize, device=STAKES_DEVICE)


def measure_stakes(labels=None):
    """label -> ``compress_at_stake`` result of the rows of ROWS named in ``labels`` (default:
    all), measured now (all rows: minutes; the fine-tuned one is most of it)."""
    unknown = set(labels or ()) - set(ROWS)
    if unknown:
        raise ValueError(f"unknown stakes rows {sorted(unknown)}; the rows are {list(ROWS)}")
    model = stakes_model()
    return {label: compress_at_stake(**{"finetune_epochs": 0, **ROWS[label]}, model=model)
            for label in (labels or ROWS)}


def shipped_results(path=RESULTS_PATH):
    """The results ``measure_stakes()`` wrote with the shipped weights (label -> result dict)."""
    return json.loads(Path(path).read_text())
