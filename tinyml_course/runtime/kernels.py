"""Float numpy kernels for every op, layout (C, H, W), batch 1.

Readable first, vectorised second: convolutions gather their k x k windows with
``sliding_window_view`` (a view, no copy): a full conv contracts them with the weights
(``tensordot``, i.e. im2col x weights); a depthwise conv adds one shifted product per kernel tap.
Every kernel can write into a caller's ``out`` array (a view into the SRAM arena); the numpy
temporaries a kernel makes while computing are its working memory, which the arena does not model
(as TinyEngine's published activation figures leave out its im2col scratch).
The naive loop versions in ``naive.py`` are the reference these are tested against.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import SpecError


def _check_chw(x, name="x"):
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        raise SpecError(f"{name} must be a (C, H, W) array, got shape {getattr(x, 'shape', None)}")


def _check_conv_args(stride, padding):
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise SpecError(f"stride must be a positive integer, got {stride!r}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise SpecError(f"padding must be a non-negative integer, got {padding!r}")


def activate(y, act):
    """Apply a fused activation in place: None, 'relu' or 'relu6'. Returns y."""
    if act == "relu":
        np.maximum(y, 0, out=y)
    elif act == "relu6":
        np.clip(y, 0, 6, out=y)
    elif act is not None:
        raise SpecError(f"unknown activation {act!r}; use None, 'relu' or 'relu6'")
    return y


def _windows(x, kernel, stride, padding):
    """All k x k windows of x (C, H, W) zero-padded by ``padding``: (C, Ho, Wo, k, k), a view."""
    if padding:
        x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    if x.shape[1] < kernel or x.shape[2] < kernel:
        raise SpecError(f"a {x.shape[1]}x{x.shape[2]} (padded) map is smaller than kernel {kernel}")
    return sliding_window_view(x, (kernel, kernel), axis=(1, 2))[:, ::stride, ::stride]


def _finish(y, bias, act, out):
    if bias is not None:
        y += bias.reshape(-1, 1, 1)
    activate(y, act)
    if out is None:
        return y
    out[...] = y
    return out


def conv2d(x, weight, bias=None, stride=1, padding=0, act=None, out=None):
    """Full convolution. x: (Cin, H, W); weight: (Cout, Cin, k, k); bias: (Cout,) -> (Cout, Ho, Wo)."""
    _check_chw(x)
    _check_conv_args(stride, padding)
    if weight.ndim != 4 or weight.shape[1] != x.shape[0] or weight.shape[2] != weight.shape[3]:
        raise SpecError(f"conv2d weight must be (Cout, {x.shape[0]}, k, k), got {weight.shape}")
    win = _windows(x, weight.shape[2], stride, padding)  # (Cin, Ho, Wo, k, k)
    y = np.tensordot(weight, win, axes=([1, 2, 3], [0, 3, 4]))  # (Cout, Ho, Wo): im2col x weights
    return _finish(y.astype(x.dtype, copy=False), bias, act, out)


def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, act=None, out=None):
    """Depthwise convolution. x: (C, H, W); weight: (C, k, k); bias: (C,) -> (C, Ho, Wo).

    One shifted multiply-add per kernel tap, all channels of a block at once. Speed: the channels
    go in blocks of about ``_DW_BLOCK`` output elements, so a block's output and its one product
    buffer stay in the CPU cache across the k * k taps (a whole-map pass per tap is bound by
    memory bandwidth), and no temporary is allocated per tap. Same sums in the same order as the
    per-tap loop over ``_windows`` (``naive.py`` is the reference).
    """
    _check_chw(x)
    _check_conv_args(stride, padding)
    if weight.ndim != 3 or weight.shape[0] != x.shape[0] or weight.shape[1] != weight.shape[2]:
        raise SpecError(f"depthwise weight must be ({x.shape[0]}, k, k), got {weight.shape}")
    k = weight.shape[1]
    c, h, w = x.shape
    if h + 2 * padding < k or w + 2 * padding < k:
        raise SpecError(f"a {h + 2 * padding}x{w + 2 * padding} (padded) map is smaller than kernel {k}")
    if padding:
        x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    ho, wo = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    y = np.empty((c, ho, wo), dtype=np.result_type(x, weight))
    block = max(1, _DW_BLOCK // (ho * wo))  # channels per cache-sized block
    product = np.empty((min(block, c), ho, wo), y.dtype)
    taps = weight.reshape(c, k * k, 1, 1)
    for c0 in range(0, c, block):
        yb, xb, tb = y[c0:c0 + block], x[c0:c0 + block], taps[c0:c0 + block]
        pb = product[:len(yb)]
        for tap in range(k * k):
            i, j = divmod(tap, k)
            window = xb[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
            if tap == 0:
                np.multiply(window, tb[:, 0], out=yb)
            else:
                np.multiply(window, tb[:, tap], out=pb)
                yb += pb
    return _finish(y.astype(x.dtype, copy=False), bias, act, out)


_DW_BLOCK = 32768  # output elements per channel block of depthwise_conv2d (64 KiB of float32)


def pointwise_conv2d(x, weight, bias=None, act=None, out=None):
    """1x1 convolution. x: (Cin, H, W); weight: (Cout, Cin); bias: (Cout,) -> (Cout, H, W)."""
    _check_chw(x)
    if weight.ndim != 2 or weight.shape[1] != x.shape[0]:
        raise SpecError(f"pointwise weight must be (Cout, {x.shape[0]}), got {weight.shape}")
    c, h, w = x.shape
    y = (weight @ x.reshape(c, h * w)).reshape(-1, h, w)  # (Cout, H*W) -> (Cout, H, W)
    return _finish(y, bias, act, out)


def add(a, b, act=None, out=None):
    """Element-wise residual add of two (C, H, W) tensors of the same shape."""
    if a.shape != b.shape:
        raise SpecError(f"add needs equal shapes, got {a.shape} and {b.shape}")
    y = a + b
    activate(y, act)
    if out is None:
        return y
    out[...] = y
    return out


def global_avg_pool(x, out=None):
    """Mean over H and W. x: (C, H, W) -> (C, 1, 1)."""
    _check_chw(x)
    y = x.mean(axis=(1, 2), keepdims=True, dtype=np.float64).astype(x.dtype)
    if out is None:
        return y
    out[...] = y
    return out


def linear(x, weight, bias=None, act=None, out=None):
    """Fully connected layer. x: (Cin, 1, 1) or (Cin,); weight: (Cout, Cin) -> (Cout, 1, 1)."""
    flat = x.reshape(-1)
    if weight.ndim != 2 or weight.shape[1] != flat.shape[0]:
        raise SpecError(f"linear weight must be (Cout, {flat.shape[0]}), got {weight.shape}")
    y = (weight @ flat).reshape(-1, 1, 1)
    return _finish(y, bias, act, out)
