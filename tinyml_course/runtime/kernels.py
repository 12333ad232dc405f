"""Float numpy kernels for every op, layout (C, H, W), batch 1.

Readable first, vectorised second: convolutions gather their k x k windows with
``sliding_window_view`` (a view, no copy): a full conv contracts them with the weights
(``tensordot``, i.e. im2col x weights); a depthwise conv multiplies and sums them in one
``einsum`` pass, channels-last (``depthwise_hwc``), or with few channels adds one shifted product
per kernel tap. The depthwise kernels also take a batch (``depthwise_conv2d_batch``), for training.
Every kernel can write into a caller's ``out`` array (a view into the SRAM arena); the numpy
temporaries a kernel makes while computing are its working memory, which the arena does not model
(as TinyEngine's published activation figures leave out its im2col scratch).
The naive loop versions in ``naive.py`` are the reference these are tested against.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import SpecError
from ..model.ops import pad_sides
from ..validation import check_scalar


def _check_chw(x, name="x"):
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        raise SpecError(f"{name} must be a (C, H, W) array, got shape {getattr(x, 'shape', None)}")


def _check_conv_args(stride, padding):
    check_scalar(stride, "stride", int, min_val=1)
    for p in pad_sides(padding):
        check_scalar(p, "padding", int, min_val=0)


def pad_map(x, padding, value=0):
    """x (C, H, W) with ``padding`` (p, or (top, bottom, left, right), pixels) of ``value`` around
    it: (C, H + top + bottom, W + left + right), a new array (x itself when there is none)."""
    top, bottom, left, right = pad_sides(padding)
    if not (top or bottom or left or right):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right)), constant_values=value)


def activate(y, act):
    """Apply a fused activation in place: None, 'relu' or 'relu6'. Returns y."""
    if act == "relu":
        np.maximum(y, 0, out=y)
    elif act == "relu6":
        np.clip(y, 0, 6, out=y)
    elif act is not None:
        raise SpecError(f"unknown activation {act!r}; use None, 'relu' or 'relu6'")
    return y


def conv_windows(x, kernel, stride):
    """All kh x kw windows (``kernel``: (kh, kw)) of the already padded x (C, H, W), every
    ``stride``-th: (C, Ho, Wo, kh, kw), a view. Raises SpecError when x is smaller than a window."""
    kh, kw = kernel
    if x.shape[1] < kh or x.shape[2] < kw:
        raise SpecError(f"a {x.shape[1]}x{x.shape[2]} (padded) map is smaller than the "
                        f"{kh}x{kw} kernel")
    return sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]


def _finish(y, bias, act, out):
    if bias is not None:
        y += bias.reshape(-1, 1, 1)
    activate(y, act)
    if out is None:
        return y
    out[...] = y
    return out


def conv2d(x, weight, bias=None, stride=1, padding=0, act=None, out=None):
    """Full convolution. x: (Cin, H, W); weight: (Cout, Cin, kh, kw); bias: (Cout,);
    padding: p or (top, bottom, left, right) zero pixels -> (Cout, Ho, Wo)."""
    _check_chw(x)
    _check_conv_args(stride, padding)
    if weight.ndim != 4 or weight.shape[1] != x.shape[0]:
        raise SpecError(f"conv2d weight must be (Cout, {x.shape[0]}, kh, kw), got {weight.shape}")
    win = conv_windows(pad_map(x, padding), weight.shape[2:], stride)  # (Cin, Ho, Wo, kh, kw)
    y = np.tensordot(weight, win, axes=([1, 2, 3], [0, 3, 4]))  # (Cout, Ho, Wo): im2col x weights
    return _finish(y.astype(x.dtype, copy=False), bias, act, out)


def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, act=None, out=None):
    """Depthwise convolution. x: (C, H, W); weight: (C, k, k); bias: (C,) -> (C, Ho, Wo).

    Two ways to the same sums, chosen by ``runs_channels_last`` (channels and stride):

    * enough channels: channels-last, ``depthwise_conv2d_batch`` on a batch of one;
    * few channels (the in-place executor's one-channel calls): one shifted multiply-add per
      kernel tap over whole rows, ``_depthwise_per_tap``.

    Both sum a window's k * k products in row-major order, as the loop reference ``naive.py``
    does, so they agree with it to float32 rounding.
    """
    _check_chw(x)
    _check_depthwise_args(x.shape, weight, stride, padding)
    if runs_channels_last(x.shape[0], stride):
        y = depthwise_conv2d_batch(x[np.newaxis], weight, None, stride, padding)[0]
    else:
        y = _depthwise_per_tap(x, weight, stride, padding)
    y = _finish(y.astype(x.dtype, copy=False), bias, act, out)
    return y if out is not None else np.ascontiguousarray(y)


# depthwise convs go channels-last from this many channels on; below it the einsum's inner loop
# is too short to pay for itself, and the per-tap loop's rows are long. At stride 1 the inner loop
# runs over several pixels' channels (pixel_group), so fewer channels suffice.
CHANNELS_LAST_MIN = 64
CHANNELS_LAST_MIN_STRIDE_1 = 16


def runs_channels_last(channels, stride):
    """Whether a depthwise conv of ``channels`` channels at ``stride`` runs channels-last."""
    return channels >= (CHANNELS_LAST_MIN_STRIDE_1 if stride == 1 else CHANNELS_LAST_MIN)


def _check_depthwise_args(x_shape, weight, stride, padding):
    _check_conv_args(stride, padding)
    c, h, w = x_shape[-3:]
    if weight.ndim != 3 or weight.shape[0] != c or weight.shape[1] != weight.shape[2]:
        raise SpecError(f"depthwise weight must be ({c}, k, k), got {weight.shape}")
    k = weight.shape[1]
    if h + 2 * padding < k or w + 2 * padding < k:
        raise SpecError(f"a {h + 2 * padding}x{w + 2 * padding} (padded) map is smaller than "
                        f"kernel {k}")


def depthwise_conv2d_batch(x, weight, bias=None, stride=1, padding=0, act=None):
    """Depthwise convolution of a batch, channels-last inside. x: (N, C, H, W); weight: (C, k, k);
    bias: (C,) -> (N, C, Ho, Wo).

    The images are copied once into channels-last order, zero-padded (``to_channels_last``), and
    ``depthwise_hwc`` forms all output pixels in one pass. The result is returned as an
    (N, C, Ho, Wo) view of the (N, Ho, Wo, C) output (no copy back): numpy reads either order.
    """
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        raise SpecError(f"x must be an (N, C, H, W) array, got shape {getattr(x, 'shape', None)}")
    _check_depthwise_args(x.shape, weight, stride, padding)
    y = depthwise_hwc(to_channels_last(x, padding), weight.transpose(1, 2, 0), stride)
    y = y.astype(x.dtype, copy=False)
    if bias is not None:
        y += bias  # (C,) along the last axis
    return activate(y, act).transpose(0, 3, 1, 2)


def to_channels_last(x, padding=0):
    """(N, C, H, W) -> a new (N, H + 2p, W + 2p, C) array, zero border of ``padding`` pixels."""
    n, c, h, w = x.shape
    x_hwc = np.zeros((n, h + 2 * padding, w + 2 * padding, c), x.dtype)
    x_hwc[:, padding:padding + h, padding:padding + w] = x.transpose(0, 2, 3, 1)
    return x_hwc


def depthwise_hwc(x, weight, stride=1):
    """Depthwise convolution in channels-last layout, no padding of its own.

    x: (..., H, W, C), already padded (leading axes, e.g. a batch, are kept); weight: (k, k, C)
    -> (..., Ho, Wo, C), Ho = (H - k) // stride + 1 and likewise Wo. ``np.einsum`` multiplies
    each window (``pixel_windows``, a view) by the weights and sums over the taps in ONE pass (no
    product temporary, no pass per tap). Its inner loop runs along memory that is contiguous in
    the windows, the weights and the output alike: the channels of g neighbouring pixels, against
    the weights repeated g times (g = 1 at stride > 1, where a pixel's neighbour is not next to it
    in memory; splitting the input into stride * stride phases to get there measured slower).
    Working memory: the output and the repeated weights.
    """
    windows, g = pixel_windows(x, weight.shape[:2], stride)  # (..., Ho, Wo // g, g * C, k, k)
    taps = np.tile(np.ascontiguousarray(weight), (1, 1, g))  # (k, k, g * C): once per pixel
    y = np.einsum("...hbqij,ijq->...hbq", windows, taps)
    return y.reshape(*y.shape[:-2], -1, weight.shape[-1])  # (..., Ho, Wo, C)


def pixel_windows(x, kernel, stride=1):
    """The windows of a (kh, kw) = ``kernel`` convolution over a channels-last map x
    (..., H, W, C): a view (no copy) of shape (..., Ho, Wo // g, g * C, kh, kw), and g. At stride 1
    the channels of g = ``pixel_group(Wo, C)`` neighbouring output pixels lie one after the other
    in memory, so they form ONE axis of g * C values; at other strides g = 1."""
    windows = sliding_window_view(x, kernel, axis=(-3, -2))  # (..., H-kh+1, W-kw+1, C, kh, kw)
    windows = windows[..., ::stride, ::stride, :, :, :]
    *lead, ho, wo, c = windows.shape[:-2]
    g = pixel_group(wo, c) if stride == 1 else 1
    return windows.reshape(*lead, ho, wo // g, g * c, *kernel), g


def pixel_group(width, channels, target=1024):
    """Pixels g of a row that ``depthwise_hwc`` treats as one run of g * C values: the largest
    divisor of ``width`` with g * channels <= ``target`` (1 if even one pixel has more). Longer
    runs cost less loop overhead per multiply-add; ``target`` keeps the repeated weights
    (k * k * g * C values) cache-sized."""
    fits = [d for d in range(2, width + 1) if width % d == 0 and d * channels <= target]
    return max(fits, default=1)


def _depthwise_per_tap(x, weight, stride, padding):
    """Depthwise conv of x (C, H, W) by weight (C, k, k), one shifted multiply-add per tap.

    At stride 1 the padded rows of a channel are taken as one long row (``flat``): the window of
    tap (i, j) is then ONE contiguous run, shifted by i * Wp + j, and numpy's loops run along it
    at full speed; the Wp - Wo columns past each output row's end are computed and dropped.
    Other strides take 2-D strided windows. Speed: the channels go in blocks of about
    ``_DW_BLOCK`` output elements, so a block's output and its one product buffer stay in the
    CPU cache across the k * k taps, and no temporary is allocated per tap.
    """
    k = weight.shape[1]
    c, h, w = x.shape
    hp, wp = h + 2 * padding, w + 2 * padding
    ho, wo = (hp - k) // stride + 1, (wp - k) // stride + 1
    xp = np.zeros((c, hp + 1, wp), x.dtype)  # padded, plus one zero row where flat runs end
    xp[:, padding:padding + h, padding:padding + w] = x
    if stride == 1:
        flat = xp.reshape(c, -1)

        def window(c0, c1, i, j):
            return flat[c0:c1, i * wp + j:i * wp + j + ho * wp]  # (block, Ho * Wp)
        out_shape = (ho * wp,)
    else:
        def window(c0, c1, i, j):
            return xp[c0:c1, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
        out_shape = (ho, wo)
    y = np.empty((c, *out_shape), dtype=np.result_type(x, weight))
    block = max(1, _DW_BLOCK // y[0].size)  # channels per cache-sized block
    product = np.empty((min(block, c), *out_shape), y.dtype)
    taps = weight.reshape(c, k * k, *[1] * len(out_shape))
    for c0 in range(0, c, block):
        yb, tb = y[c0:c0 + block], taps[c0:c0 + block]
        pb = product[:len(yb)]
        for tap in range(k * k):
            i, j = divmod(tap, k)
            if tap == 0:
                np.multiply(window(c0, c0 + block, i, j), tb[:, 0], out=yb)
            else:
                np.multiply(window(c0, c0 + block, i, j), tb[:, tap], out=pb)
                yb += pb
    return y.reshape(c, ho, wp)[:, :, :wo] if stride == 1 else y


_DW_BLOCK = 32768  # output elements per channel block of _depthwise_per_tap (64 KiB of float32)


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
