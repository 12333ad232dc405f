"""Training-time augmentation of the network inputs (N, 1, FRAMES, 13): new voices, rates, offsets.

With five training speakers the model learns their voices; a held-out voice differs most in its
vocal tract length (formants shifted in frequency) and its speaking rate. Each is simulated on
the MFCCs directly (the audio is not shipped):

- vocal tract length perturbation (VTLP, Jaitly & Hinton 2013): the smoothed log-mel spectrum
  the 13 coefficients describe is warped along frequency, f -> f / alpha. On the cepstrum this is
  one 13 x 13 matrix per alpha (``warp_matrix``): inverse DCT, interpolate the 128 mel bins at
  their warped centres, DCT;
- time stretch: the frames resampled around the window's centre (linear interpolation);
- shift: the utterance moved by a few frames (where in the window it lands);
- time mask (SpecAugment, Park et al. 2019): a few consecutive frames set to 0.
"""

from dataclasses import dataclass

import numpy as np

from .mfcc import FSDD_RECIPE, dct_matrix, mel_centres_hz


@dataclass(frozen=True)
class Augmentation:
    """How strongly to perturb. Zero turns a step off."""

    warp: float = 0.12  # VTLP: alpha uniform on a grid over [1 - warp, 1 + warp]
    warp_steps: int = 13  # grid points of alpha (one precomputed matrix each)
    stretch: float = 0.15  # time stretch: rate exp(u), u uniform in [-stretch, stretch]
    shift: int = 4  # frames, uniform in [-shift, shift]
    mask: int = 3  # frames, a masked run of 0..mask frames at a uniform position


def warp_matrix(alpha, config=FSDD_RECIPE):
    """The 13 x 13 map of VTLP by ``alpha`` on the cepstrum: c_warped = M @ c. float64.

    log-mel envelope e = D c (D: the inverse of the orthonormal DCT, (n_mels, 13)); e'(f) =
    e(f / alpha) by linear interpolation between the mel filters' centre frequencies (held at the
    ends); c' = D^T e'.
    """
    centres = mel_centres_hz(config)
    n = len(centres)
    source = np.clip(centres / alpha, centres[0], centres[-1])
    left = np.clip(np.searchsorted(centres, source) - 1, 0, n - 2)
    t = (source - centres[left]) / (centres[left + 1] - centres[left])
    interp = np.zeros((n, n))
    interp[np.arange(n), left] = 1 - t
    interp[np.arange(n), left + 1] = t
    d = dct_matrix(config.n_mfcc, n)  # (n_mels, 13): c = e @ d, and e = d @ c (orthonormal rows)
    return d.T @ interp @ d


def warp_matrices(scale, augmentation):
    """VTLP matrices for inputs divided by ``scale`` (13,): (warp_steps, 13, 13) float32."""
    alphas = np.linspace(1 - augmentation.warp, 1 + augmentation.warp, augmentation.warp_steps)
    scale = np.asarray(scale, np.float64)
    return np.stack([(warp_matrix(a) * scale[None, :]) / scale[:, None] for a in alphas]
                    ).astype(np.float32)


def stretch(x, rate):
    """Frames (T, 13) resampled around the centre by ``rate`` (> 1: faster, shorter); zeros where
    the source falls outside."""
    t = len(x)
    source = (np.arange(t) - t / 2) / rate + t / 2
    inside = (source >= 0) & (source <= t - 1)
    left = np.clip(np.floor(source).astype(int), 0, t - 2)  # source in [left, left + 1]
    w = (source - left)[:, None]
    out = (1 - w) * x[left] + w * x[left + 1]
    out[~inside] = 0
    return out


def shift(x, frames):
    """Frames (T, 13) moved by ``frames`` (positive: later), zeros coming in."""
    out = np.zeros_like(x)
    if frames >= 0:
        out[frames:] = x[:len(x) - frames]
    else:
        out[:frames] = x[-frames:]
    return out


def make_augment(scale, augmentation=Augmentation()):
    """augment(batch (N, 1, T, 13), rng) -> a new perturbed batch, for ``train.fit``-style loops."""
    matrices = warp_matrices(scale, augmentation) if augmentation.warp else None

    def augment(batch, rng):
        out = np.empty_like(batch)
        for i, x in enumerate(batch[:, 0]):  # x: (T, 13)
            if matrices is not None:
                x = x @ matrices[rng.integers(len(matrices))].T
            if augmentation.stretch:
                x = stretch(x, np.exp(rng.uniform(-augmentation.stretch, augmentation.stretch)))
            if augmentation.shift:
                x = shift(x, int(rng.integers(-augmentation.shift, augmentation.shift + 1)))
            if augmentation.mask:
                width = int(rng.integers(0, augmentation.mask + 1))
                start = int(rng.integers(0, len(x) - width + 1))
                x = x.copy()
                x[start:start + width] = 0
            out[i, 0] = x
        return out

    return augment
