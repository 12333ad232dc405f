"""Training in numpy: backward pass of every op kind, cross-entropy, Adam(W), and ``fit``.

The forward pass is ``runtime.batched.forward``; this module adds the gradients (checked against
finite differences in the tests), the optimizer and the training loop used by ``scripts/train_digits.py``
and by pruning's fine-tuning.
"""

import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import SpecError
from ..runtime import kernels
from ..runtime.batched import accuracy, forward

# ---------------------------------------------------------------- loss

def cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient. logits: (N, K); y: (N,) -> (loss, dlogits)."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.log(p[np.arange(n), y] + 1e-12).mean())
    p[np.arange(n), y] -= 1
    return loss, (p / n).astype(np.float32)


def _act_grad(dy, y, act):
    """Gradient through a fused activation, from its output y."""
    if act == "relu":
        return dy * (y > 0)
    if act == "relu6":
        return dy * ((y > 0) & (y < 6))
    return dy


def _batch_windows(x, op):
    """op's kh x kw windows of a batch padded by op's (top, bottom, left, right):
    (N, C, H, W) -> (N, C, Ho, Wo, kh, kw) view."""
    top, bottom, left, right = op.pads
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    return sliding_window_view(x, op.kernel_hw, axis=(2, 3))[:, :, ::op.stride, ::op.stride]


def _dilate_pad(dy, op, axes=(2, 3)):
    """Output gradient spread for the transposed convolution: dy's spatial ``axes`` (Ho, Wo) ->
    (H + kh - 1, W + kw - 1); axes (2, 3) for (N, C, Ho, Wo), (1, 2) for channels-last
    (N, Ho, Wo, C).

    stride - 1 zeros between rows/columns, k - 1 - p zeros before (p: the padding above / on
    the left) and the rest after, so a valid kh x kw convolution gives back (H, W).
    """
    s = op.stride
    shape, where = list(dy.shape), [slice(None)] * dy.ndim
    for axis, size, k, p in zip(axes, op.in_shape[1:], op.kernel_hw, op.pads[::2]):
        shape[axis] = size + k - 1
        where[axis] = slice(k - 1 - p, k - 1 - p + s * (dy.shape[axis] - 1) + 1, s)
    d = np.zeros(shape, dy.dtype)
    d[tuple(where)] = dy
    return d


def _conv_backward(op, x, dy, wt, need_dx):
    """(dx or None, dweight) of a full conv: x (N, Cin, H, W), dy (N, Cout, Ho, Wo)."""
    win = _batch_windows(x, op)  # (N, Cin, Ho, Wo, kh, kw)
    dw = np.einsum("nohw,nchwij->ocij", dy, win, optimize=True)
    if not need_dx:
        return None, dw
    flipped = wt[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (Cin, Cout, kh, kw)
    d = _dilate_pad(dy, op)
    return np.stack([kernels.conv2d(di, np.ascontiguousarray(flipped)) for di in d]), dw


_DW_GRAD_BLOCK = 32768  # elements of dy per channel block of _depthwise_weight_grad (cache-sized)


def _depthwise_weight_grad(x, dy, kernel, stride, padding):
    """dL/dweight (C, k, k) of a depthwise conv from x (N, C, H, W) and dy (N, C, Ho, Wo).

    dw[c, i, j] = sum over n, h, w of dy[n, c, h, w] * x_padded[n, c, s*h + i, s*w + j]: one
    multiply-reduce per tap over a cache-sized block of channels (no k*k-times-larger im2col copy).
    """
    n, c, ho, wo = dy.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dw = np.empty((c, kernel, kernel), np.result_type(x, dy))
    block = max(1, _DW_GRAD_BLOCK // (n * ho * wo))
    span_h, span_w = stride * (ho - 1) + 1, stride * (wo - 1) + 1
    for c0 in range(0, c, block):
        xb, db = xp[:, c0:c0 + block], dy[:, c0:c0 + block]
        for i in range(kernel):
            for j in range(kernel):
                window = xb[:, :, i:i + span_h:stride, j:j + span_w:stride]
                dw[c0:c0 + block, i, j] = np.einsum("nchw,nchw->c", db, window)
    return dw


def _dwconv_backward(op, x, dy, wt, need_dx):
    """(dx or None, dweight) of a depthwise conv: x (N, C, H, W), dy (N, C, Ho, Wo).

    Channels-last where the forward pass is (``kernels.runs_channels_last``): dweight is
    one einsum pass over the windows of x, dx the forward kernel run on the spread-out dy with the
    flipped weights. Fewer channels: per-tap loops over channel-major maps.
    """
    if kernels.runs_channels_last(x.shape[1], op.stride):
        return _dwconv_backward_hwc(op, x, dy, wt, need_dx)
    n, c, h, w = x.shape
    dw = _depthwise_weight_grad(x, dy, op.kernel, op.stride, op.padding)
    if not need_dx:
        return None, dw
    d = _dilate_pad(dy, op)
    flipped = np.tile(wt[:, ::-1, ::-1], (n, 1, 1))  # (N*C, k, k)
    dx = kernels.depthwise_conv2d(d.reshape(n * c, *d.shape[2:]), flipped)
    return dx.reshape(n, c, h, w), dw


def _dwconv_backward_hwc(op, x, dy, wt, need_dx):
    """``_dwconv_backward`` channels-last: dw[c, i, j] = sum over n, h, w of
    dy[n, h, w, c] * x_padded[n, s*h + i, s*w + j, c]; dx = depthwise_hwc(spread dy, flipped w)."""
    n, c, ho, wo = dy.shape
    k = op.kernel
    dy_hwc = np.ascontiguousarray(dy.transpose(0, 2, 3, 1))  # (N, Ho, Wo, C)
    windows, g = kernels.pixel_windows(kernels.to_channels_last(x, op.padding), (k, k), op.stride)
    # windows (N, Ho, Wo // g, g * C, k, k): per tap and per position in a pixel group, then summed
    dw_groups = np.einsum("nhbq,nhbqij->ijq", dy_hwc.reshape(n, ho, wo // g, g * c), windows)
    dw = np.ascontiguousarray(dw_groups.reshape(k, k, g, c).sum(axis=2).transpose(2, 0, 1))
    if not need_dx:
        return None, dw
    flipped = wt[:, ::-1, ::-1].transpose(1, 2, 0)  # (k, k, C)
    dx = kernels.depthwise_hwc(_dilate_pad(dy_hwc, op, axes=(1, 2)), flipped)  # (N, H, W, C)
    return dx.transpose(0, 3, 1, 2), dw


def _matmul_backward(op, x, dy, wt, need_dx):
    """(dx or None, dweight) of a 1x1 conv or the classifier: a matrix product over the folded
    batch and spatial axes. x (N, Cin, H, W), dy (N, Cout, H, W)."""
    n, c, h, w = x.shape
    x2 = x.transpose(1, 0, 2, 3).reshape(c, -1)  # (Cin, N*H*W)
    dy2 = dy.transpose(1, 0, 2, 3).reshape(dy.shape[1], -1)  # (Cout, N*H*W)
    dw = dy2 @ x2.T
    if not need_dx:
        return None, dw
    return (wt.T @ dy2).reshape(c, n, h, w).transpose(1, 0, 2, 3), dw


def _with_weights(rule):
    """The backward of an op with weights and bias, from ``rule`` (op, x, dy, w, need_dx) -> (dx, dw)."""
    def grads(op, inputs, dy, weights, need_dx):
        dx, dw = rule(op, inputs[0], dy, weights[op.name][0], need_dx)
        return (None if dx is None else [dx]), (dw, dy.sum(axis=(0, 2, 3)))
    return grads


def _add_backward(op, inputs, dy, weights, need_dx):
    return [dy, dy], None


def _pool_backward(op, inputs, dy, weights, need_dx):
    x = inputs[0]  # (N, C, H, W); dy (N, C, 1, 1): the mean spreads it evenly
    return [np.broadcast_to(dy / (x.shape[2] * x.shape[3]), x.shape)], None


# the backward of each op kind: (op, inputs, dy, weights, need_dx) -> (dx list or None, grads or None)
BACKWARD = {"conv": _with_weights(_conv_backward), "dwconv": _with_weights(_dwconv_backward),
            "pwconv": _with_weights(_matmul_backward), "linear": _with_weights(_matmul_backward),
            "add": _add_backward, "pool": _pool_backward}


def op_backward(op, inputs, y, dy, weights, need_dx=True):
    """Gradients of one op: (dx list per input or None, (dweight, dbias) or None).

    dy is the gradient of the op's output y (N, C, H, W); the fused activation is undone first.
    """
    if op.kind not in BACKWARD:
        raise SpecError(f"op {op.name!r} has unknown kind {op.kind!r}")
    return BACKWARD[op.kind](op, inputs, _act_grad(dy, y, op.act), weights, need_dx)


def backward(network, weights, tensors, dlogits):
    """Parameter gradients of a batch, given forward tensors (keep=True) and dL/dlogits (N, K)."""
    grads = {}
    dt = {network.ops[-1].name: dlogits.reshape(tensors[network.ops[-1].name].shape)}
    for op in reversed(network.ops):
        dy = dt.pop(op.name, None)
        if dy is None:
            continue
        need_dx = any(t != "input" for t in op.inputs)
        dxs, grad = op_backward(op, [tensors[t] for t in op.inputs], tensors[op.name], dy, weights,
                             need_dx)
        if grad is not None:
            grads[op.name] = grad
        for name, dx in zip(op.inputs, dxs or []):
            if name != "input":
                dt[name] = dt[name] + dx if name in dt else dx
    return grads


# ---------------------------------------------------------------- optimizers

def _params(weights, grads):
    """(key, parameter array, gradient) for every weight and bias that has a gradient."""
    for name, pair in grads.items():
        for i, g in enumerate(pair):
            yield (name, i), weights[name][i], g


class SGD:
    """Plain SGD with momentum; ``step`` updates the weight arrays in place."""

    def __init__(self, lr=0.05, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def step(self, weights, grads):
        for key, p, g in _params(weights, grads):
            self.v[key] = self.v.get(key, 0.0) * self.momentum + g
            p -= (self.lr * self.v[key]).astype(p.dtype)


class Adam:
    """Adam (Kingma & Ba, 2015) with optional decoupled weight decay; updates arrays in place."""

    def __init__(self, lr=3e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, betas[0], betas[1], eps, weight_decay
        self.m, self.v, self.t = {}, {}, 0

    def step(self, weights, grads):
        self.t += 1
        for key, p, g in _params(weights, grads):
            self.m[key] = self.b1 * self.m.get(key, 0.0) + (1 - self.b1) * g
            self.v[key] = self.b2 * self.v.get(key, 0.0) + (1 - self.b2) * g * g
            m_hat = self.m[key] / (1 - self.b1 ** self.t)
            v_hat = self.v[key] / (1 - self.b2 ** self.t)
            p -= (self.lr * (m_hat / (np.sqrt(v_hat) + self.eps) + self.wd * p)).astype(p.dtype)


def fit(network, weights, x, y, epochs=10, batch_size=64, optimizer=None, seed=0, masks=None,
        augment=None, cosine=True, x_val=None, y_val=None, verbose=False):
    """Train ``weights`` (updated in place) with mini-batches; return a history list of dicts.

    masks: optional {op name: 0/1 array of the weight's shape}; masked weights are zeroed after every step, so a
    pruned model keeps its sparsity while it is fine-tuned. augment(batch, rng) -> batch is applied
    to every training batch (e.g. ``data.random_shift``). cosine: decay the optimizer's learning
    rate along a half cosine to 0 over the epochs. Each history entry has 'epoch',
    'loss', 'seconds' and, with x_val, 'val_accuracy'.
    """
    optimizer = optimizer or Adam()
    rng = np.random.default_rng(seed)
    masks = masks or {}
    history, base_lr = [], optimizer.lr
    steps_per_epoch = -(-len(x) // batch_size)
    for epoch in range(epochs):
        start, losses = time.perf_counter(), []
        order = rng.permutation(len(x))
        for step, i in enumerate(range(0, len(x), batch_size)):
            if cosine:
                progress = (epoch * steps_per_epoch + step) / (epochs * steps_per_epoch)
                optimizer.lr = base_lr * 0.5 * (1 + np.cos(np.pi * progress))
            idx = order[i:i + batch_size]
            batch = x[idx] if augment is None else augment(x[idx], rng)
            logits, tensors = forward(network, weights, batch, keep=True)
            loss, dlogits = cross_entropy(logits, y[idx])
            grads = backward(network, weights, tensors, dlogits)
            optimizer.step(weights, grads)
            for name, mask in masks.items():
                weights[name][0][...] *= mask
            losses.append(loss)
        entry = {"epoch": epoch + 1, "loss": float(np.mean(losses)),
                 "seconds": time.perf_counter() - start}
        if x_val is not None:
            entry["val_accuracy"] = accuracy(network, weights, x_val, y_val)
        history.append(entry)
        if verbose:
            print(", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                            for k, v in entry.items()))
    optimizer.lr = base_lr
    return history
