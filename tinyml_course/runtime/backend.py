"""Backends do the arithmetic of one op; ``FloatBackend`` runs float32 with ``kernels.py``.

Backend protocol: ``dtype`` ('float32' or 'int8'), ``prepare_input(x) -> array of dtype``,
``run_op(op, inputs, out)`` (writes into ``out``), ``depthwise_channel(op, c, x_c, out_c)``
(one output channel of a depthwise op, for the in-place schedule), ``finish_output(y)``. The int8
backend lives in ``int8.py``. ``random_weights`` makes He-initialised float32 weights.
"""


import numpy as np

from ..errors import SpecError
from . import kernels

DEFAULT_ARENA_BYTES = 64 * 1024 * 1024  # 64 MiB: large enough for any zoo network in float32


def random_weights(network, rng=None):
    """He-initialised float32 weights for every op: dict op name -> (weight, bias).

    weight has ``op.weight_shape``; bias (Cout,) is small. ``rng``: a numpy Generator or a seed.
    """
    rng = np.random.default_rng(rng)
    weights = {}
    for op in network.ops:
        if op.weight_shape is None:
            continue
        fan_in = op.weight_count // op.out_shape[0]
        w = rng.standard_normal(op.weight_shape) * np.sqrt(2.0 / fan_in)
        b = rng.standard_normal(op.out_shape[0]) * 0.05
        weights[op.name] = (w.astype(np.float32), b.astype(np.float32))
    return weights


class FloatBackend:
    """float32 arithmetic with the numpy kernels; ``weights`` maps op name -> (weight, bias)."""

    dtype = "float32"

    def __init__(self, weights):
        self.weights = weights

    def prepare_input(self, x):
        return np.asarray(x, dtype=np.float32)

    def finish_output(self, y):
        return np.array(y, dtype=np.float32)

    def run_op(self, op, inputs, out):
        x = inputs[0]
        if op.kind == "add":
            return kernels.add(inputs[0], inputs[1], op.act, out=out)
        if op.kind == "pool":
            return kernels.global_avg_pool(x, out=out)
        w, b = self.weights[op.name]
        if op.kind == "conv":
            return kernels.conv2d(x, w, b, op.stride, op.padding, op.act, out=out)
        if op.kind == "dwconv":
            return kernels.depthwise_conv2d(x, w, b, op.stride, op.padding, op.act, out=out)
        if op.kind == "pwconv":
            return kernels.pointwise_conv2d(x, w, b, op.act, out=out)
        if op.kind == "linear":
            return kernels.linear(x, w, b, op.act, out=out)
        raise SpecError(f"op {op.name!r} has unknown kind {op.kind!r}")

    def depthwise_channel(self, op, c, x_c, out_c):
        w, b = self.weights[op.name]
        kernels.depthwise_conv2d(x_c[np.newaxis], w[c:c + 1], b[c:c + 1], op.stride, op.padding,
                                 op.act, out=out_c[np.newaxis])


def as_backend(weights_or_backend):
    """A backend: pass one through, or wrap a weights dict in a FloatBackend."""
    if isinstance(weights_or_backend, dict):
        return FloatBackend(weights_or_backend)
    return weights_or_backend
