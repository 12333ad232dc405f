"""The kernel tiers (reference, cmsis, tinyengine; optimized an alias of tinyengine) on shapes chosen to reach every path:
odd channel counts (every input-channel remainder mod 4, odd output channels), odd pixel
counts, strides 1 and 2, kernel sizes 3, 5 and 7, patch windows (row runs), the fallback of a
tinyengine kernel whose fused requantization does not apply; and the fused requantization's
arithmetic identity against the package's TFLite rounding (runtime/fixedpoint.py).

Expected outputs come from the package's numpy int8 path, not from the C under test.
"""

import dataclasses
import json

import numpy as np
import pytest

from tinyml_course.cli.main import main
from tinyml_course.deploy import layouts
from tinyml_course.deploy.deploy import deploy, int8_model
from tinyml_course.deploy.kernels import KERNEL_FLAVOURS
from tinyml_course.deploy.layouts import fused_requant_applies
from tinyml_course.memory.schedule import Schedule
from tinyml_course.model.network import build_network
from tinyml_course.deploy.layouts import ACC_LIMIT
from tinyml_course.runtime.fixedpoint import INT32_MAX, Requant, multiply_by_quantized_multiplier
from tinyml_course.runtime.int8_backend import QuantizedOp

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


def smmlar(a, b, acc):
    """ARM SMMLAR in int64: (acc * 2^32 + a * b + 2^31) >> 32."""
    return ((acc << 32) + a * b + (1 << 31)) >> 32


def te_requant(acc, m0, shift, y_zp):
    """simd.h's te_requant (with its addend hz from layouts.py), in int64 numpy."""
    acc, m0, r = (np.asarray(v, np.int64) for v in (acc, m0, -np.asarray(shift)))
    hz = (np.int64(1) << (r - 1)) + y_zp * (np.int64(1) << r)
    acc2 = 2 * acc
    return smmlar(acc2, m0, hz - (acc2 < 0)) >> r


def test_fused_requantization_equals_tflite_rounding():
    """Is te_requant's one SMMLAR and shift the package's SRDHM + RoundingDivideByPOT + y_zp for
    m0 >= 0, shift <= -1, |acc| < 2^30: extremes, negative values and exact rounding ties?"""
    rng = np.random.default_rng(0)
    n = 200_000
    limit = ACC_LIMIT - 1
    shift = rng.integers(-22, 0, n)
    m0 = rng.integers(1 << 30, 1 << 31, n)
    acc = np.concatenate([rng.integers(-limit, limit, n // 2, endpoint=True),
                          rng.integers(-5000, 5000, n // 2)])  # and realistic accumulators
    edges = np.array([0, 1, -1, 2, -2, limit, -limit, limit - 1, 1 - limit])
    m0 = np.concatenate([m0, np.full(9 * 4, 1 << 30), np.zeros(9, np.int64), np.full(9, INT32_MAX)])
    acc = np.concatenate([acc, np.tile(edges, 6)])
    shift = np.concatenate([shift, np.repeat([-1, -2, -16, -22], 9), np.full(18, -3)])
    # exact ties of the final division: acc * 2^30 / 2^31 = acc / 2 = (k + 1/2) 2^r
    r = rng.integers(1, 20, 1000)
    ties = (2 * rng.integers(-1000, 1000, 1000) + 1) << r
    acc, m0, shift = (np.concatenate([acc, ties]), np.concatenate([m0, np.full(1000, 1 << 30)]),
                      np.concatenate([shift, -r]))
    for y_zp in (0, -128, 127, 5):
        expected = multiply_by_quantized_multiplier(acc, m0, shift).astype(np.int64) + y_zp
        assert np.array_equal(te_requant(acc, m0, shift, y_zp), expected), y_zp


def test_channel_records_and_weight_order():
    """Do the generated records hold {2 (bias - x_zp sum w), m0, 2^(r-1) + y_zp 2^r, r}, and the
    1x1 weights pairs of channels, groups of four in the order [w0, w2, w1, w3], zero padded?"""
    w = np.arange(3 * 5, dtype=np.int8).reshape(3, 5)  # Cout 3, Cin 5: groups of 4, padded
    requant = Requant(np.array([1 << 30, 3 << 29, INT32_MAX], np.int32),
                      np.array([-1, -2, -20], np.int32), y_zp=-3)
    quant = QuantizedOp(weight=w, bias=np.array([10, -20, 30], np.int32), requant=requant)
    records = layouts.channel_records(quant, x_zp=4)
    sums = w.astype(np.int64).sum(axis=1)
    assert records.tolist() == [[2 * (10 - 4 * int(sums[0])), 1 << 30, 1 - 3 * 2, 1],
                                [2 * (-20 - 4 * int(sums[1])), 3 << 29, 2 - 3 * 4, 2],
                                [2 * (30 - 4 * int(sums[2])), INT32_MAX, (1 << 19) - 3 * (1 << 20),
                                 20]]
    order = layouts.te_pwconv_weights(w).tolist()
    assert order == [0, 2, 1, 3, 5, 7, 6, 8,  # channels 0 and 1, group 0
                     4, 0, 0, 0, 9, 0, 0, 0,  # group 1 (padded)
                     10, 12, 11, 13, 14, 0, 0, 0]  # the odd channel 2 alone
    big = QuantizedOp(weight=w, bias=np.array([(1 << 30) - 100, 0, 0], np.int32), requant=requant)
    assert layouts.fused_requant_applies(quant) and not layouts.fused_requant_applies(big)


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
    big = dataclasses.replace(q, requant=dataclasses.replace(
        q.requant, shift=np.full_like(q.requant.shift, 1)))
    assert not fused_requant_applies(big)
    model = dataclasses.replace(model, ops={**model.ops, name: big})
    run = deploy(model, image, "stm32h743", "in-place", "tinyengine", tmp_path, count=False)
    assert run.bit_exact
    calls = (tmp_path / "model.c").read_text()
    assert calls.count("tm_pwconv_ref(") == 1 and "te_pwconv_1(" not in calls and "te_pwconv_3(" in calls


@pytest.mark.slow
def test_cli_deploys_each_tier(capsys, tmp_path):
    """Does `deploy --kernels cmsis|tinyengine --json` run bit-exact and name its tier, with the
    tinyengine instances in the generated C?"""
    for kernels in ("cmsis", "tinyengine"):
        out = tmp_path / kernels
        assert main(["deploy", "digits", "--kernels", kernels, "--schedule", "in-place",
                     "--out", str(out), "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["bit_exact"] is True and data["kernels"] == kernels
        text = (out / "model.c").read_text()
        assert ("static void te_pwconv_" in text) == (kernels == "tinyengine")
        assert ("tm_pwconv_cmsis(" in text) == (kernels == "cmsis")


def test_optimized_is_an_alias_of_tinyengine_and_the_default(capsys):
    """Is 'optimized' the tinyengine tier under its earlier name (the same kernel for every step),
    is tinyengine the default of deploy, codegen and the latency model, and does the CLI accept the
    alias and name the tier in its help?"""
    import inspect

    from tinyml_course.deploy import codegen, deploy as deploy_module, kernels, latency
    from tinyml_course.deploy.program import build_program
    from tinyml_course.model.zoo import get_network
    assert kernels.check_kernels("optimized") == "tinyengine" and "optimized" not in KERNEL_FLAVOURS
    program = build_program(get_network("mcunet-in1", 32), "in-place")
    for step in program.steps:
        assert kernels.kernel_for(step, "optimized") is kernels.kernel_for(step, "tinyengine")
    for function in (deploy_module.deploy, codegen.generate_c, codegen.write_project,
                     latency.predict, latency.program_features):
        assert inspect.signature(function).parameters["kernels"].default == "tinyengine"
    with pytest.raises(SystemExit):
        main(["deploy", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "optimized: an alias of tinyengine" in help_text and "the default" in help_text


@pytest.mark.slow
def test_cli_accepts_the_optimized_alias(capsys, tmp_path):
    """Does `deploy --kernels optimized` run the tinyengine tier and report it as such?"""
    assert main(["deploy", "digits", "--kernels", "optimized", "--schedule", "in-place",
                 "--out", str(tmp_path), "--json", "--no-count"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bit_exact"] is True and data["kernels"] == "tinyengine"
    assert "static void te_pwconv_" in (tmp_path / "model.c").read_text()
