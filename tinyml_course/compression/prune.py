"""Pruning: fine-grained (magnitude) and channel pruning, their sensitivity, fine-tuning.

Weights are the executor's dict {op name: (weight, bias)} (float32); nothing is mutated in place.

* Fine-grained magnitude pruning zeroes the weights of smallest |w|. ``magnitude_mask`` hits the
  requested sparsity exactly: round(sparsity * n) zeros (ties broken by position, lowest first).
  Per layer, every layer gets that sparsity; global, one threshold over all the pruned layers, so
  layers with many small weights lose more.
* Which layers: by default only the matrices, the 1x1 (pointwise) convolutions and the classifier
  (``default_layers``): they hold ~80% of this model's weights. The stem and the depthwise 3x3
  kernels have few weights each (9 per channel) and every one matters -- the sensitivity scan
  shows a 50% cut of ``block0.dw`` alone costs tens of points -- so, as practitioners do, they are
  left dense; pass ``layers=list(weights)`` to prune them too. Sparsity is then the share of zeros
  among the pruned layers' weights (``sparsity_of(w, layers)``); the whole model's is lower.
* Magnitude only ranks weights that training has shaped: the shipped model is trained with weight
  decay (``trained.TRAIN_WEIGHT_DECAY``), and a pruned model needs a few epochs of fine-tuning
  with its masks kept (``fine_tune``: Adam, lr 1e-2 with cosine decay, 3 epochs).
* Channel pruning removes whole intermediate channels of MBConv blocks (the expanded channels
  between the 1x1 expansion, the depthwise and the 1x1 projection). The importance of channel c is
  the L1 or L2 norm of the expansion's output filter c, ``||W_expand[c, :]||`` (Li et al., 2017,
  "Pruning Filters for Efficient ConvNets"). Removing it deletes row c of the expansion weight and
  bias, channel c of the depthwise weight and bias, and column c of the projection weight: the
  network really gets narrower, its activations too. Block outputs stay (residual adds tie them).
* A cut of a model whose batch norms are folded into its convolutions (a supernet's subnet)
  leaves each later layer's folded statistics stale: the projection loses inputs, so its
  outputs' mean and spread move, and the move compounds block after block (25% of every block of
  the model at stake, ``nas.stakes.block_scan``: 12.2%, chance, against 87.8% uncut; one block
  alone up to 18 points). ``channel_prune(..., calib=x)`` recalibrates (78.5%; one block alone
  at most 1.6 points): every convolution's output (before its activation) gets back, on the
  images x, the per-channel mean and standard deviation it had before the cut (``recalibrate``; for weights folded from batch norm calibrated on the same
  images this is recalibrating the batch norm and folding it again, as OFA does for every subnet;
  Li et al., 2020, "EagleEye", call it adaptive batch norm).
* Zeros do not shrink activations: only channel pruning lowers peak SRAM. They shrink Flash once
  a sparse format's index costs less than the zeros it leaves out: ``storage.model_storage``
  chooses the format per layer.
"""

import dataclasses

import numpy as np

from ..errors import SpecError
from ..model.ops import GroupOp, Role
from ..runtime import batched
from ..runtime.backend import as_backend
from ..runtime.batched import accuracy
from ..validation import check_scalar
from .train import Adam, fit

# the ops of an MBConv block that channel pruning narrows (by their role, set by the builder)
CHANNEL_PRUNED_ROLES = frozenset({Role.EXPAND, Role.DEPTHWISE, Role.PROJECT})


def check_sparsity(sparsity):
    """Return ``sparsity`` if it is a number in [0, 1); raise SpecError otherwise."""
    return check_scalar(sparsity, "sparsity", float, min_val=0, max_val=1,
                        include_boundaries="left")


def magnitude_mask(w, sparsity):
    """0/1 mask (float32, w's shape) keeping the largest |w|; exactly round(sparsity * w.size) zeros."""
    sparsity = check_sparsity(sparsity)
    n_zero = int(round(sparsity * w.size))
    mask = np.ones(w.size, np.float32)
    if n_zero:  # what a stable argsort of |w| would zero (smallest first, ties by position), in O(n)
        size = np.abs(w).ravel()
        threshold = np.partition(size, n_zero - 1)[n_zero - 1]  # the n_zero-th smallest |w|
        below = size < threshold
        mask[below] = 0
        mask[np.flatnonzero(size == threshold)[:n_zero - int(below.sum())]] = 0
    return mask.reshape(w.shape)


def apply_masks(weights, masks):
    """Zero the pruned weights again: {op name: (w * mask, b)} (float32) for the ops in ``masks``,
    the others unchanged. After quantization (whose levels need not hold 0) or a training step."""
    return {name: ((w * masks[name]).astype(np.float32), b) if name in masks else (w, b)
            for name, (w, b) in weights.items()}


def default_layers(weights):
    """Names of the layers pruned by default: 2-D weights (Cout, Cin), i.e. 1x1 convs and linear."""
    return [name for name, (w, _) in weights.items() if w.ndim == 2]


def prune_per_layer(weights, sparsity, layers=None):
    """Magnitude-prune each layer to ``sparsity`` (a number, or {op name: number}).

    layers: the op names to prune (default ``default_layers``: 1x1 convs and linear; a dict
    sparsity names its own layers). Returns (pruned weights, masks).
    """
    layers = list(sparsity) if isinstance(sparsity, dict) else (layers or default_layers(weights))
    masks = {name: magnitude_mask(weights[name][0],
                                  sparsity[name] if isinstance(sparsity, dict) else sparsity)
             for name in layers}
    return apply_masks(weights, masks), masks


def prune_global(weights, sparsity, layers=None):
    """Magnitude-prune with ONE threshold over all ``layers`` (default ``default_layers``: 1x1 convs
    and linear): exactly round(sparsity * their weights) zeros in total. Returns (pruned weights, masks)."""
    layers = layers or default_layers(weights)
    flat = np.concatenate([weights[name][0].ravel() for name in layers])
    mask = magnitude_mask(flat, sparsity)
    masks, start = {}, 0
    for name in layers:
        w = weights[name][0]
        masks[name] = mask[start:start + w.size].reshape(w.shape)
        start += w.size
    return apply_masks(weights, masks), masks


def sparsity_of(weights, layers=None):
    """Share of zero weights (biases not counted) over ``layers`` (default all)."""
    layers = layers or list(weights)
    zeros = sum(int((weights[n][0] == 0).sum()) for n in layers)
    return zeros / sum(weights[n][0].size for n in layers)


# ---------------------------------------------------------------- channel pruning

def channel_importance(weight, norm="l2"):
    """Importance of each output channel of ``weight`` (axis 0): its L1 or L2 norm, (Cout,) float64."""
    flat = np.asarray(weight, np.float64).reshape(weight.shape[0], -1)  # (Cout, rest)
    if norm == "l1":
        return np.abs(flat).sum(axis=1)
    if norm == "l2":
        return np.sqrt((flat ** 2).sum(axis=1))
    raise SpecError(f"unknown norm {norm!r}; use 'l1' or 'l2'")


def channels_to_keep(weight, ratio, norm="l2"):
    """Sorted indices of the channels kept when removing round(ratio * C) of least importance.

    At least one channel is always kept. Ties: the lower index is removed first.
    """
    check_scalar(ratio, "channel pruning ratio", float, min_val=0, max_val=1,
                 include_boundaries="left")
    c = weight.shape[0]
    n_remove = min(int(round(ratio * c)), c - 1)
    order = np.argsort(channel_importance(weight, norm), kind="stable")
    return np.sort(order[n_remove:])


def channel_prune(network, weights, ratio, norm="l2", blocks=None, calib=None):
    """Remove ``ratio`` of the expanded channels of every MBConv block with an expansion.

    The block's ops are found by their role (``Op.role``: expand, depthwise, project), whatever
    their names. blocks: block indices to prune (default all that have an expansion). calib:
    images (N, C, H, W) float32 to ``recalibrate`` the cut model on (default None: no
    recalibration). Returns (new Network, new weights dict); the input network and weights are
    left untouched.
    """
    new_ops, new_weights, keep_of = [], dict(weights), {}
    for index, ops in network.blocks().items():
        expand = next((op for op in ops if op.role is Role.EXPAND), None)
        if expand is not None and (blocks is None or index in blocks):
            keep_of[index] = channels_to_keep(weights[expand.name][0], ratio, norm)
    for op in network.ops:
        keep = keep_of.get(op.block)
        if keep is None or op.role not in CHANNEL_PRUNED_ROLES:
            new_ops.append(op)
            continue
        w, b = weights[op.name]
        c, h, wd = op.out_shape
        if op.role is Role.EXPAND:
            new_ops.append(dataclasses.replace(op, out_shape=(len(keep), h, wd)))
            new_weights[op.name] = (w[keep].copy(), b[keep].copy())
        elif op.role is Role.DEPTHWISE:
            new_ops.append(dataclasses.replace(op, in_shape=(len(keep),) + op.in_shape[1:],
                                               out_shape=(len(keep), h, wd)))
            new_weights[op.name] = (w[keep].copy(), b[keep].copy())
        else:  # project: drop input columns
            new_ops.append(dataclasses.replace(op, in_shape=(len(keep),) + op.in_shape[1:]))
            new_weights[op.name] = (w[:, keep].copy(), b.copy())
    pruned = network.with_ops(new_ops, name=f"{network.name}-cp{round(100 * ratio)}")
    if calib is not None:
        new_weights = recalibrate(network, weights, pruned, new_weights, keep_of, calib)
    return pruned, new_weights


# ---------------------------------------------------------------- recalibration after a cut

CONV_KINDS = GroupOp.CONV  # the ops with a (folded) batch norm; not the classifier


def conv_statistics(network, weights, x, target=None):
    """Per-channel mean and standard deviation, each (C,) float64, of every convolution's output
    before its activation, on the images x (N, C, H, W) float32: {op name: (mean, std)}.

    target: {op name: (mean, std)}: each convolution named there is first rescaled per output
    channel so that its output has them on x (weight * g, bias (b - mean) * g + target mean,
    g = target std / std; a channel with std 0 is only shifted), in network order, so each sees
    the rescaled ones before it. Returns (statistics, weights: a new dict, rescaled).
    """
    weights, stats = dict(weights), {}
    backend = as_backend(weights)  # reads ``weights``: the rescaled layers as they are made
    last_use = {name: i for i, op in enumerate(network) for name in op.inputs}
    tensors = {"input": backend.prepare_batch(x)}
    for i, op in enumerate(network):
        inputs = [tensors[name] for name in op.inputs]
        if op.kind in CONV_KINDS:
            z = batched.op_forward(dataclasses.replace(op, act=None), inputs, backend)
            mean, std = z.mean(axis=(0, 2, 3)), z.std(axis=(0, 2, 3))
            if target is not None and op.name in target:
                goal_mean, goal_std = target[op.name]
                g = np.where(std > 0, goal_std / np.where(std > 0, std, 1), 1.0)
                w, b = weights[op.name]
                weights[op.name] = ((w * g.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.float32),
                                    ((b - mean) * g + goal_mean).astype(np.float32))
                mean, std = np.asarray(goal_mean, np.float64), np.asarray(goal_std, np.float64)
            stats[op.name] = (mean, std)
        tensors[op.name] = batched.op_forward(op, inputs, backend)
        for name in op.inputs:  # free what no later op reads (the calibration batch is large)
            if last_use[name] == i:
                del tensors[name]
    return stats, weights


def recalibrate(network, weights, pruned, pruned_weights, keep_of, x):
    """Weights of ``pruned`` (a channel cut of ``network``) whose convolutions have, on images x
    (N, C, H, W), the output statistics ``network``'s had (``conv_statistics``): the kept
    channels' for the narrowed expansions and depthwise convs. keep_of: {block index: kept
    channel indices} of the cut. Returns a new weights dict; raises SpecError unless x is a
    non-empty batch of the network's input shape."""
    shape = np.shape(x)
    if len(shape) != 4 or shape[0] < 1 or tuple(shape[1:]) != network.input_shape:
        raise SpecError(f"calibration images must be (N, {', '.join(map(str, network.input_shape))})"
                        f" with N >= 1, got shape {shape}")
    before, _ = conv_statistics(network, weights, x)
    narrowed = {op.name: keep_of[op.block] for op in pruned
                if op.block in keep_of and op.role in (Role.EXPAND, Role.DEPTHWISE)}
    target = {name: (mean[narrowed[name]], std[narrowed[name]]) if name in narrowed else (mean, std)
              for name, (mean, std) in before.items()}
    return conv_statistics(pruned, pruned_weights, x, target)[1]


# ---------------------------------------------------------------- sensitivity and fine-tuning

def sensitivity_scan(network, weights, x, y, sparsities=(0.25, 0.5, 0.75, 0.9), layers=None):
    """Accuracy when pruning ONE layer at a time: {op name: [(sparsity, accuracy), ...]}.

    Layers: default every op with weights. x, y: evaluation images (N, C, H, W) and labels.
    """

    layers = layers or list(weights)
    scan = {}
    for name in layers:
        scan[name] = []
        for s in sparsities:
            pruned, _ = prune_per_layer(weights, {name: s})
            scan[name].append((s, accuracy(network, pruned, x, y)))
    return scan


FINETUNE_EPOCHS = 3  # passes over the 1347 training images (about 5 s each on 2 cores)
FINETUNE_LR = 1e-2  # Adam, cosine decay to 0


def fine_tune(network, weights, masks, x, y, epochs=FINETUNE_EPOCHS, lr=FINETUNE_LR, seed=0,
              **fit_options):
    """Train a pruned model a few epochs with its masks kept (pruned weights stay 0).

    Measured on the shipped model (held-out, float 98.9%), 3 epochs at lr 1e-2: 50% / 70% / 80%
    of the 1x1 and linear weights 98.0% / 96.7% / 93.8% (80% at lr 3e-3: 89.6%); 25% / 50% of
    the expanded channels 98.0% / 96.7%. Without fine-tuning: 91.6%, 42.9%, 30.2%, 80.9%, 53.3%.

    Returns (fine-tuned weights, history); ``weights`` itself is left untouched.
    """

    tuned = {name: (w.copy(), b.copy()) for name, (w, b) in weights.items()}
    history = fit(network, tuned, x, y, epochs=epochs, optimizer=Adam(lr=lr), seed=seed,
                  masks=masks, **fit_options)
    return tuned, history
