"""Integer-only int8 inference: fixed-point helpers, kernels against naive loops, the converted
digits model (accuracy, Flash), and the int8 model inside the SRAM arena.

Imports nothing optional: the comparisons with ONNX Runtime are in tests/test_int8_onnx.py.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from tinyml_course import memory
from tinyml_course.compression import int8_convert
from tinyml_course.errors import SpecError
from tinyml_course.runtime import fixedpoint as F
from tinyml_course.runtime import int8_backend
from tinyml_course.runtime import int8_kernels as K
from tinyml_course.runtime.executor import execute, reference_forward
from tinyml_course.runtime.fixedpoint import AddRequant, Requant
from tinyml_course.runtime.naive import naive_conv2d_int8
from tinyml_course.runtime.qscheme import QParams


# ---------------------------------------------------------------- fixed-point helpers

def test_srdhm_matches_exact_rounding(rng):
    """Is SaturatingRoundingDoublingHighMul round(a*b / 2^31), halves away from zero, saturating?"""
    a = rng.integers(-2**31, 2**31, 500, dtype=np.int64)
    b = rng.integers(-2**31, 2**31, 500, dtype=np.int64)
    a[:3], b[:3] = -2**31, -2**31  # the one overflow case
    got = F.saturating_rounding_doubling_high_mul(a, b)
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
    assert F.rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 2, 0]
    assert F.rounding_divide_by_pot(x, 2).tolist() == [1, -1, 2, -2, 2, -2, 1, 0]


def test_quantize_multiplier_represents_the_real(rng):
    """Is M0 * 2^(shift-31) within 2^-31 (relative) of the real multiplier, with M0 in [2^30, 2^31)?"""
    reals = np.concatenate([rng.uniform(1e-6, 4.0, 200), [0.5, 1.0, 1 - 1e-12]])
    m0, shift = F.quantize_multiplier(reals)
    assert m0.dtype == np.int32 and shift.dtype == np.int32
    for r, m, s in zip(reals, m0.tolist(), shift.tolist()):
        assert 2**30 <= m < 2**31, m
        assert abs(m * 2.0 ** (s - 31) - r) <= r * 2.0 ** -30
    assert F.quantize_multiplier(0.0)[0] == 0


def test_multiply_by_quantized_multiplier_is_a_rounded_product(rng):
    """Is MBQM(x, M) within 1 of x * M (real product), for multipliers below and above 1?"""
    x = rng.integers(-2**20, 2**20, 300).astype(np.int32)
    for real in (0.0003, 0.37, 1.0, 2.7):
        m0, shift = F.quantize_multiplier(real)
        got = F.multiply_by_quantized_multiplier(x, m0, shift)
        assert np.abs(got - x * real).max() <= 1.0, real


def test_quantize_multiplier_rounds_a_tie_away_from_zero():
    """On an exact tie q * 2^31 = 2^30 + 0.5, is M0 rounded up to 2^30 + 1 (TFLite's TfLiteRound),
    not to the even 2^30 (Python's round)?"""
    q = 0.5 + 2.0 ** -32  # frexp mantissa; q * 2^31 = 2^30 + 0.5 exactly
    for exponent in (0, -5, 3):
        m0, shift = F.quantize_multiplier(math.ldexp(q, exponent))
        assert (int(m0), int(shift)) == (2 ** 30 + 1, exponent), (exponent, int(m0), int(shift))
    m0, _ = F.quantize_multiplier(0.5 + 3 * 2.0 ** -32)  # 2^30 + 1.5: both rules give 2^30 + 2
    assert int(m0) == 2 ** 30 + 2
    m0, shift = F.quantize_multiplier(1 - 2.0 ** -33)  # rounds up to 2^31: halved, shift + 1
    assert (int(m0), int(shift)) == (2 ** 30, 1)


# ---------------------------------------------------------------- naive integer loops (exact)

@pytest.mark.parametrize("stride, padding, clamp", [(2, 1, None), (1, 1, (-5, 40)), (1, 0, None)])
def test_conv2d_int8_equals_naive_loop_exactly(rng, stride, padding, clamp):
    """With the same requantization, is the vectorised int8 conv bit-exact with the plain loop
    (runtime.naive.naive_conv2d_int8), with zero points, strides and a ReLU6-like clamp?"""
    x = rng.integers(-128, 128, (3, 7, 7)).astype(np.int8)
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    bias = rng.integers(-3000, 3000, 4).astype(np.int32)
    y_zp = int(rng.integers(-20, 20))
    rq = Requant.from_real(rng.uniform(0.0002, 0.004, 4), y_zp, *(clamp or (-128, 127)))
    x_zp = int(rng.integers(-30, 30))
    got = K.conv2d_int8(x, x_zp, w, bias, rq, stride, padding)
    np.testing.assert_array_equal(got, naive_conv2d_int8(x, x_zp, w, bias, rq, stride, padding))
    assert got.dtype == np.int8 and len(np.unique(got)) > 10  # not all saturated


def test_add_int8_close_to_real_sum(rng):
    """Is the int8 add within 1 LSB of round((a - za) sa + (b - zb) sb) / sy + zy?"""
    a, b = (rng.integers(-128, 128, (4, 5, 5)).astype(np.int8) for _ in range(2))
    sa, za, sb, zb, sy, zy = 0.03, -7, 0.05, 12, 0.07, -3
    params = AddRequant.from_qparams(QParams(sa, za), QParams(sb, zb), QParams(sy, zy))
    got = K.add_int8(a, b, params)
    real = ((a.astype(float) - za) * sa + (b.astype(float) - zb) * sb) / sy + zy
    expected = np.clip(np.round(real), -128, 127)
    assert got.dtype == np.int8
    assert np.abs(got - expected).max() <= 1


def test_avg_pool_int8_rounds_the_mean():
    """Does the int8 average pool round the mean half away from zero (hand values)?"""
    x = np.array([[[1, 2], [3, 4]], [[-1, -2], [-3, -4]], [[1, 1], [1, 0]], [[127, 127], [127, 127]]],
                 np.int8)  # means 2.5, -2.5, 0.75, 127
    assert K.avg_pool_int8(x).reshape(-1).tolist() == [3, -3, 1, 127]


def test_int8_kernels_refuse_floats(rng):
    """Do the int8 kernels reject float tensors, so no float arithmetic can slip in?"""
    w = np.ones((2, 1, 3, 3), np.int8)
    rq = Requant.from_real(np.full(2, 0.01))
    with pytest.raises(SpecError, match="integer"):
        K.conv2d_int8(np.zeros((1, 4, 4), np.float32), 0, w, np.zeros(2, np.int32), rq)
    with pytest.raises(SpecError, match="integer"):
        K.pointwise_conv2d_int8(np.zeros((1, 4, 4), np.int8), 0, np.ones((2, 1), np.float32),
                                np.zeros(2, np.int32), rq)
    with pytest.raises(SpecError, match="integer"):
        K.avg_pool_int8(np.zeros((2, 3, 3)))


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
    batch = int8_backend.run_int8_batch(model, x_test[:24])
    single = np.stack([int8_backend.run_int8(model, x).reshape(-1) for x in x_test[:24]])
    assert batch.dtype == np.int8 and np.array_equal(batch, single)
    predicted = int8_backend.predict_int8(model, x_test[:24], batch_size=5)
    assert np.array_equal(predicted, single.argmax(1))


def test_int8_model_accuracy_within_one_point(digits_int8):
    """Is integer-only int8 accuracy on the held-out set within 1 point of float32?"""
    from tinyml_course.runtime.batched import accuracy

    network, weights, model, x_test, y_test = digits_int8
    acc_float = accuracy(network, weights, x_test, y_test)
    acc_int8 = int8_backend.accuracy_int8(model, x_test, y_test)
    assert acc_float >= 0.95, acc_float
    assert abs(acc_int8 - acc_float) <= 0.01, (acc_float, acc_int8)


def test_int8_model_tensors_and_flash(digits_int8):
    """Are weights int8, biases/multipliers int32, and Flash = the accounting, ~4x below float32?"""
    network, weights, model, _, _ = digits_int8
    for name, q in model.ops.items():
        if q.weight is not None:
            dtypes = (q.weight.dtype, q.bias.dtype, q.requant.m0.dtype)
            assert dtypes == (np.int8, np.int32, np.int32), name
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
    run = execute(network, x_test[0], int8_backend.Int8Backend(model), schedule=schedule)
    assert run.output.dtype == np.int8
    reference = reference_forward(network, x_test[0], int8_backend.Int8Backend(model))
    np.testing.assert_array_equal(run.output, reference)
    assert run.peak_sram_bytes == memory.profile(network, schedule, "exact", "int8").peak_sram_bytes
    float_peak = execute(network, x_test[0], digits_int8[1], schedule=schedule).peak_sram_bytes
    assert float_peak == 4 * run.peak_sram_bytes


def test_patch_based_int8_equals_per_layer(digits_int8):
    """Does patch-based int8 inference give exactly the per-layer int8 output?"""
    network, _, model, x_test, _ = digits_int8
    per_layer = execute(network, x_test[3], int8_backend.Int8Backend(model)).output
    for split, patches in (("block0", 2), ("block1", 2), ("block2", 4)):
        patched = execute(network, x_test[3], int8_backend.Int8Backend(model), schedule="patch",
                          patches=patches, split=split)
        np.testing.assert_array_equal(patched.output, per_layer)
