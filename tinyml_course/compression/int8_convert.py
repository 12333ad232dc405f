"""Convert a trained float model into an integer-only int8 model (TFLite's scheme).

``calibrate`` runs float batches to find each activation's range; ``convert`` turns ranges into
scales and zero points, weights into per-channel symmetric int8, biases into int32, and real
multipliers into Q31 mantissas and shifts (``runtime.fixedpoint.Requant``). Floats appear only
here, offline; the resulting ``QuantizedModel`` runs integer-only in ``runtime.int8_backend``.
"""

import numpy as np

from ..runtime.batched import forward
from ..runtime.fixedpoint import INT8_MAX, INT8_MIN, AddRequant, Requant
from ..runtime.int8_backend import QuantizedModel, QuantizedOp
from ..runtime.qscheme import QParams
from . import quantize as Q


def calibrate(network, weights, x_calib, batch_size=256):
    """Observed (min, max) of every tensor ('input' and each op's output) over the images x_calib."""

    ranges = {}
    for i in range(0, len(x_calib), batch_size):
        _, tensors = forward(network, weights, x_calib[i:i + batch_size], keep=True)
        for name, t in tensors.items():
            lo, hi = float(t.min()), float(t.max())
            old = ranges.get(name, (lo, hi))
            ranges[name] = (min(lo, old[0]), max(hi, old[1]))
    return ranges


def _act_range(act, scale, zp):
    """(act_min, act_max) of the output clamp: ReLU6/ReLU folded in."""
    if act == "relu6":
        return max(INT8_MIN, zp), min(INT8_MAX, zp + int(Q.round_half_away(6.0 / scale)))
    if act == "relu":
        return max(INT8_MIN, zp), INT8_MAX
    return INT8_MIN, INT8_MAX


def convert(network, weights, x_calib):
    """Quantize a float model to int8: calibrate activation ranges on ``x_calib`` (N, C, H, W),
    quantize weights per channel (symmetric), biases to int32, and precompute the multipliers."""
    ranges = calibrate(network, weights, x_calib)
    qparams = {}
    for name, (lo, hi) in ranges.items():
        scale, zp = Q.linear_qparams(lo, hi, 8, symmetric=False)
        qparams[name] = QParams(float(scale), int(zp))
    for op in network:  # average pooling keeps its input's quantization (TFLite requires it)
        if op.kind == "pool":
            qparams[op.name] = qparams[op.inputs[0]]
    model = QuantizedModel(network, qparams)
    for op in network:
        y = qparams[op.name]
        act_range = _act_range(op.act, y.scale, y.zero_point)
        if op.kind == "add":
            a, b = (qparams[t] for t in op.inputs)
            model.ops[op.name] = QuantizedOp(add=AddRequant.from_qparams(a, b, y, *act_range))
        elif op.weight_shape is not None:
            w, b = weights[op.name]
            x_scale = qparams[op.inputs[0]].scale
            w_scale, _ = Q.tensor_qparams(w, 8, symmetric=True, per_channel=True)
            wq = Q.quantize(w, w_scale, 0, 8, symmetric=True).astype(np.int8)
            bq = Q.round_half_away(np.asarray(b, np.float64) / (x_scale * w_scale)).astype(np.int32)
            requant = Requant.from_real(x_scale * w_scale / y.scale, y.zero_point, *act_range)
            model.ops[op.name] = QuantizedOp(wq, bq, w_scale.astype(np.float32), requant)
        else:
            model.ops[op.name] = QuantizedOp()
    return model


def real_weights(model):
    """{op: (weight, bias)} of a QuantizedModel: its int8 codes times their per-channel scales
    (float32, the real values the codes stand for: what ``storage.model_storage`` measures at
    8 bits) and its int32 biases."""
    return {name: ((q.weight * q.weight_scale.reshape((-1,) + (1,) * (q.weight.ndim - 1)))
                   .astype(np.float32), q.bias)
            for name, q in model.ops.items() if q.weight is not None}
