"""Fixed-point arithmetic of int8 inference (gemmlowp / TFLite): how an int32 accumulator is scaled.

A real multiplier M (e.g. x_scale * w_scale[c] / y_scale) is stored offline as an int32 Q31
mantissa M0 and a power-of-two ``shift`` with M ~ M0 * 2^(shift - 31) (``quantize_multiplier``);
at run time ``multiply_by_quantized_multiplier`` (TFLite's MultiplyByQuantizedMultiplier, built
from gemmlowp's SaturatingRoundingDoublingHighMul and RoundingDivideByPOT) applies it to int32
values with integer operations only. ``Requant`` and ``AddRequant`` hold these constants for one
op, so a kernel takes one object instead of a row of positional numbers.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..validation import check_scalar
from .qscheme import round_half_away

INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
ADD_LEFT_SHIFT = 20  # TFLite's extra precision bits for int8 add


def quantize_multiplier(real):
    """Real multiplier(s) -> (int32 Q31 mantissa M0, int32 shift) with real ~ M0 * 2^(shift - 31).

    TFLite's QuantizeMultiplier: ``std::frexp`` gives real = q * 2^shift with q in [0.5, 1); then
    M0 = TfLiteRound(q * 2^31), rounding halves away from zero (if that rounds up to 2^31, halve it
    and add 1 to shift); a multiplier below 2^-31 becomes 0. Offline (float) code, run at
    conversion. Accepts a scalar or an array; returns arrays of the same shape. Raises SpecError
    for a negative multiplier.
    """
    real = np.asarray(real, np.float64)
    m0, shift = np.zeros(real.shape, np.int64), np.zeros(real.shape, np.int64)
    for i, value in np.ndenumerate(real):
        check_scalar(value, "a requantization multiplier", float, min_val=0)
        if value == 0:
            continue
        q, e = math.frexp(float(value))
        q_fixed = int(round_half_away(q * (1 << 31)))  # exact: q * 2^31 has at most 53 bits
        if q_fixed == 1 << 31:
            q_fixed //= 2
            e += 1
        if e < -31:  # too small to represent: the product is 0
            q_fixed, e = 0, 0
        m0[i], shift[i] = q_fixed, e
    return m0.astype(np.int32), shift.astype(np.int32)


def _trunc_div_pow2(v, bits):
    """v / 2^bits rounded toward zero (C integer division), v int64."""
    return np.where(v >= 0, v >> bits, -((-v) >> bits))


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), int32 in and out.

    The only overflow (a == b == INT32_MIN) saturates to INT32_MAX. The rounding nudge is +2^30
    for a non-negative product and 1 - 2^30 for a negative one, then the division truncates.
    """
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = _trunc_div_pow2(ab + nudge, 31)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, high).astype(np.int32)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, halves away from zero."""
    x, exponent = np.asarray(x, np.int64), np.asarray(exponent, np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return ((x >> exponent) + (remainder > threshold)).astype(np.int32)


def multiply_by_quantized_multiplier(x, m0, shift):
    """TFLite MultiplyByQuantizedMultiplier: x * M0 * 2^(shift - 31) with gemmlowp rounding (int32)."""
    x, shift = np.asarray(x, np.int64), np.asarray(shift, np.int64)
    left, right = np.maximum(shift, 0), np.maximum(-shift, 0)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x << left, m0), right)


def _per_channel(p, ndim):
    """(C,) -> (C, 1, ...) for broadcasting over axis 0 of an ndim tensor; scalars pass through."""
    p = np.asarray(p)
    return p.reshape(p.shape + (1,) * (ndim - p.ndim)) if p.ndim == 1 else p


@dataclass(frozen=True, eq=False)
class Requant:
    """int32 accumulators -> int8: clamp(MBQM(acc, m0[c], shift[c]) + y_zp, act_min, act_max).

    m0, shift: int32 (C,) per output channel (or scalars); y_zp: the output's zero point;
    act_min/act_max: the output clamp, where a fused ReLU/ReLU6 lives.
    """

    m0: np.ndarray
    shift: np.ndarray
    y_zp: int = 0
    act_min: int = INT8_MIN
    act_max: int = INT8_MAX

    @classmethod
    def from_real(cls, real, y_zp=0, act_min=INT8_MIN, act_max=INT8_MAX):
        """The Requant of real multiplier(s) ``real`` (``quantize_multiplier``)."""
        return cls(*quantize_multiplier(real), y_zp, act_min, act_max)

    def channels(self, index):
        """The Requant of some output channels (``index``: a slice or index array)."""
        return Requant(self.m0[index], self.shift[index], self.y_zp, self.act_min, self.act_max)

    def apply(self, acc):
        """int32 accumulators (C, ...) -> int8 (C, ...), channel c scaled by m0[c], shift[c]."""
        scaled = multiply_by_quantized_multiplier(acc, _per_channel(self.m0, acc.ndim),
                                                  _per_channel(self.shift, acc.ndim))
        return np.clip(scaled.astype(np.int64) + self.y_zp, self.act_min, self.act_max).astype(np.int8)


@dataclass(frozen=True)
class AddRequant:
    """The offline constants of an int8 residual add (TFLite's reference kernel).

    Each input, minus its zero point and shifted left by ADD_LEFT_SHIFT bits, is scaled by its
    multiplier (a_m0, a_shift / b_m0, b_shift) to the common scale 2 * max(a_scale, b_scale);
    ``out`` requantizes the sum to the output scale.
    """

    a_zp: int
    a_m0: int
    a_shift: int
    b_zp: int
    b_m0: int
    b_shift: int
    out: Requant

    @classmethod
    def from_qparams(cls, a, b, y, act_min=INT8_MIN, act_max=INT8_MAX):
        """The constants of adding tensors quantized as ``a`` and ``b`` into ``y`` (QParams)."""
        twice_max = 2 * max(a.scale, b.scale)
        (a_m0, a_shift), (b_m0, b_shift) = (quantize_multiplier(a.scale / twice_max),
                                            quantize_multiplier(b.scale / twice_max))
        out = Requant.from_real(twice_max / ((1 << ADD_LEFT_SHIFT) * y.scale), y.zero_point,
                                act_min, act_max)
        return cls(a.zero_point, int(a_m0), int(a_shift), b.zero_point, int(b_m0), int(b_shift), out)
