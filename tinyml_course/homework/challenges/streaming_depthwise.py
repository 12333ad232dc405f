"""sram_accounting's challenge, ``streaming-depthwise``: an in-place depthwise conv with less scratch.

The student's ``depthwise_streaming(arena, buf, weight, bias)`` (stride 1, padding k//2, float32,
output at the input's address) is graded from outside its process: each of STREAMING_CASES runs
in a fresh sandboxed process of its own (``streaming_case``, started by the grader's
``case_measurement``), whose peak memory the operating system reports; ``measure_outside``
judges each case's output (``judge_outside``) and ``score_streaming_runs`` scores the extra memory
on STREAMING_SCALE: from H*W elements (MCUNet-v1's channel buffer, 1 point) down to
(k//2 + 1)*W streaming rows, within the measurement's resolution (4 points).

``measure_streaming_depthwise`` runs a kernel here, in the calling process, and reports the
arena's high-water mark and tracemalloc's temporaries: the notebook's visible test, the student's
own feedback (a figure the student's code could change; no grade reads it).
"""

import math
from dataclasses import dataclass

import numpy as np

from ...model.units import DTYPE_BYTES, KIB
from ...runtime.kernels import depthwise_conv2d
from .probes import run_streaming_depthwise, streaming_inputs
from .score import ChallengeScore, Scale
from .streaming_case import case_inputs

NAME = "streaming-depthwise"
FLOAT32_BYTES = DTYPE_BYTES["float32"]  # an element of the challenge's tensors
# (C, H, W, k, seed): a channel of scratch is 24 MiB, streaming rows 128-224 KiB; wide and short,
# so that a row-by-row Python kernel (H * k * k numpy steps a channel) is graded in seconds
STREAMING_CASES = ((2, 384, 16384, 3, 0), (2, 512, 12288, 5, 1), (2, 448, 14336, 7, 2))
CASE_ENTRY = "tinyml_course.homework.challenges.streaming_case:prepare"
CASE_FUNCTION = "depthwise_streaming"
# what the solution cell finds defined in its case process, as the notebook's first cell gives it
CASE_NAMES = {"np": "numpy", "Arena": "tinyml_course.memory.arena:Arena",
              "depthwise_conv2d": "tinyml_course.runtime.kernels:depthwise_conv2d"}
LOCAL_TEMPORARY_ALLOWANCE_BYTES = 4 * KIB  # the local figure: Python's own temporaries not counted


@dataclass(frozen=True)
class StreamingScale(Scale):
    """Per case: 0 if wrong, else floor + (max - floor) * q with q = log(H*W / extra) /
    log(H*W / target), target = (k//2 + 1)*W + the resolution in elements; the mean."""

    resolution_bytes: int = 4 << 20  # extra memory the measurement does not tell from none

    def target(self, w, k):
        """Elements of extra memory that earn full points: streaming rows plus the resolution."""
        return (k // 2 + 1) * w + self.resolution_bytes / FLOAT32_BYTES

    def quality(self, extra, h, w, k):
        """q in [0, 1]: 0 at H*W extra elements or more, 1 at target(w, k) or fewer."""
        base, target = h * w, self.target(w, k)
        if extra <= target:
            return 1.0
        if extra >= base:
            return 0.0
        return math.log(base / extra) / math.log(base / target)

    def points(self, extra, h, w, k):
        """Points of a right run with ``extra`` elements beyond C*H*W."""
        return self.points_for(self.quality(extra, h, w, k))

    def text(self):
        """The published scale, as the notebook, the docs and the feedback record show it."""
        mib = self.resolution_bytes / 2**20
        return ("0 if the output is wrong, not at the input's address, or scratch stays "
                f"allocated; else per case {self.formula('q')} points, q = log(H·W / extra) / "
                f"log(H·W / target) clamped to [0, 1], target = (k//2 + 1)·W + {mib:g} MiB "
                f"(the measurement's resolution, {FLOAT32_BYTES} bytes an element), extra = the "
                "elements your call adds to its process's peak memory, as the operating system "
                "measures a fresh process running your solution cell and the case, less the same "
                "process without your kernel; the mean over the cases. So H·W extra elements (a "
                f"whole channel of scratch) earn {self.points_phrase(0)}, (k//2 + 1)·W earn "
                f"{self.points_phrase(1)}, and halving the extra memory always earns the same step.")


STREAMING_SCALE = StreamingScale()


def streaming_expected(c, h, w, k, seed=0):
    """The right output of a graded case: depthwise_conv2d of streaming_case.case_inputs, stride
    1, padding k//2 (float32, (C, H, W))."""
    x, weight, bias = case_inputs(c, h, w, k, seed)
    return depthwise_conv2d(x, weight, bias, 1, k // 2)


def judge_outside(measured, expected, scale=STREAMING_SCALE):
    """The judged record of one case measured outside (``measured``: the grader's
    OutsideCases.measure of it: 'record' the case process's own description, 'out' its output or
    None, 'problem', 'extra_bytes') against ``expected`` (computed by the judge).

    Returns plain data: 'shape', 'kernel', 'correct', 'problem' ('' or why not), 'extra_bytes'
    and 'extra_elements' (extra_bytes / FLOAT32_BYTES).
    """
    c, h, w = expected.shape
    record, out = dict(measured["record"]), measured["out"]
    problem = str(measured["problem"] or record.get("problem") or "")
    if not problem:
        if out is None:
            problem = "it returned no output"
        elif record.get("out_offset") != record.get("in_offset"):
            problem = (f"the output is at byte {record.get('out_offset')}, not at the input's "
                       f"byte {record.get('in_offset')}")
        elif not np.allclose(out, expected, atol=1e-4):
            err = float(np.max(np.abs(out - expected)))
            problem = f"the output differs from depthwise_conv2d by up to {err:.3g}"
        elif record.get("live_bytes") != expected.nbytes:
            problem = f"{record.get('live_bytes')} bytes stay allocated, expected {expected.nbytes}"
    extra = int(measured["extra_bytes"])
    return {"shape": [c, h, w], "kernel": int(record.get("kernel", 0) or 0), "correct": not problem,
            "problem": problem, "extra_bytes": extra, "extra_elements": extra / FLOAT32_BYTES}


def measure_outside(cases_of_student, expected, cases=STREAMING_CASES, scale=STREAMING_SCALE):
    """The judged records of a student's solution cell on ``cases``, each measured outside:
    ``cases_of_student.measure(entry, args, function, names, out_shape)`` (the grader's
    case_measurement.OutsideCases) runs it, ``expected`` are the cases' right outputs."""
    return [judge_outside(cases_of_student.measure(CASE_ENTRY, list(case), CASE_FUNCTION,
                                                   CASE_NAMES, case[:3]), want, scale)
            for case, want in zip(cases, expected)]


def local_extra_elements(arena_peak_bytes, temporary_bytes, c, h, w):
    """The local figure: elements beyond C*H*W of the arena's high-water mark plus the
    temporaries beyond LOCAL_TEMPORARY_ALLOWANCE_BYTES, FLOAT32_BYTES an element."""
    counted = arena_peak_bytes + max(0, temporary_bytes - LOCAL_TEMPORARY_ALLOWANCE_BYTES)
    return counted / FLOAT32_BYTES - c * h * w


def judge_streaming_run(run, expected):
    """The record of one local probe run (probes.run_streaming_depthwise, plain data) against
    ``expected`` (the (C, H, W) float32 output of depthwise_conv2d, stride 1, padding k//2).

    Returns a dict: 'shape', 'kernel', 'correct' (bool), 'problem' (why not, or ''),
    'arena_peak_bytes', 'temporary_bytes' and 'extra_elements' (local_extra_elements: the
    student's own feedback, never a grade).
    Raises KeyError / TypeError on a malformed run.
    """
    c, h, w = (int(d) for d in run["shape"])
    problem = str(run["problem"])
    if not problem:
        out = np.asarray(run["out"], dtype=np.float32)
        if tuple(out.shape) != expected.shape:
            problem = f"the output has shape {tuple(out.shape)}, expected {expected.shape}"
        elif run["out_offset"] != run["in_offset"]:
            problem = (f"the output is at byte {run['out_offset']}, not at the input's byte "
                       f"{run['in_offset']}")
        elif not np.allclose(out, expected, atol=1e-4):
            err = float(np.max(np.abs(out - expected)))
            problem = f"the output differs from depthwise_conv2d by up to {err:.3g}"
        elif int(run["live_bytes"]) != expected.nbytes:
            problem = f"{run['live_bytes']} bytes stay allocated, expected {expected.nbytes}"
    peak, temporary = int(run["arena_peak_bytes"]), int(run["temporary_bytes"])
    return {"shape": [c, h, w], "kernel": int(run["kernel"]), "correct": not problem,
            "problem": problem, "arena_peak_bytes": peak, "temporary_bytes": temporary,
            "extra_elements": float(local_extra_elements(peak, temporary, c, h, w))}


def score_streaming_runs(runs, scale=STREAMING_SCALE):
    """ChallengeScore of judged records, one per case (judge_outside's): a wrong case scores 0
    (so the mean drops). Raises ValueError when no case is given."""
    if not runs:
        raise ValueError("score_streaming_runs needs at least one case")
    points = [scale.points(r["extra_elements"], r["shape"][1], r["shape"][2], r["kernel"])
              if r["correct"] else 0.0 for r in runs]
    wrong = [r for r in runs if not r["correct"]]
    if wrong:
        r = wrong[0]
        message = (f"{len(wrong)} of {len(runs)} cases wrong; C,H,W={r['shape']} k={r['kernel']}: "
                   f"{r['problem']}.")
    else:
        message = "extra elements beyond C*H*W per case, measured outside your process: " + \
            ", ".join(f"{r['extra_elements']:.0f} (H*W = {r['shape'][1] * r['shape'][2]}, "
                      f"target {scale.target(r['shape'][2], r['kernel']):.0f})" for r in runs) + "."
    return ChallengeScore(NAME, round(sum(points) / len(points), 4), scale.max_points,
                          {"cases": list(runs)}, scale.text(), message)


def measure_streaming_depthwise(fn, c, h, w, k, seed=0):
    """Run ``fn(arena, buf, weight, bias)`` once, here, and judge it (the notebook's visible
    test, the student's own feedback): judge_streaming_run(probes.run_streaming_depthwise(...),
    the expected output)."""
    x, weight, bias = streaming_inputs(c, h, w, k, seed)
    return judge_streaming_run(run_streaming_depthwise(fn, c, h, w, k, seed),
                               depthwise_conv2d(x, weight, bias, 1, k // 2))
