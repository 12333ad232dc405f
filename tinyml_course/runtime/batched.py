"""Batched float forward pass over (N, C, H, W): fast inference for training and evaluation.

Each op runs on a whole batch in one kernel call (the executor runs one image in the arena, for
memory; this module does not count memory). ``forward`` returns logits (N, classes), and with
``keep=True`` every tensor by name, which the backward pass (``compression.train``) needs.
"""


import numpy as np

from . import kernels

WEIGHT_OPS = ("conv", "dwconv", "pwconv", "linear")


def conv_batched(op, x, wt, b):
    """A full conv ('conv' op) over a batch (N, C, H, W) in ONE ``kernels.conv2d`` call.

    The zero-padded images sit side by side along W, the kernel runs unpadded over the wide map
    and the columns whose window straddles two images are dropped: the same kernel and the same
    sums as one call per image, without N Python-level calls. Falls back to one call per image
    when the padded width is not a multiple of the stride.
    """
    n, c, h, w = x.shape
    p, s, k = op.padding, op.stride, op.kernel
    wide_w = w + 2 * p  # one padded image
    if wide_w % s:
        return np.stack([kernels.conv2d(xi, wt, b, s, p, op.act) for xi in x])
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    wide = xp.transpose(1, 2, 0, 3).reshape(c, h + 2 * p, n * wide_w)  # (C, H', N*W')
    y = kernels.conv2d(wide, wt, b, s, 0, op.act)  # (Cout, Ho, (N*W' - k) // s + 1)
    step, wo = wide_w // s, (wide_w - k) // s + 1  # output columns per image, kept per image
    y = np.pad(y, ((0, 0), (0, 0), (0, n * step - y.shape[2])))
    return y.reshape(y.shape[0], y.shape[1], n, step)[..., :wo].transpose(2, 0, 1, 3)


def op_forward(op, inputs, weights):
    """Run one op on a batch. inputs: list of (N, C, H, W) arrays -> (N, C', H', W')."""
    x = inputs[0]
    n, c, h, w = x.shape
    wt, b = weights.get(op.name, (None, None))
    if op.kind == "conv":
        return conv_batched(op, x, wt, b)
    if op.kind == "dwconv":
        y = kernels.depthwise_conv2d(x.reshape(n * c, h, w), np.tile(wt, (n, 1, 1)), np.tile(b, n),
                                     op.stride, op.padding, op.act)  # (N*C, Ho, Wo)
        return y.reshape(n, c, *y.shape[1:])
    if op.kind == "pwconv":
        xt = x.transpose(1, 0, 2, 3).reshape(c, n * h, w)  # (C, N*H, W)
        y = kernels.pointwise_conv2d(xt, wt, b, op.act)  # (Cout, N*H, W)
        return y.reshape(-1, n, h, w).transpose(1, 0, 2, 3)
    if op.kind == "add":
        return kernels.add(x.reshape(n * c, h, w), inputs[1].reshape(n * c, h, w),
                           op.act).reshape(n, c, h, w)
    if op.kind == "pool":
        return kernels.global_avg_pool(x.reshape(n * c, h, w)).reshape(n, c, 1, 1)
    if op.kind == "linear":
        xt = x.reshape(n, c).T.reshape(c, n, 1)  # (Cin, N, 1)
        y = kernels.pointwise_conv2d(xt, wt, b, op.act)  # (Cout, N, 1)
        return y.reshape(-1, n).T.reshape(n, -1, 1, 1)
    raise ValueError(f"op {op.name!r}: unknown kind {op.kind!r}")


def forward(network, weights, x, keep=False):
    """Logits (N, classes) of a batch x (N, C, H, W); with keep=True also every tensor by name."""
    tensors = {"input": np.asarray(x)}  # float32 in training; float64 in gradient checks
    for op in network:
        tensors[op.name] = op_forward(op, [tensors[t] for t in op.inputs], weights)
    logits = tensors[network.ops[-1].name].reshape(x.shape[0], -1)
    return (logits, tensors) if keep else logits


def predict(network, weights, x, batch_size=256):
    """Predicted classes (N,) of a batch x (N, C, H, W)."""
    out = [forward(network, weights, x[i:i + batch_size]).argmax(1)
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out)


def accuracy(network, weights, x, y):
    """Share (0..1) of the images of x whose predicted class equals y."""
    return float((predict(network, weights, x) == y).mean())


# ---------------------------------------------------------------- backward
