"""Plain-loop reference kernels, layout (C, H, W): slow, obvious, and the oracle of ``kernels``.

Each output element is computed by the textbook formula with explicit loops; padding is zeros.
"""

import numpy as np


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
