"""A ``.tflite`` flatbuffer of the package's own int8 networks, for TFLite Micro on the host.

``tflite_bytes(model)`` writes a ``QuantizedModel`` (``compression.int8_convert``) as a TFLite
model with the schema of the ``tflite-micro`` PyPI package (its ``schema_py_generated`` object API,
packed with ``flatbuffers``): one tensor per activation (NHWC, batch 1, int8, the model's scale and
zero point), int8 weights quantized per output channel (symmetric), int32 biases, and one operator
per op:

=========  ===================================================================================
conv       CONV_2D, weights (Cout, kh, kw, Cin) (TFLite's OHWI from our (Cout, Cin, kh, kw))
pwconv     CONV_2D with a 1 x 1 kernel, weights (Cout, 1, 1, Cin)
dwconv     DEPTHWISE_CONV_2D, weights (1, k, k, C), depth multiplier 1
linear     FULLY_CONNECTED, weights (Cout, Cin); its output is (1, Cout)
add        ADD
pool       AVERAGE_POOL_2D over the whole H x W (global average pooling), VALID
=========  ===================================================================================

ReLU / ReLU6 are fused into the op, as the MLCommons files have them. Padding: k // 2 is SAME for
stride 1 and odd k (1 x 1: VALID); at stride 2 TFLite's SAME pads the bottom/right only, so the
output shapes (and hence the arena) are ours but the values differ at the borders. A conv with
TensorFlow's own uneven "same" padding (mlperf-kws's stem: 4 rows above, 5 below) is SAME.
Needs the dev extra (``tflite-micro``); nothing is downloaded.
"""

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

from ..errors import SpecError
from ..model.ops import OP_RULES, same_padding

FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3
ACTIVATIONS = {None: fb.ActivationFunctionType.NONE, "relu": fb.ActivationFunctionType.RELU,
               "relu6": fb.ActivationFunctionType.RELU6}
OPCODES = {"conv": fb.BuiltinOperator.CONV_2D, "pwconv": fb.BuiltinOperator.CONV_2D,
           "dwconv": fb.BuiltinOperator.DEPTHWISE_CONV_2D,
           "linear": fb.BuiltinOperator.FULLY_CONNECTED, "add": fb.BuiltinOperator.ADD,
           "pool": fb.BuiltinOperator.AVERAGE_POOL_2D}


def _padding(op):
    """VALID for no padding; SAME for TensorFlow's own "same" (``ops.same_padding``: MLPerf
    KWS's 10x4 stem) and for the package's k // 2 on every side of an odd k (the same output
    shape). Raises SpecError for other padding."""
    (kh, kw), pads = op.kernel_hw, op.pads
    if pads == (0, 0, 0, 0):
        return fb.Padding.VALID
    tf_same = same_padding(op.in_shape[1], kh, op.stride) + same_padding(op.in_shape[2], kw,
                                                                           op.stride)
    if pads == tf_same or (kh == kw and kh % 2 == 1 and pads == (kh // 2,) * 4):
        return fb.Padding.SAME
    raise SpecError(f"{op.name}: padding {pads} (top, bottom, left, right) with a {kh}x{kw} "
                    f"kernel has no TFLite padding (SAME or VALID)")


def _weights(op, weight):
    """Our int8 weight array in TFLite's layout for ``op``'s kind."""
    w = np.asarray(weight, np.int8)
    if op.kind == "conv":
        return w.transpose(0, 2, 3, 1)  # (Cout, Cin, k, k) -> OHWI
    if op.kind == "pwconv":
        return w.reshape(w.shape[0], 1, 1, w.shape[1])
    if op.kind == "dwconv":
        return w.transpose(1, 2, 0)[np.newaxis]  # (C, k, k) -> (1, k, k, C)
    return w  # linear: (Cout, Cin)


def _options(op):
    """(BuiltinOptions type, options object) of ``op``."""
    act = ACTIVATIONS[op.act]
    rule = OP_RULES[op.kind]
    if rule.spatial == "window" and rule.weight_shape(1, 1, 1) is not None:  # the convolutions
        opts = fb.DepthwiseConv2DOptionsT() if op.kind == "dwconv" else fb.Conv2DOptionsT()
        opts.padding, opts.strideH, opts.strideW = _padding(op), op.stride, op.stride
        opts.dilationHFactor = opts.dilationWFactor = 1
        opts.fusedActivationFunction = act
        if op.kind == "dwconv":
            opts.depthMultiplier = 1
            return fb.BuiltinOptions.DepthwiseConv2DOptions, opts
        return fb.BuiltinOptions.Conv2DOptions, opts
    if op.kind == "linear":
        opts = fb.FullyConnectedOptionsT()
        opts.fusedActivationFunction = act
        return fb.BuiltinOptions.FullyConnectedOptions, opts
    if op.kind == "add":
        opts = fb.AddOptionsT()
        opts.fusedActivationFunction = act
        return fb.BuiltinOptions.AddOptions, opts
    opts = fb.Pool2DOptionsT()  # pool: the whole map
    opts.padding, opts.strideH, opts.strideW = fb.Padding.VALID, 1, 1
    opts.filterHeight, opts.filterWidth = op.in_shape[1], op.in_shape[2]
    opts.fusedActivationFunction = act
    return fb.BuiltinOptions.Pool2DOptions, opts


class _Writer:
    """Tensors and buffers of one subgraph (buffer 0 is the empty one TFLite reserves)."""

    def __init__(self):
        self.tensors, self.buffers = [], [fb.BufferT()]

    def tensor(self, name, shape, dtype, scale, zero_point, data=None, axis=0):
        t = fb.TensorT()
        t.name, t.shape, t.type = name, list(shape), dtype
        q = fb.QuantizationParametersT()
        q.scale = [float(s) for s in np.atleast_1d(scale)]
        q.zeroPoint = [int(z) for z in np.atleast_1d(zero_point)]
        q.quantizedDimension = axis
        t.quantization = q
        t.buffer = 0
        if data is not None:
            buf = fb.BufferT()
            buf.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
            t.buffer = len(self.buffers)
            self.buffers.append(buf)
        self.tensors.append(t)
        return len(self.tensors) - 1


def _activation_shape(shape, linear=False):
    """TFLite's shape of our (C, H, W) activation: (1, H, W, C), or (1, C) out of a linear op."""
    c, h, w = shape
    return [1, c] if linear else [1, h, w, c]


def tflite_bytes(model):
    """The ``.tflite`` flatbuffer (bytes) of the int8 ``model`` (a QuantizedModel).

    Raises SpecError for an op with a padding TFLite cannot express."""
    net, writer = model.network, _Writer()
    index = {}
    qin = model.qparams["input"]
    index["input"] = writer.tensor("input", _activation_shape(net.input_shape), fb.TensorType.INT8,
                                   qin.scale, qin.zero_point)
    codes, operators = [], []
    for op in net.ops:
        q, y = model.ops[op.name], model.qparams[op.name]
        inputs = [index[t] for t in op.inputs]
        if q.weight is not None:
            x_scale = model.qparams[op.inputs[0]].scale
            w = _weights(op, q.weight)
            axis = 3 if op.kind == "dwconv" else 0
            zeros = np.zeros(len(q.weight_scale), np.int64)
            inputs.append(writer.tensor(f"{op.name}/weight", w.shape, fb.TensorType.INT8,
                                        q.weight_scale, zeros, w, axis))
            inputs.append(writer.tensor(f"{op.name}/bias", q.bias.shape, fb.TensorType.INT32,
                                        x_scale * q.weight_scale.astype(np.float64), zeros,
                                        np.asarray(q.bias, "<i4")))
        shape = _activation_shape(op.out_shape, op.kind == "linear")
        index[op.name] = writer.tensor(op.name, shape, fb.TensorType.INT8, y.scale, y.zero_point)
        code = OPCODES[op.kind]
        if code not in codes:
            codes.append(code)
        operator = fb.OperatorT()
        operator.opcodeIndex = codes.index(code)
        operator.inputs, operator.outputs = inputs, [index[op.name]]
        operator.builtinOptionsType, operator.builtinOptions = _options(op)
        operators.append(operator)
    subgraph = fb.SubGraphT()
    subgraph.tensors, subgraph.operators = writer.tensors, operators
    subgraph.inputs, subgraph.outputs = [index["input"]], [index[net.ops[-1].name]]
    subgraph.name = net.name
    root = fb.ModelT()
    root.version, root.subgraphs, root.buffers = SCHEMA_VERSION, [subgraph], writer.buffers
    root.description = f"{net.name} written by tinyml_course.deploy.tflite_writer"
    root.operatorCodes = []
    for code in codes:
        oc = fb.OperatorCodeT()
        oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
        root.operatorCodes.append(oc)
    builder = flatbuffers.Builder(1024)
    builder.Finish(root.Pack(builder), file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())
