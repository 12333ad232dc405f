"""Do the C kernels, the code generator and the latency model agree? Count every TM_TRIP block of a
deployed program in the emulator and compare with the kernel descriptions' trip counts.

``count_trips(model, image, device, schedule, kernels)`` builds the program with -DTM_COUNT_TRIPS
(each ``TM_TRIP(name)`` of the C increments ``tm_trips[label][name]``), runs it, and returns the
counts as an int array (labels, len(kernels.TRIP_NAMES)) beside the bit-exactness of the output.
``predicted_trips(program, kernels)`` is the same array from ``kernels.py``'s formulas (what the
latency model's features are made of). ``trip_mismatches`` lists every (label, block) where they
differ: a kernel whose loops changed without its description, a block the description forgot, or
a C block it does not know (that one fails to compile: its TM_TRIP index is undefined).
"""

import tempfile
from pathlib import Path

import numpy as np

from ..memory.schedule import as_schedule
from ..model.devices import get_device
from ..runtime.int8_backend import Int8Backend, run_int8
from . import emulator
from .codegen import ARENA_SYMBOL, COUNT_TRIPS_DEFINE, TRIPS_SYMBOL, step_kernel, write_project
from .elf import read_elf
from .kernels import DEFAULT_KERNELS, TRIP_NAMES, kernel_for
from .program import Mark, build_program
from .toolchain import build


def predicted_trips(program, kernels, model=None):
    """int64 (labels, len(TRIP_NAMES)): each block's runs per label from the kernel descriptions.
    model: the QuantizedModel, so that each op gets the kernel codegen gives it (None: assume
    every tinyengine kernel applies)."""
    index = {name: i for i, name in enumerate(TRIP_NAMES)}
    out = np.zeros((len(program.labels), len(TRIP_NAMES)), np.int64)
    label = 0
    for step in program.steps:
        if isinstance(step, Mark):
            label = step.label
        kernel = step_kernel(step, model, kernels) if model is not None else kernel_for(step, kernels)
        for name, count in zip(kernel.loops, kernel.features(step)):
            out[label, index[name]] += count
    return out


def count_trips(model, image, device, schedule="per-layer", kernels=DEFAULT_KERNELS, workdir=None):
    """(int64 (labels, len(TRIP_NAMES)) counted in the emulator, output bit-exact?, Program).

    Raises what ``deploy`` raises for a model that does not build, fit or run."""
    device = get_device(device)
    program = build_program(model.network, as_schedule(schedule))
    camera = Int8Backend(model).prepare_input(image)
    with tempfile.TemporaryDirectory(prefix="tinyml-trips-") as scratch:
        project = Path(workdir or scratch)
        project.mkdir(parents=True, exist_ok=True)
        sources = write_project(project, model, program, camera, kernels, count_trips=True)
        info = read_elf(build(project, device, sources, defines=(COUNT_TRIPS_DEFINE,)))
    run = emulator.run(info, device, len(program.labels), count=False)
    address, nbytes = info.symbols[TRIPS_SYMBOL]
    trips = np.frombuffer(run.read(address, nbytes), "<i4").reshape(len(program.labels), -1)
    arena = info.symbols[ARENA_SYMBOL][0]
    size = int(np.prod(program.output_shape))
    output = np.frombuffer(run.read(arena + program.output_offset, size), np.int8)
    expected = np.asarray(run_int8(model, image), np.int8).reshape(-1)
    return trips.astype(np.int64), bool(np.array_equal(output, expected)), program


def trip_mismatches(counted, predicted, program):
    """['label L (name): block B counted N, described M', ...] where the two arrays differ."""
    out = []
    for label, block in zip(*np.nonzero(counted != predicted)):
        out.append(f"label {label} ({program.labels[label]}): block {TRIP_NAMES[block]} counted "
                   f"{counted[label, block]:,}, described {predicted[label, block]:,}")
    return out
