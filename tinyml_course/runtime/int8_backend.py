"""The int8 model and its backend: integer-only inference the way TensorFlow Lite Micro runs it.

A ``QuantizedModel`` (made offline by ``compression.int8_convert.convert``) holds each tensor's
``QParams`` and each op's integer constants (``QuantizedOp``); ``Int8Backend`` runs its ops with
the kernels of ``int8_kernels.py``, one method per op kind, in the arena executor or in
``batched.forward``. Floats appear only at the edges: ``prepare_input`` quantizes the camera's
image, ``dequantize_output`` turns logits back into reals for display.
"""

from dataclasses import dataclass, field

import numpy as np

from ..model.units import DTYPE_BYTES
from . import int8_kernels as K
from . import qscheme as Q
from .backend import Backend
from .batched import forward
from .executor import reference_forward
from .fixedpoint import AddRequant, Requant

# per output channel: an int32 M0 and an int8 shift
BYTES_PER_REQUANT_CHANNEL = DTYPE_BYTES["int32"] + DTYPE_BYTES["int8"]


@dataclass
class QuantizedOp:
    """The integer constants of one op (None where the op kind has none)."""

    weight: np.ndarray | None = None  # int8, the op's weight shape
    bias: np.ndarray | None = None  # int32 (Cout,)
    weight_scale: np.ndarray | None = None  # float32 (Cout,), kept for dequantization/inspection
    requant: Requant | None = None  # conv, dwconv, pwconv, linear: (Cout,) multipliers + clamp
    add: AddRequant | None = None  # residual adds


@dataclass
class QuantizedModel:
    """An int8 model: ``qparams`` maps tensor name ('input' or op name) -> QParams."""

    network: object
    qparams: dict
    ops: dict = field(default_factory=dict)  # op name -> QuantizedOp

    @property
    def flash_bytes(self):
        """Bytes of the int8 weights + int32 biases (``memory.flash_bytes(network, 'int8')``)."""
        return sum(q.weight.nbytes + q.bias.nbytes for q in self.ops.values() if q.weight is not None)

    @property
    def requant_bytes(self):
        """Bytes of the per-channel requantization constants: int32 M0 + int8 shift per channel."""
        return sum(BYTES_PER_REQUANT_CHANNEL * q.requant.m0.size for q in self.ops.values()
                   if q.weight is not None)


class Int8Backend(Backend):
    """Executor backend of a QuantizedModel: int8 tensors in the arena (1 byte per activation)."""

    dtype = "int8"

    def __init__(self, model):
        self.model = model

    def prepare_input(self, x):
        """Quantize float image(s) (C, H, W) or (N, C, H, W) to int8 with the input's QParams."""
        q = self.model.qparams["input"]
        return Q.quantize(np.asarray(x), q.scale, q.zero_point, 8).astype(np.int8)

    prepare_batch = prepare_input

    def dequantize_output(self, y):
        """int8 logits -> float (for display; argmax is the same on either)."""
        q = self.model.qparams[self.model.network.ops[-1].name]
        return Q.dequantize(y, q.scale, q.zero_point)

    def pad_value(self, op):
        """A padded pixel holds the input's zero point (it adds exactly 0)."""
        return self.model.qparams[op.inputs[0]].zero_point

    def _const(self, op):
        return self.model.ops[op.name], self.pad_value(op)

    def conv(self, op, inputs, out):
        q, x_zp = self._const(op)
        return K.conv2d_int8(inputs[0], x_zp, q.weight, q.bias, q.requant, op.stride, op.padding, out)

    def dwconv(self, op, inputs, out):
        q, x_zp = self._const(op)
        return K.depthwise_conv2d_int8(inputs[0], x_zp, q.weight, q.bias, q.requant, op.stride,
                                       op.padding, out)

    def pwconv(self, op, inputs, out):
        q, x_zp = self._const(op)
        return K.pointwise_conv2d_int8(inputs[0], x_zp, q.weight, q.bias, q.requant, out)

    def linear(self, op, inputs, out):
        q, x_zp = self._const(op)
        return K.linear_int8(inputs[0], x_zp, q.weight, q.bias, q.requant, out)

    def add(self, op, inputs, out):
        return K.add_int8(inputs[0], inputs[1], self.model.ops[op.name].add, out)

    def pool(self, op, inputs, out):
        return K.avg_pool_int8(inputs[0], out)

    def depthwise_channel(self, op, c, x_c, out_c):
        """One output channel of an int8 depthwise op (the in-place schedule)."""
        q, x_zp = self._const(op)
        K.depthwise_conv2d_int8(x_c[np.newaxis], x_zp, q.weight[c:c + 1], q.bias[c:c + 1],
                                q.requant.channels(slice(c, c + 1)), op.stride, op.padding,
                                out_c[np.newaxis])


def run_int8(model, x):
    """int8 output (logits, (classes, 1, 1)) of one float image x (C, H, W), no arena."""
    return reference_forward(model.network, x, Int8Backend(model))


def run_int8_batch(model, x):
    """int8 logits (N, classes) of float images x (N, C, H, W): ``batched.forward`` with the int8
    backend (the same per-image kernels, the batch folded into axes they treat independently).
    Integer arithmetic only; equal to ``run_int8`` image by image (tested)."""
    return forward(model.network, Int8Backend(model), x)


def predict_int8(model, x, batch_size=256):
    """Predicted classes (N,) of float images x (N, C, H, W) through integer-only inference."""
    return np.concatenate([run_int8_batch(model, x[i:i + batch_size]).argmax(1)
                           for i in range(0, len(x), batch_size)])


def accuracy_int8(model, x, y):
    """Share (0..1) of the images whose int8 prediction equals y."""
    return float((predict_int8(model, x) == y).mean())
