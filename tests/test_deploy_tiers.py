"""The kernel tiers (reference, optimized, tinyengine) on shapes chosen to reach every path:
odd channel counts (every input-channel remainder mod 4, odd output channels), odd pixel
counts, strides 1 and 2, kernel sizes 3, 5 and 7, patch windows (row runs), the fallback of a
tinyengine kernel whose fused requantization does not apply; and the fused requantization's
arithmetic identity against the package's TFLite rounding (runtime/fixedpoint.py).

Expected outputs come from the package's numpy int8 path, not from the C under test.
"""

import dataclasses

import numpy as np
import pytest

from tinyml_course.deploy import layouts
from tinyml_course.deploy.deploy import deploy, int8_model
from tinyml_course.deploy.kernels import KERNEL_FLAVOURS, fused_requant_applies
from tinyml_course.memory.schedule import Schedule
from tinyml_course.model.network import build_network
from tinyml_course.runtime.fixedpoint import INT32_MAX, INT32_MIN, multiply_by_quantized_multiplier

# 13x13 input; channels 7, 21, 14, 5, 15, 9, 45, 11, 13: every Cin mod 4, odd Cout; feature maps
# 7x7, 4x4, 2x2 (odd and even pixel counts); k = 3, 5, 7; strides 1 and 2; a residual add
ODD_SPEC = {"name": "odd", "resolution": 13, "input_channels": 3,
            "stem": {"kernel": 3, "stride": 2, "out": 7},
            "blocks": [{"kernel": 3, "expand": 3, "out": 7, "stride": 1},
                       {"kernel": 5, "expand": 2, "out": 5, "stride": 2},
                       {"kernel": 7, "expand": 3, "out": 9, "stride": 1},
                       {"kernel": 3, "expand": 5, "out": 11, "stride": 2}],
            "feature_mix": 13, "classes": 5}
SCHEDULES = ["per-layer", "in-place", Schedule("patch", 2, "block1")]


def te_requant(acc, m0, shift):
    """simd.h's te_requant before the zero point and clamp, in int64 numpy (the C's arithmetic)."""
    acc, m0, shift = (np.asarray(v, np.int64) for v in (acc, m0, shift))
    rnd = (np.int64(1) << 30) + (np.int64(1) << (30 - shift))
    s = rnd - ((acc < 0).astype(np.int64) << 31) + acc * m0
    return (s >> 32) >> (-shift - 1)


def test_fused_requantization_equals_tflite_rounding():
    """Is te_requant's one multiply-accumulate and shift the package's SRDHM + RoundingDivideByPOT
    for m0 >= 0 and shift <= -1: extremes, negative values and exact rounding ties?"""
    rng = np.random.default_rng(0)
    shift = rng.integers(-31, 0, 200_000)
    m0 = rng.integers(1 << 30, 1 << 31, shift.size)
    acc = rng.integers(INT32_MIN, INT32_MAX, shift.size, endpoint=True)
    small = rng.integers(-5000, 5000, shift.size)  # realistic accumulators
    edges = np.array([0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MIN + 1, INT32_MAX - 1])
    m0 = np.concatenate([m0, m0, np.full(9 * 4, 1 << 30), np.zeros(9, np.int64),
                         np.full(9, INT32_MAX)])
    acc = np.concatenate([acc, small, np.tile(edges, 4), edges, edges])
    shift = np.concatenate([shift, shift, np.repeat([-1, -2, -16, -31], 9), np.full(18, -3)])
    # exact ties of the final division: acc * m0 / 2^31 = (k + 1/2) * 2^r with m0 = 2^30
    r = rng.integers(1, 20, 1000)
    k = rng.integers(-1000, 1000, 1000)
    ties = ((2 * k + 1) << r).astype(np.int64)  # acc * 2^30 / 2^31 = acc / 2 -> acc = (2k+1) 2^r
    acc, m0, shift = (np.concatenate([acc, ties]), np.concatenate([m0, np.full(1000, 1 << 30)]),
                      np.concatenate([shift, -r]))
    expected = multiply_by_quantized_multiplier(acc, m0, shift).astype(np.int64)
    assert np.array_equal(te_requant(acc, m0, shift), expected)


def test_rounding_constants_and_weight_order():
    """Do the generated constants hold 2^30 + 2^(30 - shift) as (low, high) words, and the 1x1
    weights pairs of channels, groups of four in the order [w0, w2, w1, w3], zero padded?"""
    rnd = layouts.rounding_constants(np.array([-1, -2, -20]))
    words = rnd.astype(np.int64) & 0xFFFFFFFF
    assert [(int(lo) | int(hi) << 32) for lo, hi in words] == [(1 << 30) + (1 << 31),
                                                               (1 << 30) + (1 << 32),
                                                               (1 << 30) + (1 << 50)]
    w = np.arange(3 * 5, dtype=np.int8).reshape(3, 5)  # Cout 3, Cin 5: groups of 4, padded
    order = layouts.te_pwconv_weights(w).tolist()
    assert order == [0, 2, 1, 3, 5, 7, 6, 8,  # channels 0 and 1, group 0
                     4, 0, 0, 0, 9, 0, 0, 0,  # group 1 (padded)
                     10, 12, 11, 13, 14, 0, 0, 0]  # the odd channel 2 alone


@pytest.fixture(scope="module")
def odd_model():
    return int8_model(build_network(ODD_SPEC))


@pytest.mark.slow
@pytest.mark.parametrize("kernels", KERNEL_FLAVOURS)
def test_every_tier_is_bit_exact_on_odd_shapes(odd_model, kernels, tmp_path):
    model, image = odd_model
    for i, schedule in enumerate(SCHEDULES):
        run = deploy(model, image, "stm32h743", schedule, kernels, tmp_path / str(i), count=False)
        assert run.bit_exact, (kernels, schedule)


@pytest.mark.slow
def test_a_tinyengine_kernel_whose_requantization_does_not_apply_gives_way(odd_model, tmp_path):
    """An op with a multiplier >= 0.5 (shift >= 0): the tinyengine set runs it with the reference
    kernel (its constants laid out plainly), still bit-exact; the other 1x1 ops stay tinyengine."""
    model, image = odd_model
    name = "block0.expand"
    q = model.ops[name]
    big = dataclasses.replace(q.requant, shift=np.full_like(q.requant.shift, 1))
    assert not fused_requant_applies(big)
    model = dataclasses.replace(model, ops={**model.ops, name: dataclasses.replace(q, requant=big)})
    run = deploy(model, image, "stm32h743", "in-place", "tinyengine", tmp_path, count=False)
    assert run.bit_exact
    calls = (tmp_path / "model.c").read_text()
    assert calls.count("tm_pwconv_ref(") == 1 and "tm_pwconv_te(" in calls
