"""Networks: spec rules, shape inference, MACs and params against the published zoo table."""

import re

import numpy as np
import pytest

from tinyml_course import SpecError, UnknownNameError, build_network, get_network
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.executor import reference_forward
from tinyml_course.model.zoo import ZOO_NAMES, make_divisible, mobilenetv2_spec

# published-figures.md: mcunet repository model-zoo table (MACs and params, millions)
PUBLISHED = {"mbv2-w0.35": (144, 23.5, 0.75), "proxyless-w0.3": (176, 38.3, 0.75),
             "mcunet-in1": (96, 12.8, 0.64), "mcunet-in2": (160, 67.3, 0.73),
             "mcunet-in4": (160, 125.9, 1.73)}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_zoo_macs_and_params_match_the_published_table(name):
    resolution, macs_m, params_m = PUBLISHED[name]
    net = get_network(name)
    assert net.input_shape == (3, resolution, resolution)
    assert abs(net.macs / 1e6 - macs_m) <= 0.05 + 1e-9, f"{name}: {net.macs / 1e6:.2f}M MACs"
    assert abs(net.params / 1e6 - params_m) <= 0.015, f"{name}: {net.params / 1e6:.3f}M params"


def test_mobilenetv2_is_the_standard_300m_mac_network():
    net = get_network("mobilenetv2")
    assert round(net.macs / 1e6) == 301  # 300.8M: the paper's "300M" counts 1x1 and dw convs alike
    assert net.op("block1.dw").in_shape == (96, 112, 112)
    assert net.output_shape == (1000, 1, 1)


def test_op_shapes_are_what_the_kernels_produce(rng):
    net = get_network("mcunet-in2", resolution=64)
    weights = random_weights(net, rng)
    x = rng.standard_normal(net.input_shape).astype(np.float32)
    seen = {}
    for op in net.ops:  # run op by op with a plain forward and compare shapes
        from tinyml_course.runtime.backend import FloatBackend
        inputs = [x if n == "input" else seen[n] for n in op.inputs]
        out = np.empty(op.out_shape, np.float32)
        FloatBackend(weights).run_op(op, inputs, out)
        seen[op.name] = out
    assert reference_forward(net, x, weights).shape == (1000, 1, 1)


def test_block_rules_mid_channels_shortcut_and_expand_one():
    spec = {"name": "t", "resolution": 32, "input_channels": 3,
            "stem": {"kernel": 3, "stride": 2, "out": 8},
            "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1},
                       {"kernel": 5, "expand": 2.5, "out": 12, "stride": 2},
                       {"kernel": 3, "expand": 3, "out": 12, "stride": 1}],
            "feature_mix": None, "classes": 10}
    net = build_network(spec)
    names = [op.name for op in net.ops]
    assert names == ["stem", "block0.dw", "block0.project", "block0.add",
                     "block1.expand", "block1.dw", "block1.project",
                     "block2.expand", "block2.dw", "block2.project", "block2.add",
                     "pool", "classifier"]
    assert net.op("block1.expand").out_shape == (20, 16, 16)  # round(8 * 2.5)
    assert net.op("block1.dw").out_shape == (20, 8, 8)  # (16 + 2*2 - 5) // 2 + 1
    assert net.op("block2.add").inputs == ("block2.project", "block1.project")
    # MACs by hand: stem 16*16*8*3*9; block0.dw 16*16*8*9; block0.project 16*16*8*8
    assert net.op("stem").macs == 16 * 16 * 8 * 27
    assert net.op("block0.dw").macs == 16 * 16 * 8 * 9
    assert net.op("classifier").params == 12 * 10 + 10


def test_make_divisible_gives_the_published_w035_channels():
    assert [make_divisible(c * 0.35) for c in (32, 16, 24, 32, 64, 96, 160, 320, 1280)] == \
        [16, 8, 8, 16, 24, 32, 56, 112, 448]
    spec = mobilenetv2_spec(0.35, 144)
    assert spec["feature_mix"] == 448 and spec["stem"]["out"] == 16


@pytest.mark.parametrize("bad, message", [
    ({"resolution": 96}, "missing required field"),
    ({"resolution": 96, "stem": {"kernel": 3, "stride": 2, "out": 8}, "blocks": [{"kernel": 3}]},
     "blocks[0] is missing"),
    ({"resolution": 96, "stem": {"kernel": 3, "stride": 3, "out": 8}, "blocks": []}, "stem.stride"),
    ({"resolution": 96, "stem": {"kernel": 4, "stride": 2, "out": 8}, "blocks": []}, "must be odd"),
    ({"resolution": -5, "stem": {"kernel": 3, "stride": 2, "out": 8}, "blocks": []}, "resolution"),
    ({"resolution": 96, "stem": {"kernel": 3, "stride": 2, "out": 8},
      "blocks": [{"kernel": 3, "expand": 0, "out": 8, "stride": 1}]}, "expand"),
    ({"resolution": 96, "stem": {"kernel": 3, "stride": 2, "out": 8}, "blocks": [],
      "classes": 0}, "spec.classes"),
    ({"resolution": 96, "stem": {"kernel": 3, "stride": 2, "out": 8}, "blocks": "b"}, "a list"),
    ([1, 2], "JSON object"),
    ({"resolution": 96, "stem": {"kernel": 3, "stride": 2, "out": 8}, "blocks": [], "clases": 10},
     "'clases'; allowed: name, resolution"),
    ({"resolution": 96, "stem": {"kernel": 3, "stride": 2, "out": 8},
      "blocks": [{"kernel": 3, "expand": float("inf"), "out": 8, "stride": 1}]},
     "spec.blocks[0].expand must be a number in (0, 64], got inf"),
    ({"resolution": 2 ** 31, "stem": {"kernel": 3, "stride": 2, "out": 8}, "blocks": []},
     "spec.resolution must be an integer from 1 to 1024, got 2147483648"),
    ({"resolution": 32, "stem": {"kernel": 3, "stride": 2, "out": 2 ** 31}, "blocks": []},
     "spec.stem.out must be an integer from 1 to 2147483647, got 2147483648"),
])
def test_bad_specs_raise_a_spec_error_naming_the_field(bad, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        build_network(bad)


def test_unknown_names_are_clear():
    with pytest.raises(UnknownNameError, match="mcunet-in1"):
        get_network("resnet50")
    with pytest.raises(UnknownNameError, match="no op 'block99.dw'"):
        get_network("mcunet-in1").op("block99.dw")
    with pytest.raises(SpecError, match="resolution"):
        get_network("mobilenetv2", resolution=20)
    assert set(ZOO_NAMES) >= {"mobilenetv2", "mcunet-in4"}
