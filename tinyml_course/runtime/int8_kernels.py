"""Integer-only int8 kernels, layout (C, H, W), batch 1, as TensorFlow Lite Micro runs them.

The scheme (TFLite's int8 quantization specification):

* activations: int8, asymmetric per tensor, real = (q - zero_point) * scale;
* weights: int8, symmetric per output channel (zero point 0, range [-127, 127]);
* biases: int32 with scale input_scale * weight_scale[c] and zero point 0;
* accumulation in int32: acc = sum (x_q - x_zp) * w_q + bias_q, where padding pixels hold x_zp
  (so they contribute exactly 0, like the float model's zero padding);
* requantization (``fixedpoint.Requant``): y_q = clamp(MBQM(acc, M0[c], shift[c]) + y_zp,
  act_min, act_max); ReLU6 is not an op, it is folded into the clamp;
* a residual add rescales both inputs to a common scale with 20 extra bits, adds, and requantizes
  (``fixedpoint.AddRequant``);
* global average pooling keeps the input's scale and zero point and divides the int32 sum with
  rounding (TFLite's integer AveragePool).

Every kernel takes and returns integer arrays only: int8 in and out, int32/int64 inside, never a
float (SpecError otherwise). ``naive.naive_conv2d_int8`` is the plain-loop reference.
"""

import numpy as np

from ..errors import SpecError
from .fixedpoint import ADD_LEFT_SHIFT, INT8_MAX, INT8_MIN, multiply_by_quantized_multiplier
from .kernels import conv_windows, pad_map


def _require_int(**arrays):
    for name, a in arrays.items():
        if not np.issubdtype(np.asarray(a).dtype, np.integer):
            raise SpecError(f"int8 kernels take integer arrays only; {name} is {np.asarray(a).dtype}")


def _write(y, out):
    if out is None:
        return y
    out[...] = y
    return out


def _centered_windows(x, x_zp, kernel, stride, padding):
    """(x - x_zp) as int32 with zero-point padding (p, or (top, bottom, left, right)), as
    kh x kw windows (``kernel``: (kh, kw)): (C, Ho, Wo, kh, kw)."""
    _require_int(x=x)
    xc = pad_map(x, padding, x_zp).astype(np.int32) - np.int32(x_zp)  # padded pixels: exactly 0
    return conv_windows(xc, kernel, stride)


def conv2d_int8(x, x_zp, weight, bias, rq, stride=1, padding=0, out=None):
    """int8 full conv. x: int8 (Cin, H, W) with zero point x_zp; weight: int8 (Cout, Cin, kh, kw);
    bias: int32 (Cout,); rq: Requant with (Cout,) constants; padding: p or (top, bottom, left,
    right) pixels of x_zp -> int8 (Cout, Ho, Wo)."""
    _require_int(weight=weight, bias=bias, m0=rq.m0, shift=rq.shift)
    win = _centered_windows(x, x_zp, weight.shape[2:], stride, padding)  # (Cin, Ho, Wo, kh, kw)
    acc = np.einsum("chwij,ocij->ohw", win, weight.astype(np.int32), dtype=np.int32)
    acc += bias.astype(np.int32).reshape(-1, 1, 1)  # (Cout, Ho, Wo) int32
    return _write(rq.apply(acc), out)


def depthwise_conv2d_int8(x, x_zp, weight, bias, rq, stride=1, padding=0, out=None):
    """int8 depthwise conv. x: int8 (C, H, W); weight: int8 (C, k, k); bias: int32 (C,);
    rq: Requant with (C,) constants -> int8 (C, Ho, Wo)."""
    _require_int(weight=weight, bias=bias, m0=rq.m0, shift=rq.shift)
    win = _centered_windows(x, x_zp, weight.shape[1:], stride, padding)  # (C, Ho, Wo, k, k)
    acc = np.einsum("chwij,cij->chw", win, weight.astype(np.int32), dtype=np.int32)
    acc += bias.astype(np.int32).reshape(-1, 1, 1)
    return _write(rq.apply(acc), out)


def pointwise_conv2d_int8(x, x_zp, weight, bias, rq, out=None):
    """int8 1x1 conv. x: int8 (Cin, H, W); weight: int8 (Cout, Cin); bias: int32 (Cout,)
    -> int8 (Cout, H, W)."""
    _require_int(x=x, weight=weight, bias=bias, m0=rq.m0, shift=rq.shift)
    c, h, w = x.shape
    xc = x.reshape(c, h * w).astype(np.int32) - np.int32(x_zp)  # (Cin, H*W)
    acc = weight.astype(np.int32) @ xc + bias.astype(np.int32)[:, None]  # (Cout, H*W) int32
    return _write(rq.apply(acc).reshape(-1, h, w), out)


def linear_int8(x, x_zp, weight, bias, rq, out=None):
    """int8 fully connected. x: int8 (Cin, 1, 1) or (Cin,); weight: int8 (Cout, Cin) -> (Cout, 1, 1)."""
    return _write(pointwise_conv2d_int8(x.reshape(-1, 1, 1), x_zp, weight, bias, rq), out)


def add_int8(a, b, params, out=None):
    """int8 residual add (TFLite reference): int8 (C, H, W) + int8 (C, H, W) -> int8 (C, H, W).

    Each input, minus its zero point and shifted left by 20 bits, is scaled to the common scale;
    the sum is requantized to the output's (``params``: an AddRequant).
    """
    _require_int(a=a, b=b)
    if a.shape != b.shape:
        raise SpecError(f"add needs equal shapes, got {a.shape} and {b.shape}")
    p = params
    sa = multiply_by_quantized_multiplier((a.astype(np.int32) - p.a_zp) << ADD_LEFT_SHIFT,
                                          p.a_m0, p.a_shift)
    sb = multiply_by_quantized_multiplier((b.astype(np.int32) - p.b_zp) << ADD_LEFT_SHIFT,
                                          p.b_m0, p.b_shift)
    return _write(p.out.apply(sa.astype(np.int32) + sb), out)


def avg_pool_int8(x, out=None):
    """int8 global average pool; output keeps x's scale and zero point. (C, H, W) -> (C, 1, 1).

    TFLite's integer AveragePool: int32 sum, then division by the count rounded half away from 0.
    """
    _require_int(x=x)
    count = x.shape[1] * x.shape[2]
    total = x.astype(np.int32).sum(axis=(1, 2), keepdims=True, dtype=np.int32)
    half = count // 2
    rounded = np.where(total >= 0, (total + half) // count, -((-total + half) // count))
    return _write(np.clip(rounded, INT8_MIN, INT8_MAX).astype(np.int8), out)
