"""The MLPerf Tiny reference models: layer for layer as MLCommons' int8 .tflite files (counts
recorded in model/mlperf.py from the files), the two MLPerf boards in the catalogue, and the
fixed inputs of mlperf-kws and mlperf-ad refused a resolution in one line."""

import json

import pytest

from tinyml_course.cli.main import main
from tinyml_course.errors import SpecError
from tinyml_course.model.devices import get_device
from tinyml_course.model.mlperf import TFLITE_COUNTS
from tinyml_course.model.ops import GroupOp
from tinyml_course.model.zoo import get_network

# whole-file totals as the tflite package reads them (scripts/mlperf_tflite_counts.py)
TOTALS = {"mlperf-kws": (22604, 2656768), "mlperf-vww": (210850, 7489664),
          "mlperf-ic": (77706, 12501632),
          "mlperf-ad": (265864, 264192)}


@pytest.mark.parametrize("name", sorted(TFLITE_COUNTS))
def test_layers_equal_the_tflite_files(name):
    net = get_network(name)
    ours = [(op.params, op.macs) for op in net.ops if op.kind in GroupOp.WEIGHTED]
    assert ours == TFLITE_COUNTS[name]
    assert (net.params, net.macs) == TOTALS[name]


def test_recorded_counts_sum_to_the_file_totals():
    for name, rows in TFLITE_COUNTS.items():
        assert (sum(p for p, _ in rows), sum(m for _, m in rows)) == TOTALS[name]


@pytest.mark.parametrize("name", sorted(TFLITE_COUNTS))
def test_profile_json_reports_params_and_macs(name, capsys):
    assert main(["profile", name, "--schedule", "in-place", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    text = json.dumps(out)
    assert str(TOTALS[name][0]) in text and str(TOTALS[name][1]) in text


def test_kws_stem_is_tensorflows_same_10x4_conv():
    """keras_model.py's Conv2D(64, (10, 4), strides=(2, 2), padding='same') on 49 x 10: TF pads
    (25 - 1) * 2 + 10 - 49 = 9 rows, 4 above and 5 below, and (5 - 1) * 2 + 4 - 10 = 2 columns,
    1 and 1 (the .tflite's first CONV_2D: [1, 49, 10, 1] -> [1, 25, 5, 64], kernel
    [64, 10, 4, 1])."""
    net = get_network("mlperf-kws")
    stem = net.ops[0]
    assert (stem.kernel_hw, stem.stride, stem.pads) == ((10, 4), 2, (4, 5, 1, 1))
    assert stem.weight_shape == (64, 1, 10, 4)
    assert (net.input_shape, stem.out_shape, net.output_shape) == ((1, 49, 10), (64, 25, 5),
                                                                   (12, 1, 1))
    assert [op.kind for op in net.ops] == ["conv"] + ["dwconv", "pwconv"] * 4 + ["pool", "linear"]


@pytest.mark.parametrize("name", ["mlperf-kws", "mlperf-ad"])
def test_a_fixed_input_refuses_a_resolution_in_one_line(name, capsys):
    with pytest.raises(SpecError, match="no resolution"):
        get_network(name, resolution=32)
    assert main(["profile", name, "--resolution", "32"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no resolution" in err[0]


def test_the_mlperf_boards_are_in_the_catalogue():
    l4 = get_device("l4r5zi")
    assert (l4.core, l4.clock_mhz, l4.sram_bytes, l4.flash_bytes) == (
        "Cortex-M4F", 120, 640 * 1024, 2 * 1024 * 1024)
    h7 = get_device("h7a3")
    assert (h7.core, h7.clock_mhz) == ("Cortex-M7", 280)
