"""A SYNTHETIC image task where architecture matters: "which small shape is in this cluttered picture".

Procedurally generated, deterministic (a seed gives the same images on every machine), no download.
Each image is one grey (1, R, R) picture: a smooth random background, clutter (thin random lines and
small blobs) and ONE small object from ``CLASSES`` at a random place, size, rotation and contrast,
plus pixel noise. Several classes differ only in thin details (a disk and a ring, a square and a
frame, a plus and a cross, a triangle and a chevron), so low input resolution blurs the difference
away: accuracy genuinely depends on the resolution, and on the receptive field (kernel, depth) and
capacity (width) of the network (``notebooks/60_tinynas.py`` measures it).

Scenes are drawn on a ``CANVAS`` x ``CANVAS`` grid and area-averaged to any resolution R <= CANVAS
(``area_matrix``), so the same scenes exist at every resolution. Layout (N, 1, R, R) float32 in
about [0, 1]; labels int64 (N,) in 0 .. len(CLASSES) - 1.
"""

from functools import lru_cache

import numpy as np

from ..errors import SpecError
from ..validation import check_scalar

CLASSES = ("disk", "ring", "square", "frame", "plus", "cross", "triangle", "chevron")
CANVAS = 128  # pixels of the drawing grid; every resolution is an area average of it
OBJECT_SIZE = (0.1, 0.18)  # object half-size range, as a fraction of the image side
STROKE = 0.22  # stroke width of rings, frames, plus/cross bars, as a fraction of the half-size
CLUTTER_LINES = (1, 3)  # thin distractor lines per image (range, inclusive)
CLUTTER_BLOBS = (1, 3)  # small distractor blobs per image
NOISE = 0.06  # standard deviation of the pixel noise added at the output resolution
TRAIN_SEED, VAL_SEED, CALIB_SEED = 0, 1, 2  # seeds of the fixed splits (disjoint streams)


def area_matrix(resolution, canvas=CANVAS):
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


def _shape_mask(label, u, v, half):
    """Coverage (0/1) of shape ``label`` in object coordinates u, v (rotated, centred), size half."""
    au, av = np.abs(u), np.abs(v)
    r = np.hypot(u, v)
    t = STROKE * half
    name = CLASSES[label]
    if name == "disk":
        return r <= half
    if name == "ring":
        return (r <= half) & (r >= half - t)
    if name == "square":
        return np.maximum(au, av) <= half * 0.85
    if name == "frame":
        m = np.maximum(au, av)
        return (m <= half * 0.85) & (m >= half * 0.85 - t)
    if name == "plus":
        return ((au <= t / 2) & (av <= half)) | ((av <= t / 2) & (au <= half))
    if name == "cross":
        d1, d2 = np.abs(u + v) / np.sqrt(2), np.abs(u - v) / np.sqrt(2)
        return ((d1 <= t / 2) | (d2 <= t / 2)) & (r <= half)
    # triangle and chevron: the same outline (apex up); the chevron has a notch cut into its base
    inside = (v >= -half) & (v <= 0.7 * half) & (au <= 0.53 * (v + half))
    if name == "triangle":
        return inside
    return inside & ~((v >= 0) & (au <= 0.6 * v))


def render_canvases(n, seed):
    """``n`` scenes on the canvas: (images (n, CANVAS, CANVAS) float32, labels (n,) int64)."""
    rng = np.random.default_rng(seed)
    coords = (np.arange(CANVAS, dtype=np.float32) + 0.5) / CANVAS  # pixel centres in [0, 1]
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    images = np.empty((n, CANVAS, CANVAS), np.float32)
    labels = rng.integers(0, len(CLASSES), n)
    for i in range(n):
        gx, gy, base = rng.uniform(-0.25, 0.25), rng.uniform(-0.25, 0.25), rng.uniform(0.3, 0.7)
        img = base + gx * (xx - 0.5) + gy * (yy - 0.5)
        for _ in range(int(rng.integers(CLUTTER_LINES[0], CLUTTER_LINES[1] + 1))):
            x0, y0, angle = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0, np.pi)
            dist = np.abs((xx - x0) * np.sin(angle) - (yy - y0) * np.cos(angle))
            along = np.abs((xx - x0) * np.cos(angle) + (yy - y0) * np.sin(angle))
            img += rng.choice((-1, 1)) * rng.uniform(0.1, 0.3) * (
                (dist <= rng.uniform(0.004, 0.01)) & (along <= rng.uniform(0.1, 0.35)))
        for _ in range(int(rng.integers(CLUTTER_BLOBS[0], CLUTTER_BLOBS[1] + 1))):
            x0, y0, rad = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.01, 0.04)
            img += rng.choice((-1, 1)) * rng.uniform(0.1, 0.3) * (
                np.hypot(xx - x0, yy - y0) <= rad)
        half = rng.uniform(*OBJECT_SIZE)
        cx, cy = rng.uniform(half + 0.02, 1 - half - 0.02, size=2)
        angle = rng.uniform(-0.35, 0.35)  # small rotation: a plus stays a plus, not a cross
        du, dv = xx - cx, yy - cy
        u = du * np.cos(angle) + dv * np.sin(angle)
        v = -du * np.sin(angle) + dv * np.cos(angle)
        contrast = rng.choice((-1, 1)) * rng.uniform(0.35, 0.6)
        img += contrast * _shape_mask(int(labels[i]), u, v, half)
        images[i] = img
    return images, labels.astype(np.int64)


def downsample(canvases, resolution, seed=None):
    """Area-average (n, CANVAS, CANVAS) scenes to (n, 1, R, R), adding pixel noise when seeded."""
    a = area_matrix(resolution, canvases.shape[-1])
    out = np.einsum("rc,ncd,sd->nrs", a, canvases, a, optimize=True)[:, None]
    if seed is not None:
        out += np.random.default_rng(seed).normal(0, NOISE, out.shape).astype(np.float32)
    return out.astype(np.float32)


@lru_cache(maxsize=8)
def _split_canvases(n, seed):
    return render_canvases(n, seed)


def load_split(split, resolution, n=None):
    """A fixed split at ``resolution``: (x (n, 1, R, R) float32, y (n,) int64).

    split: 'train' (4000 images by default), 'val' (the held-out split accuracies are reported on,
    500 by default) or 'calib' (256 training-like images for batch-norm recalibration). The
    scenes of a split are rendered once per process and cached; the noise is seeded per split and
    resolution. Raises SpecError for an unknown split.
    """
    sizes = {"train": (4000, TRAIN_SEED), "val": (500, VAL_SEED), "calib": (256, CALIB_SEED)}
    if split not in sizes:
        raise SpecError(f"unknown split {split!r}; use 'train', 'val' or 'calib'")
    default, seed = sizes[split]
    canvases, labels = _split_canvases(n or default, seed)
    return downsample(canvases, resolution, seed=1000 * seed + resolution), labels
