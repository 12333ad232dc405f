"""The course's offline dataset: scikit-learn's bundled 8x8 handwritten digits (no download).

1797 grey images of the digits 0-9, pixel values 0..16. We scale them to [0, 1] (float32) and
upsample 8x8 -> 16x16 by repeating each pixel 2x2 (nearest neighbour), so the small MobileNet-style
model has a feature map worth tiling. Layout: (N, 1, H, W), i.e. a batch of (C, H, W) images.
The train/test split is stratified and seeded, so every script, test and notebook sees the same
held-out images.
"""

import numpy as np

DIGITS_PIXELS = 8  # side of the original images (pixels)
DIGITS_MAX = 16.0  # largest pixel value in the dataset
UPSAMPLE = 2  # nearest-neighbour factor: 8x8 -> 16x16
RESOLUTION = DIGITS_PIXELS * UPSAMPLE  # 16 pixels
TEST_FRACTION = 0.25  # share of the images held out for testing
SPLIT_SEED = 0  # seed of the stratified split


def upsample(images, factor=UPSAMPLE):
    """Repeat every pixel ``factor`` x ``factor`` times. images: (N, C, H, W) -> (N, C, fH, fW)."""
    return images.repeat(factor, axis=2).repeat(factor, axis=3)


def load_digits(test_fraction=TEST_FRACTION, seed=SPLIT_SEED):
    """Load the digits as ``(x_train, y_train, x_test, y_test)``.

    x: float32 (N, 1, 16, 16) in [0, 1]; y: int64 (N,) class labels 0..9. Stratified split,
    ``test_fraction`` of the images held out, deterministic for a given ``seed``.
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = _sk_load_digits()
    images = (bunch.images / DIGITS_MAX).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels)
    return upsample(x_train), y_train, upsample(x_test), y_test


def random_shift(images, rng, max_shift=2):
    """Shift each image by up to ``max_shift`` pixels in x and y (zeros fill in): augmentation.

    images: (N, C, H, W) -> a new array of the same shape; rng: a numpy Generator.
    """
    n, _, h, w = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy, dx = rng.integers(0, 2 * max_shift + 1, size=(2, n))
    out = np.empty_like(images)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    return out
