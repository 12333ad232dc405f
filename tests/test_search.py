"""The memory-constrained search: reproducible, every kept schedule really fits, cheapest first."""
import json

import pytest

from tinyml_course import build_network
from tinyml_course.model.devices import get_device
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.live_set import layer_memory
from tinyml_course.memory.patch_accounting import mac_overhead
from tinyml_course.memory.schedule import Schedule
from tinyml_course.nas.search import evaluate, search, split_blocks
from tinyml_course.model.zoo import get_spec


@pytest.fixture(scope="module")
def result():
    return search("stm32f412", candidates=60, seed=3)


def test_same_seed_same_result(result):
    """Does the same seed sample the same architectures and pick the same best?"""
    again = search("stm32f412", candidates=60, seed=3)
    assert [c.spec for c in again.candidates] == [c.spec for c in result.candidates]
    assert again.best.spec == result.best.spec
    other = search("stm32f412", candidates=60, seed=4)
    assert [c.spec for c in other.candidates] != [c.spec for c in result.candidates]


def test_kept_schedules_fit_and_are_the_cheapest(result):
    """Does memory.profile confirm each kept schedule, and that simpler ones would not fit?"""
    device = get_device("stm32f412")
    kinds = {c.kind for c in result.candidates}
    assert {"per-layer", "patch", "none"} <= kinds  # the space exercises every outcome
    for cand in result.candidates:
        net = build_network(cand.spec)
        if not cand.fits:
            continue
        assert cand.schedule.kind == cand.kind
        prof = profile(net, cand.schedule, "exact", "int8")
        assert prof.peak_sram_bytes == cand.peak_sram_bytes <= device.sram_bytes
        assert prof.flash_bytes == cand.flash_bytes <= device.flash_bytes
        if cand.kind != "per-layer":
            assert profile(net, "per-layer", "exact").peak_sram_bytes > device.sram_bytes
        if cand.kind == "patch":
            assert profile(net, "in-place", "exact").peak_sram_bytes > device.sram_bytes
            assert cand.executed_macs > cand.macs  # the overlap costs compute
            schedule = cand.schedule
            overhead = mac_overhead(net, schedule.split, schedule.patches)
            assert cand.executed_macs == overhead.network_macs_clipped


def test_best_maximises_macs(result):
    """Is the best the largest-MACs architecture among the fitting ones?"""
    fitting = [c for c in result.candidates if c.fits]
    assert result.best.macs == max(c.macs for c in fitting)
    limited = search("stm32f412", candidates=60, seed=3, max_macs=60e6)
    assert limited.best.executed_macs <= 60e6
    json.dumps(result.to_json(with_candidates=True))


def test_reference_models_on_devices():
    """Do the zoo models get the schedules their exact peaks call for, on 256 and 512 kB?"""
    # mcunet-in2: per-layer 325 kB, in place 200 kB (exact rule)
    assert evaluate(get_spec("mcunet-in2"), "stm32f412").kind == "in-place"
    assert evaluate(get_spec("mcunet-in2"), "stm32h743").kind == "per-layer"
    # mbv2-w0.35 at 144: more than 256 kB even in place, so it needs patches on the F412
    assert profile(build_network(get_spec("mbv2-w0.35")), "in-place").peak_sram_bytes > 256 * 1024
    assert evaluate(get_spec("mbv2-w0.35"), "stm32f412").kind == "patch"
    # mcunet-in4: 1.7 MB of int8 weights do not fit 1 MB of Flash, whatever the schedule
    cand = evaluate(get_spec("mcunet-in4"), "stm32f412")
    assert not cand.flash_fits and cand.kind == "none" and cand.peak_sram_bytes > 0
    net = build_network(get_spec("mcunet-in2"))
    assert split_blocks(net) == ["block4", "block7", "block12"]  # last blocks at 1/4, 1/8, 1/16


def test_search_command(capsys):
    """Does `tinyml-course search` print JSON, and one error line for an unknown device?"""
    from tinyml_course.cli.main import main

    assert main(["search", "--device", "f412", "--candidates", "20", "--seed", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["device"] == "stm32f412" and out["candidates"] == 20 and out["seed"] == 5
    assert main(["search", "--device", "nope"]) == 2
    assert "unknown device" in capsys.readouterr().err


# ---- evaluate() gives what trying every schedule in order gives (the straightforward way)


def _reference_evaluate(spec, device, index=0, convention="exact", dtype="int8",
                        grids=(2, 3, 4), split_strides=(4, 8, 16)):
    """Every schedule tried in order, each from the library's own profiles: evaluate's contract."""
    from tinyml_course.memory.accounting import flash_bytes
    from tinyml_course.memory.patch_plan import patch_plan
    from tinyml_course.memory.patch_accounting import _patch_macs, stage_peak_bytes
    from tinyml_course.nas.search import Candidate

    device = get_device(device)
    net = build_network(spec)
    flash = flash_bytes(net, dtype)
    base = dict(index=index, name=spec.get("name", "custom"), width=spec.get("width", 1.0),
                resolution=net.input_shape[1], depth=len(net.blocks()), macs=net.macs,
                params=net.params, flash_bytes=flash, spec=spec)
    ops = range(len(net.ops))
    per_layer = [m.sram_bytes for m in layer_memory(net, ops, convention, dtype, False)]
    inplace = [m.sram_bytes for m in layer_memory(net, ops, convention, dtype, True)]
    tried = [(max(per_layer), net.macs, Schedule("per-layer"), "per-layer"),
             (max(inplace), net.macs, Schedule("in-place"), "in-place")]
    flash_fits = flash <= device.flash_bytes
    if flash_fits and min(t[0] for t in tried) > device.sram_bytes:
        options = []
        for split in split_blocks(net, split_strides):
            last = net.blocks()[int(split[5:])][-1]
            for n in grids:
                if n <= last.out_shape[1]:
                    plan = patch_plan(net, split, n)
                    executed = net.macs - sum(op.macs for op in plan.stage) + \
                        sum(_patch_macs(plan))
                    options.append((executed, n, plan))
        for executed, n, plan in sorted(options, key=lambda o: (o[0], o[1])):
            peak = max([stage_peak_bytes(plan, convention, dtype)]
                       + inplace[plan.split_index + 1:])
            tried.append((peak, executed, Schedule("patch", n, plan.split), "patch"))
            if peak <= device.sram_bytes:
                break
    fitting = [t for t in tried if t[0] <= device.sram_bytes] if flash_fits else []
    if fitting:
        peak, executed, schedule, kind = min(fitting, key=lambda t: t[1])
    else:
        peak, executed, schedule, kind = min(tried, key=lambda t: (t[0], t[1], str(t[2])))
        schedule, kind = None, "none"
    return Candidate(**base, schedule=schedule, kind=kind, peak_sram_bytes=peak,
                     executed_macs=executed, flash_fits=flash_fits)


@pytest.mark.parametrize("device, convention, dtype, grids, split_strides", [
    ("stm32f412", "exact", "int8", (2, 3, 4), (4, 8, 16)),
    ("stm32h743", "exact", "int8", (2, 3, 4), (4, 8, 16)),
    ("stm32f746", "mcunet", "int8", (2, 3, 4), (4, 8, 16)),
    ("stm32f412", "tinyengine", "int8", (2, 3, 4), (4, 8, 16)),
    ("stm32h743", "exact", "float32", (2, 3, 4), (4, 8, 16)),
    ("stm32f412", "exact", "int8", (4, 2, 8, 3, 6), (2, 4, 8, 16, 32)),  # unsorted grids too
])
def test_evaluate_matches_trying_every_schedule(device, convention, dtype, grids, split_strides):
    """Do the readable evaluate(fast=False) and the fast path (fast_search: pruned, one walk per
    split) both pick what trying every schedule picks, on random networks?"""
    import numpy as np

    from tinyml_course.nas.search import sample_spec

    rng = np.random.default_rng(sum(map(ord, device + convention + dtype)) + len(grids))
    specs = [sample_spec(rng) for _ in range(40)]
    specs += [get_spec(name) for name in ("mbv2-w0.35", "mcunet-in2", "mcunet-in4", "mobilenetv2")]
    kinds = set()
    for i, spec in enumerate(specs):
        want = _reference_evaluate(spec, device, i, convention, dtype, grids, split_strides)
        readable = evaluate(spec, device, i, convention, dtype, grids, split_strides, fast=False)
        fast = evaluate(spec, device, i, convention, dtype, grids, split_strides, fast=True)
        assert readable == want, spec["name"]
        assert fast == want, spec["name"]  # the fast path equals the readable one
        kinds.add(fast.kind)
    assert "patch" in kinds


def test_layer_sram_is_layer_memory():
    """Are the one-walk per-layer and in-place figures (memory.layer_sram) those of layer_memory?"""
    import numpy as np

    from tinyml_course.memory.live_set import layer_sram
    from tinyml_course.nas.search import sample_spec

    rng = np.random.default_rng(0)
    nets = [build_network(sample_spec(rng)) for _ in range(10)] + [_nonsquare_network()]
    nets += [build_network(get_spec(name)) for name in ("mcunet-in1", "mcunet-in2", "mobilenetv2")]
    for net in nets:
        for ops in (range(len(net.ops)), range(5, len(net.ops)), range(3, 9)):
            for convention in ("exact", "mcunet", "tinyengine"):
                for dtype in ("int8", "float32"):
                    want = [[m.sram_bytes
                             for m in layer_memory(net, ops, convention, dtype, inplace)]
                            for inplace in (False, True)]
                    assert list(layer_sram(net, ops, convention, dtype)) == want


def _nonsquare_network():
    """A small MBConv-like network on a 3 x 64 x 96 input (every spec network is square)."""
    from tinyml_course.model.network import Network, Op, conv_output_size

    ops, shape, last = [], (3, 64, 96), "input"

    def add(name, kind, inputs, out, kernel=1, stride=1, block=None):
        nonlocal shape, last
        c, h, w = shape
        if kind != "add":
            h = conv_output_size(h, kernel, stride, kernel // 2)
            w = conv_output_size(w, kernel, stride, kernel // 2)
        ops.append(Op(name, kind, tuple(inputs), shape, (out, h, w), kernel, stride, kernel // 2,
                      None, block))
        shape, last = (out, h, w), name

    add("stem", "conv", ["input"], 8, 3, 2)
    for b, (out, stride, kernel) in enumerate([(8, 1, 3), (16, 2, 5), (16, 1, 3), (24, 2, 7),
                                                (24, 1, 3), (32, 2, 3)]):
        block_input, cin = last, shape[0]
        add(f"block{b}.expand", "pwconv", [last], cin * 3, block=b)
        add(f"block{b}.dw", "dwconv", [last], cin * 3, kernel, stride, block=b)
        add(f"block{b}.project", "pwconv", [last], out, block=b)
        if stride == 1 and cin == out:
            add(f"block{b}.add", "add", [last, block_input], out, block=b)
    return Network("nonsquare", (3, 64, 96), ops)


def test_patch_plans_are_patch_plans():
    """Are the plans and MACs of one walk for several grids (patch.patch_plans,
    patch_accounting.grid_stage_macs) those of one patch_plan per grid / _patch_macs?"""
    from tinyml_course.memory.patch_plan import patch_plan, patch_plans
    from tinyml_course.memory.patch_accounting import _patch_macs, grid_stage_macs, stage_peak_bytes

    for net in (build_network(get_spec("mbv2-w0.35")), _nonsquare_network()):
        for split in split_blocks(net, (2, 4, 8, 16)):
            end = net.index(net.blocks()[int(split[5:])][-1].name)
            grids = [n for n in (3, 2, 5, 4) if n <= min(net.ops[end].out_shape[1:])]
            plans = patch_plans(net, end, grids)
            assert len(plans) == len(grids) and plans[-1] is plans[len(grids) - 1]
            for n, macs, got in zip(grids, grid_stage_macs(plans), plans):
                want = patch_plan(net, split, n)
                assert macs == sum(_patch_macs(want))
                for field in ("split_index", "patches", "boundary", "direct", "row_tiles",
                              "col_tiles", "clip", "last_use"):
                    assert getattr(got, field) == getattr(want, field), field
                for axis in ("rows", "cols"):
                    a, b = getattr(got, axis), getattr(want, axis)
                    assert a.keys() == b.keys()
                    assert all((a[t][k] == b[t][k]).all() for t in a for k in (0, 1))
                for convention in ("exact", "mcunet"):
                    assert stage_peak_bytes(got, convention) == stage_peak_bytes(want, convention)
