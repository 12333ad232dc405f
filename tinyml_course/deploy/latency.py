"""Latency without emulating: instruction counts predicted from the generated program's loop trip
counts, with coefficients calibrated on the emulator (``scripts/calibrate_latency.py``).

Emulating a deployment takes about a second (compile + run), too slow for a search that weighs
hundreds of candidates. But a kernel's instruction counts are, up to a few data-dependent branches
in requantization, a linear function of how often each of its loops runs (the C is compiled with
-fno-unroll-loops, so its loops are the C's), and those trip counts follow from the shapes alone.
So:

* ``step_features(step, kernels)``: for one step of ``program.build_program`` (a kernel call on
  a window, an add, a pool, a copy, a memmove, a layer marker), the kernel it calls in that kernel
  set (``kernels.kernel_for``) and the trip counts of that kernel's counted blocks (its ``loops``,
  the TM_TRIP marks of its C; ``FEATURES[name]``), which the kernel's description computes from
  the shapes and a -DTM_COUNT_TRIPS build counts in the emulator (``trip_check``: they agree);
  a kernel the code generator bakes per op (tinyengine) is keyed by its specialisation too
  (``Kernel.key``: e.g. 'dwconv_te/k5s2'), since the compiler makes different code of it for
  each kernel size and stride, or number of passes over the input channels;
* the shipped table (``latency_table.json``, per CPU: for every key, instructions of every
  ``cost.CLASSES`` class and LDM/STM registers per unit of each feature, fitted by least squares on
  the per-layer counts of emulated subnets) turns trip counts into instructions per class;
* ``predict(network, schedule, device)``: the sum over the program's steps, then ``cost``'s cycle
  table at the device's clock. Instruction counts are the calibrated model of exact emulator
  counts (the fit's error is in the table: a few percent for the baked kernels, whose code
  also depends on the op's other constants); cycles and milliseconds are an ESTIMATE, as in
  ``deploy``.

Because the features come from the schedule's own program, a patch schedule's recomputed overlaps,
in-place depthwise copies and arena compactions are counted as the deployment runs them.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import SpecError
from ..memory.schedule import as_schedule
from ..model.devices import get_device
from .cost import CLASSES, estimate_cycles
from .kernels import ALL_KERNELS, DEFAULT_KERNELS, kernel_for
from .program import Mark, build_program
from .toolchain import cpu_of

TABLE_PATH = Path(__file__).parent / "latency_table.json"
LABEL = "calibrated on the emulator (instruction counts exact, cycles an estimate)"
TARGETS = CLASSES + ("registers",)  # what a coefficient predicts: instructions per class, registers

# feature names of every kernel: the trip counts of its counted blocks (kernels.py)
FEATURES = {name: kernel.loops for name, kernel in ALL_KERNELS.items()}


def loops_of(key):
    """The feature names of a table key: a kernel name, or 'name/variant' (Kernel.key)."""
    return FEATURES[key.split("/")[0]]


def step_features(step, kernels=DEFAULT_KERNELS):
    """(table key, trip counts of its counted blocks) of one ``program`` step: the key is the
    kernel's name, with the specialisation of a baked kernel (e.g. 'dwconv_te/k5s2')."""
    kernel = kernel_for(step, kernels)
    return kernel.key(step), kernel.features(step)


def label_features(program, kernels=DEFAULT_KERNELS):
    """[{kernel name: summed feature vector (float64)}] per label of ``program`` (label i: the steps
    from the marker of label i on). What the emulator's per-label counts are fitted against."""
    out = [dict() for _ in program.labels]
    label = 0
    for step in program.steps:
        if isinstance(step, Mark):
            label = step.label
        key, values = step_features(step, kernels)
        row = out[label]
        row[key] = row.get(key, 0) + np.asarray(values, np.float64)
    return out


def sum_features(rows):
    """{key: feature vector} summed over ``rows`` (``label_features``' per-label dicts)."""
    total = {}
    for row in rows:
        for key, values in row.items():
            total[key] = total.get(key, 0) + values
    return total


def program_features(program, kernels=DEFAULT_KERNELS):
    """{kernel name: feature vector summed over every step of ``program``}."""
    return sum_features(label_features(program, kernels))


@lru_cache(maxsize=1)
def load_table(path=TABLE_PATH):
    """The shipped calibration table (JSON): {'cpus': {cpu: {'device', 'coefficients': {key:
    [[per target] or None, per feature]}, 'fit': {errors}}}, 'features', 'targets', 'how', ...}.
    Raises SpecError if it is missing."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise SpecError(f"latency table {path} missing: run scripts/calibrate_latency.py") from None


@dataclass
class LatencyPrediction:
    """Predicted instructions (per class) of one deployment, and the cycle ESTIMATE from them."""

    cpu: str
    instructions: int  # calibrated model of the emulator's exact count
    counts: dict  # class -> instructions (cost.CLASSES)
    cycles: float  # ESTIMATE: cost.CYCLES table
    ms: float  # ESTIMATE at the device's clock


def coefficients_of(coef, key):
    """[per-target row or None, per feature] of table key ``key`` in a CPU's ``coef``: its own
    fitted rows; a feature its specialisation never showed in the fit (None), or a specialisation
    the fit never saw, is priced as the kernel's other specialisations price it (the mean of
    their rows: the code of one block differs little between them); None where none has it."""
    base = key.split("/")[0]
    siblings = [rows for k, rows in coef.items() if k != key and k.split("/")[0] == base]
    own = coef.get(key, [None] * len(loops_of(key)))
    out = []
    for i, row in enumerate(own):
        known = [rows[i] for rows in siblings if rows[i] is not None]
        out.append(row if row is not None or not known else
                   [float(v) for v in np.mean(np.asarray(known, np.float64), axis=0)])
    return out


def predict_features(features, cpu, clock_mhz, table=None):
    """LatencyPrediction of summed ``features`` {key: vector} on ``cpu`` at ``clock_mhz`` MHz.

    Raises SpecError when the table has no coefficients for the CPU, or for a kernel key (or one
    of its features that occurs) in none of the kernel's specialisations."""
    table = table or load_table()
    if cpu not in table["cpus"]:
        raise SpecError(f"no latency calibration for {cpu}; calibrated: {', '.join(table['cpus'])}")
    coef = table["cpus"][cpu]["coefficients"]
    total = np.zeros(len(TARGETS))
    for key, values in features.items():
        values = np.asarray(values, np.float64)
        rows = coefficients_of(coef, key)
        unseen = [loops_of(key)[i] for i, row in enumerate(rows) if row is None and values[i]]
        if all(row is None for row in rows) or unseen:
            what = f"kernel {key!r}" + (f" with {', '.join(unseen)}" if unseen else "")
            raise SpecError(f"no latency calibration for {what} on {cpu}; rerun "
                            "scripts/calibrate_latency.py with networks that use it")
        rows = [row if row is not None else [0.0] * len(TARGETS) for row in rows]
        total += values @ np.asarray(rows, np.float64)
    total = np.maximum(total, 0)
    counts = {c: float(n) for c, n in zip(CLASSES, total)}
    est = estimate_cycles(counts, float(total[-1]), cpu, clock_mhz)
    return LatencyPrediction(cpu, int(round(sum(counts.values()))), counts, est.cycles, est.ms)


def predict(network, schedule, device, table=None, kernels=DEFAULT_KERNELS):
    """LatencyPrediction of deploying ``network`` under ``schedule`` on ``device`` with the kernel
    set ``kernels``. Raises SpecError / UnknownNameError on bad input."""
    device = get_device(device)
    program = build_program(network, as_schedule(schedule))
    return predict_features(program_features(program, kernels), cpu_of(device), device.clock_mhz,
                            table)
