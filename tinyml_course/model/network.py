"""Networks as a flat list of ops with shapes, MACs and parameter counts, built from an MBConv spec.

Every activation tensor has the layout (C, H, W), batch 1. Each op produces one tensor named after
the op; the network input is the tensor ``"input"``. Activations (ReLU6/ReLU) are fused into the
op before them, as MCU runtimes do, so they cost no memory of their own.

The spec format (``../shared/reference/architectures.md``)::

    {"name": "...", "resolution": 96, "input_channels": 3,
     "stem": {"kernel": 3, "stride": 2, "out": 16},
     "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1}, ...],
     "feature_mix": null, "classes": 1000}

Block rules: mid = round(in * expand); a 1x1 expansion (+ReLU6) only when expand != 1; a k x k
depthwise with the block's stride and padding k // 2 (+ReLU6); a linear 1x1 projection; an identity
shortcut (residual add) when stride == 1 and in == out.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError, UnknownNameError

OP_KINDS = ("conv", "dwconv", "pwconv", "add", "pool", "maxpool", "linear")
# "maxpool" (k x k, stride s, padding p) only appears in the ResNet baseline (zoo.resnet18);
# it has no weights and no MACs, and the runtimes do not execute it
ACTIVATIONS = (None, "relu", "relu6")


def conv_output_size(size, kernel, stride, padding):
    """Output height/width of a convolution: (size + 2*padding - kernel) // stride + 1."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class Op:
    """One op of a network.

    in_shape / out_shape are (C, H, W) of the first input and of the output; a linear op's output
    is (classes, 1, 1). ``inputs`` names the tensors the op reads ('input' or other ops' names).
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

    @property
    def weight_shape(self):
        """Shape of the weight tensor, or None for ops without weights.

        conv: (Cout, Cin, k, k); dwconv: (C, k, k); pwconv and linear: (Cout, Cin).
        """
        cin, cout = self.in_shape[0], self.out_shape[0]
        if self.kind == "conv":
            return (cout, cin, self.kernel, self.kernel)
        if self.kind == "dwconv":
            return (cout, self.kernel, self.kernel)
        if self.kind in ("pwconv", "linear"):
            return (cout, cin)
        return None

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
        cout, hout, wout = self.out_shape
        if self.kind == "conv":
            return hout * wout * cout * self.in_shape[0] * self.kernel * self.kernel
        if self.kind == "dwconv":
            return hout * wout * cout * self.kernel * self.kernel
        if self.kind in ("pwconv", "linear"):
            return hout * wout * cout * self.in_shape[0]
        return 0

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

_SPEC_KEYS = {"name", "resolution", "input_channels", "stem", "blocks", "feature_mix", "classes"}
_BLOCK_KEYS = {"kernel", "expand", "out", "stride"}


def _positive_int(value, where):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{where} must be a positive integer, got {value!r}")
    return value


def _kernel(value, where):
    _positive_int(value, where)
    if value % 2 == 0:
        raise SpecError(f"{where} must be odd (padding is kernel // 2), got {value}")
    return value


def _stride(value, where):
    _positive_int(value, where)
    if value not in (1, 2):
        raise SpecError(f"{where} must be 1 or 2, got {value}")
    return value


def _expand(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise SpecError(f"{where} must be a positive number, got {value!r}")
    return value


def validate_spec(spec):
    """Check an MBConv spec dict; return it unchanged or raise SpecError naming the bad field."""
    if not isinstance(spec, dict):
        raise SpecError(f"a network spec must be a JSON object, got {type(spec).__name__}")
    missing = sorted({"resolution", "stem", "blocks"} - spec.keys())
    if missing:
        raise SpecError(f"spec is missing required field(s): {', '.join(missing)}")
    _positive_int(spec["resolution"], "spec.resolution")
    _positive_int(spec.get("input_channels", 3), "spec.input_channels")
    stem = spec["stem"]
    if not isinstance(stem, dict):
        raise SpecError("spec.stem must be an object with kernel, stride, out")
    for key in ("kernel", "stride", "out"):
        if key not in stem:
            raise SpecError(f"spec.stem is missing {key!r}")
    _kernel(stem["kernel"], "spec.stem.kernel")
    _stride(stem["stride"], "spec.stem.stride")
    _positive_int(stem["out"], "spec.stem.out")
    blocks = spec["blocks"]
    if not isinstance(blocks, list):
        raise SpecError("spec.blocks must be a list of block objects")
    for i, block in enumerate(blocks):
        where = f"spec.blocks[{i}]"
        if not isinstance(block, dict):
            raise SpecError(f"{where} must be an object with kernel, expand, out, stride")
        missing = sorted(_BLOCK_KEYS - block.keys())
        if missing:
            raise SpecError(f"{where} is missing {', '.join(repr(m) for m in missing)}")
        _kernel(block["kernel"], f"{where}.kernel")
        _expand(block["expand"], f"{where}.expand")
        _positive_int(block["out"], f"{where}.out")
        _stride(block["stride"], f"{where}.stride")
    if spec.get("feature_mix") is not None:
        _positive_int(spec["feature_mix"], "spec.feature_mix")
    if spec.get("classes") is not None:
        _positive_int(spec["classes"], "spec.classes")
    return spec


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

    def add(name, kind, inputs, out_channels, kernel=1, stride=1, act=None, block=None):
        nonlocal shape
        in_shape = shape
        padding = kernel // 2
        c, h, w = in_shape
        if kind in ("conv", "dwconv", "pwconv"):
            h2, w2 = (conv_output_size(h, kernel, stride, padding),
                      conv_output_size(w, kernel, stride, padding))
        else:
            h2, w2 = (1, 1) if kind in ("pool", "linear") else (h, w)
        shape = (out_channels, h2, w2)
        ops.append(Op(name, kind, tuple(inputs), in_shape, shape, kernel, stride, padding, act, block))
        return name

    stem = spec["stem"]
    last = add("stem", "conv", ["input"], stem["out"], stem["kernel"], stem["stride"], "relu6")
    for i, block in enumerate(spec["blocks"]):
        block_input, in_channels = last, shape[0]
        mid = round(in_channels * block["expand"])
        if mid < 1:
            raise SpecError(f"spec.blocks[{i}]: expand {block['expand']} gives {mid} channels")
        if block["expand"] != 1:
            last = add(f"block{i}.expand", "pwconv", [last], mid, act="relu6", block=i)
        last = add(f"block{i}.dw", "dwconv", [last], mid, block["kernel"], block["stride"], "relu6", i)
        last = add(f"block{i}.project", "pwconv", [last], block["out"], block=i)
        if block["stride"] == 1 and in_channels == block["out"]:
            last = add(f"block{i}.add", "add", [last, block_input], block["out"], block=i)
    if spec.get("feature_mix"):
        last = add("feature_mix", "pwconv", [last], spec["feature_mix"], act="relu6")
    if spec.get("classes"):
        last = add("pool", "pool", [last], shape[0])
        add("classifier", "linear", [last], spec["classes"])
    return Network(spec.get("name", "custom"), (channels, res, res), ops, spec=spec)


def load_spec(source):
    """Read a spec from a dict, a JSON string or a path to a JSON file; raise SpecError if unreadable."""
    if isinstance(source, dict):
        return source
    text = str(source)
    if not text.lstrip().startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise SpecError(f"no such spec file: {text}")
        text = path.read_text()
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"spec is not valid JSON: {err}") from None
    if not isinstance(spec, dict):
        raise SpecError(f"a network spec must be a JSON object, got {type(spec).__name__}")
    return spec


def can_run_inplace(network, index, last_use):
    """Whether op ``index`` (a depthwise) may overwrite its input: no later op reads that input."""
    op = network.ops[index]
    return op.kind == "dwconv" and last_use[op.inputs[0]] == index
