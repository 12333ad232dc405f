"""Deploy a network to an emulated microcontroller in one call: ``deploy(model, image, device)``.

Generates the C (``codegen``) for a schedule (``program``), compiles and links it for the device
(``toolchain``: a model that does not fit fails here), reads the ELF (``elf``), runs it in the
emulator (``emulator``) and checks the output bit-exactly against the package's integer-only int8
path (``runtime.int8_backend.run_int8``). Returns a ``Deployment``: Flash and SRAM from the linker, the
stack's high-water mark from the run, the arena (ELF) beside the planner's analytic peak,
instructions per layer (measured) and cycles / milliseconds (ESTIMATED from ``cost``).
"""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..compression.data import load_digits
from ..compression.int8_convert import convert
from ..compression.trained import load_trained
from ..errors import SpecError
from ..memory.schedule import as_schedule
from ..model.devices import get_device
from ..model.network import Network
from ..runtime.backend import random_weights
from ..runtime.int8_backend import Int8Backend, run_int8
from . import emulator
from .codegen import ARENA_SYMBOL, write_project
from .cost import CLASSES, estimate_cycles
from .elf import read_elf
from .kernels import DEFAULT_KERNELS, check_kernels
from .program import build_program
from .toolchain import build, cpu_of

DIGITS = "digits"  # the model name of the course's trained digits model
CALIBRATION_IMAGES = 256  # digits training images that calibrate the int8 ranges
DIGITS_TEST_IMAGE = 0  # index of the held-out image the deployed digits model classifies
RANDOM_SEED = 0  # seed of a zoo/spec network's generated weights and input


@dataclass
class Deployment:
    """The measured (and estimated, where labelled) figures of one deployed network. Bytes."""

    network: str
    device: str
    schedule: str
    kernels: str
    project_dir: str | None  # where the C project and ELF were written (None: not kept)
    sections: dict  # section -> size in bytes (linker)
    flash_bytes: int  # .text + .rodata + .data (linker)
    static_sram_bytes: int  # .data + .bss (linker)
    stack_bytes: int  # high-water mark of the stack (painted stack, measured in the run)
    arena_bytes: int  # size of the tm_arena symbol in the ELF
    planned_arena_bytes: int  # memory.profile(..., convention='exact', dtype='int8') peak
    camera_bytes: int  # the input image, kept in Flash in place of a camera
    bit_exact: bool  # emulator output == runtime.int8_backend.run_int8, byte for byte
    output: np.ndarray  # int8, the emulated output tensor
    expected: np.ndarray  # int8, the package's output
    instructions: int | None = None  # executed (count=True)
    layers: list = field(default_factory=list)  # [{'name', 'instructions', 'estimated_cycles',
    #   'classes' (class -> instructions, cost.CLASSES), 'registers' (moved by LDM/STM)}]
    estimated_cycles: float | None = None  # ESTIMATE (cost table)
    estimated_ms: float | None = None  # ESTIMATE at the device's clock
    cpu: str = ""

    @property
    def sram_bytes(self):
        """Linker's .data + .bss plus the stack's measured high-water mark."""
        return self.static_sram_bytes + self.stack_bytes

    def to_json(self):
        """A JSON-ready dict (the CLI's --json object)."""
        return {"network": self.network, "device": self.device, "schedule": self.schedule,
                "kernels": self.kernels, "cpu": self.cpu, "project_dir": self.project_dir,
                "flash_bytes": self.flash_bytes, "sram_bytes": self.sram_bytes,
                "static_sram_bytes": self.static_sram_bytes, "stack_bytes": self.stack_bytes,
                "arena_bytes": self.arena_bytes, "planned_arena_bytes": self.planned_arena_bytes,
                "camera_bytes": self.camera_bytes, "sections": self.sections,
                "instructions": self.instructions, "estimated_cycles": self.estimated_cycles,
                "estimated_ms": self.estimated_ms, "bit_exact": self.bit_exact,
                "layers": self.layers}

    def lines(self):
        """A readable report (KiB = 1024 bytes)."""
        where = f"C project and ELF in {self.project_dir}" if self.project_dir else "C project not kept"
        out = [f"{self.network} on {self.device} ({self.cpu}), schedule {self.schedule}, "
               f"{self.kernels} kernels; {where}",
               f"Flash (linker: .text + .rodata + .data): {self.flash_bytes:,} bytes "
               f"= {self.flash_bytes / 1024:.1f} KiB (of which the test image {self.camera_bytes:,})",
               f"SRAM (linker .data + .bss {self.static_sram_bytes:,} + stack high-water mark "
               f"{self.stack_bytes:,}): {self.sram_bytes:,} bytes = {self.sram_bytes / 1024:.1f} KiB",
               f"arena: {self.arena_bytes:,} bytes in the ELF, planner's peak "
               f"{self.planned_arena_bytes:,} bytes "
               f"({'equal' if self.arena_bytes == self.planned_arena_bytes else 'DIFFERENT'})"]
        if self.instructions is not None:
            out.append(f"instructions executed: {self.instructions:,}; estimated cycles "
                       f"{self.estimated_cycles:,.0f} = {self.estimated_ms:.2f} ms "
                       f"(an ESTIMATE from a per-instruction-class table)")
            out.append(f"  {'layer':<22}{'instructions':>14}{'est. cycles':>14}")
            out += [f"  {r['name']:<22}{r['instructions']:>14,}{r['estimated_cycles']:>14,.0f}"
                    for r in self.layers]
        out.append(f"output check against the package's int8 path: "
                   f"{'bit-exact' if self.bit_exact else 'MISMATCH'}")
        return out


def int8_model(network=DIGITS, seed=RANDOM_SEED, weights=None):
    """(QuantizedModel, float input image (C, H, W)) to deploy.

    network: 'digits' (the trained model, calibrated on digits training images; a held-out digit
    as input) or a Network (float32 ``weights`` {op: (weight, bias)}, by default He-initialised
    from ``seed``; a random input from ``seed``, which also calibrates, as ``tinyml-course profile
    --measure`` does).
    """
    if isinstance(network, str) and network == DIGITS:
        net, weights = load_trained()
        x_train, _, x_test, _ = load_digits()
        return convert(net, weights, x_train[:CALIBRATION_IMAGES]), x_test[DIGITS_TEST_IMAGE]
    if not isinstance(network, Network):
        raise SpecError(f"expected 'digits' or a Network, got {network!r}")
    rng = np.random.default_rng(seed)
    generated = random_weights(network, rng)
    weights = generated if weights is None else weights
    x = rng.standard_normal(network.input_shape).astype(np.float32)
    return convert(network, weights, x[np.newaxis]), x


def deploy(model, image, device="stm32f746", schedule="per-layer", kernels=DEFAULT_KERNELS,
           out_dir=None, count=True, budget=emulator.DEFAULT_BUDGET, **schedule_options):
    """Generate, build, emulate and check one network; return a Deployment.

    model: QuantizedModel; image: float (C, H, W). out_dir: where the C project and ELF go (when
    None, a temporary directory, removed afterwards). count: count instructions per layer (slower).
    Raises DoesNotFitError (toolchain) when the model does not fit the device, EmulationError on
    a fault, UnknownNameError / SpecError for bad names and options.
    """
    device = get_device(device)
    kernels = check_kernels(kernels)  # an alias becomes its tier
    schedule = as_schedule(schedule, **schedule_options)
    network = model.network
    program = build_program(network, schedule)
    camera = Int8Backend(model).prepare_input(image)  # int8 (C, H, W)
    with tempfile.TemporaryDirectory(prefix="tinyml-deploy-") as scratch:
        project = Path(out_dir) if out_dir else Path(scratch)  # a scratch project is removed
        project.mkdir(parents=True, exist_ok=True)
        sources = write_project(project, model, program, camera, kernels)
        info = read_elf(build(project, device, sources))
    run = emulator.run(info, device, len(program.labels), budget, count)
    arena_address, arena_bytes = info.symbols[ARENA_SYMBOL]
    size = int(np.prod(program.output_shape))
    output = np.frombuffer(run.read(arena_address + program.output_offset, size), np.int8)
    output = output.reshape(program.output_shape).copy()
    expected = np.asarray(run_int8(model, image), np.int8).reshape(program.output_shape)
    result = Deployment(
        network.name, device.name, str(schedule), kernels, str(out_dir) if out_dir else None,
        {name: int(s) for name, (_, s) in info.sections.items()}, info.flash_bytes,
        info.static_sram_bytes, run.stack_bytes, int(arena_bytes), program.arena_bytes,
        int(camera.size), bool(np.array_equal(output, expected)), output, expected,
        cpu=cpu_of(device))
    if count:
        cpu = cpu_of(device)
        total_counts, total_regs = {c: 0 for c in CLASSES}, 0
        for label, name in enumerate(program.labels):
            est = estimate_cycles(run.classes[label], run.registers[label], cpu, device.clock_mhz)
            result.layers.append({"name": name, "instructions": run.per_label[label],
                                  "estimated_cycles": round(est.cycles),
                                  "classes": {c: int(run.classes[label][c]) for c in CLASSES},
                                  "registers": int(run.registers[label])})
            for c, n in run.classes[label].items():
                total_counts[c] += n
            total_regs += run.registers[label]
        est = estimate_cycles(total_counts, total_regs, cpu, device.clock_mhz)
        result.instructions = run.instructions
        result.estimated_cycles, result.estimated_ms = round(est.cycles), est.ms
    return result
