"""Deploying to an emulated Cortex-M: bit-exact outputs, linker-measured memory equal to the
planner's arena, link-time overflow errors, measured instructions, and the CLI.

Reduced resolutions only (full ones: benchmarks/bench_deploy.py). Expected values come from
elsewhere: the package's numpy int8 path, memory.profile, the arena executor, the device table.
"""

import json

import numpy as np
import pytest

from tinyml_course import memory
from tinyml_course.cli.main import main
from tinyml_course.deploy.deploy import deploy, int8_model
from tinyml_course.deploy.program import Move, build_program
from tinyml_course.memory.schedule import Schedule
from tinyml_course.deploy.toolchain import DoesNotFitError
from tinyml_course.model.devices import get_device
from tinyml_course.model.zoo import ZOO_NAMES, get_network
from tinyml_course.runtime.executor import execute
from tinyml_course.runtime.int8_backend import Int8Backend

pytestmark = pytest.mark.slow  # its fixtures cross-compile and emulate networks: about a minute

SCHEDULES = [("per-layer", {}), ("in-place", {}), ("patch", {"split": "block2", "patches": 2})]
ZOO_RESOLUTION = 32  # the smallest resolution every zoo network accepts


@pytest.fixture(scope="module")
def digits():
    return int8_model("digits")


@pytest.fixture(scope="module")
def digits_runs(digits, tmp_path_factory):
    model, image = digits
    return {(kind, kernels): deploy(model, image, "stm32f746", kind, kernels,
                                    tmp_path_factory.mktemp(f"{kind}-{kernels}"), **options)
            for kind, options in SCHEDULES for kernels in ("reference", "tinyengine")}


@pytest.mark.parametrize("kind,options", SCHEDULES)
def test_digits_is_bit_exact_and_its_arena_is_the_planned_peak(digits, digits_runs, kind, options):
    model, image = digits
    planned = memory.profile(model.network, kind, convention="exact", dtype="int8",
                             **options).peak_sram_bytes
    measured = execute(model.network, image, Int8Backend(model), kind, **options).peak_sram_bytes
    for kernels in ("reference", "tinyengine"):
        run = digits_runs[(kind, kernels)]
        assert run.bit_exact and np.array_equal(run.output, run.expected)
        assert run.arena_bytes == planned == measured, (run.arena_bytes, planned, measured)
        # static SRAM is the arena plus the runtime's one int32 (tm_current_layer), from the ELF
        assert run.static_sram_bytes == run.arena_bytes + 4
        assert 0 < run.stack_bytes < 1024 and run.sram_bytes == run.static_sram_bytes + run.stack_bytes


def test_compaction_and_a_held_input_on_a_cortex_m4_stay_bit_exact(digits, tmp_path):
    model, image = digits
    # the per-layer walk compacts the arena at least once: a memmove step in the C
    assert any(isinstance(step, Move) for step in build_program(model.network, "per-layer").steps)
    schedule = Schedule("patch", 2, "block2", stream_input=False)  # the whole image held in SRAM
    run = deploy(model, image, "stm32f412", schedule, "reference", tmp_path, count=False)
    assert run.cpu == "cortex_m4" and run.bit_exact
    assert run.arena_bytes == memory.profile(model.network, schedule).peak_sram_bytes


def test_digits_output_is_the_predicted_class(digits, digits_runs):
    model, image = digits
    from tinyml_course.compression.data import load_digits
    _, _, _, y_test = load_digits()
    logits = digits_runs[("in-place", "tinyengine")].output.reshape(-1)
    assert int(np.argmax(logits)) == int(y_test[0])


def test_flash_holds_every_weight_and_the_image(digits, digits_runs):
    model, _ = digits
    run = digits_runs[("per-layer", "tinyengine")]
    constants = model.flash_bytes + model.requant_bytes  # int8 weights, int32 biases, int32 M0 + shift
    assert run.sections[".rodata"] >= constants + run.camera_bytes
    assert run.flash_bytes == run.sections[".text"] + run.sections[".rodata"] + run.sections.get(".data", 0)


def test_tinyengine_kernels_execute_fewer_instructions(digits_runs):
    ref = {r["name"]: r["instructions"] for r in digits_runs[("per-layer", "reference")].layers}
    opt = {r["name"]: r["instructions"] for r in digits_runs[("per-layer", "tinyengine")].layers}
    assert digits_runs[("per-layer", "tinyengine")].instructions < digits_runs[("per-layer", "reference")].instructions
    for name in ("stem", "block1.expand", "block1.dw", "block1.project"):  # SMLAD, 3x3 unrolled
        assert opt[name] * 1.4 < ref[name], (name, opt[name], ref[name])
    for name in ("input", "block0.add", "pool"):  # copies, adds and pooling are the same code
        # (the generated call site's register moves may differ by an instruction or two)
        assert abs(opt[name] - ref[name]) <= 2, (name, opt[name], ref[name])
    run = digits_runs[("per-layer", "tinyengine")]
    assert sum(r["instructions"] for r in run.layers) == run.instructions
    device = get_device("stm32f746")
    assert run.estimated_ms == pytest.approx(run.estimated_cycles / (device.clock_mhz * 1e3), rel=1e-3)


@pytest.mark.parametrize("name", ZOO_NAMES)
def test_zoo_networks_are_bit_exact_under_every_schedule(name, tmp_path):
    network = get_network(name, ZOO_RESOLUTION)
    model, image = int8_model(network)
    if name == "mobilenetv2":  # 3.4 MB of int8 weights: no catalogue device has the Flash
        with pytest.raises(DoesNotFitError, match="region FLASH"):
            deploy(model, image, "stm32h743", "in-place", "tinyengine", tmp_path, count=False)
        return
    kernels = "tinyengine"
    if name == "mcunet-in4":  # int16 depthwise weights and per-op code overflow the H743's Flash
        with pytest.raises(DoesNotFitError, match="region FLASH"):
            deploy(model, image, "stm32h743", "in-place", kernels, tmp_path, count=False)
        kernels = "reference"  # int8 weights, generic code: fits
    for kind, options in SCHEDULES:
        run = deploy(model, image, "stm32h743", kind, kernels, tmp_path / kind, count=False,
                     **options)
        planned = memory.profile(network, kind, convention="exact", dtype="int8", **options)
        assert run.bit_exact, (name, kind)
        assert run.arena_bytes == planned.peak_sram_bytes, (name, kind)


def test_a_model_too_big_for_flash_fails_at_link_time_with_the_overflow(tmp_path):
    network = get_network("mcunet-in4", ZOO_RESOLUTION)  # ~1.9 MB of weights
    model, image = int8_model(network)
    # the reference kernels: int8 weights and generic code (the tinyengine build of mcunet-in4
    # overflows even the H743: test_zoo_networks_are_bit_exact_under_every_schedule)
    fits = deploy(model, image, "stm32h743", "in-place", "reference", tmp_path / "h743",
                  count=False)
    with pytest.raises(DoesNotFitError) as err:
        deploy(model, image, "stm32f746", "in-place", "reference", tmp_path / "f746", count=False)
    f746 = get_device("stm32f746")
    assert err.value.region == "FLASH"
    # the same image is linked for both: the overflow is what the H743 build needs beyond 1 MB
    # (plus at most the few bytes of padding that align .rodata after .text)
    assert 0 <= err.value.overflow_bytes - (fits.flash_bytes - f746.flash_bytes) < 8
    assert "stm32f746" in str(err.value) and f"{err.value.overflow_bytes:,} bytes" in str(err.value)


def test_cli_json_and_errors(capsys, tmp_path):
    status = main(["deploy", "digits", "--schedule", "in-place", "--out", str(tmp_path), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0
    keys = {"device", "schedule", "flash_bytes", "sram_bytes", "arena_bytes", "planned_arena_bytes",
            "stack_bytes", "instructions", "estimated_cycles", "estimated_ms", "bit_exact", "layers"}
    assert keys <= data.keys() and data["bit_exact"] is True
    assert data["arena_bytes"] == data["planned_arena_bytes"]
    assert (tmp_path / "model.c").exists() and (tmp_path / "model.elf").exists()
    assert {"name", "instructions"} <= data["layers"][1].keys()
    spec = tmp_path / "tiny.json"  # a JSON spec network with generated weights
    spec.write_text(json.dumps({"name": "tiny", "resolution": 12, "input_channels": 3,
                                "stem": {"kernel": 3, "stride": 2, "out": 8},
                                "blocks": [{"kernel": 3, "expand": 2, "out": 8, "stride": 1}],
                                "feature_mix": None, "classes": 4}))
    assert main(["deploy", str(spec), "--kernels", "reference", "--out", str(tmp_path / "spec"),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bit_exact"] is True and data["arena_bytes"] == data["planned_arena_bytes"]
    for argv, message in [(["deploy", "nope", "--out", str(tmp_path)], "unknown model"),
                          (["deploy", "digits", "--device", "esp32", "--out", str(tmp_path)],
                           "unknown device"),
                          (["deploy", "digits", "--schedule", "patch", "--out", str(tmp_path)],
                           "--split"),
                          (["deploy", "digits", "--resolution", "32", "--out", str(tmp_path)],
                           "resolution")]:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
