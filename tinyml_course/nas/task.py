"""The TinyNAS task: Fashion-MNIST (real photographs of clothes, 10 classes, 28 x 28 grey).

A subset of Fashion-MNIST (Xiao, Rasul and Vollgraf, Zalando Research, 2017; MIT licence) ships in
``nas/data/fashion_mnist_subset.npz``, derived by ``scripts/derive_fashion_mnist.py`` from Debian's
``dataset-fashion-mnist`` (licence and attribution: ``nas/data/README.md``). Nothing is
downloaded. Splits (``load_split``):

* ``val``: 2,500 images of the official training file that the supernet was NOT trained on: what
  ``get_valid_acc`` (the search) reports;
* ``test``: 2,500 images of the official test file: the final models' held-out accuracy;
* ``calib``: 500 training images, for batch-norm recalibration;
* ``train``: 2,000 training images, for fine-tuning (notebook 30); the supernet itself was trained
  on the whole training file less ``val`` (``scripts/train_supernet_torch.py``).

A resolution R < 28 is the area average of the 28 x 28 image (``area_matrix``), so the same
images exist at every resolution. Layout (N, 1, R, R) float32 in [0, 1] (pixel / 255); labels
int64 (N,) in 0 .. 9.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import SpecError
from ..validation import check_scalar

CLASSES = ("T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "ankle boot")
NATIVE = 28  # pixels of a Fashion-MNIST image; every resolution is an area average of it
DATA_PATH = Path(__file__).parent / "data" / "fashion_mnist_subset.npz"
SPLITS = ("val", "test", "calib", "train")
DATASET = {"name": "Fashion-MNIST", "classes": len(CLASSES), "image": "28 x 28 grey, uint8",
           "source": "Xiao, Rasul, Vollgraf (Zalando Research, 2017), arXiv:1708.07747; "
                     "Debian dataset-fashion-mnist", "licence": "MIT"}


def area_matrix(resolution, canvas=NATIVE):
    """(R, canvas) matrix A whose rows average the canvas pixels each output pixel covers.

    ``A @ img @ A.T`` is the area (box) downsampling of a (canvas, canvas) image to (R, R); every
    row sums to 1. Raises SpecError unless 1 <= R <= canvas.
    """
    check_scalar(resolution, "resolution", int, min_val=1, max_val=canvas)
    edges = np.linspace(0, canvas, resolution + 1)
    lo, hi = edges[:-1, None], edges[1:, None]
    left, right = np.arange(canvas)[None, :], np.arange(canvas)[None, :] + 1
    overlap = np.clip(np.minimum(hi, right) - np.maximum(lo, left), 0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def downsample(images, resolution):
    """uint8 or float images (n, 28, 28) -> (n, 1, R, R) float32 in [0, 1], area-averaged."""
    x = np.asarray(images, np.float32) / (255.0 if np.asarray(images).dtype == np.uint8 else 1.0)
    if resolution == x.shape[-1]:
        return np.ascontiguousarray(x[:, None])
    a = area_matrix(resolution, x.shape[-1])
    return np.einsum("rc,ncd,sd->nrs", a, x, a, optimize=True)[:, None].astype(np.float32)


@lru_cache(maxsize=1)
def _arrays():
    with np.load(DATA_PATH) as data:
        return {key: data[key] for key in data.files}


def raw_split(split):
    """(images (n, 28, 28) uint8, labels (n,) int64, indices (n,) into the original file)."""
    if split not in SPLITS:
        raise SpecError(f"unknown split {split!r}; use one of {', '.join(map(repr, SPLITS))}")
    a = _arrays()
    return a[f"x_{split}"], a[f"y_{split}"].astype(np.int64), a[f"index_{split}"]


@lru_cache(maxsize=16)
def _resized(split, resolution):
    images, labels, _ = raw_split(split)
    return downsample(images, resolution), labels


def load_split(split, resolution, n=None):
    """The first ``n`` images of a split at ``resolution``: (x (n, 1, R, R) float32, y (n,) int64).

    split: 'val', 'test', 'calib' or 'train' (module docstring); n: default all. Raises SpecError
    for an unknown split, a resolution outside 1..28 or n outside 1..the split's size.
    """
    check_scalar(resolution, "resolution", int, min_val=1, max_val=NATIVE)
    x, y = _resized(split, resolution)
    if n is not None:
        check_scalar(n, "n", int, min_val=1, max_val=len(y))
    return x[:n], y[:n]


def dataset_card():
    """The dataset as ``search --json`` names it: name, source, licence, split sizes."""
    return {**DATASET, **{f"{s}_examples": len(raw_split(s)[1]) for s in SPLITS}}
