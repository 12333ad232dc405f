"""Networks as a flat list of ops with shapes, MACs and parameter counts, built from an MBConv spec.

Every activation tensor has the layout (C, H, W), batch 1. Each op produces one tensor named after
the op; the network input is the tensor ``"input"``. Activations (ReLU6/ReLU) are fused into the
op before them, as MCU runtimes do, so they cost no memory of their own.

The spec format and its checks are in ``spec.py``; op kinds, their groupings and op roles in
``ops.py``. The builder sets each op's ``role`` and names the op after it (``block3.expand``).

Block rules: mid = round(in * expand); a 1x1 expansion (+ReLU6) only when expand != 1; a k x k
depthwise with the block's stride and padding k // 2 (+ReLU6); a linear 1x1 projection; an identity
shortcut (residual add) when stride == 1 and in == out.
"""

import numbers
from dataclasses import dataclass

from ..errors import SpecError, UnknownNameError
from .ops import (  # noqa: F401  (OpKind, GroupOp, conv_output_size: re-exported)
    OP_KINDS, OP_RULES, GroupOp, OpKind, Role, conv_output_size, kernel_hw, pad_sides)
from .spec import load_spec, mid_channels, validate_spec  # noqa: F401  (load_spec: re-exported)

ACTIVATIONS = (None, "relu", "relu6")


@dataclass(frozen=True)
class Op:
    """One op of a network.

    in_shape / out_shape are (C, H, W) of the first input and of the output; a linear op's output
    is (classes, 1, 1). ``inputs`` names the tensors the op reads ('input' or other ops' names).
    ``kernel`` is k (k x k) or, for a full conv only, (kh, kw); ``padding`` p (every side) or, for
    a full conv only, (top, bottom, left, right) (TensorFlow's "same": ``ops.same_padding``).
    ``kernel_hw`` and ``pads`` give both forms as tuples. Raises SpecError for a rectangular
    kernel or uneven padding on another kind, or for sizes that are not positive integers.
    """

    name: str
    kind: str  # one of OP_KINDS
    inputs: tuple
    in_shape: tuple  # (C, H, W)
    out_shape: tuple  # (C, H, W)
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    act: str | None = None  # fused activation: None, 'relu' or 'relu6'
    block: int | None = None  # index of the MBConv block the op belongs to, None outside blocks
    role: Role | None = None  # what the op does (ops.Role), set by its builder; None: not said

    def __post_init__(self):
        if hasattr(self.kernel, "__len__") or hasattr(self.padding, "__len__"):
            self._check_rectangular()
        if self.role is not None and not isinstance(self.role, Role):
            try:
                object.__setattr__(self, "role", Role(self.role))
            except ValueError:
                raise SpecError(f"op {self.name!r} has unknown role {self.role!r}; roles are "
                                f"{', '.join(r.value for r in Role)}") from None

    def _check_rectangular(self):
        """Check a kernel given as (kh, kw) or padding as (top, bottom, left, right)."""
        for label, value, n, low in (("kernel", self.kernel, 2, 1),
                                     ("padding", self.padding, 4, 0)):
            parts = value if hasattr(value, "__len__") else (value,)
            if not isinstance(parts, tuple) or len(parts) not in (1, n) or any(
                    isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low
                    for v in parts):
                raise SpecError(f"op {self.name!r}: {label} must be an integer >= {low} or a "
                                f"tuple of {n} of them, got {value!r}")
        if self.kind != "conv" and (len(set(self.kernel_hw)) > 1 or len(set(self.pads)) > 1):
            raise SpecError(f"op {self.name!r}: a {self.kind} takes a square kernel and even "
                            f"padding; a {'x'.join(map(str, self.kernel_hw))} kernel with padding "
                            f"{self.pads} is for a full conv only")

    @property
    def kernel_hw(self):
        """(kh, kw): kernel rows and columns, pixels."""
        return kernel_hw(self.kernel)

    @property
    def pads(self):
        """(top, bottom, left, right): zero-padding rows and columns, pixels."""
        return pad_sides(self.padding)

    @property
    def rule(self):
        """The OpKind of this op (its shape, MAC and parameter rules)."""
        try:
            return OP_RULES[self.kind]
        except KeyError:
            raise SpecError(f"op {self.name!r} has unknown kind {self.kind!r}; kinds are "
                            f"{', '.join(OP_KINDS)}") from None

    @property
    def weight_shape(self):
        """Shape of the weight tensor, or None for ops without weights.

        conv: (Cout, Cin, kh, kw); dwconv: (C, k, k); pwconv and linear: (Cout, Cin).
        """
        return self.rule.weight_shape(self.in_shape[0], self.out_shape[0], self.kernel)

    @property
    def weight_count(self):
        """Number of weight elements (0 for ops without weights)."""
        shape = self.weight_shape
        if shape is None:
            return 0
        count = 1
        for dim in shape:
            count *= dim
        return count

    @property
    def bias_count(self):
        """Number of bias elements: one per output channel for ops with weights (BN folded in)."""
        return self.out_shape[0] if self.weight_shape is not None else 0

    @property
    def params(self):
        """Weights + biases."""
        return self.weight_count + self.bias_count

    @property
    def macs(self):
        """Multiply-accumulates of the op; 0 for add and pool (the papers count conv and linear only)."""
        return self.out_elements * self.rule.macs_per_output(self.in_shape[0], self.kernel)

    @property
    def in_elements(self):
        """Elements of the first input tensor."""
        c, h, w = self.in_shape
        return c * h * w

    @property
    def out_elements(self):
        """Elements of the output tensor."""
        c, h, w = self.out_shape
        return c * h * w


class Network:
    """An ordered list of ops in execution order, with the input shape (C, H, W)."""

    def __init__(self, name, input_shape, ops, spec=None):
        self.name = name
        self.input_shape = tuple(input_shape)
        self.ops = list(ops)
        self.spec = spec
        self._by_name = {op.name: op for op in self.ops}
        if len(self._by_name) != len(self.ops):
            raise SpecError(f"network {name!r} has duplicate op names")

    def __repr__(self):
        return (f"Network({self.name!r}, input={self.input_shape}, ops={len(self.ops)}, "
                f"MACs={self.macs / 1e6:.1f}M, params={self.params / 1e6:.2f}M)")

    def __iter__(self):
        return iter(self.ops)

    def __len__(self):
        return len(self.ops)

    def op(self, name):
        """The op called ``name``; UnknownNameError lists a few valid names otherwise."""
        try:
            return self._by_name[name]
        except KeyError:
            names = [op.name for op in self.ops]
            raise UnknownNameError(
                f"network {self.name!r} has no op {name!r}; ops are {names[0]!r} .. {names[-1]!r}, "
                f"e.g. {', '.join(repr(n) for n in names[:6])}") from None

    def index(self, name):
        """Position of op ``name`` in execution order."""
        return self.ops.index(self.op(name))

    @property
    def macs(self):
        return sum(op.macs for op in self.ops)

    @property
    def params(self):
        return sum(op.params for op in self.ops)

    @property
    def output_shape(self):
        return self.ops[-1].out_shape

    def shape_of(self, tensor):
        """(C, H, W) of a tensor: 'input' or an op's output."""
        return self.input_shape if tensor == "input" else self.op(tensor).out_shape

    def last_use(self):
        """Map tensor name -> index of the last op that reads it (the network output: len(ops))."""
        last = {"input": -1}
        for i, op in enumerate(self.ops):
            last.setdefault(op.name, i)
            for name in op.inputs:
                last[name] = i
        last[self.ops[-1].name] = len(self.ops)
        return last

    def blocks(self):
        """Map block index -> list of its ops, in order."""
        blocks = {}
        for op in self.ops:
            if op.block is not None:
                blocks.setdefault(op.block, []).append(op)
        return blocks

    def with_ops(self, ops, name=None):
        """A new network with the same input and another op list (used by redistribution, pruning)."""
        return Network(name or self.name, self.input_shape, ops, spec=None)


# ---------------------------------------------------------------- building from a spec

def build_network(spec):
    """Build a Network from an MBConv spec dict (see the module docstring).

    Raises SpecError when a field is missing or invalid. (With odd kernels and padding k // 2 a
    feature map never shrinks below 1 x 1.)
    """
    validate_spec(spec)
    res = spec["resolution"]
    channels = spec.get("input_channels", 3)
    shape = (channels, res, res)
    ops = []

    def add(role, kind, inputs, out_channels, kernel=1, stride=1, act=None, block=None):
        """Append the op of ``role``, named after it ('stem', 'block3.expand'); return its name."""
        nonlocal shape
        in_shape = shape
        padding = kernel // 2
        shape = (out_channels, *OP_RULES[kind].out_hw(*in_shape[1:], kernel, stride, padding))
        name = str(role) if block is None else f"block{block}.{role}"
        ops.append(Op(name, kind, tuple(inputs), in_shape, shape, kernel, stride, padding, act,
                      block, role))
        return name

    stem = spec["stem"]
    last = add(Role.STEM, "conv", ["input"], stem["out"], stem["kernel"], stem["stride"], "relu6")
    for i, block in enumerate(spec["blocks"]):
        block_input, in_channels = last, shape[0]
        mid = mid_channels(in_channels, block["expand"], f"spec.blocks[{i}]")
        if block["expand"] != 1:
            last = add(Role.EXPAND, "pwconv", [last], mid, act="relu6", block=i)
        last = add(Role.DEPTHWISE, "dwconv", [last], mid, block["kernel"], block["stride"], "relu6",
                   i)
        last = add(Role.PROJECT, "pwconv", [last], block["out"], block=i)
        if block["stride"] == 1 and in_channels == block["out"]:
            last = add(Role.RESIDUAL, "add", [last, block_input], block["out"], block=i)
    if spec.get("feature_mix"):
        last = add(Role.FEATURE_MIX, "pwconv", [last], spec["feature_mix"], act="relu6")
    if spec.get("classes"):
        last = add(Role.POOL, "pool", [last], shape[0])
        add(Role.CLASSIFIER, "linear", [last], spec["classes"])
    return Network(spec.get("name", "custom"), (channels, res, res), ops, spec=spec)


def can_run_inplace(network, index, last_use):
    """Whether op ``index`` (a depthwise) may overwrite its input: no later op reads that input."""
    op = network.ops[index]
    return op.kind == "dwconv" and last_use[op.inputs[0]] == index
