"""Plain-loop reference kernels, layout (C, H, W): slow, obvious, and the oracle of ``kernels``.

Each output element is computed by the textbook formula with explicit loops; padding is zeros
(the int8 conv pads with the input's zero point, as its kernel does).
"""

import numpy as np

from .fixedpoint import multiply_by_quantized_multiplier


def naive_conv2d(x, weight, bias=None, stride=1, padding=0):
    """x: (Cin, H, W); weight: (Cout, Cin, k, k) -> (Cout, Ho, Wo), float64."""
    cin, h, w = x.shape
    cout, _, k, _ = weight.shape
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    y = np.zeros((cout, ho, wo))
    for o in range(cout):
        for i in range(ho):
            for j in range(wo):
                total = 0.0 if bias is None else float(bias[o])
                for c in range(cin):
                    for di in range(k):
                        for dj in range(k):
                            r, s = i * stride + di - padding, j * stride + dj - padding
                            if 0 <= r < h and 0 <= s < w:
                                total += float(x[c, r, s]) * float(weight[o, c, di, dj])
                y[o, i, j] = total
    return y


def naive_depthwise_conv2d(x, weight, bias=None, stride=1, padding=0):
    """x: (C, H, W); weight: (C, k, k) -> (C, Ho, Wo), float64."""
    c, h, w = x.shape
    k = weight.shape[1]
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    y = np.zeros((c, ho, wo))
    for ch in range(c):
        for i in range(ho):
            for j in range(wo):
                total = 0.0 if bias is None else float(bias[ch])
                for di in range(k):
                    for dj in range(k):
                        r, s = i * stride + di - padding, j * stride + dj - padding
                        if 0 <= r < h and 0 <= s < w:
                            total += float(x[ch, r, s]) * float(weight[ch, di, dj])
                y[ch, i, j] = total
    return y


def naive_linear(x, weight, bias=None):
    """x: (Cin,); weight: (Cout, Cin) -> (Cout,), float64."""
    y = np.zeros(weight.shape[0])
    for o in range(weight.shape[0]):
        y[o] = 0.0 if bias is None else float(bias[o])
        for i in range(weight.shape[1]):
            y[o] += float(weight[o, i]) * float(x[i])
    return y


def naive_conv2d_int8(x, x_zp, weight, bias, rq, stride=1, padding=0):
    """Integer-only conv by the textbook loop: x int8 (Cin, H, W) with zero point x_zp; weight int8
    (Cout, Cin, k, k); bias int32 (Cout,); rq a ``fixedpoint.Requant`` -> int8 (Cout, Ho, Wo).

    Padded pixels read the zero point (they add exactly 0); each accumulator is a Python int,
    requantized on its own with ``multiply_by_quantized_multiplier`` and clamped.
    """
    cin, h, w = x.shape
    cout, _, k, _ = weight.shape
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    m0, shift = np.broadcast_to(rq.m0, (cout,)), np.broadcast_to(rq.shift, (cout,))
    y = np.zeros((cout, ho, wo), np.int8)
    for o in range(cout):
        for i in range(ho):
            for j in range(wo):
                total = int(bias[o])
                for c in range(cin):
                    for di in range(k):
                        for dj in range(k):
                            r, s = i * stride + di - padding, j * stride + dj - padding
                            v = int(x[c, r, s]) if 0 <= r < h and 0 <= s < w else x_zp
                            total += (v - x_zp) * int(weight[o, c, di, dj])
                scaled = int(multiply_by_quantized_multiplier(total, m0[o], shift[o]))
                y[o, i, j] = min(max(scaled + rq.y_zp, rq.act_min), rq.act_max)
    return y
