"""The supernet's shared weights: their names, their initialisation, and the slice a subnet takes.

Layout: {name: (weight, gamma, beta)} for every conv / dwconv / pwconv (the batch norm's scale and
shift beside the convolution's weight, which has no bias) and {'classifier': (weight, bias)};
names 'stem', 'classifier' and '<slot>.<expand|dw|project>', where slot is 'b0' (the first block)
or 's<stage>.<j>' (block j of an elastic stage). Weights have the largest subnet's shapes
(model/network.py layouts: conv (Cout, Cin, k, k), dwconv (C, k, k), pwconv and linear
(Cout, Cin)); float32.

A subnet takes the first ``c`` output / input channels of each weight (width and expansion:
channel slicing) and the centre k x k of each 7 x 7 depthwise kernel (elastic kernel).
"""

import numpy as np

from .space import MAX_DEPTH, largest

INIT_SEED = 0  # seed of the He-normal initialisation of the shared weights
CLASSIFIER_GAIN = 0.5  # the classifier's He-normal weights are scaled by this (smaller logits)


def slot_names(arch):
    """Shared-weight prefix of each block of the subnet: 'b0', then 's<stage>.<j>'."""
    return ["b0"] + [f"s{slot // MAX_DEPTH}.{slot % MAX_DEPTH}" for slot in arch.active_slots()]


def super_key(op, slots=None):
    """Shared-weight name of a subnet op: 'stem', 'classifier' or '<slot>.<expand|dw|project>':
    its role (``Op.role``, set by the builder; never parsed from its name) after its block's slot
    (``slots``: slot_names of the arch; needed for block ops only)."""
    return str(op.role) if op.block is None else f"{slots[op.block]}.{op.role}"


def init_supernet(seed=INIT_SEED):
    """Shared weights of the largest subnet: {name: (weight, gamma, beta)} (linear: (weight, bias)).

    He-normal weights (the classifier's scaled by CLASSIFIER_GAIN), every batch-norm gamma 1 and
    beta 0 - the last batch norm of each block too (a zero gamma there, which starts each residual
    block as the identity, is NOT used: the shipped weights were trained from gamma 1). float32.
    """
    rng = np.random.default_rng(seed)
    net = largest().network()
    slots = slot_names(largest())
    weights = {}
    for op in net:
        if op.weight_shape is None:
            continue
        fan_in = op.weight_count // op.out_shape[0]
        w = (rng.standard_normal(op.weight_shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        cout = op.out_shape[0]
        if op.kind == "linear":
            weights[super_key(op)] = (w * CLASSIFIER_GAIN, np.zeros(cout, np.float32))
        else:
            gamma = np.ones(cout, np.float32)
            weights[super_key(op, slots)] = (w, gamma, np.zeros(cout, np.float32))
    return weights


def slice_index(op, shape):
    """Index tuple of the part of a shared weight of ``shape`` that subnet ``op`` uses: the first
    output (and input) channels; for a depthwise kernel, the centre op.kernel x op.kernel."""
    cout, cin = op.out_shape[0], op.in_shape[0]
    if op.kind == "dwconv":
        off = (shape[1] - op.kernel) // 2
        return (slice(0, cout), slice(off, off + op.kernel), slice(off, off + op.kernel))
    return (slice(0, cout), slice(0, cin))  # conv, pwconv, linear


def take(op, w):
    """The part of shared weight ``w`` that subnet ``op`` uses, as a contiguous array (a copy only
    where the slice is not contiguous already)."""
    return np.ascontiguousarray(w[slice_index(op, w.shape)])
