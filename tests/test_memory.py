"""Analytic accounting: the published figures, the conventions by hand, Flash and device fits."""

import pytest

from tinyml_course import UnknownNameError, build_network, get_network
from tinyml_course.runtime.backend import random_weights
from tinyml_course.memory.accounting import fits, flash_bytes, profile

KIB = 1024


# ---- published-figures.md, to the byte ------------------------------------------------------
def test_mobilenetv2_224_per_layer_is_1470_kib_at_the_first_24_channel_depthwise():
    prof = profile(get_network("mobilenetv2"), "per-layer", "mcunet", "int8")
    assert prof.peak_sram_bytes == 1470 * KIB == 112 * 112 * 96 + 56 * 56 * 96
    assert prof.peak_layer.name == "block1.dw"  # the paper's "block 2", counted from 1


def test_mobilenetv2_224_in_place_is_1372_kib_at_the_expansion():
    prof = profile(get_network("mobilenetv2"), "in-place", "mcunet", "int8")
    assert prof.peak_sram_bytes == 1372 * KIB == 112 * 112 * (16 + 96)
    assert prof.peak_layer.name == "block1.expand"


def test_mcunet_in2_is_325_kib_by_the_mcunet_rule_and_200_kib_by_tinyengine():
    net = get_network("mcunet-in2")
    assert profile(net, "per-layer", "mcunet").peak_sram_bytes == 325 * KIB
    assert profile(net, "per-layer", "tinyengine").peak_sram_bytes == 200 * KIB
    assert profile(net, "in-place", "tinyengine").peak_sram_bytes == 200 * KIB


def test_mcunet_in4_is_400_kib_by_tinyengine():
    assert profile(get_network("mcunet-in4"), "per-layer", "tinyengine").peak_sram_bytes == 400 * KIB


# ---- the conventions, by hand on a one-block network ---------------------------------------
TINY = {"name": "tiny", "resolution": 32, "input_channels": 3,
        "stem": {"kernel": 3, "stride": 2, "out": 8},
        "blocks": [{"kernel": 3, "expand": 2, "out": 8, "stride": 1}],  # residual block, mid 16
        "feature_mix": None, "classes": None}
S = 16 * 16  # every map after the stem is 16 x 16; int8: 1 byte per element


@pytest.mark.parametrize("schedule, convention, expected", [
    # op order: stem, block0.expand, block0.dw, block0.project, block0.add
    ("per-layer", "exact", [3 * 32 * 32 + 8 * S, 8 * S + 16 * S, 8 * S + 16 * S + 16 * S,
                            8 * S + 16 * S + 8 * S, 8 * S * 3]),
    ("per-layer", "mcunet", [3 * 32 * 32 + 8 * S, 8 * S + 16 * S, 16 * S + 16 * S + 8 * S,
                             16 * S + 8 * S, 0]),
    ("in-place", "exact", [3 * 32 * 32 + 8 * S, 8 * S + 16 * S, 8 * S + 16 * S + S,
                           8 * S + 16 * S + 8 * S, 8 * S * 3]),
    ("in-place", "mcunet", [3 * 32 * 32 + 8 * S, 8 * S + 16 * S, 16 * S + 8 * S,
                            16 * S + 8 * S, 0]),
    ("per-layer", "tinyengine", [3 * 32 * 32 + 8 * S, 8 * S + 16 * S, 16 * S + 8 * S,
                                 16 * S + 8 * S, 0]),
])
def test_per_op_bytes_by_hand(schedule, convention, expected):
    prof = profile(build_network(TINY), schedule, convention, "int8")
    assert [layer.sram_bytes for layer in prof.layers] == expected
    assert prof.peak_sram_bytes == max(expected)


def test_exact_keeps_the_residual_alive_where_the_mcunet_rule_does_not():
    exact = profile(build_network(TINY), "per-layer", "exact").layers[3]  # block0.project
    assert exact.breakdown == {"block0.project/input": 16 * S,
                               "stem/output": 8 * S,  # the block input, waiting for the add
                               "block0.project/output": 8 * S}
    mcunet = profile(build_network(TINY), "per-layer", "mcunet").layers[3]
    assert mcunet.breakdown == {"block0.project/input": 16 * S, "block0.project/output": 8 * S}


def test_float32_counts_four_bytes_per_element():
    net = get_network("mcunet-in1")
    assert profile(net, dtype="float32").peak_sram_bytes == 4 * profile(net, dtype="int8").peak_sram_bytes


def test_flash_counts_real_weight_arrays(rng):
    net = get_network("mcunet-in1")
    weights = random_weights(net, rng)
    int8 = sum(w.size * 1 + b.size * 4 for w, b in weights.values())  # int8 weights, int32 biases
    float32 = sum(w.nbytes + b.nbytes for w, b in weights.values())
    assert flash_bytes(net, "int8") == int8
    assert flash_bytes(net, "float32") == float32


def test_fits_tells_sram_and_flash_apart_and_by_how_much():
    report = fits(get_network("mobilenetv2"), "arduino-nano-33-ble-sense", "per-layer", "mcunet")
    assert not report.fits and not report.sram_fits and not report.flash_fits
    assert report.sram_bytes - report.sram_limit == (1470 - 256) * KIB
    assert "misses by 1214.0 KiB" in report.describe()
    in2 = fits(get_network("mcunet-in2"), "stm32f746", "in-place", "tinyengine")
    assert in2.sram_fits and in2.sram_limit - in2.sram_bytes == 120 * KIB
    assert in2.flash_fits == (in2.flash_bytes <= 1024 * KIB)


def test_unknown_names_raise():
    net = get_network("mcunet-in1")
    with pytest.raises(UnknownNameError, match="exact"):
        profile(net, convention="paper")
    with pytest.raises(UnknownNameError, match="per-layer"):
        profile(net, schedule="streaming")
    with pytest.raises(UnknownNameError, match="int8"):
        profile(net, dtype="int4")
    with pytest.raises(UnknownNameError, match="stm32f746"):
        fits(net, "esp32")


def test_table_and_json_carry_the_same_peak():
    prof = profile(get_network("mcunet-in2"), "in-place", "exact")
    data = prof.to_json()
    assert data["peak_sram_bytes"] == prof.peak_sram_bytes == max(l["sram_bytes"] for l in data["layers"])
    assert "<- peak" in prof.table() and f"{prof.peak_sram_bytes / KIB:.1f} KiB" in prof.table()


# ---- Convention.held: the one rule, on views built by hand ---------------------------------
def test_held_is_one_rule_for_numbers_and_patch_grids():
    """Does Convention.held count a depthwise (block with a shortcut) by each rule, the same for
    per-layer numbers and for an n x n patch grid of window sizes?"""
    import numpy as np

    from tinyml_course.memory.conventions import CONVENTIONS, OpView

    dw = build_network(TINY).op("block0.dw")  # reads block0.expand (16 x 16 x 16), keeps stem
    x, y, block_input, channel = 16 * S, 16 * S, 8 * S, S
    grid = np.array([[3, 4], [5, 6]])  # any per-patch sizes: the rule is elementwise

    def view(scale, inplace):
        return OpView(dw, {"block0.expand": x * scale, "stem": block_input * scale}, {},
                      x * scale, y * scale, channel * scale, "stem", block_input * scale,
                      inplace, input_free=True)

    for scale in (1, grid):
        exact, mcunet, tinyengine = (CONVENTIONS[k] for k in ("exact", "mcunet", "tinyengine"))
        got = exact.held(view(scale, False))
        assert got.keys() == {"block0.dw/input", "stem/output", "block0.dw/output"}
        assert np.array_equal(sum(got.values()), (x + block_input + y) * scale)
        got = exact.held(view(scale, True))  # in place: one channel of scratch, no output
        assert got.keys() == {"block0.dw/input", "stem/output", "block0.dw/scratch"}
        assert np.array_equal(sum(got.values()), (x + block_input + channel) * scale)
        got = mcunet.held(view(scale, False))
        assert got.keys() == {"block0.dw/input", "block0.dw/output", "stem/output"}
        assert np.array_equal(sum(got.values()), (x + y + block_input) * scale)
        for rule, inplace in ((mcunet, True), (tinyengine, False)):  # max(in, out) + block input
            got = rule.held(view(scale, inplace))
            assert got.keys() == {"block0.dw/inplace", "stem/output"}
            assert np.array_equal(sum(got.values()), (max(x, y) + block_input) * scale)
    add = build_network(TINY).op("block0.add")
    v = OpView(add, {"block0.project": 8 * S, "stem": 8 * S}, {}, 8 * S, 8 * S, S)
    assert CONVENTIONS["mcunet"].held(v) == {}  # adds are not counted by the mcunet rule
    assert CONVENTIONS["exact"].held(v) == {"block0.add/input": 8 * S, "stem/output": 8 * S,
                                            "block0.add/output": 8 * S}
