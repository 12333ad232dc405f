"""Batched forward pass over (N, C, H, W): fast inference for training and evaluation.

Each op runs on a whole batch in one call of a backend's per-image kernel (float32 or int8), the
batch folded into an axis the kernel treats independently: full and depthwise convs see the
padded images side by side along W (a backend may run a depthwise conv on the batch directly:
``Backend.dwconv_batch``), 1x1 convs and the classifier see them stacked along H, adds
and pools see them as more channels. The executor runs one image in the arena, for memory; this
module does not count memory. ``forward`` returns logits (N, classes), and with ``keep=True``
every tensor by name, which the backward pass (``compression.train``) needs.
"""

from dataclasses import replace

import numpy as np

from ..model.ops import GroupOp
from .backend import as_backend, check_executed


def side_by_side(backend, op, x):
    """A conv or depthwise conv over a batch (N, C, H, W) in ONE backend call.

    The images, each padded with ``backend.pad_value(op)``, sit side by side along W; the kernel
    runs unpadded over the wide map and the columns whose window straddles two images are
    dropped: the same kernel and the same sums as one call per image, without N Python-level
    calls. Falls back to one call per image when the padded width is not a multiple of the stride.
    """
    n, c, h, w = x.shape
    (top, bottom, left, right), s, k = op.pads, op.stride, op.kernel_hw[1]
    wide_w = w + left + right  # one padded image
    if wide_w % s:
        return np.stack([backend.run_op(op, [xi]) for xi in x])
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)),
                constant_values=backend.pad_value(op))
    wide = xp.transpose(1, 2, 0, 3).reshape(c, h + top + bottom, n * wide_w)  # (C, H', N*W')
    y = backend.run_op(replace(op, padding=0), [wide])  # (Cout, Ho, (N*W' - k) // s + 1)
    step, wo = wide_w // s, (wide_w - k) // s + 1  # output columns per image, kept per image
    y = np.pad(y, ((0, 0), (0, 0), (0, n * step - y.shape[2])))
    return y.reshape(y.shape[0], y.shape[1], n, step)[..., :wo].transpose(2, 0, 1, 3)


def _depthwise(backend, op, x):
    """A depthwise conv over a batch: the backend's own batched kernel where it has one (the
    float backend's channels-last kernel), else ``side_by_side``."""
    y = backend.dwconv_batch(op, x)
    return side_by_side(backend, op, x) if y is None else y


def _stacked(backend, op, x):
    """A 1x1 conv or the classifier over a batch: (C, N*H, W) through the 1x1 kernel."""
    n, c, h, w = x.shape
    xt = x.transpose(1, 0, 2, 3).reshape(c, n * h, w)  # (C, N*H, W)
    y = backend.run_op(replace(op, kind="pwconv"), [xt])  # (Cout, N*H, W)
    return y.reshape(-1, n, h, w).transpose(1, 0, 2, 3)


def _as_channels(backend, op, inputs):
    """An add or a pool over a batch: the images as N*C channels (N*C, H, W)."""
    n, c, h, w = inputs[0].shape
    y = backend.run_op(op, [t.reshape(n * c, h, w) for t in inputs])  # (N*C, H', W')
    return y.reshape(n, c, *y.shape[1:])


# how each op kind folds the batch (the backend then dispatches on the kind)
FOLD = {"conv": side_by_side, "dwconv": _depthwise, "pwconv": _stacked, "linear": _stacked,
        "add": _as_channels, "pool": _as_channels}


def op_forward(op, inputs, backend):
    """Run one op on a batch. inputs: list of (N, C, H, W) arrays -> (N, C', H', W')."""
    check_executed(op)
    if op.kind in GroupOp.WEIGHTLESS:  # an add reads two tensors: its fold takes the list
        return FOLD[op.kind](backend, op, inputs)
    return FOLD[op.kind](backend, op, inputs[0])


def forward(network, weights, x, keep=False):
    """Logits (N, classes) of a batch x (N, C, H, W); with keep=True also every tensor by name.

    weights: dict op name -> (weight, bias) (float) or a backend (e.g. ``Int8Backend``).
    """
    backend = as_backend(weights)
    tensors = {"input": backend.prepare_batch(x)}
    for op in network:
        tensors[op.name] = op_forward(op, [tensors[t] for t in op.inputs], backend)
    logits = tensors[network.ops[-1].name].reshape(len(tensors["input"]), -1)
    return (logits, tensors) if keep else logits


def predict(network, weights, x, batch_size=256):
    """Predicted classes (N,) of a batch x (N, C, H, W)."""
    out = [forward(network, weights, x[i:i + batch_size]).argmax(1)
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out)


def accuracy(network, weights, x, y):
    """Share (0..1) of the images of x whose predicted class equals y."""
    return float((predict(network, weights, x) == y).mean())

