"""mlperf-kws deployed at its real size (49 x 10 MFCCs, 2.7M MACs): the 10x4 stride-2 stem with
TensorFlow's uneven "same" padding runs bit-exact with the package's int8 path in every kernel
tier and schedule on the emulated NUCLEO-L4R5ZI, and its counted loop trips equal the kernel
descriptions (the latency model's features)."""

import json

import pytest

from tinyml_course.cli.main import main
from tinyml_course.deploy import kernels, trip_check
from tinyml_course.deploy.deploy import deploy, int8_model
from tinyml_course.deploy.program import OpCall, build_program
from tinyml_course.memory.schedule import Schedule
from tinyml_course.model.zoo import get_network

BOARD = "nucleo-l4r5zi"
PATCH = Schedule("patch", 2, "block0")  # the stem and block0 in 2 x 2 patches


@pytest.fixture(scope="module")
def kws():
    return int8_model(get_network("mlperf-kws"))


def test_the_stem_geometry_reaches_the_c():
    """The stem's tm_geom: 10 rows x 4 columns, stride 2, 4 rows above and 1 column on the left
    (the 5 rows below and the column on the right are the taps past the 49 x 10 input)."""
    program = build_program(get_network("mlperf-kws"), Schedule("per-layer"))
    stem = next(s for s in program.steps if isinstance(s, OpCall) and s.op.name == "stem")
    g = stem.geom
    assert (g.k, g.kw, g.stride, g.pad, g.pad_l) == (10, 4, 2, 4, 1)
    assert (g.in_h, g.in_w, g.out_h, g.out_w) == (49, 10, 25, 5)
    assert stem.family == ("conv_k10x4", "conv")


@pytest.mark.parametrize("kernel_set", kernels.KERNEL_FLAVOURS)
def test_every_tier_counts_the_described_trips_bit_exact(kws, kernel_set, tmp_path):
    model, image = kws
    counted, exact, program = trip_check.count_trips(model, image, BOARD, "per-layer", kernel_set,
                                                     tmp_path)
    assert exact
    assert trip_check.trip_mismatches(counted, trip_check.predicted_trips(program, kernel_set,
                                                                          model), program) == []


@pytest.mark.parametrize("schedule", [Schedule("in-place"), PATCH])
@pytest.mark.parametrize("kernel_set", ["reference", "cmsis", "tinyengine"])
def test_every_schedule_is_bit_exact_with_the_planned_arena(kws, kernel_set, schedule):
    model, image = kws
    result = deploy(model, image, BOARD, schedule, kernel_set, count=False)
    assert result.bit_exact
    assert result.arena_bytes == result.planned_arena_bytes


def test_deploy_cli_json(capsys):
    assert main(["deploy", "mlperf-kws", "--device", BOARD, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["network"] == "mlperf-kws" and out["bit_exact"] is True
    assert out["arena_bytes"] == 2 * 64 * 25 * 5  # a 1x1 conv's input and output, int8
    assert out["camera_bytes"] == 49 * 10
