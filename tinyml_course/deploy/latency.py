"""Latency without emulating: instruction counts predicted from the generated program's loop trip
counts, with coefficients calibrated on the emulator (``scripts/calibrate_latency.py``).

Emulating a deployment takes about a second (compile + run), too slow for a search that weighs
hundreds of candidates. But the optimized kernels' instruction counts are, up to a few
data-dependent branches in requantization, a linear function of how often each of their loops runs,
and those trip counts follow from the shapes alone. So:

* ``step_features(network, step)``: for one step of ``program.build_program`` (a kernel call on a
  window, an add, a pool, a copy, a memmove, a layer marker), the kernel it calls (``key``, e.g.
  ``dwconv_k5``) and the trip counts of that kernel's loops (``FEATURES[key]``: calls, output
  pixels, interior pixels of the unrolled 3x3 path, border pixels, valid taps, ...), summed over
  the call;
* the shipped table (``latency_table.json``, per CPU: for every key, instructions of every
  ``cost.CLASSES`` class and LDM/STM registers per unit of each feature, fitted by least squares on
  the per-layer counts of emulated subnets) turns trip counts into instructions per class;
* ``predict(network, schedule, device)``: the sum over the program's steps, then ``cost``'s cycle
  table at the device's clock. Instruction counts are the calibrated model of exact emulator
  counts (the fit's error is in the table); cycles and milliseconds are an ESTIMATE, as in
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
from ..model.ops import GroupOp
from .cost import CLASSES, estimate_cycles
from .program import build_program
from .toolchain import cpu_of

TABLE_PATH = Path(__file__).parent / "latency_table.json"
LABEL = "calibrated on the emulator (instruction counts exact, cycles an estimate)"
TARGETS = CLASSES + ("registers",)  # what a coefficient predicts: instructions per class, registers

# feature names (loop trip counts summed over one call) of every kernel key
_DW = ("calls", "channels", "rows", "pixels", "fast_pixels", "border_pixels", "border_valid_rows",
       "border_taps")
FEATURES = {
    "mark": ("calls",),
    "copy": ("calls", "channels", "rows", "elements"),
    "move": ("calls", "bytes"),
    "add": ("calls", "channels", "rows", "elements"),
    "pool": ("calls", "channels", "elements"),
    "pwconv": ("calls", "rows", "pixels", "pair_pixels", "pair_quads_by4", "pair_quads_left",
               "pair_enter_by4", "pair_enter_left", "pair_tail", "odd_pixels", "odd_macs"),
    "conv_k3": ("calls", "channels", "rows", "pixels", "fast_macs9", "border_pixels",
                "border_channel_pixels", "border_valid_rows", "border_taps"),
    "conv_ref": ("calls", "channels", "rows", "pixels", "channel_pixels", "valid_rows", "taps"),
    **{f"dwconv_k{k}": _DW for k in (3, 5, 7)},
    **{f"dwconv_inplace_k{k}": _DW + ("words", "tail_bytes") for k in (3, 5, 7)},
}


def _axis(out0, n, stride, pad, size, k):
    """(valid taps per output position, whether the whole window is inside) along one axis."""
    start = (out0 + np.arange(n)) * stride - pad
    valid = np.clip(np.minimum(k, size - start) - np.maximum(0, -start), 0, None)
    return valid, (start >= 0) & (start + k <= size)


def _window_counts(g, fast_path):
    """Trip counts of a k x k window over the output region of geometry ``g`` (one channel).

    fast_path: whether interior pixels take the unrolled 3x3 path (kernels_opt.c, k = 3).
    Returns (pixels, fast pixels, border pixels, valid rows summed over border pixels, valid taps
    summed over border pixels).
    """
    k = g["k"]
    vr, ir = _axis(g["out_r0"], g["out_h"], g["stride"], g["pad"], g["in_h"], k)
    vc, ic = _axis(g["out_c0"], g["out_w"], g["stride"], g["pad"], g["in_w"], k)
    border = ~np.outer(ir, ic) if fast_path else np.ones((len(vr), len(vc)), bool)
    pixels = len(vr) * len(vc)
    n_border = int(border.sum())
    rows = int((vr[:, None] * border).sum())
    taps = int((np.outer(vr, vc) * border).sum())
    return pixels, pixels - n_border, n_border, rows, taps


def _kernel_features(op, g, inplace):
    """(key, feature values) of one kernel call (tm_*_opt) with geometry ``g``."""
    cout, rows, pixels = g["cout"], g["out_h"], g["out_h"] * g["out_w"]
    if op.kind in GroupOp.MATMUL:
        cin, pairs, odd = g["cin"], cout // 2, cout % 2
        quads = cin // 4  # SMLAD passes of 4 input channels; clang unrolls them by 4
        pp = pixels * pairs
        return "pwconv", (1, rows, pixels, pp, pp * (quads // 4), pp * (quads % 4),
                          pp * (quads >= 4), pp * (quads % 4 > 0), pp * (cin % 4), pixels * odd,
                          pixels * odd * cin)
    k = g["k"]
    if op.kind == "dwconv":
        pix, fast, border, vrows, taps = _window_counts(g, k == 3)
        values = tuple(cout * v for v in (1, rows, pix, fast, border, vrows, taps))
        if inplace:
            return f"dwconv_inplace_k{k}", (1,) + values + (cout * (pix // 4), cout * (pix % 4))
        return f"dwconv_k{k}", (1,) + values
    if op.kind == "conv":
        cin = g["cin"]
        pix, fast, border, vrows, taps = _window_counts(g, k == 3)
        if k == 3:
            return "conv_k3", (1, cout, cout * rows, cout * pix, cout * fast * cin, cout * border,
                               cout * border * cin, cout * cin * vrows, cout * cin * taps)
        return "conv_ref", (1, cout, cout * rows, cout * pix, cout * pix * cin, cout * cin * vrows,
                            cout * cin * taps)
    raise SpecError(f"no latency features for op kind {op.kind!r} ({op.name})")


def step_features(network, step):
    """(key, feature values) of one ``program.Step`` of ``network``'s program (see FEATURES)."""
    a = step.args
    if step.kind == "mark":
        return "mark", (1,)
    if step.kind == "move":
        return "move", (1, a["nbytes"])
    if step.kind == "camera":
        w = a["win"]
        c = network.input_shape[0]
        return "copy", (1, c, c * w.h, c * w.h * w.w)
    if step.kind in ("copy", "add"):
        return step.kind, (1, a["c"], a["c"] * a["h"], a["c"] * a["h"] * a["w"])
    if step.kind == "pool":
        return "pool", (1, a["c"], a["c"] * a["h"] * a["w"])
    return _kernel_features(network.ops[step.layer], a["geom"], step.kind == "inplace")


def label_features(program):
    """[{key: summed feature vector (float64)}] per label of ``program`` (label i: the steps after
    the marker of label i). What the emulator's per-label counts are fitted against."""
    out = [dict() for _ in program.labels]
    label = 0
    for step in program.steps:
        if step.kind == "mark":
            label = step.layer
        key, values = step_features(program.network, step)
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


def program_features(program):
    """{key: feature vector summed over every step of ``program``}."""
    return sum_features(label_features(program))


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


def predict_features(features, cpu, clock_mhz, table=None):
    """LatencyPrediction of summed ``features`` {key: vector} on ``cpu`` at ``clock_mhz`` MHz.

    Raises SpecError when the table has no coefficients for the CPU or for a kernel key."""
    table = table or load_table()
    if cpu not in table["cpus"]:
        raise SpecError(f"no latency calibration for {cpu}; calibrated: {', '.join(table['cpus'])}")
    coef = table["cpus"][cpu]["coefficients"]
    total = np.zeros(len(TARGETS))
    for key, values in features.items():
        values = np.asarray(values, np.float64)
        unseen = [FEATURES[key][i] for i, row in enumerate(coef.get(key, ()))
                  if row is None and values[i]]
        if key not in coef or unseen:
            what = f"kernel {key!r}" + (f" with {', '.join(unseen)}" if unseen else "")
            raise SpecError(f"no latency calibration for {what} on {cpu}; rerun "
                            "scripts/calibrate_latency.py with networks that use it")
        rows = [row if row is not None else [0.0] * len(TARGETS) for row in coef[key]]
        total += values @ np.asarray(rows, np.float64)
    total = np.maximum(total, 0)
    counts = {c: float(n) for c, n in zip(CLASSES, total)}
    est = estimate_cycles(counts, float(total[-1]), cpu, clock_mhz)
    return LatencyPrediction(cpu, int(round(sum(counts.values()))), counts, est.cycles, est.ms)


def predict(network, schedule, device, table=None):
    """LatencyPrediction of deploying ``network`` under ``schedule`` on ``device`` (the optimized
    kernels, as ``deploy.deploy`` by default). Raises SpecError / UnknownNameError on bad input."""
    device = get_device(device)
    program = build_program(network, as_schedule(schedule))
    return predict_features(program_features(program), cpu_of(device), device.clock_mhz, table)
