"""The MLPerf Tiny reference models: layer for layer as MLCommons' int8 .tflite files (counts
recorded in model/mlperf.py from the files), the two MLPerf boards in the catalogue, and
mlperf-kws refused in one line."""

import json

import pytest

from tinyml_course.cli.main import main
from tinyml_course.errors import SpecError
from tinyml_course.model.devices import get_device
from tinyml_course.model.mlperf import TFLITE_COUNTS
from tinyml_course.model.ops import GroupOp
from tinyml_course.model.zoo import get_network

# whole-file totals as the tflite package reads them (scripts/mlperf_tflite_counts.py)
TOTALS = {"mlperf-vww": (210850, 7489664), "mlperf-ic": (77706, 12501632),
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


def test_kws_says_why_it_is_not_built(capsys):
    assert main(["profile", "mlperf-kws"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "10x4" in err[0] and "not built" in err[0]
    with pytest.raises(SpecError, match="10x4"):
        get_network("mlperf-kws")


def test_ad_has_no_resolution():
    with pytest.raises(SpecError, match="no resolution"):
        get_network("mlperf-ad", resolution=96)


def test_the_mlperf_boards_are_in_the_catalogue():
    l4 = get_device("l4r5zi")
    assert (l4.core, l4.clock_mhz, l4.sram_bytes, l4.flash_bytes) == (
        "Cortex-M4F", 120, 640 * 1024, 2 * 1024 * 1024)
    h7 = get_device("h7a3")
    assert (h7.core, h7.clock_mhz) == ("Cortex-M7", 280)
