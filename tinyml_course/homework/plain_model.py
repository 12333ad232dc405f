"""A model as plain data, and back: what crosses the sandbox wall in the compression challenge.

The probe, where the student's code runs, turns the returned (network, weights, bits) into plain
data (``model_to_plain``: lists, ints, strings and float32 arrays, which the grader's
plain_data.py carries as tagged base64). The grader rebuilds it (``model_from_plain``) and checks it before it
measures anything, in this order, so that nothing big is allocated for a forged record:

1. the record's layout: a dict with 'network', 'weights', 'bits'; the ops counted before any
   is read (at most ``ModelLimits.ops``), each of ten fields (an eleventh, the op's role,
   optional), names and kinds short strings, shape entries ints in 1..``ModelLimits.dim``;
2. the network's shapes and cost (``network_from_plain``), op by op, before the next is read:
   kernel 1..``kernel``, stride 1..``stride``, padding at most kernel // 2, at most
   ``channels`` channels, the MACs so far at most ``macs``; every op reads tensors made before
   it, its in_shape is its first input's, its out_shape follows from its kind (``OP_RULES``),
   the input is the trained model's, and so is the output;
3. the sizes: the network's weights at most ``ModelLimits.weights`` elements in all, then every weight and
   bias of exactly its op's shape (nested lists are measured level by level, not converted),
   numeric, finite, stored as float32;
4. the bits: an int or {op: int} for every op with weights, each one of ``storage.VALID_BITS``.

A record that breaks any rule raises ModelDataError (a SpecError) naming the first op or field
that does not hold. The limits (``ModelLimits``, written here once; the grading package's
``limits.MODEL`` is this object) bound what the grader spends rebuilding and measuring one
student's model: a model within them is measured in well under a second.
"""

from dataclasses import dataclass

import numpy as np

from ..compression.storage import bits_per_layer
from ..errors import SpecError
from ..model.network import OP_RULES, Network, Op
from ..model.ops import GroupOp, Role



@dataclass(frozen=True)
class ModelLimits:
    """What a model returned as plain data may be (the digits model: 16 ops, at most 48
    channels, 3x3 kernels, padding 1, stride 2, 341,488 MACs, 7,000 weights).

    ops: ops of the network; dim: largest entry of a shape; channels: channels of any tensor;
    kernel: largest kernel size (k x k); stride: largest stride; macs: multiply-accumulates of
    one inference in all; weights: weight and bias elements in all (float32: 4 bytes each);
    inputs: tensors one op reads; name_chars: characters of a name, kind or activation.
    """

    ops: int = 64
    dim: int = 4096
    channels: int = 256
    kernel: int = 7
    stride: int = 4
    macs: int = 1 << 20
    weights: int = 1 << 20
    inputs: int = 4
    name_chars: int = 64


LIMITS = ModelLimits()
OP_FIELDS = ("name", "kind", "inputs", "in_shape", "out_shape", "kernel", "stride", "padding",
             "act", "block", "role")  # the Op fields, in the order of a plain op row


class ModelDataError(SpecError):
    """A model record that cannot be rebuilt as what it says it is; the message names why."""


@dataclass(frozen=True)
class PlainModel:
    """A rebuilt, checked model: a Network, its weights {op: (weight, bias)} (float32, the ops'
    shapes) and its bits {op: int}."""

    network: Network
    weights: dict
    bits: dict


def network_to_plain(network):
    """Plain data of a Network: {'name', 'input_shape', 'ops': [[name, kind, inputs, in_shape,
    out_shape, kernel, stride, padding, act, block, role], ...]} (OP_FIELDS, in order; role as
    its string or None)."""
    return {"name": str(network.name), "input_shape": [int(d) for d in network.input_shape],
            "ops": [[op.name, op.kind, list(op.inputs), list(op.in_shape), list(op.out_shape),
                     op.kernel, op.stride, op.padding, op.act, op.block,
                     None if op.role is None else str(op.role)] for op in network.ops]}


def model_to_plain(network, weights, bits):
    """Plain data of a model: {'network': network_to_plain, 'weights': {op: [weight float32,
    bias float32]}, 'bits': as given (an int or {op: int})}."""
    return {"network": network_to_plain(network), "bits": bits,
            "weights": {str(name): [np.asarray(w, np.float32), np.asarray(b, np.float32)]
                        for name, (w, b) in weights.items()}}


def _shape(value, what, limits=LIMITS):
    """A shape from plain data: a list of 1 to 4 ints in 1..limits.dim."""
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 4 or any(
            isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 1 <= d <= limits.dim
            for d in value):
        raise ModelDataError(f"{what}: a shape must be 1 to 4 ints in 1..{limits.dim}, got "
                             f"{value!r:.80}")
    return tuple(int(d) for d in value)


def _int(value, what, limits=LIMITS):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or \
            not 0 <= value <= limits.dim:
        raise ModelDataError(f"{what} must be an int in 0..{limits.dim}, got {value!r:.80}")
    return int(value)


def _short(value, limits):
    return isinstance(value, str) and len(value) <= limits.name_chars


def _op(row, limits=LIMITS):
    """An Op from one plain row, its fields' types checked (not yet its shapes)."""
    if not isinstance(row, (list, tuple)) or len(row) not in (len(OP_FIELDS) - 1, len(OP_FIELDS)):
        raise ModelDataError(f"an op must be {len(OP_FIELDS)} fields {OP_FIELDS} (role optional), "
                             f"got {row!r:.80}")
    name, kind, inputs, in_shape, out_shape, kernel, stride, padding, act, block, *role = row
    if not _short(name, limits) or not _short(kind, limits) or \
            not isinstance(inputs, (list, tuple)) or not 1 <= len(inputs) <= limits.inputs or \
            not all(_short(t, limits) for t in inputs):
        raise ModelDataError(f"op {name!r:.40}: name, kind and 1 to {limits.inputs} inputs must "
                             f"be strings of at most {limits.name_chars} characters")
    if act is not None and not _short(act, limits):
        raise ModelDataError(f"op {name!r}: act must be a short string or None")
    block = None if block is None else _int(block, f"op {name!r}: block")
    role = role[0] if role else None
    if role is not None and role not in {r.value for r in Role}:
        raise ModelDataError(f"op {name!r}: role must be None or one of "
                             f"{', '.join(r.value for r in Role)}, got {role!r:.40}")
    return Op(name, kind, tuple(inputs), _shape(in_shape, f"op {name!r}: in_shape"),
              _shape(out_shape, f"op {name!r}: out_shape"), _int(kernel, f"op {name!r}: kernel"),
              _int(stride, f"op {name!r}: stride"), _int(padding, f"op {name!r}: padding"), act,
              block, None if role is None else Role(role))


def _cost_problem(op, limits):
    """Why ``op`` costs the grader more than ``limits`` allow (one sentence), or None."""
    if not 1 <= op.kernel <= limits.kernel:
        return f"kernel {op.kernel} (the grader measures kernels 1..{limits.kernel})"
    if not 1 <= op.stride <= limits.stride:
        return f"stride {op.stride} (the grader measures strides 1..{limits.stride})"
    if op.padding > op.kernel // 2:
        return f"padding {op.padding} with a {op.kernel}x{op.kernel} kernel (at most kernel // 2)"
    if max(op.in_shape[0], op.out_shape[0]) > limits.channels:
        return f"{max(op.in_shape[0], op.out_shape[0])} channels (at most {limits.channels})"
    return None


def network_from_plain(data, input_shape, limits=LIMITS):
    """The Network of network_to_plain(...) data, its shapes and cost checked (steps 1-2 of the
    module doc) against ``limits`` (a ModelLimits); the input is ``input_shape`` (C, H, W).
    Raises ModelDataError."""
    if not isinstance(data, dict) or not isinstance(data.get("ops"), list) or \
            not isinstance(data.get("name"), str):
        raise ModelDataError("a network must be a dict with 'name', 'input_shape' and 'ops'")
    if _shape(data.get("input_shape"), "the input", limits) != tuple(input_shape):
        raise ModelDataError(f"the input is {tuple(data['input_shape'])}, expected "
                             f"{tuple(input_shape)}")
    if not 1 <= len(data["ops"]) <= limits.ops:
        raise ModelDataError(f"a network has 1 to {limits.ops} ops, got {len(data['ops'])}")
    shapes, ops, macs = {"input": tuple(input_shape)}, [], 0
    for op in (_op(row, limits) for row in data["ops"]):
        if op.kind not in OP_RULES or not op.inputs or op.name in shapes:
            raise ModelDataError(f"op {op.name!r}: unknown kind, no input or a repeated name")
        cost = _cost_problem(op, limits)
        if cost:
            raise ModelDataError(f"op {op.name!r}: {cost}")
        if any(t not in shapes for t in op.inputs) or op.in_shape != shapes[op.inputs[0]]:
            raise ModelDataError(f"op {op.name!r}: reads {op.inputs} of shape "
                                 f"{shapes.get(op.inputs[0])}, but says {op.in_shape}")
        hw = OP_RULES[op.kind].out_hw(*op.in_shape[1:], op.kernel, op.stride, op.padding)
        same_c = op.kind in GroupOp.CHANNELWISE
        if op.out_shape[1:] != hw or (same_c and op.out_shape[0] != op.in_shape[0]) or \
                (op.kind == "add" and any(shapes[t] != op.in_shape for t in op.inputs)):
            raise ModelDataError(f"op {op.name!r}: output {op.out_shape} does not follow from "
                                 f"{op.in_shape} ({op.kind}, k={op.kernel}, stride {op.stride})")
        macs += op.macs
        if macs > limits.macs:
            raise ModelDataError(f"op {op.name!r}: the network needs more than {limits.macs:,} "
                                 f"MACs (the grader measures at most that much)")
        shapes[op.name] = op.out_shape
        ops.append(op)
    return Network(data["name"], tuple(input_shape), ops)


def _has_shape(value, shape):
    """Whether ``value`` (an array or nested lists) has exactly ``shape``, checked without
    converting it; an array must also be numeric."""
    if isinstance(value, np.ndarray):
        return value.shape == shape and value.dtype.kind in "iuf"
    if not shape:
        return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    return isinstance(value, (list, tuple)) and len(value) == shape[0] and \
        all(_has_shape(v, shape[1:]) for v in value)


def _array(value, shape, what):
    """``value`` as a float32 array of ``shape``, finite; checked before it is converted."""
    if not _has_shape(value, shape):
        raise ModelDataError(f"{what}: expected numbers of shape {shape}")
    array = np.asarray(value, np.float32)
    if not np.all(np.isfinite(array)):
        raise ModelDataError(f"{what}: not finite")
    return array


def model_from_plain(record, ref_network, limits=LIMITS):
    """The PlainModel of a model_to_plain(...) record, checked against ``ref_network`` (its input
    and output shapes) and ``limits`` (a ModelLimits) in the order of the module doc. Raises
    ModelDataError."""
    if not isinstance(record, dict) or not all(k in record for k in ("network", "weights", "bits")):
        raise ModelDataError("a model must be a dict with 'network', 'weights' and 'bits'")
    network = network_from_plain(record["network"], ref_network.input_shape, limits)
    if network.output_shape != ref_network.output_shape:
        raise ModelDataError(f"the output is {network.output_shape}, expected "
                             f"{ref_network.output_shape}")
    layers = [op for op in network.ops if op.weight_shape is not None]
    elements = sum(int(np.prod(op.weight_shape)) + op.bias_count for op in layers)
    if elements > limits.weights:
        raise ModelDataError(f"the network has {elements:,} weights, more than {limits.weights:,}")
    sent = record["weights"]
    if not isinstance(sent, dict) or set(sent) != {op.name for op in layers}:
        raise ModelDataError("the weights must be {op: (weight, bias)} for exactly the ops with "
                             "weights")
    weights = {}
    for op in layers:
        pair = sent[op.name]
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ModelDataError(f"op {op.name!r}: its weights must be (weight, bias)")
        weights[op.name] = (_array(pair[0], op.weight_shape, f"op {op.name!r}: its weight"),
                            _array(pair[1], (op.bias_count,), f"op {op.name!r}: its bias"))
    try:
        bits = bits_per_layer(record["bits"], list(weights))
    except SpecError as err:
        raise ModelDataError(str(err)) from None
    return PlainModel(network, weights, bits)
