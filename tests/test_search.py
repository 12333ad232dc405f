"""The memory-constrained search: reproducible, every kept schedule really fits, cheapest first."""
import json

import pytest

from tinyml_course import build_network
from tinyml_course.devices import get_device
from tinyml_course.memory import profile
from tinyml_course.schedule import Schedule
from tinyml_course.search import evaluate, search, split_blocks
from tinyml_course.zoo import get_spec


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


def _schedule(text):
    if text.startswith("patch"):
        _, grid, _, _, split = text.split()
        return Schedule("patch", int(grid.split("x")[0]), split)
    return Schedule(text)


def test_kept_schedules_fit_and_are_the_cheapest(result):
    """Does memory.profile confirm each kept schedule, and that simpler ones would not fit?"""
    device = get_device("stm32f412")
    kinds = {c.kind for c in result.candidates}
    assert {"per-layer", "patch", "none"} <= kinds  # the space exercises every outcome
    for cand in result.candidates:
        net = build_network(cand.spec)
        if not cand.fits:
            continue
        prof = profile(net, _schedule(cand.schedule), "exact", "int8")
        assert prof.peak_sram_bytes == cand.peak_sram_bytes <= device.sram_bytes
        assert prof.flash_bytes == cand.flash_bytes <= device.flash_bytes
        if cand.kind != "per-layer":
            assert profile(net, "per-layer", "exact").peak_sram_bytes > device.sram_bytes
        if cand.kind == "patch":
            assert profile(net, "in-place", "exact").peak_sram_bytes > device.sram_bytes
            assert cand.executed_macs > cand.macs  # the overlap costs compute


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
    from tinyml_course.cli import main

    assert main(["search", "--device", "f412", "--candidates", "20", "--seed", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["device"] == "stm32f412" and out["candidates"] == 20 and out["seed"] == 5
    assert main(["search", "--device", "nope"]) == 2
    assert "unknown device" in capsys.readouterr().err
