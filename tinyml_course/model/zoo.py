"""The model zoo: MobileNetV2 at any width and resolution, and the MCUNet papers' reference networks.

Configurations are those of ``../shared/reference/architectures.md``.
"""

from ..errors import SpecError, UnknownNameError
from ..validation import check_scalar
from .mlperf import MLPERF_NAMES, get_mlperf_network
from .network import Network, Op, build_network
from .ops import OP_RULES, Role
from .spec import MAX_RESOLUTION

MIN_RESOLUTION = 32  # pixels: five stride-2 stages leave a 1 x 1 feature map
MAX_WIDTH = 4  # MobileNetV2 width multiplier: the paper and the dashboard go up to 1.4

# MobileNetV2 inverted-residual settings: (expand t, out c, repeats n, first stride s)
MOBILENETV2_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def make_divisible(value, divisor=8):
    """Round a channel count to a multiple of ``divisor`` (never below it, never 10% below value).

    The rule of the MobileNetV2 reference implementation.
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def check_resolution(resolution):
    """Return ``resolution`` (pixels) if it is an integer from MIN_RESOLUTION to MAX_RESOLUTION;
    raise SpecError naming that range otherwise."""
    return check_scalar(resolution, "resolution", int, min_val=MIN_RESOLUTION,
                        max_val=MAX_RESOLUTION)


def mobilenetv2_spec(width=1.0, resolution=224, classes=1000):
    """Spec of MobileNetV2 with width multiplier ``width`` (in (0, MAX_WIDTH]) at ``resolution``
    (pixels, >= MIN_RESOLUTION).

    Every channel count, the feature-mix included, is scaled and rounded by make_divisible.
    Resolutions that are not multiples of 16 are accepted; feature maps then round down
    (size formula (H + 2p - k) // s + 1), as in PyTorch.
    """
    check_scalar(width, "width multiplier", float, min_val=0, max_val=MAX_WIDTH,
                 include_boundaries="right")
    check_resolution(resolution)
    blocks = []
    for expand, out, repeats, stride in MOBILENETV2_SETTINGS:
        for r in range(repeats):
            blocks.append({"kernel": 3, "expand": expand, "out": make_divisible(out * width),
                           "stride": stride if r == 0 else 1})
    name = "mobilenetv2" if width == 1.0 else f"mobilenetv2-w{width:g}"
    return {"name": name, "resolution": resolution, "input_channels": 3,
            "stem": {"kernel": 3, "stride": 2, "out": make_divisible(32 * width)},
            "blocks": blocks, "feature_mix": make_divisible(1280 * width), "classes": classes}


def _mbconv_spec(name, resolution, stem_out, rows, feature_mix):
    blocks = [{"kernel": k, "expand": e, "out": o, "stride": s} for k, e, o, s in rows]
    return {"name": name, "resolution": resolution, "input_channels": 3,
            "stem": {"kernel": 3, "stride": 2, "out": stem_out}, "blocks": blocks,
            "feature_mix": feature_mix, "classes": 1000}


# Rows: (kernel, expand, out, stride), copied from architectures.md.
_REFERENCE = {
    "proxyless-w0.3": (176, 16, 384, [
        (3, 1, 8, 1), (5, 3, 16, 2), (3, 3, 16, 1), (7, 3, 16, 2), (3, 3, 16, 1), (5, 3, 16, 1),
        (5, 3, 16, 1), (7, 6, 24, 2), (5, 3, 24, 1), (5, 3, 24, 1), (5, 3, 24, 1), (5, 6, 32, 1),
        (5, 3, 32, 1), (5, 3, 32, 1), (5, 3, 32, 1), (7, 6, 64, 2), (7, 6, 64, 1), (7, 3, 64, 1),
        (7, 3, 64, 1), (7, 6, 96, 1)]),
    "mcunet-in1": (96, 16, None, [
        (3, 1, 8, 1), (3, 4, 16, 2), (3, 3, 16, 1), (7, 3, 24, 2), (3, 5, 24, 1), (3, 5, 40, 2),
        (7, 4, 40, 1), (5, 4, 48, 1), (3, 3, 48, 1), (3, 4, 48, 1), (7, 5, 96, 2), (5, 4, 96, 1),
        (5, 4, 96, 1), (3, 6, 160, 1)]),
    "mcunet-in2": (160, 16, None, [
        (3, 1, 8, 1), (5, 3, 16, 2), (7, 6, 16, 1), (3, 5, 16, 1), (5, 5, 16, 1), (3, 5, 24, 2),
        (7, 6, 24, 1), (5, 6, 24, 1), (7, 4, 40, 2), (5, 5, 40, 1), (3, 5, 48, 1), (5, 5, 48, 1),
        (3, 4, 48, 1), (5, 6, 96, 2), (5, 4, 96, 1), (5, 3, 96, 1), (3, 4, 96, 1), (5, 5, 160, 1)]),
    "mcunet-in4": (160, 32, None, [
        (3, 1, 16, 1), (7, 3, 24, 2), (3, 5, 24, 1), (5, 4, 24, 1), (7, 5, 40, 2), (3, 4, 40, 1),
        (7, 4, 40, 1), (7, 3, 80, 2), (3, 3, 80, 1), (7, 3, 80, 1), (3, 4, 96, 1), (5, 3, 96, 1),
        (5, 3, 96, 1), (7, 4, 192, 2), (7, 3, 192, 1), (5, 3, 192, 1), (5, 4, 320, 1)]),
}

ZOO_NAMES = ("mobilenetv2", "mbv2-w0.35", "proxyless-w0.3", "mcunet-in1", "mcunet-in2", "mcunet-in4")


def get_spec(name, resolution=None, width=None):
    """Spec dict of zoo model ``name``, optionally at another resolution (pixels).

    ``width`` applies to mobilenetv2 only (mbv2-w0.35 is mobilenetv2 at width 0.35, resolution 144).
    Raises UnknownNameError for a name not in ZOO_NAMES, SpecError for a bad width/resolution.
    """
    if name == "mobilenetv2":
        return mobilenetv2_spec(width if width is not None else 1.0, resolution or 224)
    if name == "mbv2-w0.35":
        if width is not None and width != 0.35:
            raise SpecError("mbv2-w0.35 has width 0.35; use 'mobilenetv2' with --width for others")
        spec = mobilenetv2_spec(0.35, resolution or 144)
        spec["name"] = name
        return spec
    if name not in _REFERENCE:
        raise UnknownNameError(f"unknown model {name!r}; the zoo has {', '.join(ZOO_NAMES)} "
                               f"(or give a path to a JSON spec)")
    if width is not None:
        raise SpecError(f"--width applies to mobilenetv2 only, not to {name!r}")
    default_res, stem_out, feature_mix, rows = _REFERENCE[name]
    if resolution is not None:
        check_resolution(resolution)
    return _mbconv_spec(name, resolution or default_res, stem_out, rows, feature_mix)


def get_network(name, resolution=None, width=None):
    """Build zoo model ``name`` (see get_spec) as a Network; 'resnet18' is the ResNet baseline
    (resnet18_network, no width); 'mlperf-*' are MLPerf Tiny's reference models (mlperf.py, no
    width)."""
    if name in MLPERF_NAMES:
        if width is not None:
            raise SpecError(f"width applies to mobilenetv2 only, not to {name!r}")
        return get_mlperf_network(name, resolution)
    if name == "resnet18":
        if width is not None:
            raise SpecError("width applies to mobilenetv2 only, not to 'resnet18'")
        return resnet18_network(resolution or 224)
    return build_network(get_spec(name, resolution, width))


# ---------------------------------------------------------------- the ResNet baseline

# ResNet-18 (He et al., CVPR 2016, Table 1): four stages of two basic blocks (two 3x3 convs),
# (channels, first stride) per stage, after a 7x7/2 stem conv and a 3x3/2 max pool.
RESNET18_STAGES = [(64, 1), (128, 2), (256, 2), (512, 2)]
BASELINE_NAMES = ("resnet18",)  # not MBConv networks: accounting only (the runtimes skip maxpool)
REFERENCE_NAMES = MLPERF_NAMES  # MLPerf Tiny reference models (mlperf.py)


def resnet18_network(resolution=224, classes=1000):
    """ResNet-18 as a Network (layout (C, H, W), batch 1), for parameters/MACs/peak activation.

    Batch norm is folded into each conv's bias, ReLU fused into the conv (and into the add), as
    MCU runtimes do. A stage's first block whose stride or width changes gets a 1x1 conv with
    that stride on its shortcut. Raises SpecError for a resolution that is not an int >= 32.
    """
    check_resolution(resolution)
    ops = []

    def add(role, kind, inputs, in_shape, cout, kernel=1, stride=1, act=None, block=None):
        """Append the op of ``role`` ('stem', 'block3.conv1'), sized by its kind's rule."""
        padding = kernel // 2
        out_hw = OP_RULES[kind].out_hw(*in_shape[1:], kernel, stride, padding)
        name = str(role) if block is None else f"block{block}.{role}"
        ops.append(Op(name, kind, tuple(inputs), in_shape, (cout, *out_hw), kernel, stride, padding,
                      act, block, role))
        return ops[-1]

    stem = add(Role.STEM, "conv", ["input"], (3, resolution, resolution), 64, 7, 2, "relu")
    last = add(Role.MAXPOOL, "maxpool", [stem.name], stem.out_shape, 64, 3, 2)
    block = 0
    for channels, first_stride in RESNET18_STAGES:
        for repeat in range(2):
            stride = first_stride if repeat == 0 else 1
            block_input = last
            conv1 = add(Role.CONV1, "conv", [last.name], last.out_shape, channels, 3, stride,
                        "relu", block)
            conv2 = add(Role.CONV2, "conv", [conv1.name], conv1.out_shape, channels, 3, 1, None,
                        block)
            shortcut = block_input
            if stride != 1 or block_input.out_shape[0] != channels:
                shortcut = add(Role.SHORTCUT, "conv", [block_input.name], block_input.out_shape,
                               channels, 1, stride, None, block)
            last = add(Role.RESIDUAL, "add", [conv2.name, shortcut.name], conv2.out_shape,
                       channels, act="relu", block=block)
            block += 1
    last = add(Role.POOL, "pool", [last.name], last.out_shape, last.out_shape[0])
    add(Role.CLASSIFIER, "linear", [last.name], last.out_shape, classes)
    return Network("resnet18", (3, resolution, resolution), ops)
