"""A Once-for-All-style weight-sharing supernet of MCUNet-like MBConv blocks, trained in numpy.

One set of weights holds every subnet of the space: elastic input resolution, width multiplier,
depth per stage, depthwise kernel and expansion ratio per block. A subnet inherits

* the first ``c`` output / input channels of each layer (width and expansion: channel slicing),
* the centre k x k of each 7 x 7 depthwise kernel (elastic kernel: centre crop),
* the first ``d`` blocks of each stage (elastic depth).

Layers are conv -> batch norm -> ReLU6 while training (so that one set of weights serves subnets
whose activations have different scales); to evaluate a subnet its batch-norm statistics are
recalibrated on a few training-like images (``calibrate``) and folded into the convolutions
(``fold``): the result is an ordinary ``Network`` (``build_network`` of ``Arch.spec()``) and its
float32 weights, which the package's accounting, executor and int8 conversion run unchanged.

This module is the supernet's public face: ``Supernet`` (the shared weights and ``subnet``), and
the names of the modules that do each job, so ``from tinyml_course.nas import supernet as sn``
reaches them all:

| job | module |
|---|---|
| the architecture space: ``Arch``, ``largest``, ``smallest``, ``random_arch``, the choices | ``space`` |
| the shared weights: names, ``init_supernet``, the slice a subnet takes | ``shared_weights`` |
| forward / backward with batch statistics (one batch-norm forward), ``calibrate``, ``fold`` | ``subnet_pass`` |
| the numpy training loop, ``RECIPE``, and ``TORCH_RECIPE`` (the shipped weights' recipe) | ``supernet_train`` |
| the shipped .npz and training checkpoints | ``checkpoint`` |

Shapes: images (N, 1, R, R) float32; every weight float32.
"""

from pathlib import Path

from . import task
from .checkpoint import load_weights, save_weights
from .shared_weights import init_supernet  # noqa: F401  (public API)
from .space import (CLASSES, DEPTHS, EXPANDS, FIRST, KERNELS, MAX_DEPTH, RESOLUTIONS,  # noqa: F401
                    SLOTS, STAGES, STEM, WIDTHS, Arch, channels, largest, random_arch, smallest)
from .subnet_pass import BN_EPS, backward_train, calibrate, fold, forward_train  # noqa: F401
from .supernet_train import RECIPE, TORCH_RECIPE, sandwich, train, train_step  # noqa: F401

WEIGHTS_PATH = Path(__file__).parent / "weights" / "supernet.npz"


class Supernet:
    """The shared weights and what to do with them: ``subnet(arch)`` -> (Network, folded weights)."""

    def __init__(self, shared):
        self.shared = shared

    @classmethod
    def load(cls, path=WEIGHTS_PATH):
        """The shipped trained supernet (``scripts/train_supernet_torch.py`` makes it)."""
        return cls(load_weights(path))

    def save(self, path=WEIGHTS_PATH):
        """Write the shared weights to a compressed .npz (float16 to keep it small; loads as float32)."""
        save_weights(path, self.shared)

    def subnet(self, arch, calib=None):
        """(Network, {op: (weight, bias)}) of ``arch`` with BN recalibrated on ``calib`` and folded.

        calib: images (N, 1, R, R) at the arch's resolution; default: the task's 'calib' split
        (Fashion-MNIST training images).
        """
        if calib is None:
            calib = task.load_split("calib", arch.resolution)[0]
        net = arch.network()
        return net, fold(net, arch, self.shared, calibrate(net, arch, self.shared, calib))
