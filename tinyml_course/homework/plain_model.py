"""A model as plain data, and back: what crosses the sandbox wall in the compression challenge.

The probe, where the student's code runs, turns the returned (network, weights, bits) into plain
data (``model_to_plain``: lists, ints, strings and float32 arrays, which the grader's
plain_data.py carries as tagged base64). The grader rebuilds it (``model_from_plain``) and checks it before it
measures anything, in this order, so that nothing big is allocated for a forged record:

1. the record's layout: a dict with 'network', 'weights', 'bits'; at most MAX_OPS ops of ten
   fields each (an eleventh, the op's role, optional), names and kinds strings, shape entries ints in 1..MAX_DIM;
2. the network's shapes (``network_from_plain``): every op reads tensors made before it, its
   in_shape is its first input's, its out_shape follows from its kind (``OP_RULES``), the input
   is the trained model's, and so is the output;
3. the sizes: the network's weights at most MAX_WEIGHTS elements in all, then every weight and
   bias of exactly its op's shape (nested lists are measured level by level, not converted),
   numeric, finite, stored as float32;
4. the bits: an int or {op: int} for every op with weights, each one of ``storage.VALID_BITS``.

A record that breaks any rule raises ModelDataError (a SpecError) naming the first op or field
that does not hold.
"""

from dataclasses import dataclass

import numpy as np

from ..compression.storage import bits_per_layer
from ..errors import SpecError
from ..model.network import OP_RULES, Network, Op
from ..model.ops import GroupOp, Role

MAX_OPS = 512  # ops of a returned network (the digits model has 27)
MAX_DIM = 4096  # largest channel count or spatial size of a shape
MAX_WEIGHTS = 1 << 22  # weight and bias elements of a returned model in all (16 MiB of float32)
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


def _shape(value, what):
    """A shape from plain data: a list of ints in 1..MAX_DIM."""
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 4 or any(
            isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 1 <= d <= MAX_DIM
            for d in value):
        raise ModelDataError(f"{what}: a shape must be 1 to 4 ints in 1..{MAX_DIM}, got "
                             f"{value!r:.80}")
    return tuple(int(d) for d in value)


def _int(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= MAX_DIM:
        raise ModelDataError(f"{what} must be an int in 0..{MAX_DIM}, got {value!r:.80}")
    return int(value)


def _op(row):
    """An Op from one plain row, its fields' types checked (not yet its shapes)."""
    if not isinstance(row, (list, tuple)) or len(row) not in (len(OP_FIELDS) - 1, len(OP_FIELDS)):
        raise ModelDataError(f"an op must be {len(OP_FIELDS)} fields {OP_FIELDS} (role optional), "
                             f"got {row!r:.80}")
    name, kind, inputs, in_shape, out_shape, kernel, stride, padding, act, block, *role = row
    if not isinstance(name, str) or not isinstance(kind, str) or not isinstance(inputs, (list, tuple)) \
            or not all(isinstance(t, str) for t in inputs):
        raise ModelDataError(f"op {name!r:.40}: name, kind and inputs must be strings")
    if act is not None and not isinstance(act, str):
        raise ModelDataError(f"op {name!r}: act must be a string or None")
    block = None if block is None else _int(block, f"op {name!r}: block")
    role = role[0] if role else None
    if role is not None and role not in {r.value for r in Role}:
        raise ModelDataError(f"op {name!r}: role must be None or one of "
                             f"{', '.join(r.value for r in Role)}, got {role!r:.40}")
    return Op(name, kind, tuple(inputs), _shape(in_shape, f"op {name!r}: in_shape"),
              _shape(out_shape, f"op {name!r}: out_shape"), _int(kernel, f"op {name!r}: kernel"),
              _int(stride, f"op {name!r}: stride"), _int(padding, f"op {name!r}: padding"), act,
              block, None if role is None else Role(role))


def network_from_plain(data, input_shape):
    """The Network of network_to_plain(...) data, its shapes checked by the op rules (steps 1-2
    of the module doc); the input is ``input_shape`` (C, H, W). Raises ModelDataError."""
    if not isinstance(data, dict) or not isinstance(data.get("ops"), list) or \
            not isinstance(data.get("name"), str):
        raise ModelDataError("a network must be a dict with 'name', 'input_shape' and 'ops'")
    if _shape(data.get("input_shape"), "the input") != tuple(input_shape):
        raise ModelDataError(f"the input is {tuple(data['input_shape'])}, expected "
                             f"{tuple(input_shape)}")
    if not 1 <= len(data["ops"]) <= MAX_OPS:
        raise ModelDataError(f"a network has 1 to {MAX_OPS} ops, got {len(data['ops'])}")
    shapes, ops = {"input": tuple(input_shape)}, []
    for op in map(_op, data["ops"]):
        if op.kind not in OP_RULES or not op.inputs or op.name in shapes:
            raise ModelDataError(f"op {op.name!r}: unknown kind, no input or a repeated name")
        if any(t not in shapes for t in op.inputs) or op.in_shape != shapes[op.inputs[0]]:
            raise ModelDataError(f"op {op.name!r}: reads {op.inputs} of shape "
                                 f"{shapes.get(op.inputs[0])}, but says {op.in_shape}")
        hw = OP_RULES[op.kind].out_hw(*op.in_shape[1:], op.kernel, op.stride, op.padding)
        same_c = op.kind in GroupOp.CHANNELWISE
        if op.out_shape[1:] != hw or (same_c and op.out_shape[0] != op.in_shape[0]) or \
                (op.kind == "add" and any(shapes[t] != op.in_shape for t in op.inputs)):
            raise ModelDataError(f"op {op.name!r}: output {op.out_shape} does not follow from "
                                 f"{op.in_shape} ({op.kind}, k={op.kernel}, stride {op.stride})")
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


def model_from_plain(record, ref_network):
    """The PlainModel of a model_to_plain(...) record, checked against ``ref_network`` (its input
    and output shapes) in the order of the module doc. Raises ModelDataError."""
    if not isinstance(record, dict) or not all(k in record for k in ("network", "weights", "bits")):
        raise ModelDataError("a model must be a dict with 'network', 'weights' and 'bits'")
    network = network_from_plain(record["network"], ref_network.input_shape)
    if network.output_shape != ref_network.output_shape:
        raise ModelDataError(f"the output is {network.output_shape}, expected "
                             f"{ref_network.output_shape}")
    layers = [op for op in network.ops if op.weight_shape is not None]
    elements = sum(int(np.prod(op.weight_shape)) + op.bias_count for op in layers)
    if elements > MAX_WEIGHTS:
        raise ModelDataError(f"the network has {elements:,} weights, more than {MAX_WEIGHTS:,}")
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
