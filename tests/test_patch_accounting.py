"""The patch schedule's analytic SRAM and MACs: MCUNetV2 Table 1, hand counts, property tests."""
import json

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tinyml_course import build_network, get_network
from tinyml_course.executor import execute, random_weights
from tinyml_course.memory import profile
from tinyml_course.patch import patch_plan
from tinyml_course.patch_accounting import mac_overhead, patch_trace
from tinyml_course.schedule import Schedule

KIB = 1024


def test_mcunetv2_table1_peak():
    """MobileNetV2-224 int8, 4x4 patches up to the 28x28x32 stage: 172 kB (171.5 exactly)?"""
    net = get_network("mobilenetv2")
    prof = profile(net, "patch", "mcunet", "int8", patches=4, split="block3")
    assert prof.peak_sram_bytes == 171.5 * KIB
    assert prof.peak_layer.name == "block4.expand"  # the first per-layer block after the stage
    # hand count of that op: 28x28 input of 32 channels + output of 192 channels, 1 byte each
    assert prof.peak_sram_bytes == 28 * 28 * (32 + 192)
    info = prof.extra["patch"]
    assert info["stage_output_shape"] == [32, 28, 28]
    assert info["input_window"] == [75, 75] and info["output_tile"] == [7, 7]
    # the stage itself: an interior patch's block1.expand holds 35x35x16 in, 35x35x96 out and the
    # assembled 28x28x32 stage output
    assert info["stage_peak_bytes"] == 35 * 35 * (16 + 96) + 28 * 28 * 32
    json.dumps(prof.to_json())  # the CLI prints it


def test_mcunetv2_stage_mac_overhead():
    """Does the patch stage cost 129.5M MACs against 91.3M (+42%) when every patch computes its
    full window, and less once border windows are clipped?"""
    cost = mac_overhead(get_network("mobilenetv2"), "block3", 4)
    assert round(cost.stage_macs / 1e6, 1) == 91.3
    assert round(cost.stage_macs_naive / 1e6, 1) == 129.5
    assert round(cost.stage_overhead_naive * 100) == 42
    assert cost.stage_macs < cost.stage_macs_clipped < cost.stage_macs_naive
    assert 0.08 < cost.network_overhead < 0.11  # the paper's "about 10%" for the whole network
    # independent check of the naive count: every patch computes 37x37 stem outputs
    stem = net_op = get_network("mobilenetv2").op("stem")
    assert stem.macs // (112 * 112) * 37 * 37 * 16 == _naive_op_macs(cost, net_op)


def _naive_op_macs(cost, op):
    plan = patch_plan(get_network("mobilenetv2"), "block3", 4, clip=False)
    h = sum(plan.window(i, 0, op.name).h for i in range(4))
    return op.macs // (112 * 112) * h * h


def test_one_patch_costs_no_overhead():
    """Is a 1x1 grid exactly per-layer compute (no overlap)?"""
    cost = mac_overhead(get_network("mcunet-in2"), "block4", 1)
    assert cost.stage_macs_clipped == cost.stage_macs


def test_more_patches_cost_more_and_need_less():
    """Does a finer grid add MACs and lower the stage's peak (mcunet convention)?"""
    net = get_network("mobilenetv2")
    stage_peak, overhead = [], []
    for n in (1, 2, 4, 7):
        prof = profile(net, "patch", "mcunet", patches=n, split="block3")
        stage_peak.append(prof.extra["patch"]["stage_peak_bytes"])
        overhead.append(prof.extra["patch"]["overhead"]["stage_macs_clipped"])
    assert stage_peak == sorted(stage_peak, reverse=True)
    assert overhead == sorted(overhead)


@st.composite
def small_specs(draw):
    blocks = [{"kernel": draw(st.sampled_from([1, 3, 5, 7])),
               "expand": draw(st.sampled_from([1, 2, 3])),
               "out": draw(st.integers(2, 6)), "stride": draw(st.sampled_from([1, 2]))}
              for _ in range(draw(st.integers(1, 4)))]
    return {"resolution": draw(st.integers(12, 30)),
            "stem": {"kernel": draw(st.sampled_from([1, 3, 5])), "stride": draw(st.sampled_from([1, 2])),
                     "out": draw(st.integers(2, 6))},
            "blocks": blocks, "feature_mix": None, "classes": draw(st.sampled_from([None, 3]))}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=small_specs(), data=st.data())
def test_random_networks(spec, data):
    """On random MBConv networks, grids and splits: per-layer output, analytic peak and trace?"""
    try:
        net = build_network(spec)
    except ValueError:  # the map shrank below 1x1
        assume(False)
    spatial = [i for i, op in enumerate(net.ops) if op.kind in ("conv", "dwconv", "pwconv", "add")]
    split = net.ops[data.draw(st.sampled_from(spatial))].name
    size = net.op(split).out_shape[1]
    n = data.draw(st.integers(1, min(size, 6)))
    stream = data.draw(st.booleans())
    weights = random_weights(net, 0)
    x = np.random.default_rng(0).standard_normal(net.input_shape).astype(np.float32)
    schedule = Schedule("patch", n, split, stream)
    run = execute(net, x, weights, schedule)
    ref = execute(net, x, weights, "per-layer").output
    assert np.abs(run.output - ref).max() <= 1e-5 * max(1.0, float(np.abs(ref).max()))
    assert run.trace == patch_trace(net, schedule, "float32")
    assert run.peak_sram_bytes == profile(net, schedule, "exact", "float32").peak_sram_bytes
