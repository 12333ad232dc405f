"""The command line: readable and JSON output, and one-line errors with exit status 2."""

import json
import re
import subprocess
import sys

import pytest

from tinyml_course.cli.main import main

KIB = 1024


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_profile_json_has_the_documented_keys_and_the_published_peak(capsys):
    status, out, _ = run(capsys, "profile", "mobilenetv2", "--schedule", "in-place",
                         "--convention", "mcunet", "--json")
    data = json.loads(out)
    assert status == 0 and data["peak_sram_bytes"] == 1372 * KIB
    assert all(isinstance(data[k], int) for k in ("peak_sram_bytes", "flash_bytes", "macs", "params"))
    first = data["layers"][0]
    assert {"name", "op", "input_shape", "output_shape", "sram_bytes", "macs"} <= first.keys()
    assert first["input_shape"] == [3, 224, 224] and first["output_shape"] == [32, 112, 112]


def test_profile_measure_agrees_with_exact_in_int8_and_float32(capsys):
    for dtype in ("float32", "int8"):
        status, out, _ = run(capsys, "profile", "mcunet-in1", "--resolution", "64", "--schedule",
                             "in-place", "--dtype", dtype, "--measure", "--json")
        data = json.loads(out)
        assert status == 0 and data["measured_peak_sram_bytes"] == data["peak_sram_bytes"]


def test_profile_table_marks_the_peak_and_device_fit(capsys):
    status, out, _ = run(capsys, "profile", "mcunet-in2", "--convention", "tinyengine",
                         "--device", "stm32f746")
    assert status == 0
    assert "<- peak" in out and "200.0 KiB" in out and "SRAM: needs 200.0 KiB of 320.0 KiB" in out


def test_spec_file_and_devices(capsys, tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"name": "mine", "resolution": 32, "input_channels": 3,
                                "stem": {"kernel": 3, "stride": 2, "out": 8},
                                "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1}],
                                "feature_mix": None, "classes": 10}))
    status, out, _ = run(capsys, "profile", str(spec), "--json")
    assert status == 0 and json.loads(out)["network"] == "mine"
    status, out, _ = run(capsys, "devices", "--json")
    assert status == 0 and {d["name"] for d in json.loads(out)} >= {"stm32f746", "arduino-nano-33-ble-sense"}


@pytest.mark.parametrize("argv, message", [
    (["profile", "resnet50"], "unknown model 'resnet50'"),
    (["profile", "mcunet-in1", "--schedule", "fast"], "invalid choice: 'fast'"),
    (["profile", "mcunet-in1", "--device", "esp32"], "unknown device 'esp32'"),
    (["profile", "mcunet-in1", "--resolution", "-3"], "expected an integer from 1 to 1024, got '-3'"),
    (["profile", "mcunet-in1", "--width", "0.5"], "mobilenetv2 only"),
    (["profile", "missing.json"], "no such spec file"),
    (["profile", "{\"resolution\": 96}"], "missing required field"),
    (["profile", "mcunet-in1", "--convention", "paper"], "invalid choice: 'paper'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_console_script_is_installed_and_reports_errors_without_traceback():
    script = subprocess.run([sys.executable, "-m", "tinyml_course.cli", "profile", "nope"],
                            capture_output=True, text=True, timeout=60)
    assert script.returncode == 2 and "Traceback" not in script.stderr
    assert script.stderr.startswith("tinyml-course: error: unknown model")


@pytest.mark.parametrize("argv, message", [
    (["profile", "mcunet-in2", "--patches", "4"], "--patches needs --schedule patch"),
    (["profile", "mcunet-in2", "--schedule", "patch"], "needs --split"),
    (["search", "--device", "nano33", "--max-macs", "-5"], "expected a number > 0, got '-5'"),
])
def test_options_that_do_not_apply_are_refused(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 2 and message in err and err.count("\n") == 1


def test_a_json_spec_that_is_not_an_object_is_refused(capsys, tmp_path):
    spec = tmp_path / "list.json"
    spec.write_text("[1, 2]")
    status, _, err = run(capsys, "profile", str(spec))
    assert status == 2 and "must be a JSON object, got list" in err


def test_piping_into_head_ends_quietly():
    pipeline = subprocess.run(f"{sys.executable} -m tinyml_course.cli profile mobilenetv2 | head -2",
                              shell=True, capture_output=True, text=True, timeout=60)
    assert pipeline.stdout.count("\n") == 2 and "Traceback" not in pipeline.stderr


# ---------------------------------------------------------------- bad input that used to escape

TINY = {"resolution": 32, "stem": {"kernel": 3, "stride": 2, "out": 8}, "blocks": []}
BLOCK = {"kernel": 3, "expand": 1, "out": 8, "stride": 1}


def _spec_file(tmp_path, text):
    path = tmp_path / "spec.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def _one_line_error(capsys, *argv):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "", (status, out)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("argv, needed", [  # MobileNetV2 x4 wide at the largest resolution
    (["profile", "mobilenetv2", "--resolution", "1024", "--width", "4", "--measure"], 3 * 2 ** 30),
    (["profile", "mobilenetv2", "--resolution", "1024", "--width", "4", "--measure", "--schedule",
      "patch", "--split", "block3"], 3 * 2 ** 30),
    (["profile", "mobilenetv2", "--resolution", "1024", "--width", "2", "--measure", "--dtype",
      "float32"], 2 ** 30),
])
def test_measure_refuses_before_allocating_and_names_the_bytes(capsys, argv, needed):
    """Is a --measure run that needs more than 1 GiB refused, naming its bytes, without allocating?"""
    import tracemalloc
    tracemalloc.start()
    err = _one_line_error(capsys, *argv)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * 2 ** 20, f"allocated {peak} bytes before refusing"
    got = int(re.search(r"about ([\d,]+) bytes", err).group(1).replace(",", ""))
    # the input image alone is 3 x res^2 float32 values: the estimate is at least that
    res = int(argv[3])
    assert got >= max(needed, 3 * res * res * 4) and "1 GiB" in err


@pytest.mark.parametrize("field, value", [("out", 1_000_000_000), ("kernel", 100_001)])
def test_measure_refuses_huge_spec_fields(capsys, tmp_path, field, value):
    spec = dict(TINY, stem=dict(TINY["stem"], **{field: value}))
    err = _one_line_error(capsys, "profile", _spec_file(tmp_path, json.dumps(spec)), "--measure")
    assert "--measure would allocate about" in err


@pytest.mark.parametrize("expand, shown", [("Infinity", "inf"), ("1e300", "1e+300"),
                                           ("NaN", "nan"), ("65", "65")])
def test_non_finite_and_absurd_expand_is_refused_naming_the_field(capsys, tmp_path, expand, shown):
    text = json.dumps(dict(TINY, blocks=[dict(BLOCK, expand=0)])).replace('"expand": 0',
                                                                         f'"expand": {expand}')
    err = _one_line_error(capsys, "profile", _spec_file(tmp_path, text))
    assert "spec.blocks[0].expand" in err and f"got {shown}" in err


def test_a_spec_file_that_is_not_utf8_is_refused(capsys, tmp_path):
    path = _spec_file(tmp_path, b'{"name": "caf\xe9", "resolution": 32}')  # Latin-1
    err = _one_line_error(capsys, "profile", path)
    assert "is not UTF-8" in err and "byte 13" in err


@pytest.mark.parametrize("spec, where, key", [
    (dict(TINY, clases=10), "spec has", "'clases'"),
    (dict(TINY, stem=dict(TINY["stem"], strides=2)), "spec.stem has", "'strides'"),
    (dict(TINY, blocks=[BLOCK, dict(BLOCK, kernal=5)]), "spec.blocks[1] has", "'kernal'"),
])
def test_unknown_spec_keys_are_refused_naming_them_and_the_allowed_ones(capsys, tmp_path, spec,
                                                                         where, key):
    err = _one_line_error(capsys, "profile", _spec_file(tmp_path, json.dumps(spec)))
    assert f"{where} unknown key(s) {key}; allowed:" in err
    allowed = err.split("allowed: ")[1].strip().split(", ")
    assert key.strip("'") not in allowed and len(allowed) >= 3


@pytest.mark.parametrize("argv, message", [
    (["--seed", "-1"], "argument --seed: expected a seed: an integer >= 0, got '-1'"),
    (["--candidates", "99999999999999999999"], "an integer from 1 to 100000"),
    (["--candidates", "100001"], "an integer from 1 to 100000"),
])
def test_search_refuses_a_negative_seed_and_unbounded_candidates(capsys, argv, message):
    err = _one_line_error(capsys, "search", "--device", "nano33", *argv)
    assert message in err


@pytest.mark.parametrize("command", [["profile", "mcunet-in2"], ["deploy", "digits", "--out", "x"]])
def test_profile_and_deploy_default_to_the_same_patch_grid(command):
    """Does a patch schedule without --patches get MCUNetV2's 4x4 grid in both commands?"""
    from tinyml_course.cli.main import build_parser
    from tinyml_course.cli.network_options import schedule_from_args
    from tinyml_course.memory.schedule import Schedule
    args = build_parser().parse_args(command + ["--schedule", "patch", "--split", "block2"])
    assert schedule_from_args(args) == Schedule("patch", 4, "block2")


# ---------------------------------------------------------------- issue 20, item 19

@pytest.mark.slow
def test_deploy_writes_a_relative_out_dir_from_a_fresh_directory(capsys, tmp_path, monkeypatch):
    """Does the README's `deploy digits ... --out build/digits` work where build/ does not exist?"""
    monkeypatch.chdir(tmp_path)  # a fresh clone: nothing built yet, --out relative to it
    status, out, err = run(capsys, "deploy", "digits", "--out", "build/digits", "--no-count",
                           "--json")
    assert status == 0, err
    assert json.loads(out)["bit_exact"] is True
    assert (tmp_path / "build" / "digits" / "model.elf").is_file()
    assert (tmp_path / "build" / "digits" / "model.c").is_file()


def test_profile_accepts_the_resnet18_baseline_the_notebooks_use(capsys, tmp_path):
    """Is `profile resnet18` (notebooks 00 and 15) a profile of ResNet-18, not a refusal?"""
    status, out, err = run(capsys, "profile", "resnet18", "--json")
    assert status == 0, err
    data = json.loads(out)
    # He et al. (2016), Table 1: 1.8 x 10^9 multiply-adds at 224 x 224
    assert data["network"] == "resnet18" and round(data["macs"] / 1e9, 1) == 1.8
    assert data["layers"][0]["output_shape"] == [64, 112, 112]
    status, out, err = run(capsys, "profile", "resnet18", "--resolution", "112", "--json")
    assert status == 0 and json.loads(out)["layers"][0]["output_shape"] == [64, 56, 56]
    for argv in (["profile", "resnet18", "--resolution", "32", "--measure"],
                 ["deploy", "resnet18", "--resolution", "32", "--no-count", "--out", "OUT"]):
        # the runtimes do not execute its max pooling
        err = _one_line_error(capsys, *[str(tmp_path) if a == "OUT" else a for a in argv])
        assert "the ResNet-18 baseline is for accounting" in err


@pytest.mark.parametrize("argv, message", [
    (["profile", "mobilenetv2", "--resolution", "100000"],
     "argument --resolution: expected an integer from 1 to 1024, got '100000'"),
    (["deploy", "mcunet-in1", "--resolution", "4096", "--out", "OUT"],
     "argument --resolution: expected an integer from 1 to 1024, got '4096'"),
    (["profile", "mcunet-in1", "--device", "arduino"], "unknown device 'arduino'"),
    (["profile", "mcunet-in1", "--device", "stm32"], "unknown device 'stm32'"),
    (["deploy", "digits", "--device", "arduino", "--out", "OUT"], "unknown device 'arduino'"),
])
def test_an_unbounded_resolution_and_a_partial_device_name_are_refused(capsys, tmp_path, argv,
                                                                       message):
    err = _one_line_error(capsys, *[str(tmp_path) if a == "OUT" else a for a in argv])
    assert message in err


def test_an_unknown_device_lists_every_name_and_alias(capsys):
    from tinyml_course.model.devices import DEVICES
    err = _one_line_error(capsys, "profile", "mcunet-in1", "--device", "arduino")
    assert all(name in err for name in DEVICES) and "nano33" in err and "f746" in err


@pytest.mark.parametrize("name", ["nano33", "ARDUINO-NANO-33-BLE-SENSE", "f746", "stm32f746"])
def test_exact_device_names_and_aliases_still_work(capsys, name):
    status, out, _ = run(capsys, "profile", "mcunet-in1", "--device", name, "--json")
    assert status == 0 and json.loads(out)["device"]["name"] in {"arduino-nano-33-ble-sense",
                                                                 "stm32f746"}


def test_the_profile_table_keeps_its_columns_apart_for_wide_numbers(capsys, tmp_path):
    """Does every row keep two spaces between its columns when numbers outgrow their headings?"""
    wide = dict(TINY, resolution=1024, stem=dict(TINY["stem"], out=4096),
                blocks=[dict(BLOCK, expand=6, out=4096)], classes=1000)
    status, out, err = run(capsys, "profile", _spec_file(tmp_path, json.dumps(wide)))
    assert status == 0, err
    header, *rows = out.splitlines()[1:-1]
    columns = header.split()[:2] + ["input (C,H,W)", "output (C,H,W)", "SRAM KiB", "MACs"]
    assert [c.strip() for c in re.split(r"\s{2,}", header.strip())] == columns
    for row in rows:
        cells = re.split(r"\s{2,}", row.split("  <- peak")[0].strip())
        assert len(cells) == 6, row
    # the pwconv's MACs are exact in the table: 512 x 512 pixels x 24576 x 4096
    assert f"{512 * 512 * 24576 * 4096:,}" in out
