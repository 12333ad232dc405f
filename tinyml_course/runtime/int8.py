"""Integer-only int8 inference, the way TensorFlow Lite Micro runs a quantized model on an MCU.

The scheme (TFLite's int8 quantization specification):

* activations: int8, asymmetric per tensor, real = (q - zero_point) * scale;
* weights: int8, symmetric per output channel (zero point 0, range [-127, 127]);
* biases: int32 with scale input_scale * weight_scale[c] and zero point 0;
* accumulation in int32: acc = sum (x_q - x_zp) * w_q + bias_q, where padding pixels hold x_zp
  (so they contribute exactly 0, like the float model's zero padding);
* requantization: y_q = clamp(MBQM(acc, M0[c], shift[c]) + y_zp, act_min, act_max), where the real
  multiplier M = x_scale * w_scale[c] / y_scale is stored offline as an int32 Q31 mantissa M0 and a
  power-of-two ``shift`` (``quantize_multiplier``); MBQM = MultiplyByQuantizedMultiplier, built from
  gemmlowp's SaturatingRoundingDoublingHighMul and RoundingDivideByPOT;
* ReLU6 is not an op: it is folded into the clamp, act_min = y_zp, act_max = y_zp + round(6/y_scale);
* a residual add rescales both inputs to a common scale with 20 extra bits, adds, and requantizes;
* global average pooling keeps the input's scale and zero point and divides the int32 sum with
  rounding (TFLite's integer AveragePool).

The kernels below take and return integer arrays only: int8 in and out, int32/int64 inside, never a
float. Floats appear only offline (``convert``: scales, multipliers) and at the edges
(``prepare_input`` quantizes the camera's image; logits are dequantized for display).
"""

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import qscheme as Q
from ..errors import SpecError
from .executor import reference_forward

INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
ADD_LEFT_SHIFT = 20  # TFLite's extra precision bits for int8 add


# ---------------------------------------------------------------- fixed-point arithmetic (gemmlowp)

def quantize_multiplier(real):
    """Real multiplier(s) -> (int32 Q31 mantissa M0, int shift) with real ~ M0 * 2^(shift - 31).

    TFLite's QuantizeMultiplier: frexp gives real = q * 2^shift with q in [0.5, 1); M0 = round(q * 2^31)
    (if that rounds up to 2^31, halve it and add 1 to shift). Offline (float) code, run at conversion.
    Accepts a scalar or an array; returns arrays of the same shape (int32, int32).
    """
    real = np.asarray(real, np.float64)
    m0, shift = np.zeros(real.shape, np.int64), np.zeros(real.shape, np.int64)
    for i, value in np.ndenumerate(real):
        if value < 0:
            raise SpecError(f"a requantization multiplier must be >= 0, got {value}")
        if value == 0:
            continue
        q, e = math.frexp(float(value))
        q_fixed = int(round(q * (1 << 31)))
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
    """(C,) -> (C, 1, 1) for broadcasting over (C, H, W); scalars pass through."""
    p = np.asarray(p)
    return p.reshape(p.shape + (1,) * (ndim - p.ndim)) if p.ndim == 1 else p


def requantize(acc, m0, shift, y_zp, act_min=INT8_MIN, act_max=INT8_MAX):
    """int32 accumulators (C, ...) -> int8: clamp(MBQM(acc, M0[c], shift[c]) + y_zp, act_min, act_max)."""
    _require_int("acc", acc)
    scaled = multiply_by_quantized_multiplier(acc, _per_channel(m0, acc.ndim), _per_channel(shift, acc.ndim))
    return np.clip(scaled.astype(np.int64) + y_zp, act_min, act_max).astype(np.int8)


def _require_int(name, a):
    if not np.issubdtype(np.asarray(a).dtype, np.integer):
        raise SpecError(f"int8 kernels take integer arrays only; {name} is {np.asarray(a).dtype}")


def _write(y, out):
    if out is None:
        return y
    out[...] = y
    return out


# ---------------------------------------------------------------- int8 kernels (integer-only)

def _centered_windows(x, x_zp, kernel, stride, padding):
    """(x - x_zp) as int32 with zero-point padding, as k x k windows (C, Ho, Wo, k, k)."""
    _require_int("x", x)
    if padding:
        x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)), constant_values=x_zp)
    xc = x.astype(np.int32) - np.int32(x_zp)  # padded pixels become exactly 0
    return sliding_window_view(xc, (kernel, kernel), axis=(1, 2))[:, ::stride, ::stride]


def conv2d_int8(x, x_zp, weight, bias, m0, shift, y_zp, stride=1, padding=0,
                act_min=INT8_MIN, act_max=INT8_MAX, out=None):
    """int8 full conv. x: int8 (Cin, H, W); weight: int8 (Cout, Cin, k, k); bias: int32 (Cout,);
    m0, shift: int32 (Cout,) -> int8 (Cout, Ho, Wo). Integer arithmetic only."""
    for name, a in (("weight", weight), ("bias", bias), ("m0", m0), ("shift", shift)):
        _require_int(name, a)
    win = _centered_windows(x, x_zp, weight.shape[2], stride, padding)  # (Cin, Ho, Wo, k, k)
    acc = np.einsum("chwij,ocij->ohw", win, weight.astype(np.int32), dtype=np.int32)
    acc += bias.astype(np.int32).reshape(-1, 1, 1)  # (Cout, Ho, Wo) int32
    return _write(requantize(acc, m0, shift, y_zp, act_min, act_max), out)


def depthwise_conv2d_int8(x, x_zp, weight, bias, m0, shift, y_zp, stride=1, padding=0,
                          act_min=INT8_MIN, act_max=INT8_MAX, out=None):
    """int8 depthwise conv. x: int8 (C, H, W); weight: int8 (C, k, k); bias, m0, shift: (C,)
    -> int8 (C, Ho, Wo). Integer arithmetic only."""
    for name, a in (("weight", weight), ("bias", bias), ("m0", m0), ("shift", shift)):
        _require_int(name, a)
    win = _centered_windows(x, x_zp, weight.shape[1], stride, padding)  # (C, Ho, Wo, k, k)
    acc = np.einsum("chwij,cij->chw", win, weight.astype(np.int32), dtype=np.int32)
    acc += bias.astype(np.int32).reshape(-1, 1, 1)
    return _write(requantize(acc, m0, shift, y_zp, act_min, act_max), out)


def pointwise_conv2d_int8(x, x_zp, weight, bias, m0, shift, y_zp,
                          act_min=INT8_MIN, act_max=INT8_MAX, out=None):
    """int8 1x1 conv. x: int8 (Cin, H, W); weight: int8 (Cout, Cin) -> int8 (Cout, H, W)."""
    for name, a in (("x", x), ("weight", weight), ("bias", bias), ("m0", m0), ("shift", shift)):
        _require_int(name, a)
    c, h, w = x.shape
    xc = x.reshape(c, h * w).astype(np.int32) - np.int32(x_zp)  # (Cin, H*W)
    acc = weight.astype(np.int32) @ xc + bias.astype(np.int32)[:, None]  # (Cout, H*W) int32
    return _write(requantize(acc, m0, shift, y_zp, act_min, act_max).reshape(-1, h, w), out)


def linear_int8(x, x_zp, weight, bias, m0, shift, y_zp, act_min=INT8_MIN, act_max=INT8_MAX, out=None):
    """int8 fully connected. x: int8 (Cin, 1, 1) or (Cin,); weight: int8 (Cout, Cin) -> (Cout, 1, 1)."""
    y = pointwise_conv2d_int8(x.reshape(-1, 1, 1), x_zp, weight, bias, m0, shift, y_zp, act_min, act_max)
    return _write(y, out)


def add_int8(a, a_zp, a_m0, a_shift, b, b_zp, b_m0, b_shift, out_m0, out_shift, y_zp,
             act_min=INT8_MIN, act_max=INT8_MAX, out=None):
    """int8 residual add (TFLite reference): each input, minus its zero point and shifted left by
    20 bits, is scaled to the common scale 2*max(a_scale, b_scale); the sum is requantized to the
    output scale. Multipliers come from ``add_multipliers``. int8 (C, H, W) -> int8 (C, H, W)."""
    for name, v in (("a", a), ("b", b)):
        _require_int(name, v)
    if a.shape != b.shape:
        raise SpecError(f"add needs equal shapes, got {a.shape} and {b.shape}")
    sa = multiply_by_quantized_multiplier((a.astype(np.int32) - a_zp) << ADD_LEFT_SHIFT, a_m0, a_shift)
    sb = multiply_by_quantized_multiplier((b.astype(np.int32) - b_zp) << ADD_LEFT_SHIFT, b_m0, b_shift)
    raw = multiply_by_quantized_multiplier(sa.astype(np.int32) + sb, out_m0, out_shift)
    return _write(np.clip(raw.astype(np.int64) + y_zp, act_min, act_max).astype(np.int8), out)


def add_multipliers(a_scale, b_scale, y_scale):
    """Offline multipliers of ``add_int8``: ((a_m0, a_shift), (b_m0, b_shift), (out_m0, out_shift))."""
    twice_max = 2 * max(a_scale, b_scale)
    return (quantize_multiplier(a_scale / twice_max), quantize_multiplier(b_scale / twice_max),
            quantize_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT) * y_scale)))


def avg_pool_int8(x, out=None):
    """int8 global average pool; output keeps x's scale and zero point. (C, H, W) -> (C, 1, 1).

    TFLite's integer AveragePool: int32 sum, then division by the count rounded half away from 0.
    """
    _require_int("x", x)
    count = x.shape[1] * x.shape[2]
    total = x.astype(np.int32).sum(axis=(1, 2), keepdims=True, dtype=np.int32)
    half = count // 2
    rounded = np.where(total >= 0, (total + half) // count, -((-total + half) // count))
    return _write(np.clip(rounded, INT8_MIN, INT8_MAX).astype(np.int8), out)


# ---------------------------------------------------------------- conversion of a float model

@dataclass
class QuantizedOp:
    """The integer parameters of one op (None where the op kind has none)."""

    weight: np.ndarray | None = None  # int8, the op's weight shape
    bias: np.ndarray | None = None  # int32 (Cout,)
    weight_scale: np.ndarray | None = None  # float32 (Cout,), kept for dequantization/inspection
    m0: np.ndarray | None = None  # int32 (Cout,) or the add's three multipliers
    shift: np.ndarray | None = None
    add: tuple | None = None  # add_multipliers(...) for residual adds
    act_min: int = INT8_MIN
    act_max: int = INT8_MAX


@dataclass
class QuantizedModel:
    """An int8 model: ``qparams`` maps tensor name ('input' or op name) -> (scale, zero_point)."""

    network: object
    qparams: dict
    ops: dict = field(default_factory=dict)  # op name -> QuantizedOp

    @property
    def flash_bytes(self):
        """Bytes of the int8 weights + int32 biases (``memory.flash_bytes(network, 'int8')``)."""
        return sum(q.weight.nbytes + q.bias.nbytes for q in self.ops.values() if q.weight is not None)

    @property
    def requant_bytes(self):
        """Bytes of the per-channel requantization constants: int32 M0 + int8 shift per channel."""
        return sum(5 * q.m0.size for q in self.ops.values() if q.weight is not None)


class Int8Backend:
    """Executor backend of a QuantizedModel: int8 tensors in the arena (1 byte per activation)."""

    dtype = "int8"

    def __init__(self, model):
        self.model = model

    def prepare_input(self, x):
        """Quantize a float (C, H, W) image to int8 with the input's scale and zero point."""
        scale, zp = self.model.qparams["input"]
        return Q.quantize(x, scale, zp, 8).astype(np.int8)

    def finish_output(self, y):
        return np.array(y, dtype=np.int8)

    def dequantize_output(self, y):
        """int8 logits -> float (for display; argmax is the same on either)."""
        scale, zp = self.model.qparams[self.model.network.ops[-1].name]
        return Q.dequantize(y, scale, zp)

    def run_op(self, op, inputs, out):
        q, (_, y_zp) = self.model.ops[op.name], self.model.qparams[op.name]
        x_zp = self.model.qparams[op.inputs[0]][1]
        x = inputs[0]
        if op.kind == "conv":
            return conv2d_int8(x, x_zp, q.weight, q.bias, q.m0, q.shift, y_zp, op.stride, op.padding,
                               q.act_min, q.act_max, out=out)
        if op.kind == "dwconv":
            return depthwise_conv2d_int8(x, x_zp, q.weight, q.bias, q.m0, q.shift, y_zp, op.stride,
                                         op.padding, q.act_min, q.act_max, out=out)
        if op.kind == "pwconv":
            return pointwise_conv2d_int8(x, x_zp, q.weight, q.bias, q.m0, q.shift, y_zp,
                                         q.act_min, q.act_max, out=out)
        if op.kind == "linear":
            return linear_int8(x, x_zp, q.weight, q.bias, q.m0, q.shift, y_zp, q.act_min, q.act_max,
                               out=out)
        if op.kind == "add":
            (am, ash), (bm, bsh), (om, osh) = q.add
            b_zp = self.model.qparams[op.inputs[1]][1]
            return add_int8(x, x_zp, am, ash, inputs[1], b_zp, bm, bsh, om, osh, y_zp,
                            q.act_min, q.act_max, out=out)
        if op.kind == "pool":
            return avg_pool_int8(x, out=out)
        raise SpecError(f"op {op.name!r} has unknown kind {op.kind!r}")

    def depthwise_channel(self, op, c, x_c, out_c):
        """One output channel of an int8 depthwise op (the in-place schedule)."""
        q, (_, y_zp) = self.model.ops[op.name], self.model.qparams[op.name]
        x_zp = self.model.qparams[op.inputs[0]][1]
        depthwise_conv2d_int8(x_c[np.newaxis], x_zp, q.weight[c:c + 1], q.bias[c:c + 1],
                              q.m0[c:c + 1], q.shift[c:c + 1], y_zp, op.stride, op.padding,
                              q.act_min, q.act_max, out=out_c[np.newaxis])


def run_int8(model, x):
    """int8 output (logits, (classes, 1, 1)) of one float image x (C, H, W), no arena."""

    return reference_forward(model.network, x, Int8Backend(model))


def run_int8_batch(model, x):
    """int8 logits (N, classes) of float images x (N, C, H, W): the same per-image kernels, with the
    batch folded into an axis each kernel treats independently (as ``train.forward`` does).

    depthwise/add/pool fold N into channels (N*C, H, W), with per-channel constants tiled N times;
    pointwise/linear fold N into the spatial axes (C, N*H, W); the full conv runs image by image.
    Integer arithmetic only; equal to ``run_int8`` image by image (tested).
    """
    backend = Int8Backend(model)
    scale, zp = model.qparams["input"]
    tensors = {"input": Q.quantize(np.asarray(x), scale, zp, 8).astype(np.int8)}  # (N, C, H, W)
    for op in model.network:
        q, (_, y_zp) = model.ops[op.name], model.qparams[op.name]
        x_zp = model.qparams[op.inputs[0]][1]
        a = tensors[op.inputs[0]]
        n, c, h, w = a.shape
        if op.kind == "conv":
            y = np.stack([backend.run_op(op, [ai], None) for ai in a])
        elif op.kind == "dwconv":
            y = depthwise_conv2d_int8(a.reshape(n * c, h, w), x_zp, np.tile(q.weight, (n, 1, 1)),
                                      np.tile(q.bias, n), np.tile(q.m0, n), np.tile(q.shift, n), y_zp,
                                      op.stride, op.padding, q.act_min, q.act_max)  # (N*C, Ho, Wo)
            y = y.reshape(n, c, *y.shape[1:])
        elif op.kind in ("pwconv", "linear"):
            folded = a.transpose(1, 0, 2, 3).reshape(c, n * h, w)  # (Cin, N*H, W)
            y = pointwise_conv2d_int8(folded, x_zp, q.weight, q.bias, q.m0, q.shift, y_zp,
                                      q.act_min, q.act_max)  # (Cout, N*H, W)
            y = y.reshape(-1, n, h, w).transpose(1, 0, 2, 3)
        else:  # add, pool: elementwise or per channel plane
            y = backend.run_op(op, [tensors[t].reshape(n * c, h, w) for t in op.inputs], None)
            y = y.reshape(n, c, *y.shape[1:])
        tensors[op.name] = y
    return tensors[model.network.ops[-1].name].reshape(len(x), -1)


def predict_int8(model, x, batch_size=256):
    """Predicted classes (N,) of float images x (N, C, H, W) through integer-only inference."""
    return np.concatenate([run_int8_batch(model, x[i:i + batch_size]).argmax(1)
                           for i in range(0, len(x), batch_size)])


def accuracy_int8(model, x, y):
    """Share (0..1) of the images whose int8 prediction equals y."""
    return float((predict_int8(model, x) == y).mean())
