"""Op kinds, their groupings and op roles, in one place (in the manner of tinygrad's ``Ops`` enum
with its ``GroupOp`` sets beside it).

- ``OP_RULES``: what each kind is (weight layout, MACs, output size): one ``OpKind`` per kind.
- ``kernel_hw`` / ``pad_sides`` / ``same_padding``: a kernel as k (square) or (kh, kw), padding
  as p (every side) or (top, bottom, left, right), and TensorFlow's "same" padding of one axis.
- ``GroupOp``: the sets of kinds that code treats alike. A module that asks "does this op have
  weights?" or "may a patch stage hold it?" reads the set here; no module lists kinds by hand.
- ``Role``: what an op does in its network (the stem, a block's expansion, depthwise, projection,
  the classifier...). The builder that makes an op sets its role (``Op.role``); nothing parses
  a role out of an op's name. A role's value is the name suffix the builders give
  (``block3.expand``): names are made from roles, never the reverse.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..errors import SpecError


def conv_output_size(size, kernel, stride, padding):
    """Output height/width of a convolution: (size + 2*padding - kernel) // stride + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def kernel_hw(kernel):
    """(kh, kw) of a kernel given as k (a square k x k) or as (kh, kw); ints, pixels."""
    return (kernel, kernel) if isinstance(kernel, int) or not hasattr(kernel, "__len__") \
        else tuple(kernel)


def pad_sides(padding):
    """(top, bottom, left, right) of padding given as p (p on every side) or as that 4-tuple;
    ints, pixels."""
    return (padding,) * 4 if isinstance(padding, int) or not hasattr(padding, "__len__") \
        else tuple(padding)


def same_padding(size, kernel, stride):
    """TensorFlow's "same" padding of one axis: (before, after) pixels, the odd one after.

    Output ceil(size / stride); padding max((out - 1) * stride + kernel - size, 0), of which
    before = padding // 2. H = 49, k = 10, s = 2: out 25, padding 9 = (4, 5).
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


@dataclass(frozen=True)
class OpKind:
    """What an op kind is, in one place: its weight layout, its MACs and its output size.

    weight_shape(cin, cout, k): the weight tensor's shape, None for ops without weights;
    macs_per_output(cin, k): multiply-accumulates per output element (0: the papers count conv
    and linear only); spatial: 'window' (a kh x kw sliding window with stride and padding),
    'same' (elementwise, H x W kept) or 'global' (H x W -> 1 x 1). k is an int (square) or
    (kh, kw) (``kernel_hw``).
    """

    weight_shape: Callable[[int, int, object], tuple | None]
    macs_per_output: Callable[[int, object], int]
    spatial: str

    def out_hw(self, h, w, kernel, stride, padding):
        """(Ho, Wo) of an input H x W; kernel k or (kh, kw), padding p or (top, bottom, left,
        right) (pixels). Raises SpecError when a window op leaves no output pixel."""
        if self.spatial != "window":
            return (h, w) if self.spatial == "same" else (1, 1)
        (kh, kw), (top, bottom, left, right) = kernel_hw(kernel), pad_sides(padding)
        ho = (h + top + bottom - kh) // stride + 1
        wo = (w + left + right - kw) // stride + 1
        if ho < 1 or wo < 1:
            raise SpecError(f"a {kh}x{kw} kernel with padding (top, bottom, left, right) "
                            f"{(top, bottom, left, right)} on a {h}x{w} input leaves no output")
        return ho, wo


OP_RULES = {
    "conv": OpKind(lambda cin, cout, k: (cout, cin, *kernel_hw(k)),
                   lambda cin, k: cin * kernel_hw(k)[0] * kernel_hw(k)[1], "window"),
    "dwconv": OpKind(lambda cin, cout, k: (cout, *kernel_hw(k)),
                     lambda cin, k: kernel_hw(k)[0] * kernel_hw(k)[1], "window"),
    "pwconv": OpKind(lambda cin, cout, k: (cout, cin), lambda cin, k: cin, "window"),  # k = 1
    "add": OpKind(lambda cin, cout, k: None, lambda cin, k: 0, "same"),
    "pool": OpKind(lambda cin, cout, k: None, lambda cin, k: 0, "global"),  # global average
    # k x k max pooling: only in the ResNet baseline (zoo.resnet18); no weights, no MACs, and the
    # runtimes do not execute it (the baseline is for accounting)
    "maxpool": OpKind(lambda cin, cout, k: None, lambda cin, k: 0, "window"),
    "linear": OpKind(lambda cin, cout, k: (cout, cin), lambda cin, k: cin, "global"),
}
OP_KINDS = tuple(OP_RULES)  # ("conv", "dwconv", "pwconv", "add", "pool", "maxpool", "linear")


class GroupOp:
    """Sets of op kinds (frozensets of OP_KINDS names) that the package treats alike."""

    # a weight tensor and a bias (BN folded in): Flash, pruning, training, the mcunet rule's count
    WEIGHTED = frozenset({"conv", "dwconv", "pwconv", "linear"})
    # no weights, no MACs: the residual add and the poolings
    WEIGHTLESS = frozenset(OP_KINDS) - WEIGHTED
    # sliding-window convolutions (a batch norm follows each in the supernet)
    CONV = frozenset({"conv", "dwconv", "pwconv"})
    # a (Cout, Cin) weight applied at every pixel: 1x1 convolution and the classifier
    MATMUL = frozenset({"pwconv", "linear"})
    # spatial and local, so a patch stage may hold them (MCUNetV2)
    PATCH_STAGE = frozenset({"conv", "dwconv", "pwconv", "add"})
    # output channels = input channels, each computed from its own input channel(s)
    CHANNELWISE = frozenset({"dwconv", "add", "pool", "maxpool"})
    # what the runtimes (float, int8, batched, the arena, deploy) execute: max pooling is in the
    # ResNet-18 baseline only, which is for accounting
    EXECUTED = frozenset(OP_KINDS) - {"maxpool"}


class Role(StrEnum):
    """What an op does in its network; set by the builder (``Op.role``), never read from a name."""

    STEM = "stem"  # the first convolution
    EXPAND = "expand"  # MBConv: the 1x1 expansion (+ReLU6), only when expand != 1
    DEPTHWISE = "dw"  # MBConv: the k x k depthwise (+ReLU6)
    PROJECT = "project"  # MBConv: the linear 1x1 projection
    RESIDUAL = "add"  # a block's shortcut add
    FEATURE_MIX = "feature_mix"  # the 1x1 convolution before the pooling
    POOL = "pool"  # the global average pooling
    CLASSIFIER = "classifier"  # the final linear layer
    MAXPOOL = "maxpool"  # ResNet: the 3x3/2 max pooling after the stem
    CONV1 = "conv1"  # ResNet basic block: its first 3x3 convolution
    CONV2 = "conv2"  # ResNet basic block: its second 3x3 convolution
    SHORTCUT = "shortcut"  # ResNet basic block: the 1x1 convolution on a downsampling shortcut
