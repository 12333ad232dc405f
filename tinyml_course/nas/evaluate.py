"""``get_valid_acc(arch)``: the held-out accuracy of a subnet with inherited supernet weights.

The subnet takes its weights from the shipped supernet (``Supernet.subnet``: channel slices and
centre kernel crops), its batch norm is recalibrated on CALIB_IMAGES 'calib' images (training
images) and folded into the convolutions, and its float32 accuracy is measured on the 2,500 'val'
images of Fashion-MNIST (held out from the supernet's training) at the subnet's resolution;
``test_accuracy`` measures the 2,500 'test' images (the official test file) the same way. Seconds
for small subnets, a minute or more for the largest on the busy shared machine.

Measured accuracies are memoised in an ``AccuracyCache`` (val by arch name, test under
``TEST_KEY + name``); the one shipped next to the weights (``weights/accuracy_cache.json``, written
by ``scripts/measure_supernet.py`` with the same forward pass in PyTorch, which is minutes instead
of hours: see docs/tinynas.md) lets the notebook replay searches in seconds. Delete it, or pass ``cache=None``, to
measure everything again; ``check_cache`` re-measures a few entries to show they agree.
"""

import json
from pathlib import Path

import numpy as np

from ..runtime.batched import accuracy
from ..stats import standard_error
from . import supernet as sn
from . import task

CACHE_PATH = Path(__file__).parent / "weights" / "accuracy_cache.json"
CALIB_IMAGES = 256  # batch-norm recalibration images (of the 500 'calib' images)
VAL_IMAGES = 2500  # held-out images accuracies are reported on: the whole 'val' (and 'test') split
TEST_KEY = "test/"  # cache key prefix of a test-split accuracy


class AccuracyCache:
    """Measured accuracies by arch name (0..1), optionally backed by a JSON file."""

    def __init__(self, path=None):
        self.path = Path(path) if path else None
        self.values = {}
        if self.path and self.path.is_file():
            self.values = json.loads(self.path.read_text())
        self.hits = self.misses = 0

    def save(self, path=None):
        path = Path(path or self.path)
        path.write_text(json.dumps(dict(sorted(self.values.items())), indent=0) + "\n")


_SUPERNET = {}


def shipped_supernet():
    """The shipped trained Supernet, loaded once per process."""
    if "net" not in _SUPERNET:
        _SUPERNET["net"] = sn.Supernet.load()
    return _SUPERNET["net"]


def measure_accuracy(arch, supernet=None, split="val", n=VAL_IMAGES):
    """Held-out accuracy (0..1) of ``arch`` measured now: recalibrate BN, fold, run the first
    ``n`` images of ``split`` ('val' or 'test')."""
    supernet = supernet or shipped_supernet()
    calib = task.load_split("calib", arch.resolution, CALIB_IMAGES)[0]
    net, weights = supernet.subnet(arch, calib)
    x, y = task.load_split(split, arch.resolution, n)
    return accuracy(net, weights, x, y)


def test_accuracy(arch, supernet=None, cache=None):
    """Accuracy (0..1) of ``arch`` on the 'test' split (the official test file), cached like
    ``get_valid_acc`` under TEST_KEY + name."""
    key = TEST_KEY + arch.name
    if cache is not None and key in cache.values:
        cache.hits += 1
        return cache.values[key]
    acc = measure_accuracy(arch, supernet, split="test")
    if cache is not None:
        cache.misses += 1
        cache.values[key] = acc
    return acc


def get_valid_acc(arch, supernet=None, cache=None):
    """The slide's ``get_valid_acc(arch)``: held-out accuracy (0..1) with inherited weights.

    cache: an AccuracyCache consulted first and filled on a miss (None: always measure).
    """
    if cache is not None and arch.name in cache.values:
        cache.hits += 1
        return cache.values[arch.name]
    acc = measure_accuracy(arch, supernet)
    if cache is not None:
        cache.misses += 1
        cache.values[arch.name] = acc
    return acc


def shipped_cache():
    """The AccuracyCache shipped with the weights (empty if the file is missing)."""
    return AccuracyCache(CACHE_PATH)


def check_cache(cache, archs, supernet=None):
    """Re-measure ``archs`` that the cache holds: [(name, cached, measured)], to show they agree."""
    return [(a.name, cache.values[a.name], measure_accuracy(a, supernet))
            for a in archs if a.name in cache.values]


def accuracy_spread(values, n=VAL_IMAGES):
    """Standard error of accuracies (0..1) measured on ``n`` images (``stats.standard_error``)."""
    return standard_error(np.asarray(values, float), n)
