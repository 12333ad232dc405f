"""Patch-based inference: windows against a brute-force receptive field, execution against the
per-layer executor, the arena's measured peak and trace against the analytic accounting."""
import numpy as np
import pytest

from tinyml_course import ZOO_NAMES, build_network, get_network
from tinyml_course.errors import SpecError, UnknownNameError
from tinyml_course.runtime.executor import execute
from tinyml_course.runtime.backend import random_weights
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.patch_plan import grid_tiles, input_window, patch_plan, resolve_split
from tinyml_course.memory.patch_accounting import patch_trace
from tinyml_course.memory.schedule import Schedule

TOL = 1e-5  # float32: patch and per-layer outputs differ only by float reassociation


def brute_force_masks(network, split_index, tile):
    """Which pixels of every stage tensor a tile of the stage output needs: (H, W) bool masks.

    Independent of tinyml_course.patch: propagates pixel sets backwards, one output pixel and one
    kernel tap at a time, dropping taps that land in the zero padding.
    """
    stage = network.ops[:split_index + 1]
    last_use = network.last_use()
    masks = {}
    for op in stage:  # boundary tensors: the tile (a, b) x (c, d)
        if last_use[op.name] > split_index:
            _, h, w = op.out_shape
            masks[op.name] = np.zeros((h, w), bool)
            masks[op.name][tile[0]:tile[1], tile[2]:tile[3]] = True
    for op in reversed(stage):
        rows, cols = np.nonzero(masks[op.name])
        for t in op.inputs:
            _, h, w = network.shape_of(t)
            need = masks.setdefault(t, np.zeros((h, w), bool))
            if op.kind == "add":
                need[rows, cols] = True
                continue
            for di in range(op.kernel):
                for dj in range(op.kernel):
                    r = rows * op.stride - op.padding + di
                    c = cols * op.stride - op.padding + dj
                    ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
                    need[r[ok], c[ok]] = True
    return masks


def bbox(mask):
    rows, cols = np.nonzero(mask)
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


@pytest.mark.parametrize("name,split,n", [
    ("mobilenetv2", "block3", 4), ("mobilenetv2", "block4.dw", 3), ("mcunet-in2", "block5", 5),
    ("proxyless-w0.3", "block3.expand", 3), ("mcunet-in4", "block6", 4)])
def test_windows_match_brute_force(name, split, n):
    """Is every stage tensor's window the bounding box of the pixels its tile really needs?"""
    net = get_network(name, resolution=64)
    plan = patch_plan(net, split, n)
    for i, j in plan.patch_order():
        masks = brute_force_masks(net, plan.split_index, plan.tile(i, j))
        for tensor, mask in masks.items():
            assert tuple(plan.window(i, j, tensor)) == bbox(mask), (tensor, i, j)


def test_receptive_field_unclipped_by_hand():
    """Does an unclipped window grow by (k - 1) * (product of later strides) per conv?"""
    spec = {"resolution": 32, "stem": {"kernel": 3, "stride": 2, "out": 4},
            "blocks": [{"kernel": 5, "expand": 1, "out": 4, "stride": 2},
                       {"kernel": 3, "expand": 2, "out": 4, "stride": 1}], "classes": None}
    net = build_network(spec)  # 32 -> stem s2 16 -> dw5 s2 8 -> dw3 s1 8
    # by hand, patch (1, 1) = output rows [2, 4): dw3 s1 p1 reads [1, 5); the 1x1 expansion the
    # same; dw5 s2 p2 reads [1*2 - 2, 4*2 - 2 + 5) = [0, 11); the stem s2 p1 [-1, 22): 23 rows
    w = input_window(net, "block1", 4, 1, 1, clip=False)
    assert (w.r0, w.r1, w.c0, w.c1) == (-1, 22, -1, 22)
    assert input_window(net, "block1", 4, 1, 1) == (0, 22, 0, 22)  # clipped: padding not stored


def test_uneven_grid_tiles():
    """Does a grid that does not divide the map still cover it exactly once?"""
    tiles = grid_tiles(28, 5)
    assert tiles[0][0] == 0 and tiles[-1][1] == 28
    assert all(a[1] == b[0] for a, b in zip(tiles, tiles[1:]))
    assert sorted({b - a for a, b in tiles}) == [5, 6]


def test_split_names():
    """Does 'blockN' mean that block's last op, and are bad splits refused by name?"""
    net = get_network("mobilenetv2", resolution=64)
    assert net.ops[resolve_split(net, "block3")].name == "block3.project"
    assert net.ops[resolve_split(net, "block4")].name == "block4.add"
    with pytest.raises(SpecError):
        resolve_split(net, "block99")
    with pytest.raises(SpecError):
        resolve_split(net, "pool")
    with pytest.raises(UnknownNameError):
        resolve_split(net, "nonsense")
    with pytest.raises(SpecError):
        patch_plan(net, "block16", 3)  # 2x2 output, 3x3 grid


def _configs(net):
    """Three (grid, split) pairs: an early block, a mid-block op, a late block on an uneven grid."""
    by_res = {}
    for b, ops in net.blocks().items():
        by_res.setdefault(ops[-1].out_shape[1], []).append(b)
    sizes = sorted(by_res, reverse=True)
    early, late = by_res[sizes[1]][-1], by_res[sizes[-2]][-1]
    mid = net.blocks()[by_res[sizes[1]][-1] + 1]
    late_n = min(3, net.op(net.blocks()[late][-1].name).out_shape[1])
    return [(3, f"block{early}"), (2, mid[-2].name), (late_n, f"block{late}")]


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO_NAMES)
def test_zoo_patch_equals_per_layer(name):
    """Does patch inference give the per-layer output, with the analytic peak and trace?"""
    net = get_network(name, resolution=64)
    weights = random_weights(net, 0)
    x = np.random.default_rng(1).standard_normal(net.input_shape).astype(np.float32)
    ref = execute(net, x, weights, "per-layer").output
    for n, split in _configs(net):
        schedule = Schedule("patch", n, split, stream_input=(n != 2))
        run = execute(net, x, weights, schedule)
        scale = max(1.0, float(np.abs(ref).max()))
        assert np.abs(run.output - ref).max() <= TOL * scale, (split, n)
        assert run.trace == patch_trace(net, schedule, "float32"), (split, n)
        assert run.peak_sram_bytes == profile(net, schedule, "exact", "float32").peak_sram_bytes


@pytest.mark.slow
def test_patch_int8_equals_per_layer_int8():
    """Is int8 patch inference bit-exact with int8 per-layer inference (zero-point padding)?"""
    from tinyml_course.runtime.int8_backend import Int8Backend
    from tinyml_course.compression.int8_convert import convert

    net = get_network("mcunet-in1", resolution=48)
    rng = np.random.default_rng(2)
    calib = rng.standard_normal((4,) + net.input_shape).astype(np.float32)
    backend = Int8Backend(convert(net, random_weights(net, 3), calib))
    ref = execute(net, calib[0], backend, "per-layer").output
    for n, split in [(4, "block2"), (3, "block4.dw"), (5, "block1")]:
        schedule = Schedule("patch", n, split)
        run = execute(net, calib[0], backend, schedule)
        assert np.array_equal(run.output, ref), (split, n)
        assert run.peak_sram_bytes == profile(net, schedule, "exact", "int8").peak_sram_bytes


def test_streamed_input_stays_outside_the_arena():
    """Does holding the whole image cost exactly its bytes more than streaming it?"""
    net = get_network("mcunet-in1", resolution=48)
    weights = random_weights(net, 0)
    x = np.zeros(net.input_shape, np.float32)
    held = execute(net, x, weights, "patch", patches=3, split="block2", stream_input=False)
    streamed = execute(net, x, weights, "patch", patches=3, split="block2")
    stem_window = patch_plan(net, "block2", 3).window(1, 1, "input")
    image = int(np.prod(net.input_shape)) * 4
    stem_held = dict(held.trace)["stem[1,1]"]
    stem_streamed = dict(streamed.trace)["stem[1,1]"]
    assert stem_held - stem_streamed == image - 3 * stem_window.h * stem_window.w * 4
