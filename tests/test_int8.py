"""Integer-only int8 inference: fixed-point helpers, kernels against ONNX Runtime and naive loops,
the converted digits model (accuracy, Flash), and the int8 model inside the SRAM arena.

Where ONNX Runtime and our kernels may differ by one LSB: ORT's QLinearConv / QLinearMatMul
requantize with a float32 multiplier and round half to even (MlasRequantizeOutput); we requantize
with TFLite's fixed-point Q31 multiplier and round half away from zero (gemmlowp). The two agree
except when acc * M lies within float rounding of a .5 tie, so outputs differ by at most 1 LSB.
"""

from tinyml_course.compression import int8_convert
from tinyml_course.runtime import int8
import math
from fractions import Fraction

import numpy as np
import pytest

from tinyml_course import memory
from tinyml_course.errors import SpecError
from tinyml_course.runtime.executor import execute, reference_forward

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


# ---------------------------------------------------------------- fixed-point helpers

def test_srdhm_matches_exact_rounding(rng):
    """Is SaturatingRoundingDoublingHighMul round(a*b / 2^31), halves away from zero, saturating?"""
    a = rng.integers(-2**31, 2**31, 500, dtype=np.int64)
    b = rng.integers(-2**31, 2**31, 500, dtype=np.int64)
    a[:3], b[:3] = -2**31, -2**31  # the one overflow case
    got = int8.saturating_rounding_doubling_high_mul(a, b)
    for ai, bi, gi in zip(a.tolist(), b.tolist(), got.tolist()):
        if ai == bi == -2**31:
            assert gi == 2**31 - 1
            continue
        exact = Fraction(ai * bi, 2**31)
        expected = math.floor(abs(exact) + Fraction(1, 2)) * (1 if exact >= 0 else -1)
        assert gi == expected, f"a={ai} b={bi}: got {gi}, expected {expected}"
    assert got.dtype == np.int32


def test_rounding_divide_by_pot_hand_values():
    """Does RoundingDivideByPOT round halves away from zero (5/2 -> 3, -5/2 -> -3, 6/4 -> 2)?"""
    x = np.array([5, -5, 6, -6, 7, -7, 4, 0], np.int32)
    assert int8.rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 2, 0]
    assert int8.rounding_divide_by_pot(x, 2).tolist() == [1, -1, 2, -2, 2, -2, 1, 0]


def test_quantize_multiplier_represents_the_real(rng):
    """Is M0 * 2^(shift-31) within 2^-31 (relative) of the real multiplier, with M0 in [2^30, 2^31)?"""
    reals = np.concatenate([rng.uniform(1e-6, 4.0, 200), [0.5, 1.0, 1 - 1e-12]])
    m0, shift = int8.quantize_multiplier(reals)
    assert m0.dtype == np.int32 and shift.dtype == np.int32
    for r, m, s in zip(reals, m0.tolist(), shift.tolist()):
        assert 2**30 <= m < 2**31, m
        assert abs(m * 2.0 ** (s - 31) - r) <= r * 2.0 ** -30
    assert int8.quantize_multiplier(0.0)[0] == 0


def test_multiply_by_quantized_multiplier_is_a_rounded_product(rng):
    """Is MBQM(x, M) within 1 of x * M (real product), for multipliers below and above 1?"""
    x = rng.integers(-2**20, 2**20, 300).astype(np.int32)
    for real in (0.0003, 0.37, 1.0, 2.7):
        m0, shift = int8.quantize_multiplier(real)
        got = int8.multiply_by_quantized_multiplier(x, m0, shift)
        assert np.abs(got - x * real).max() <= 1.0, real


# ---------------------------------------------------------------- ONNX Runtime oracle

def _session(nodes, inputs, inits):
    graph = helper.make_graph(nodes, "g", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.INT8, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _init(name, value, dtype):
    return numpy_helper.from_array(np.asarray(value, dtype), name)


def ort_qlinear_conv(x, xs, xz, w, ws, ys, yz, bias, stride, padding, group=1):
    """y of ONNX's QLinearConv, batch 1: x int8 (C, H, W), w int8 (Cout, C/group, k, k)."""
    inits = [_init("xs", xs, np.float32), _init("xz", xz, np.int8), _init("w", w, np.int8),
             _init("ws", ws, np.float32), _init("wz", np.zeros(w.shape[0]), np.int8),
             _init("ys", ys, np.float32), _init("yz", yz, np.int8), _init("b", bias, np.int32)]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"],
                            pads=[padding] * 4, strides=[stride, stride], group=group)
    inp = helper.make_tensor_value_info("x", TensorProto.INT8, [1, *x.shape])
    return _session([node], [inp], inits).run(None, {"x": x[None]})[0][0]


def ort_qlinear_matmul(x, xs, xz, w, ws, ys, yz):
    """y of ONNX's QLinearMatMul: x int8 (1, Cin) @ w.T, w int8 (Cout, Cin), per-column scale."""
    inits = [_init("xs", xs, np.float32), _init("xz", xz, np.int8), _init("b", w.T, np.int8),
             _init("bs", ws, np.float32), _init("bz", np.zeros(w.shape[0]), np.int8),
             _init("ys", ys, np.float32), _init("yz", yz, np.int8)]
    node = helper.make_node("QLinearMatMul", ["x", "xs", "xz", "b", "bs", "bz", "ys", "yz"], ["y"])
    inp = helper.make_tensor_value_info("x", TensorProto.INT8, [1, x.size])
    return _session([node], [inp], inits).run(None, {"x": x.reshape(1, -1)})[0][0]


def _random_case(rng, cout, wshape):
    xs, xz = float(rng.uniform(0.005, 0.05)), int(rng.integers(-30, 30))
    ws = rng.uniform(0.001, 0.02, cout).astype(np.float32)
    ys, yz = float(rng.uniform(0.05, 0.5)), int(rng.integers(-20, 20))
    w = rng.integers(-127, 128, wshape).astype(np.int8)
    bias = rng.integers(-3000, 3000, cout).astype(np.int32)
    m0, shift = int8.quantize_multiplier(np.float32(xs) * ws.astype(np.float64) / np.float32(ys))
    return xs, xz, ws, ys, yz, w, bias, m0, shift


def _assert_within_one_lsb(got, ref):
    assert got.dtype == np.int8 and got.shape == ref.shape, (got.dtype, got.shape, ref.shape)
    diff = np.abs(got.astype(np.int32) - ref.astype(np.int32))
    assert diff.max() <= 1, f"max difference {diff.max()} LSB"
    assert (diff == 0).mean() >= 0.9, f"only {(diff == 0).mean():.0%} of outputs equal"


@pytest.mark.parametrize("cin,cout,k,stride,padding,size", [
    (1, 8, 3, 1, 1, 16), (3, 4, 3, 2, 1, 7), (5, 6, 5, 2, 2, 9), (4, 3, 1, 1, 0, 6)])
def test_conv2d_int8_matches_onnxruntime(rng, cin, cout, k, stride, padding, size):
    """Does conv2d_int8 equal ORT QLinearConv (per-channel weights) within 1 LSB?"""
    xs, xz, ws, ys, yz, w, bias, m0, shift = _random_case(rng, cout, (cout, cin, k, k))
    x = rng.integers(-128, 128, (cin, size, size)).astype(np.int8)
    got = int8.conv2d_int8(x, xz, w, bias, m0, shift, yz, stride, padding)
    _assert_within_one_lsb(got, ort_qlinear_conv(x, xs, xz, w, ws, ys, yz, bias, stride, padding))


@pytest.mark.parametrize("c,k,stride,size", [(8, 3, 1, 8), (6, 3, 2, 9), (4, 5, 2, 10)])
def test_depthwise_int8_matches_onnxruntime(rng, c, k, stride, size):
    """Does depthwise_conv2d_int8 equal ORT QLinearConv with group = C within 1 LSB?"""
    xs, xz, ws, ys, yz, w, bias, m0, shift = _random_case(rng, c, (c, k, k))
    x = rng.integers(-128, 128, (c, size, size)).astype(np.int8)
    got = int8.depthwise_conv2d_int8(x, xz, w, bias, m0, shift, yz, stride, k // 2)
    ref = ort_qlinear_conv(x, xs, xz, w[:, None], ws, ys, yz, bias, stride, k // 2, group=c)
    _assert_within_one_lsb(got, ref)


def test_pointwise_int8_matches_onnxruntime(rng):
    """Does pointwise_conv2d_int8 equal ORT QLinearConv with a 1x1 kernel within 1 LSB?"""
    xs, xz, ws, ys, yz, w, bias, m0, shift = _random_case(rng, 12, (12, 7))
    x = rng.integers(-128, 128, (7, 5, 6)).astype(np.int8)
    got = int8.pointwise_conv2d_int8(x, xz, w, bias, m0, shift, yz)
    _assert_within_one_lsb(got, ort_qlinear_conv(x, xs, xz, w[:, :, None, None], ws, ys, yz, bias, 1, 0))


def test_linear_int8_matches_onnxruntime_matmul(rng):
    """Does linear_int8 (no bias) equal ORT QLinearMatMul with per-column weight scales within 1 LSB?"""
    xs, xz, ws, ys, yz, w, _, m0, shift = _random_case(rng, 10, (10, 48))
    ys = ys / 10  # keep the outputs inside int8 without saturating everything
    m0, shift = int8.quantize_multiplier(np.float32(xs) * ws.astype(np.float64) / np.float32(ys))
    x = rng.integers(-128, 128, (48, 1, 1)).astype(np.int8)
    got = int8.linear_int8(x, xz, w, np.zeros(10, np.int32), m0, shift, yz).reshape(-1)
    _assert_within_one_lsb(got, ort_qlinear_matmul(x, xs, xz, w, ws, ys, yz))


def test_relu6_is_the_output_clamp(rng):
    """Is ReLU6 folded as clamp [y_zp, y_zp + round(6 / y_scale)] = ORT's output clipped the same way?"""
    xs, xz, ws, ys, yz, w, bias, m0, shift = _random_case(rng, 6, (6, 3, 3, 3))
    x = rng.integers(-128, 128, (3, 8, 8)).astype(np.int8)
    lo, hi = int8_convert._act_range("relu6", ys, yz)
    assert (lo, hi) == (max(-128, yz), min(127, yz + round(6 / ys)))
    got = int8.conv2d_int8(x, xz, w, bias, m0, shift, yz, 1, 1, lo, hi)
    ref = np.clip(ort_qlinear_conv(x, xs, xz, w, ws, ys, yz, bias, 1, 1), lo, hi)
    _assert_within_one_lsb(got, ref)


# ---------------------------------------------------------------- naive integer loops (exact)

def naive_int8_conv_acc(x, xz, w, bias, stride, padding):
    """int32 accumulators by the textbook loop; padded pixels read the zero point (Python ints)."""
    cin, h, wd = x.shape
    cout, _, k, _ = w.shape
    ho, wo = (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1
    acc = np.zeros((cout, ho, wo), np.int64)
    for o in range(cout):
        for i in range(ho):
            for j in range(wo):
                total = int(bias[o])
                for c in range(cin):
                    for di in range(k):
                        for dj in range(k):
                            r, s = i * stride + di - padding, j * stride + dj - padding
                            v = int(x[c, r, s]) if 0 <= r < h and 0 <= s < wd else xz
                            total += (v - xz) * int(w[o, c, di, dj])
                acc[o, i, j] = total
    return acc


def test_conv2d_int8_equals_naive_loop_exactly(rng):
    """With the same requantization, is the vectorised int8 conv bit-exact with a naive loop?"""
    xs, xz, ws, ys, yz, w, bias, m0, shift = _random_case(rng, 4, (4, 3, 3, 3))
    x = rng.integers(-128, 128, (3, 7, 7)).astype(np.int8)
    acc = naive_int8_conv_acc(x, xz, w, bias, 2, 1)
    expected = np.clip([[[int8.multiply_by_quantized_multiplier(int(a), m0[o], shift[o]) + yz
                          for a in row] for row in acc[o]] for o in range(4)], -128, 127)
    np.testing.assert_array_equal(int8.conv2d_int8(x, xz, w, bias, m0, shift, yz, 2, 1), expected)


def test_add_int8_close_to_real_sum(rng):
    """Is the int8 add within 1 LSB of round((a - za) sa + (b - zb) sb) / sy + zy?"""
    a, b = (rng.integers(-128, 128, (4, 5, 5)).astype(np.int8) for _ in range(2))
    sa, za, sb, zb, sy, zy = 0.03, -7, 0.05, 12, 0.07, -3
    (am, ash), (bm, bsh), (om, osh) = int8.add_multipliers(sa, sb, sy)
    got = int8.add_int8(a, za, am, ash, b, zb, bm, bsh, om, osh, zy)
    real = ((a.astype(float) - za) * sa + (b.astype(float) - zb) * sb) / sy + zy
    expected = np.clip(np.round(real), -128, 127)
    assert got.dtype == np.int8
    assert np.abs(got - expected).max() <= 1


def test_avg_pool_int8_rounds_the_mean():
    """Does the int8 average pool round the mean half away from zero (hand values)?"""
    x = np.array([[[1, 2], [3, 4]], [[-1, -2], [-3, -4]], [[1, 1], [1, 0]], [[127, 127], [127, 127]]],
                 np.int8)  # means 2.5, -2.5, 0.75, 127
    assert int8.avg_pool_int8(x).reshape(-1).tolist() == [3, -3, 1, 127]


def test_int8_kernels_refuse_floats(rng):
    """Do the int8 kernels reject float tensors, so no float arithmetic can slip in?"""
    w = np.ones((2, 1, 3, 3), np.int8)
    m0, shift = int8.quantize_multiplier(np.full(2, 0.01))
    with pytest.raises(SpecError, match="integer"):
        int8.conv2d_int8(np.zeros((1, 4, 4), np.float32), 0, w, np.zeros(2, np.int32), m0, shift, 0)
    with pytest.raises(SpecError, match="integer"):
        int8.pointwise_conv2d_int8(np.zeros((1, 4, 4), np.int8), 0, np.ones((2, 1), np.float32),
                                np.zeros(2, np.int32), m0, shift, 0)
    with pytest.raises(SpecError, match="integer"):
        int8.avg_pool_int8(np.zeros((2, 3, 3)))


# ---------------------------------------------------------------- the converted digits model

@pytest.fixture(scope="module")
def digits_int8():
    from tinyml_course.compression import trained
    from tinyml_course.compression.data import load_digits

    x_train, y_train, x_test, y_test = load_digits()
    network, weights = trained.load_trained()
    return network, weights, int8_convert.convert(network, weights, x_train), x_test, y_test


def test_batched_int8_equals_image_by_image(digits_int8):
    """Do the batched int8 logits equal, exactly, those of the per-image executor run?"""
    _, _, model, x_test, _ = digits_int8
    batch = int8.run_int8_batch(model, x_test[:24])
    single = np.stack([int8.run_int8(model, x).reshape(-1) for x in x_test[:24]])
    assert batch.dtype == np.int8 and np.array_equal(batch, single)
    assert np.array_equal(int8.predict_int8(model, x_test[:24], batch_size=5), single.argmax(1))


def test_int8_model_accuracy_within_one_point(digits_int8):
    """Is integer-only int8 accuracy on the held-out set within 1 point of float32?"""
    from tinyml_course.runtime.batched import accuracy

    network, weights, model, x_test, y_test = digits_int8
    acc_float = accuracy(network, weights, x_test, y_test)
    acc_int8 = int8.accuracy_int8(model, x_test, y_test)
    assert acc_float >= 0.95, acc_float
    assert abs(acc_int8 - acc_float) <= 0.01, (acc_float, acc_int8)


def test_int8_model_tensors_and_flash(digits_int8):
    """Are weights int8, biases/multipliers int32, and Flash = the accounting, ~4x below float32?"""
    network, weights, model, _, _ = digits_int8
    for name, q in model.ops.items():
        if q.weight is not None:
            assert (q.weight.dtype, q.bias.dtype, q.m0.dtype) == (np.int8, np.int32, np.int32), name
            assert q.weight.min() >= -127  # symmetric narrow range
    float_bytes = sum(w.nbytes + b.nbytes for w, b in weights.values())
    assert model.flash_bytes == memory.flash_bytes(network, "int8")
    assert float_bytes == memory.flash_bytes(network, "float32")
    weight_bytes = sum(q.weight.nbytes for q in model.ops.values() if q.weight is not None)
    assert sum(w.nbytes for w, _ in weights.values()) == 4 * weight_bytes  # weights: exactly 4x
    assert 3.2 < float_bytes / model.flash_bytes < 4.0  # int32 biases keep the model above 1/4


@pytest.mark.parametrize("schedule", ["per-layer", "in-place"])
def test_int8_model_in_arena_peak_equals_accounting(digits_int8, schedule):
    """Does the arena run of the int8 model measure the `exact` peak (1 byte/activation) and give
    the same int8 logits as a run without an arena?"""
    network, _, model, x_test, _ = digits_int8
    run = execute(network, x_test[0], int8.Int8Backend(model), schedule=schedule)
    assert run.output.dtype == np.int8
    np.testing.assert_array_equal(run.output, reference_forward(network, x_test[0], int8.Int8Backend(model)))
    assert run.peak_sram_bytes == memory.profile(network, schedule, "exact", "int8").peak_sram_bytes
    float_peak = execute(network, x_test[0], digits_int8[1], schedule=schedule).peak_sram_bytes
    assert float_peak == 4 * run.peak_sram_bytes


def test_patch_based_int8_equals_per_layer(digits_int8):
    """Does patch-based int8 inference give exactly the per-layer int8 output?"""
    network, _, model, x_test, _ = digits_int8
    per_layer = execute(network, x_test[3], int8.Int8Backend(model)).output
    for split, patches in (("block0", 2), ("block1", 2), ("block2", 4)):
        patched = execute(network, x_test[3], int8.Int8Backend(model), schedule="patch",
                          patches=patches, split=split)
        np.testing.assert_array_equal(patched.output, per_layer)
