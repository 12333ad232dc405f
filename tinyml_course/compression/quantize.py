"""Linear and k-means (codebook) quantization of weights, with the Flash each costs.

Linear quantization (``q = clamp(round(r / scale) + zero_point, qmin, qmax)``; symmetric for
weights, asymmetric for activations, per tensor or per output channel) is defined in
``runtime.qscheme``, which the int8 runtime shares; this module applies it to weights and adds
what compression needs: per-channel weight parameters, fake quantization and Flash sizes.
K-means quantization replaces every weight by the nearest of 2^bits shared float32 centroids; Flash
holds a ``bits``-bit index per weight plus the codebook.
"""

import numpy as np

from ..errors import SpecError
from ..runtime.qscheme import (  # noqa: F401  (re-exported: the scheme is this module's API too)
    MAX_BITS, MIN_BITS, _expand, check_bits, dequantize, linear_qparams, qrange, quantize,
    round_half_away)

BYTES_PER_FLOAT32 = 4  # a scale, a centroid
BYTES_PER_ZERO_POINT = 4  # stored as int32 in TFLite files


def tensor_qparams(w, bits=8, symmetric=True, per_channel=True):
    """Scale and zero point of weight tensor ``w``: arrays of shape (C_out,) if per_channel, else 0-d."""
    w = np.asarray(w, np.float64)
    if per_channel:
        flat = w.reshape(w.shape[0], -1)  # (Cout, rest)
        return linear_qparams(flat.min(axis=1), flat.max(axis=1), bits, symmetric)
    return linear_qparams(w.min(), w.max(), bits, symmetric)


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
