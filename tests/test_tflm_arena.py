"""TFLite Micro's arena for the package's int8 networks, with the tflite-micro package (a dev
extra: these tests never skip). The writer is checked where TFLite's padding equals ours: TFLM's
reference kernels give the package's int8 output byte for byte."""

import numpy as np
import pytest

from tinyml_course.deploy.deploy import int8_model
from tinyml_course.deploy.tflm_arena import parse_allocations, tflm_arena
from tinyml_course.errors import SpecError
from tinyml_course.memory.accounting import profile
from tinyml_course.model.mlperf import _Builder
from tinyml_course.model.network import Network
from tinyml_course.model.ops import Role
from tinyml_course.model.zoo import get_network
from tinyml_course.runtime.int8_backend import run_int8


def every_kind_network():
    """Every op kind the writer maps, at stride 1 or with 1x1 kernels (SAME = our k // 2 there):
    3x3 and 5x5 conv, 3x3 and 1x1 depthwise (ReLU6, ReLU), 1x1 conv, a residual add, a 1x1
    stride-2 conv, global average pooling, a classifier."""
    b = _Builder((3, 12, 12))
    stem = b.add(Role.STEM, "conv", ["input"], b.input_shape, 8, 3, 1, "relu")
    dw = b.add(Role.DEPTHWISE, "dwconv", [stem.name], stem.out_shape, 8, 3, 1, "relu6", 0)
    pw = b.add(Role.PROJECT, "pwconv", [dw.name], dw.out_shape, 8, act=None, block=0)
    add = b.add(Role.RESIDUAL, "add", [pw.name, stem.name], pw.out_shape, 8, act="relu", block=0)
    c5 = b.add(Role.CONV1, "conv", [add.name], add.out_shape, 4, 5, 1, None, 1)
    dw1 = b.add(Role.DEPTHWISE, "dwconv", [c5.name], c5.out_shape, 4, 1, 1, "relu", 1)
    s2 = b.add(Role.CONV2, "conv", [dw1.name], dw1.out_shape, 4, 1, 2, "relu", 1)
    pool = b.add(Role.POOL, "pool", [s2.name], s2.out_shape, 4)
    b.add(Role.CLASSIFIER, "linear", [pool.name], pool.out_shape, 5)
    return Network("every-kind", b.input_shape, b.ops)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_written_tflite_runs_bit_exact_in_tflm(seed):
    net = every_kind_network()
    model, x = int8_model(net, seed=seed)
    arena, output = tflm_arena(model, x)
    assert np.array_equal(output, np.asarray(run_int8(model, x), np.int8).reshape(-1))
    assert arena.head_bytes >= profile(net, "per-layer").peak_sram_bytes


def test_the_fc_autoencoder_runs_bit_exact_and_its_head_is_our_arena():
    """mlperf-ad (no padding anywhere): TFLM's output equals ours, its head holds exactly the
    640 + 128 int8 activations of the first layer, and its tail is x86-64 bookkeeping."""
    model, x = int8_model(get_network("mlperf-ad"))
    arena, output = tflm_arena(model, x)
    assert np.array_equal(output, np.asarray(run_int8(model, x), np.int8).reshape(-1))
    assert arena.head_bytes == 640 + 128
    assert arena.total_bytes == arena.head_bytes + arena.tail_bytes
    # one TfLiteEvalTensor per tensor: input, 10 outputs, 10 weights, 10 biases
    assert arena.items["TfLiteEvalTensor data"][1] == 31
    assert arena.items["NodeAndRegistration struct"][1] == 10  # one per operator
    channels = 4 * 128 + 8 + 4 * 128 + 640  # output channels of the ten layers
    assert arena.items["Persistent buffer data"][0] >= 8 * channels  # two int32 per channel


@pytest.mark.parametrize("seed", [0, 1])
def test_tensorflows_uneven_same_padding_runs_bit_exact_in_tflm(seed):
    """MLPerf KWS's stem alone (10x4, stride 2, 4 rows above and 5 below, 1 column each side: the
    padding TFLite's SAME gives, so TFLM's reference CONV_2D computes the very same values): all
    64 x 25 x 5 int8 outputs equal the package's, and so do the whole mlperf-kws's 12 logits."""
    kws = get_network("mlperf-kws")
    stem = Network("kws-stem", kws.input_shape, kws.ops[:1])
    model, x = int8_model(stem, seed=seed)
    _, output = tflm_arena(model, x)  # NHWC
    ours = np.asarray(run_int8(model, x), np.int8)  # (C, H, W)
    assert ours.shape == (64, 25, 5)
    assert np.array_equal(output.reshape(25, 5, 64).transpose(2, 0, 1), ours)
    model, x = int8_model(kws, seed=seed)
    _, output = tflm_arena(model, x)
    assert np.array_equal(output, np.asarray(run_int8(model, x), np.int8).reshape(-1))


def test_kws_tflm_head_is_our_per_layer_arena():
    """mlperf-kws: TFLM's planner reaches our per-layer peak, a 1x1 conv's 64x25x5 input and
    output (16,000 B); the tail is bookkeeping on x86-64 (its pointer-holding structs shrink on
    a Cortex-M)."""
    arena, _ = tflm_arena(*int8_model(get_network("mlperf-kws")))
    assert arena.head_bytes == 2 * 64 * 25 * 5 == profile(get_network("mlperf-kws"),
                                                          "per-layer").peak_sram_bytes
    assert arena.total_bytes == arena.head_bytes + arena.tail_bytes
    assert arena.items["NodeAndRegistration struct"][1] == 11  # one per operator (no softmax)


def test_tflm_head_beside_our_planner_on_vww_and_ic():
    """ResNet-8: TFLM's planner reaches our per-layer peak (3 x 16x32x32); MobileNetV1's is
    larger than ours (its planner places tensors largest first)."""
    for name, ours in (("mlperf-ic", 3 * 16 * 32 * 32), ("mlperf-vww", 8 * 48 * 48 + 16 * 48 * 48)):
        arena, _ = tflm_arena(*int8_model(get_network(name)))
        assert profile(get_network(name), "per-layer").peak_sram_bytes == ours
        assert arena.head_bytes == ours if name == "mlperf-ic" else arena.head_bytes > ours


def test_no_allocator_report_is_one_clear_error():
    with pytest.raises(SpecError, match="no arena totals"):
        parse_allocations("")
