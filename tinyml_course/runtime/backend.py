"""Backends do the arithmetic of one op; ``FloatBackend`` runs float32 with ``kernels.py``.

A backend has one method per op kind (``conv``, ``dwconv``, ``pwconv``, ``add``, ``pool``,
``linear``: the kinds of ``model.network.OP_KINDS``), each ``method(op, inputs, out)`` on (C, H, W)
arrays, and ``Backend.run_op`` is its one dispatch. Around the ops: ``dtype`` ('float32' or
'int8'), ``prepare_input(x)`` (one image -> array of dtype), ``prepare_batch(x)`` (N images, for
``batched.forward``), ``pad_value(op)`` (what a padded pixel of op's input holds),
``depthwise_channel(op, c, x_c, out_c)`` (one output channel of a depthwise op, for the in-place
schedule), ``dwconv_batch(op, x)`` (a depthwise op on a whole batch, or None: ``batched`` then
folds the batch itself) and ``finish_output(y)``. The int8 backend lives in ``int8_backend.py``.
``random_weights`` is the package's one weight initialiser.
"""

from dataclasses import replace

import numpy as np

from ..errors import SpecError
from ..model.network import OP_KINDS, GroupOp
from . import kernels

BIAS_STD = 0.05  # random_weights: standard deviation of the random biases (0: zero biases)


def random_weights(network, rng=None, bias_std=BIAS_STD):
    """He-initialised float32 weights for every op: dict op name -> (weight, bias).

    weight ``op.weight_shape`` ~ N(0, 2 / fan_in); bias (Cout,) ~ N(0, bias_std^2), or zeros when
    ``bias_std`` is 0 (how training starts). ``rng``: a numpy Generator or a seed. Draws weight
    then bias op by op, so a seed gives the same weights whatever ``bias_std``'s zero-ness.
    """
    rng = np.random.default_rng(rng)
    weights = {}
    for op in network.ops:
        if op.weight_shape is None:
            continue
        fan_in = op.weight_count // op.out_shape[0]
        w = rng.standard_normal(op.weight_shape) * np.sqrt(2.0 / fan_in)
        b = rng.standard_normal(op.bias_count) * bias_std if bias_std else np.zeros(op.bias_count)
        weights[op.name] = (w.astype(np.float32), b.astype(np.float32))
    return weights


def check_executed(op):
    """Raise SpecError unless the runtimes execute ``op``'s kind (``GroupOp.EXECUTED``)."""
    if op.kind not in OP_KINDS:
        raise SpecError(f"op {op.name!r} has unknown kind {op.kind!r}; kinds are {OP_KINDS}")
    if op.kind not in GroupOp.EXECUTED:
        raise SpecError(f"op {op.name!r} is a {op.kind}, which the runtimes do not execute: "
                        f"the ResNet-18 baseline is for accounting (profile it, without --measure)")


class Backend:
    """The dispatch every backend shares: ``run_op`` calls the method named after ``op.kind``."""

    dtype = None

    def run_op(self, op, inputs, out=None):
        """Run ``op`` on ``inputs`` (list of (C, H, W) arrays), into ``out`` if given; return it."""
        check_executed(op)
        return getattr(self, op.kind)(op, inputs, out)

    def finish_output(self, y):
        return np.array(y, dtype=self.dtype)

    def dwconv_batch(self, op, x):
        """A depthwise op on a whole batch (N, C, H, W) in one call, or None where the backend has
        no batched kernel (``batched`` then folds the batch side by side into one wide map)."""
        return None


class FloatBackend(Backend):
    """float32 arithmetic with the numpy kernels; ``weights`` maps op name -> (weight, bias)."""

    dtype = "float32"

    def __init__(self, weights):
        self.weights = weights

    def prepare_input(self, x):
        return np.asarray(x, dtype=np.float32)

    def prepare_batch(self, x):
        """A batch (N, C, H, W) as given (float32 in training, float64 in gradient checks)."""
        return np.asarray(x)

    def pad_value(self, op):
        return 0

    def conv(self, op, inputs, out):
        w, b = self.weights[op.name]
        return kernels.conv2d(inputs[0], w, b, op.stride, op.padding, op.act, out=out)

    def dwconv(self, op, inputs, out):
        w, b = self.weights[op.name]
        return kernels.depthwise_conv2d(inputs[0], w, b, op.stride, op.padding, op.act, out=out)

    def pwconv(self, op, inputs, out):
        w, b = self.weights[op.name]
        return kernels.pointwise_conv2d(inputs[0], w, b, op.act, out=out)

    def linear(self, op, inputs, out):
        w, b = self.weights[op.name]
        return kernels.linear(inputs[0], w, b, op.act, out=out)

    def add(self, op, inputs, out):
        return kernels.add(inputs[0], inputs[1], op.act, out=out)

    def pool(self, op, inputs, out):
        return kernels.global_avg_pool(inputs[0], out=out)

    def dwconv_batch(self, op, x):
        """Channels-last over the whole batch when it has enough channels to pay (see kernels)."""
        if not kernels.runs_channels_last(x.shape[1], op.stride):
            return None
        w, b = self.weights[op.name]
        return kernels.depthwise_conv2d_batch(x, w, b, op.stride, op.padding, op.act)

    def depthwise_channel(self, op, c, x_c, out_c):
        w, b = self.weights[op.name]
        kernels.depthwise_conv2d(x_c[np.newaxis], w[c:c + 1], b[c:c + 1], op.stride, op.padding,
                                 op.act, out=out_c[np.newaxis])


def run_op_unpadded(op, x, weights):
    """Run ``op`` on x (C, H, W) with NO padding of its own: x already holds any padding rows and
    columns (a patch at a map border). ``weights``: a weights dict or a backend. Returns the output."""
    return as_backend(weights).run_op(replace(op, padding=0), [x])


def as_backend(weights_or_backend):
    """A backend: pass one through, or wrap a weights dict in a FloatBackend."""
    if isinstance(weights_or_backend, dict):
        return FloatBackend(weights_or_backend)
    return weights_or_backend
