"""`tinyml-course compress`: before/after figures, --json, and one-line errors with status 2."""

import json

import pytest

from tinyml_course.cli import main as cli


def test_compress_json_channel_pruning(capsys):
    """Does --json report the float model before and the channel-pruned one after, with the
    hand-counted float32 peaks (4 x 8192 before, 4 x 6144 after) measured = analytic?"""
    assert cli.main(["compress", "--prune", "channel", "--sparsity", "0.5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    before, after = result["before"], result["after"]
    assert before["peak_sram_bytes"] == before["measured_peak_sram_bytes"] == 4 * 8192
    assert after["peak_sram_bytes"] == after["measured_peak_sram_bytes"] == 4 * 6144
    assert before["accuracy"] >= 0.95 and after["params"] < before["params"]
    assert after["flash_bytes"] < before["flash_bytes"] == 4 * before["params"]
    assert result["fits"]["both"] is True and result["device"]["name"] == "arduino-nano-33-ble-sense"


def test_compress_table_int8(capsys):
    """Does the table show accuracy, Flash and peak SRAM rows and the device line for int8?"""
    assert cli.main(["compress", "--quantize", "int8", "--format", "dense"]) == 0
    out = capsys.readouterr().out
    for label in ("accuracy (held-out)", "Flash (bytes)", "peak SRAM (bytes)", "peak SRAM measured",
                  "fits on arduino-nano-33-ble-sense"):
        assert label in out
    assert "8,192" in out and "32,768" in out  # int8 peak after, float32 peak before


@pytest.mark.parametrize("argv", [
    ["compress", "--bits", "9"], ["compress", "--sparsity", "1.5"], ["compress", "--prune", "random"],
    ["compress", "--quantize", "int8", "--bits", "4"], ["compress", "--device", "toaster"],
    ["compress", "--finetune", "2"]])
def test_bad_options_exit_2_with_one_line(capsys, argv):
    """Does every bad option exit with status 2 and exactly one stderr line, no traceback?"""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and err.startswith("tinyml-course: error:")
