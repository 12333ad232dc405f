"""A subnet's passes over the shared weights: training forward and backward with batch-norm batch
statistics, batch-norm recalibration, and folding the batch norm into plain conv weights.

Every conv / dwconv / pwconv of a subnet is conv -> batch norm -> ReLU6 (when the op has it),
one definition: ``bn_forward``. Training normalises with the statistics of the batch; evaluation
first recalibrates them on a few training-like images (``calibrate``: the same forward) and then
folds them into the convolutions (``fold``), giving an ordinary ``Network`` weight dict.
Forward and backward of the convolutions are the package's (``runtime.batched.op_forward``,
``compression.train.op_backward``). Shapes: images (N, C, R, R) float32; logits (N, K).
"""

from dataclasses import replace

import numpy as np

from ..compression.train import op_backward
from ..model.ops import GroupOp
from ..runtime.backend import as_backend
from ..runtime.batched import op_forward as batched_op_forward
from .shared_weights import slice_index, slot_names, super_key, take

BN_EPS = 1e-5  # added to the variance before the square root (PyTorch's default)


def op_forward(op, inputs, weights):
    """One op over a batch (``runtime.batched.op_forward``) with float ``weights`` {name: (w, b)}."""
    return batched_op_forward(op, inputs, as_backend(weights))


def bn_forward(op, inputs, wt, gamma, beta):
    """conv -> batch norm with the batch's statistics -> ReLU6 (if ``op.act``) of one subnet op.

    wt: the op's slice of the shared weight; gamma, beta: the shared (C_max,) scale and shift, of
    which the first C are used. Returns (y (N, C, H, W), zhat (normalised conv output), inv
    (1 / sqrt(var + eps), (1, C, 1, 1)), mean (C,), var (C,)); all float32.
    """
    c = op.out_shape[0]
    z = op_forward(replace(op, act=None), inputs, {op.name: (wt, np.zeros(c, np.float32))})
    mean = z.mean(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)
    var = z.var(axis=(0, 2, 3), keepdims=True)
    inv = 1.0 / np.sqrt(var + BN_EPS)
    zhat = (z - mean) * inv
    y = zhat * gamma[:c, None, None] + beta[:c, None, None]
    if op.act == "relu6":
        np.clip(y, 0, 6, out=y)
    return y, zhat, inv, mean.ravel(), var.ravel()


def forward_train(net, arch, shared, x):
    """Training forward of subnet ``net`` (of ``arch``) with batch statistics.

    Returns (logits (N, K), cache); cache = (tensors {name: output}, bn {op name: (shared key,
    weight slice, zhat, inv, mean, var)}), what ``backward_train`` and ``calibrate`` read.
    """
    slots = slot_names(arch)
    tensors, bn = {"input": x}, {}
    for op in net:
        inputs = [tensors[t] for t in op.inputs]
        if op.kind in GroupOp.CONV:  # each followed by a batch norm
            key = super_key(op, slots)
            w, gamma, beta = shared[key]
            wt = take(op, w)
            y, zhat, inv, mean, var = bn_forward(op, inputs, wt, gamma, beta)
            bn[op.name] = (key, wt, zhat, inv, mean, var)
        elif op.kind == "linear":
            w, b = shared[super_key(op)]
            y = op_forward(op, inputs, {op.name: (take(op, w), b)})
        else:
            y = op_forward(op, inputs, {})
        tensors[op.name] = y
    return tensors[net.ops[-1].name].reshape(x.shape[0], -1), (tensors, bn)


def _bn_backward(dy, zhat, inv, gamma):
    """Gradient of the batch-normalised output through batch statistics: (dz, dgamma, dbeta)."""
    dgamma = (dy * zhat).sum(axis=(0, 2, 3))
    dbeta = dy.sum(axis=(0, 2, 3))
    dzhat = dy * gamma[:dy.shape[1], None, None]
    dz = inv * (dzhat - dzhat.mean(axis=(0, 2, 3), keepdims=True)
                - zhat * (dzhat * zhat).mean(axis=(0, 2, 3), keepdims=True))
    return dz.astype(np.float32), dgamma, dbeta


def backward_train(net, shared, cache, dlogits, grads):
    """Add the gradients of one subnet's loss into ``grads`` (full-size arrays, shared's layout).

    cache: ``forward_train``'s; dlogits (N, K): dLoss/dlogits. Unused slices stay zero. Returns grads.
    """
    tensors, bn = cache
    last = net.ops[-1].name
    dt = {last: dlogits.reshape(tensors[last].shape)}
    for op in reversed(net.ops):
        dy = dt.pop(op.name, None)
        if dy is None:
            continue
        inputs = [tensors[t] for t in op.inputs]
        need_dx = any(t != "input" for t in op.inputs)
        if op.name in bn:
            key, wt, zhat, inv, _, _ = bn[op.name]
            c = op.out_shape[0]
            if op.act == "relu6":
                y = tensors[op.name]
                dy = dy * ((y > 0) & (y < 6))
            dz, dgamma, dbeta = _bn_backward(dy, zhat, inv, shared[key][1])
            dxs, (dw, _) = op_backward(replace(op, act=None), inputs, None, dz,
                                       {op.name: (wt, None)}, need_dx)
            g = grads.setdefault(key, tuple(np.zeros_like(a) for a in shared[key]))
            g[0][slice_index(op, g[0].shape)] += dw
            g[1][:c] += dgamma
            g[2][:c] += dbeta
        elif op.kind == "linear":
            key = super_key(op)
            wt = take(op, shared[key][0])
            dxs, (dw, db) = op_backward(op, inputs, tensors[op.name], dy, {op.name: (wt, None)})
            g = grads.setdefault(key, tuple(np.zeros_like(a) for a in shared[key]))
            g[0][slice_index(op, g[0].shape)] += dw
            g[1][:op.out_shape[0]] += db
        else:
            dxs, _ = op_backward(op, inputs, tensors[op.name], dy, {})
        for name, dx in zip(op.inputs, dxs or []):
            if name != "input":
                dt[name] = dt[name] + dx if name in dt else dx
    return grads


def calibrate(net, arch, shared, x):
    """Batch-norm statistics of subnet ``net`` on images x: {op name: (mean (C,), var (C,))}.

    Each layer's statistics are those of its input under the already recalibrated layers before it
    (one forward pass over x with batch statistics: ``forward_train``), as OFA recalibrates a
    subnet's BN.
    """
    _, (_, bn) = forward_train(net, arch, shared, x)
    return {name: (mean, var) for name, (_, _, _, _, mean, var) in bn.items()}


def fold(net, arch, shared, stats):
    """Plain weights {op name: (weight, bias)} of ``net`` with each batch norm folded in (float32).

    BN(W * x) = gamma * (W * x - mean) / sqrt(var + eps) + beta = (s W) * x + (beta - s mean)
    with s = gamma / sqrt(var + eps) per output channel.
    """
    slots = slot_names(arch)
    weights = {}
    for op in net:
        if op.kind == "linear":
            w, b = shared[super_key(op)]
            weights[op.name] = (take(op, w), b.copy())
        elif op.name in stats:
            w, gamma, beta = shared[super_key(op, slots)]
            c = op.out_shape[0]
            mean, var = stats[op.name]
            s = gamma[:c] / np.sqrt(var + BN_EPS)
            wt = take(op, w) * s.reshape((-1,) + (1,) * (w.ndim - 1))
            weights[op.name] = (wt.astype(np.float32), (beta[:c] - s * mean).astype(np.float32))
    return weights
