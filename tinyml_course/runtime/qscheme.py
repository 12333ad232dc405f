"""The linear quantization scheme: real value <-> signed integer code, as TFLite defines it.

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
"""

from dataclasses import dataclass

import numpy as np

from ..validation import check_scalar

MIN_BITS, MAX_BITS = 2, 8


@dataclass(frozen=True)
class QParams:
    """How one tensor is quantized: real = (q - zero_point) * scale (per tensor)."""

    scale: float
    zero_point: int


def check_bits(bits):
    """Return ``bits`` if it is an integer in [2, 8]; raise SpecError otherwise."""
    return check_scalar(bits, "bit width", int, min_val=MIN_BITS, max_val=MAX_BITS)


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
