"""Compression with stakes: a trained model that does NOT fit a device until pruned and quantized.

The largest subnet of the supernet at 48 px (kernel 7, expand 6, depth 3 everywhere), with its
inherited, recalibrated and folded weights, on the nRF52832 (64 KiB SRAM, 512 KiB Flash):

* float32: peak SRAM 270 KiB and Flash 1.1 MiB - far off;
* int8 (quantized only): Flash fits, but the per-layer peak SRAM (67.5 KiB) still misses by 3.5 KiB;
* 25% of the expanded channels pruned + int8: fits (50.6 KiB SRAM, 225 KiB Flash; pruned but
  float32 it does not: 202.5 KiB), and fine-tuning on the task's training scenes recovers
  accuracy (measured by ``compression.compress.compress_model``, the pipeline of the compression
  lecture, with this model's data instead of the digits).
"""

from ..compression.compress import compress_model
from . import supernet as sn
from . import task
from .evaluate import shipped_supernet

STAKES_ARCH = sn.largest(48)
STAKES_DEVICE = "nrf52832"
TRAIN_IMAGES = 1000  # fine-tuning images (training scenes)


def stakes_model():
    """(network, weights, data) of the model at stake; data = (x_train, y_train, x_val, y_val)."""
    r = STAKES_ARCH.resolution
    calib = task.load_split("calib", r)[0]
    net, weights = shipped_supernet().subnet(STAKES_ARCH, calib)
    x_train, y_train = task.load_split("train", r, TRAIN_IMAGES)
    x_val, y_val = task.load_split("val", r)
    return net, weights, (x_train, y_train, x_val, y_val)


def compress_at_stake(prune_method="channel", sparsity=0.25, quantize="int8", finetune_epochs=4):
    """``compress_model`` of the model at stake for STAKES_DEVICE: before/after figures and 'fits'."""
    net, weights, data = stakes_model()
    return compress_model(net, weights, data, prune_method=prune_method, sparsity=sparsity,
                          finetune_epochs=finetune_epochs, quantize=quantize, device=STAKES_DEVICE)
