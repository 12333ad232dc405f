"""The MLPerf Tiny reference models (closed division) as Networks, layer for layer as MLCommons'
int8 ``.tflite`` files.

Source: github.com/mlcommons/tiny at commit 1afd2c9820f795965a6134facd0b4dfae41ef23f,
``benchmark/training/``:

- ``mlperf-vww``: visual wake words, MobileNetV1 alpha 0.25 at 96 x 96 x 3 (``visual_wake_words/
  vww_model.py``; ``trained_models/vww_96_int8.tflite``): a 3x3/2 conv, 13 depthwise-separable
  pairs (3x3 depthwise + 1x1 conv, ReLU after each), global average pooling, a 2-way classifier.
- ``mlperf-ic``: image classification, ResNet-8 on CIFAR-10 32 x 32 x 3 (``image_classification/
  keras_model.py`` resnet_v1_eembc with 16 filters; ``trained_models/pretrainedResnet_quant.tflite``):
  a 3x3 conv, three stacks of two 3x3 convs with a shortcut (1x1/2 conv where the stack downsamples),
  global average pooling, a 10-way classifier.
- ``mlperf-ad``: anomaly detection, the FC autoencoder on 640 inputs (``anomaly_detection/
  keras_model.py``; ``trained_models/ad01_int8.tflite``): 640-128-128-128-128-8-128-128-128-128-640,
  ReLU after every layer but the last. Its "resolution" is fixed: 640 inputs as (640, 1, 1).
- ``mlperf-kws``: keyword spotting, DS-CNN "small" on 49 x 10 x 1 MFCCs (``keyword_spotting/
  keras_model.py`` ds_cnn; ``trained_models/kws_ref_model.tflite``): a 10x4 stride-2 conv with
  TensorFlow's "same" padding (rows 4 above and 5 below, columns 1 and 1: ``ops.same_padding``)
  to 64 x 25 x 5, four depthwise-separable pairs (3x3 depthwise + 1x1 conv, 64 channels, ReLU
  after each), the average pooling over the whole 25 x 5 map (the file's AVERAGE_POOL_2D has a
  25 x 5 filter; today's keras_model.py would pool int(49 / 2) = 24 rows), a 12-way classifier.
  Its input is fixed: no resolution.

Batch norm is folded into each layer's bias and ReLU fused into the op, as the .tflite files do.
``TFLITE_COUNTS`` holds, per weighted layer (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) in the
files' operator order, (params = weights + biases, MACs), read from the files with the ``tflite``
PyPI package (scripts/mlperf_tflite_counts.py); the test compares the builders with them.
"""

from ..errors import SpecError
from .network import Network, Op
from .ops import OP_RULES, Role, same_padding
from .spec import MAX_RESOLUTION

MLPERF_SOURCE = ("github.com/mlcommons/tiny@1afd2c9820f795965a6134facd0b4dfae41ef23f "
                 "benchmark/training/*/trained_models/*.tflite")
MLPERF_NAMES = ("mlperf-kws", "mlperf-vww", "mlperf-ic", "mlperf-ad")
FIXED_INPUT = {"mlperf-kws": "49 x 10 MFCCs", "mlperf-ad": "640 inputs"}  # no --resolution
DEFAULT_RESOLUTION = {"mlperf-vww": 96, "mlperf-ic": 32}
VWW_MIN_RESOLUTION = 32  # five stride-2 layers: 32 x 32 leaves a 1 x 1 map
AD_INPUTS = 640  # 5 frames x 128 mel bins (the ToyCar baseline)
KWS_INPUT = (1, 49, 10)  # 49 frames (20 ms apart) x 10 MFCCs, one channel
KWS_STEM = (10, 4)  # the first conv's kernel, rows x columns (stride 2, "same")
KWS_CHANNELS, KWS_BLOCKS, KWS_CLASSES = 64, 4, 12  # 10 words, silence, unknown

# (params, MACs) per weighted layer, in each .tflite's operator order (scripts/mlperf_tflite_counts.py)
TFLITE_COUNTS = {
    "mlperf-kws": [  # kws_ref_model.tflite: 10 weighted of 13 ops; 22,604 params, 2,656,768 MACs
        (2624, 320000), (640, 72000), (4160, 512000), (640, 72000), (4160, 512000), (640, 72000),
        (4160, 512000), (640, 72000), (4160, 512000), (780, 768)],
    "mlperf-vww": [  # vww_96_int8.tflite: 28 weighted of 31 ops; 210,850 params, 7,489,664 MACs
        (224, 497664), (80, 165888), (144, 294912), (160, 82944), (544, 294912), (320, 165888),
        (1056, 589824), (320, 41472), (2112, 294912), (640, 82944), (4160, 589824), (640, 20736),
        (8320, 294912), (1280, 41472), (16512, 589824), (1280, 41472), (16512, 589824),
        (1280, 41472), (16512, 589824), (1280, 41472), (16512, 589824), (1280, 41472),
        (16512, 589824), (1280, 10368), (33024, 294912), (2560, 20736), (65792, 589824),
        (514, 512)],
    "mlperf-ic": [  # pretrainedResnet_quant.tflite: 10 weighted of 16 ops; 77,706 params, 12,501,632 MACs
        (448, 442368), (2320, 2359296), (2320, 2359296), (4640, 1179648), (9248, 2359296),
        (544, 131072), (18496, 1179648), (36928, 2359296), (2112, 131072), (650, 640)],
    "mlperf-ad": [  # ad01_int8.tflite: 10 weighted of 10 ops; 265,864 params, 264,192 MACs
        (82048, 81920), (16512, 16384), (16512, 16384), (16512, 16384), (1032, 1024),
        (1152, 1024), (16512, 16384), (16512, 16384), (16512, 16384), (82560, 81920)],
}
# MobileNetV1 alpha 0.25: (1x1 output channels, depthwise stride) of the 13 separable pairs
VWW_PAIRS = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1),
             (128, 1), (128, 1), (256, 2), (256, 1)]
IC_STACKS = [(16, 1), (32, 2), (64, 2)]  # ResNet-8: (filters, first stride) of the three stacks
AD_LAYERS = [128, 128, 128, 128, 8, 128, 128, 128, 128, AD_INPUTS]


class _Builder:
    """Appends ops to a list, each sized by its kind's rule (padding k // 2 unless given)."""

    def __init__(self, input_shape):
        self.ops = []
        self.input_shape = input_shape

    def add(self, role, kind, inputs, in_shape, cout, kernel=1, stride=1, act=None, block=None,
            padding=None):
        padding = kernel // 2 if padding is None else padding
        out_hw = OP_RULES[kind].out_hw(*in_shape[1:], kernel, stride, padding)
        name = str(role) if block is None else f"block{block}.{role}"
        self.ops.append(Op(name, kind, tuple(inputs), in_shape, (cout, *out_hw), kernel, stride,
                           padding, act, block, role))
        return self.ops[-1]


def mlperf_kws_network():
    """DS-CNN (MLPerf Tiny KWS) on (1, 49, 10) MFCCs, 12 classes: the 10x4/2 "same" stem conv,
    four 3x3 depthwise + 1x1 pairs, the average pool over 25 x 5, the classifier."""
    b = _Builder(KWS_INPUT)
    _, h, w = KWS_INPUT
    padding = same_padding(h, KWS_STEM[0], 2) + same_padding(w, KWS_STEM[1], 2)  # (4, 5, 1, 1)
    last = b.add(Role.STEM, "conv", ["input"], b.input_shape, KWS_CHANNELS, KWS_STEM, 2, "relu",
                 padding=padding)
    for i in range(KWS_BLOCKS):
        dw = b.add(Role.DEPTHWISE, "dwconv", [last.name], last.out_shape, KWS_CHANNELS, 3, 1,
                   "relu", i)
        last = b.add(Role.PROJECT, "pwconv", [dw.name], dw.out_shape, KWS_CHANNELS, act="relu",
                     block=i)
    last = b.add(Role.POOL, "pool", [last.name], last.out_shape, last.out_shape[0])
    b.add(Role.CLASSIFIER, "linear", [last.name], last.out_shape, KWS_CLASSES)
    return Network("mlperf-kws", b.input_shape, b.ops)


def mlperf_vww_network(resolution=96):
    """MobileNetV1 alpha 0.25 (MLPerf Tiny VWW) at ``resolution`` x ``resolution`` x 3, 2 classes."""
    b = _Builder((3, resolution, resolution))
    last = b.add(Role.STEM, "conv", ["input"], b.input_shape, 8, 3, 2, "relu")
    for i, (out, stride) in enumerate(VWW_PAIRS):
        dw = b.add(Role.DEPTHWISE, "dwconv", [last.name], last.out_shape, last.out_shape[0], 3,
                   stride, "relu", i)
        last = b.add(Role.PROJECT, "pwconv", [dw.name], dw.out_shape, out, act="relu", block=i)
    last = b.add(Role.POOL, "pool", [last.name], last.out_shape, last.out_shape[0])
    b.add(Role.CLASSIFIER, "linear", [last.name], last.out_shape, 2)
    return Network("mlperf-vww", b.input_shape, b.ops)


def mlperf_ic_network(resolution=32):
    """ResNet-8 (MLPerf Tiny IC, resnet_v1_eembc, 16 filters) on ``resolution`` x ``resolution``
    x 3, 10 classes."""
    b = _Builder((3, resolution, resolution))
    last = b.add(Role.STEM, "conv", ["input"], b.input_shape, 16, 3, 1, "relu")
    for i, (filters, stride) in enumerate(IC_STACKS):
        conv1 = b.add(Role.CONV1, "conv", [last.name], last.out_shape, filters, 3, stride, "relu", i)
        conv2 = b.add(Role.CONV2, "conv", [conv1.name], conv1.out_shape, filters, 3, 1, None, i)
        shortcut = last
        if stride != 1:
            shortcut = b.add(Role.SHORTCUT, "conv", [last.name], last.out_shape, filters, 1, stride,
                             None, i)
        last = b.add(Role.RESIDUAL, "add", [conv2.name, shortcut.name], conv2.out_shape, filters,
                     act="relu", block=i)
    last = b.add(Role.POOL, "pool", [last.name], last.out_shape, last.out_shape[0])
    b.add(Role.CLASSIFIER, "linear", [last.name], last.out_shape, 10)
    return Network("mlperf-ic", b.input_shape, b.ops)


def mlperf_ad_network():
    """The FC autoencoder (MLPerf Tiny AD): 640 inputs as (640, 1, 1), ten linear layers."""
    b = _Builder((AD_INPUTS, 1, 1))
    name, shape = "input", b.input_shape
    for i, out in enumerate(AD_LAYERS):
        last_layer = i == len(AD_LAYERS) - 1
        op = b.add(Role.CLASSIFIER if last_layer else Role.PROJECT, "linear", [name], shape, out,
                   act=None if last_layer else "relu", block=None if last_layer else i)
        name, shape = op.name, op.out_shape
    return Network("mlperf-ad", b.input_shape, b.ops)


def get_mlperf_network(name, resolution=None):
    """The MLPerf Tiny reference model ``name`` (MLPERF_NAMES) as a Network.

    ``resolution`` (pixels) applies to mlperf-vww (at least VWW_MIN_RESOLUTION) and mlperf-ic
    (at least 8); mlperf-kws (49 x 10 MFCCs) and mlperf-ad (640 inputs) have no resolution.
    Raises SpecError for a resolution the model does not take or for an unknown name.
    """
    if name in FIXED_INPUT:
        if resolution is not None:
            raise SpecError(f"{name} has {FIXED_INPUT[name]} and no resolution; "
                            f"leave --resolution out")
        return mlperf_kws_network() if name == "mlperf-kws" else mlperf_ad_network()
    if name not in DEFAULT_RESOLUTION:
        raise SpecError(f"unknown MLPerf Tiny model {name!r}; built: {', '.join(MLPERF_NAMES)}")
    smallest = VWW_MIN_RESOLUTION if name == "mlperf-vww" else 8
    if resolution is not None and (not isinstance(resolution, int) or isinstance(resolution, bool)
                                   or not smallest <= resolution <= MAX_RESOLUTION):
        raise SpecError(f"{name} resolution must be an integer from {smallest} to {MAX_RESOLUTION} pixels, "
                        f"got {resolution!r}")
    build = mlperf_vww_network if name == "mlperf-vww" else mlperf_ic_network
    return build(resolution or DEFAULT_RESOLUTION[name])
