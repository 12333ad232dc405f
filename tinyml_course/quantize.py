"""Linear and k-means (codebook) quantization of weights, with the Flash each costs.

Linear quantization maps a real value r to an integer q of ``bits`` bits (signed):

    q = clamp(round(r / scale) + zero_point, qmin, qmax)        r ~ (q - zero_point) * scale

* asymmetric (activations): the range [r_min, r_max] is first widened to contain 0, then
  ``scale = (r_max - r_min) / (qmax - qmin)`` and ``zero_point = round(qmin - r_min / scale)``,
  clamped to [qmin, qmax]; qmin = -2^(bits-1), qmax = 2^(bits-1) - 1. Zero is exactly representable.
* symmetric (weights, as TFLite's int8 scheme): ``zero_point = 0``, the narrow range
  qmin = -qmax = -(2^(bits-1) - 1) and ``scale = max(|r_min|, |r_max|) / qmax``.
* per-tensor: one (scale, zero_point) for the whole tensor; per-channel: one pair per output
  channel (axis 0 of every weight layout in this package).

``round`` is half away from zero (C's ``std::round``, what TFLite uses), not numpy's half-to-even.
K-means quantization replaces every weight by the nearest of 2^bits shared float32 centroids; Flash
holds a ``bits``-bit index per weight plus the codebook.
"""

import numpy as np

from .errors import SpecError

BYTES_PER_FLOAT32 = 4  # a scale, a centroid
BYTES_PER_ZERO_POINT = 4  # stored as int32 in TFLite files
MIN_BITS, MAX_BITS = 2, 8


def check_bits(bits):
    """Return ``bits`` if it is an integer in [2, 8]; raise SpecError otherwise."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not MIN_BITS <= bits <= MAX_BITS:
        raise SpecError(f"bit width must be an integer from {MIN_BITS} to {MAX_BITS}, got {bits!r}")
    return int(bits)


def round_half_away(x):
    """Round to the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def qrange(bits, symmetric=False):
    """(qmin, qmax) of a signed ``bits``-bit integer; symmetric uses the narrow range (-qmax, qmax)."""
    bits = check_bits(bits)
    qmax = 2 ** (bits - 1) - 1
    return (-qmax if symmetric else -qmax - 1), qmax


def linear_qparams(r_min, r_max, bits=8, symmetric=False):
    """Scale (float64) and zero point (int64) for real range [r_min, r_max] (scalars or arrays).

    Formulas in the module docstring. A range of only zeros gets scale 1 (any scale is exact).
    """
    qmin, qmax = qrange(bits, symmetric)
    r_min = np.minimum(np.asarray(r_min, np.float64), 0.0)
    r_max = np.maximum(np.asarray(r_max, np.float64), 0.0)
    if symmetric:
        scale = np.maximum(np.abs(r_min), np.abs(r_max)) / qmax
        scale = np.where(scale > 0, scale, 1.0)
        return scale, np.zeros_like(scale, dtype=np.int64)
    scale = (r_max - r_min) / (qmax - qmin)
    scale = np.where(scale > 0, scale, 1.0)
    zero_point = np.clip(round_half_away(qmin - r_min / scale), qmin, qmax).astype(np.int64)
    return scale, zero_point


def tensor_qparams(w, bits=8, symmetric=True, per_channel=True):
    """Scale and zero point of weight tensor ``w``: arrays of shape (C_out,) if per_channel, else 0-d."""
    w = np.asarray(w, np.float64)
    if per_channel:
        flat = w.reshape(w.shape[0], -1)  # (Cout, rest)
        return linear_qparams(flat.min(axis=1), flat.max(axis=1), bits, symmetric)
    return linear_qparams(w.min(), w.max(), bits, symmetric)


def _expand(p, ndim):
    """Per-channel parameter (C,) -> (C, 1, ...) to broadcast over axis 0 of an ndim tensor."""
    p = np.asarray(p)
    return p.reshape(p.shape + (1,) * (ndim - p.ndim)) if p.ndim else p


def quantize(r, scale, zero_point, bits=8, symmetric=False):
    """Real tensor -> int32 codes: clamp(round(r / scale) + zero_point, qmin, qmax)."""
    r = np.asarray(r, np.float64)
    qmin, qmax = qrange(bits, symmetric)
    q = round_half_away(r / _expand(scale, r.ndim)) + _expand(zero_point, r.ndim)
    return np.clip(q, qmin, qmax).astype(np.int32)


def dequantize(q, scale, zero_point):
    """int codes -> real values (float32): (q - zero_point) * scale."""
    q = np.asarray(q)
    return ((q - _expand(zero_point, q.ndim)) * _expand(scale, q.ndim)).astype(np.float32)


def fake_quantize(w, bits=8, symmetric=True, per_channel=True):
    """Quantize then dequantize ``w`` (float32 out): the values the quantized model really uses."""
    scale, zero_point = tensor_qparams(w, bits, symmetric, per_channel)
    return dequantize(quantize(w, scale, zero_point, bits, symmetric), scale, zero_point)


# ---------------------------------------------------------------- k-means (codebook) quantization

def kmeans_quantize(w, bits=4, iterations=20):
    """Cluster the values of ``w`` into 2^bits centroids (1-D Lloyd's algorithm).

    Centroids start evenly spaced over [min, max] (deterministic, as Deep Compression's linear
    init). Returns (codebook float32 (2^bits,), indices uint8 of w's shape).
    """
    bits = check_bits(bits)
    flat = np.asarray(w, np.float64).ravel()
    codebook = np.linspace(flat.min(), flat.max(), 2 ** bits)
    for _ in range(iterations):
        idx = np.abs(flat[:, None] - codebook[None, :]).argmin(axis=1)
        sums = np.bincount(idx, weights=flat, minlength=codebook.size)
        counts = np.bincount(idx, minlength=codebook.size)
        moved = np.where(counts > 0, sums / np.maximum(counts, 1), codebook)
        if np.allclose(moved, codebook):
            break
        codebook = moved
    idx = np.abs(flat[:, None] - codebook[None, :]).argmin(axis=1)
    return codebook.astype(np.float32), idx.astype(np.uint8).reshape(np.shape(w))


def kmeans_reconstruct(codebook, indices):
    """Weights of a codebook-quantized tensor: codebook[indices] (float32)."""
    return codebook[indices]


# ---------------------------------------------------------------- Flash cost (bytes)

def linear_flash_bytes(count, bits, channels=1, symmetric=True):
    """Bytes of ``count`` weights at ``bits`` bits (packed) + a float32 scale per channel
    (+ an int32 zero point per channel when asymmetric)."""
    params = channels * (BYTES_PER_FLOAT32 + (0 if symmetric else BYTES_PER_ZERO_POINT))
    return int(np.ceil(count * check_bits(bits) / 8)) + params


def kmeans_flash_bytes(count, bits):
    """Bytes of ``count`` weights as ``bits``-bit indices (packed) + the 2^bits float32 codebook."""
    return int(np.ceil(count * check_bits(bits) / 8)) + 2 ** bits * BYTES_PER_FLOAT32


def quantize_weights(weights, bits=8, method="linear", symmetric=True, per_channel=True):
    """Weight-only quantization of a model {op name: (weight, bias)}: each weight replaced by its
    quantized values (float32 again, so the float kernels run it), biases kept float32.

    method: 'linear' or 'kmeans'. Returns (new weights dict, Flash bytes: packed weights + scales
    or codebooks + 32-bit biases).
    """
    if method not in ("linear", "kmeans"):
        raise SpecError(f"unknown quantization method {method!r}; use 'linear' or 'kmeans'")
    out, flash = {}, 0
    for name, (w, b) in weights.items():
        flash += b.size * BYTES_PER_FLOAT32
        if method == "linear":
            qw = fake_quantize(w, bits, symmetric, per_channel)
            flash += linear_flash_bytes(w.size, bits, w.shape[0] if per_channel else 1, symmetric)
        else:
            codebook, idx = kmeans_quantize(w, bits)
            qw = kmeans_reconstruct(codebook, idx)
            flash += kmeans_flash_bytes(w.size, bits)
        out[name] = (qw, b)
    return out, flash
