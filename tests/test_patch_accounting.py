"""The patch schedule's analytic SRAM and MACs: MCUNetV2 Table 1, hand counts, property tests."""
import json

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tinyml_course import build_network, get_network
from tinyml_course.runtime.executor import execute
from tinyml_course.runtime.backend import random_weights
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.patch_accounting import mac_overhead, patch_trace
from tinyml_course.memory.schedule import Schedule

KIB = 1024


def test_mcunetv2_table1_peak():
    """MobileNetV2-224 int8, 4x4 patches up to the 28x28x32 stage: 172 kB (171.5 exactly)?"""
    net = get_network("mobilenetv2")
    prof = profile(net, "patch", "mcunet", "int8", patches=4, split="block3")
    assert prof.peak_sram_bytes == 171.5 * KIB
    assert prof.peak_layer.name == "block4.expand"  # the first per-layer block after the stage
    # hand count of that op: 28x28 input of 32 channels + output of 192 channels, 1 byte each
    assert prof.peak_sram_bytes == 28 * 28 * (32 + 192)
    info = prof.patch
    assert (info.patches, info.split, info.stream_input) == (4, "block3.project", True)
    assert info.stage_output_shape == (32, 28, 28)
    assert info.input_window == (75, 75) and info.output_tile == (7, 7)
    # the stage itself: an interior patch's block1.expand holds 35x35x16 in, 35x35x96 out and the
    # assembled 28x28x32 stage output
    assert info.stage_peak_bytes == 35 * 35 * (16 + 96) + 28 * 28 * 32
    assert info.rest_peak_bytes == prof.peak_sram_bytes
    expand = prof.layers[[layer.name for layer in prof.layers].index("block1.expand")]
    assert expand.breakdown == {"block1.expand/input": 35 * 35 * 16,
                                "block1.expand/output": 35 * 35 * 96,
                                "block3.project/full": 28 * 28 * 32}
    data = json.loads(json.dumps(prof.to_json()))  # the CLI prints it
    assert data["patch"]["stage_peak_bytes"] == info.stage_peak_bytes
    assert data["patch"]["input_window"] == [75, 75] and data["schedule"] == "patch 4x4 up to block3"


def test_mcunetv2_stage_mac_overhead():
    """Does the patch stage cost 129.5M MACs against 91.3M (+42%) when every patch computes its
    full window, and less once border windows are clipped?"""
    cost = mac_overhead(get_network("mobilenetv2"), "block3", 4)
    assert round(cost.stage_macs / 1e6, 1) == 91.3
    assert round(cost.stage_macs_naive / 1e6, 1) == 129.5
    assert round(cost.stage_overhead_naive * 100) == 42
    assert cost.stage_macs < cost.stage_macs_clipped < cost.stage_macs_naive
    assert 0.08 < cost.network_overhead < 0.11  # the paper's "about 10%" for the whole network


def test_stem_macs_by_hand():
    """MobileNetV2-224, 4x4 patches up to block3 (28x28 output, 7x7 tiles): the stem's MACs?

    Walking a tile of output rows [a, b) back by hand (3x3 convs pad 1, 1x1 convs read what they
    write): block3.dw (stride 2) reads rows [2a-1, 2b) of block2.add; block2.dw (stride 1) needs
    [2a-2, 2b+1) of block2.expand, so block1.project (read by block2.expand and the add) needs
    the hull [2a-2, 2b+1); block1.dw (stride 2) reads [4a-5, 4b+2); block0.dw (stride 1) reads
    [4a-6, 4b+3) of the stem output: 4*7 + 9 = 37 rows, the stem input 2*36 + 3 = 75 rows.
    Clipped to the 112 rows of the stem output: tile 0 [-6, 31) -> 31 rows, tiles 1 and 2
    [22, 59) and [50, 87) -> 37, tile 3 [78, 115) -> 34 (columns alike).
    """
    per_pixel = 3 * 3 * 3 * 32  # 3x3 kernel, 3 input channels, 32 output channels: 864
    interior = 4 * 37 * 37  # the 4 inner patches: 37x37 stem outputs each
    edges = 2 * (31 * 37 + 34 * 37) * 2  # 8 edge patches: (31 or 34) x 37, both orientations
    corners = 31 * 31 + 31 * 34 + 34 * 31 + 34 * 34  # 4 corner patches
    assert interior + edges + corners == (31 + 37 + 37 + 34) ** 2 == 139 ** 2
    clipped = per_pixel * (interior + edges + corners)
    naive = per_pixel * 16 * 37 * 37  # every patch its full 37x37 window
    assert (clipped, naive) == (16_693_344, 18_925_056)
    assert per_pixel * 112 * 112 == get_network("mobilenetv2").op("stem").macs  # once: 10,838,016

    prof = profile(get_network("mobilenetv2"), "patch", "mcunet", patches=4, split="block3")
    stem = prof.layers[0]
    assert stem.macs == clipped  # the stage rows' MACs: all 16 patches
    info = prof.patch
    assert info.shown_patch == (1, 1)  # an interior patch: where block1.expand peaks
    assert (stem.input_shape, stem.output_shape) == ((3, 75, 75), (32, 37, 37))
    row = info.stage_layers[0]
    assert (row.name, row.macs_all_patches, row.macs_shown_patch, row.sram_patch) == \
        ("stem", clipped, per_pixel * 37 * 37, (1, 1))
    assert prof.to_json()["patch"]["stage_layers"][0] == {
        "name": "stem", "macs_all_patches": clipped, "macs_shown_patch": per_pixel * 37 * 37,
        "sram_patch": [1, 1]}


def _brute_force_stage_macs(net, split, n, clip):
    """Stage MACs of an n x n grid, patch by patch, independently of tinyml_course.patch.

    For each patch, walk the stage ops backwards with Python sets of row (and column) indices:
    a conv's output row r reads input rows r*s - p .. r*s - p + k - 1 (an add: row r); a patch
    computes the hull of the rows its readers need; ``clip`` drops rows outside the tensor (the
    zero padding). MACs of an op on a patch: (MACs per output pixel, from the conv formula) x
    window rows x window columns.
    """
    index = [op.name for op in net.ops].index(split)
    stage, later = net.ops[:index + 1], net.ops[index + 1:]
    produced = {op.name for op in stage}
    boundary = {split} | {t for op in later for t in op.inputs if t in produced}
    size = {"input": net.input_shape[1:]}
    size.update({op.name: op.out_shape[1:] for op in net.ops})
    per_pixel = {}
    for op in stage:
        c_in, c_out, k = op.in_shape[0], op.out_shape[0], op.kernel
        per_pixel[op.name] = {"conv": k * k * c_in * c_out, "pwconv": c_in * c_out,
                              "dwconv": k * k * c_out, "add": 0}[op.kind]
    height, width = size[split]
    total = 0
    for i in range(n):
        for j in range(n):
            need = {t: [set(range(i * height // n, (i + 1) * height // n)),
                        set(range(j * width // n, (j + 1) * width // n))] for t in boundary}
            for op in reversed(stage):
                hull = [range(min(need[op.name][a]), max(need[op.name][a]) + 1) for a in (0, 1)]
                total += per_pixel[op.name] * len(hull[0]) * len(hull[1])
                for t in op.inputs:
                    for a in (0, 1):
                        if op.kind == "add":
                            rows = set(hull[a])
                        else:
                            rows = {r * op.stride - op.padding + d for r in hull[a]
                                    for d in range(op.kernel)}
                        if clip:
                            rows = {r for r in rows if 0 <= r < size[t][a]}
                        need.setdefault(t, [set(), set()])[a] |= rows
    once = sum(per_pixel[op.name] * op.out_shape[1] * op.out_shape[2] for op in stage)
    assert once == sum(op.macs for op in stage)  # the formula agrees with the network's count
    return once, total


def test_network_mac_overhead_brute_force():
    """MobileNetV2-224, 4x4 up to block3: exact executed MACs, counted patch by patch?"""
    net = get_network("mobilenetv2")
    once, clipped = _brute_force_stage_macs(net, "block3.project", 4, clip=True)
    _, naive = _brute_force_stage_macs(net, "block3.project", 4, clip=False)
    rest = net.macs - once
    assert (once, clipped, naive) == (91_282_688, 119_202_032, 129_517_568)
    assert (net.macs, rest + clipped, rest + naive) == (300_774_272, 328_693_616, 339_009_152)
    # overheads: +27,919,344 MACs (+9.28%) clipped, +38,234,880 (+12.71%) naive
    assert round((rest + clipped) / net.macs - 1, 4) == 0.0928
    assert round((rest + naive) / net.macs - 1, 4) == 0.1271

    cost = mac_overhead(net, "block3", 4)
    assert (cost.stage_macs, cost.stage_macs_clipped) == (once, clipped)
    assert cost.stage_macs_naive == naive
    assert (cost.network_macs_clipped, cost.network_macs_naive) == (rest + clipped, rest + naive)
    prof = profile(net, "patch", "mcunet", patches=4, split="block3")
    assert sum(layer.macs for layer in prof.layers) == rest + clipped  # rows add up to what runs


def test_stage_rows_show_one_patch():
    """Does every stage row show the windows of the same patch (an op's input window is the
    output window of the op that produced it), the add rows included?"""
    net = get_network("mobilenetv2")
    prof = profile(net, "patch", "mcunet", patches=4, split="block3")
    rows = {layer.name: layer for layer in prof.layers}
    for op in net.ops[:prof.patch.stage_ops]:
        if op.inputs[0] != "input":
            assert rows[op.name].input_shape == rows[op.inputs[0]].output_shape, op.name
    assert rows["block2.project"].output_shape == rows["block2.add"].output_shape == (24, 15, 15)
    table = prof.table()
    assert "shapes of patch (1,1)" in table and "MACs: summed over all 16 patches" in table
    assert "block2.add            add     24x15x15" in table
    assert "-- " not in profile(net, "in-place", "mcunet").table()  # other schedules: unchanged


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
        stage_peak.append(prof.patch.stage_peak_bytes)
        overhead.append(prof.patch.overhead.stage_macs_clipped)
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
    prof = profile(net, schedule, "exact", "float32")
    assert run.peak_sram_bytes == prof.peak_sram_bytes
    cost = mac_overhead(net, split, n)
    once, clipped = _brute_force_stage_macs(net, split, n, True)
    assert (cost.stage_macs, cost.stage_macs_clipped) == (once, clipped)
    assert cost.stage_macs_naive == _brute_force_stage_macs(net, split, n, False)[1]
    assert sum(layer.macs for layer in prof.layers) == cost.network_macs_clipped
