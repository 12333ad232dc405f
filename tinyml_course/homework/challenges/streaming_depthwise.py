"""sram_accounting's challenge, ``streaming-depthwise``: an in-place depthwise conv with less scratch.

The student's ``depthwise_streaming(arena, buf, weight, bias)`` (stride 1, padding k//2, float32,
output at the input's address) runs in the probe (``probes.run_streaming_depthwise``); here its
runs are judged against the right output (``judge_streaming_run``) and scored on STREAMING_SCALE
(``score_streaming_runs``): its measured extra memory goes from H*W elements (MCUNet-v1's
channel buffer, 1 point) down to (k//2 + 1)*W (streaming rows, 4 points).
"""

import math
from dataclasses import dataclass

import numpy as np

from ...model.units import DTYPE_BYTES
from ...runtime.kernels import depthwise_conv2d
from .probes import run_streaming_depthwise, streaming_inputs
from .score import ChallengeScore, Scale

NAME = "streaming-depthwise"
FLOAT32_BYTES = DTYPE_BYTES["float32"]  # an element of the challenge's tensors
STREAMING_CASES = ((4, 64, 64, 3, 0), (3, 48, 72, 5, 1), (2, 80, 56, 7, 2))  # (C, H, W, k, seed)


@dataclass(frozen=True)
class StreamingScale(Scale):
    """Per case: 0 if wrong, else floor + (max - floor) * q with q = log(H*W / extra) /
    log(H*W / ((k//2 + 1)*W)); the mean over the cases."""

    temporary_allowance_bytes: int = 4096  # memory outside the arena not counted: Python's own
    repeats: int = 2  # runs per case; the lowest measurement counts (a kernel's threads allocate)

    def extra_elements(self, arena_peak_bytes, temporary_bytes, c, h, w):
        """Elements beyond C*H*W at the measured peak: the arena's high-water mark plus the
        temporaries beyond the allowance, FLOAT32_BYTES an element."""
        counted = arena_peak_bytes + max(0, temporary_bytes - self.temporary_allowance_bytes)
        return counted / FLOAT32_BYTES - c * h * w

    def quality(self, extra, h, w, k):
        """q in [0, 1]: 0 at H*W extra elements or more, 1 at (k//2 + 1)*W or fewer."""
        base, target = h * w, (k // 2 + 1) * w
        if extra <= target:
            return 1.0
        return math.log(base / extra) / math.log(base / target)

    def points(self, extra, h, w, k):
        """Points of a right run with ``extra`` elements beyond C*H*W."""
        return self.points_for(self.quality(extra, h, w, k))

    def text(self):
        """The published scale, as the notebook, the docs and the feedback record show it."""
        return ("0 if the output is wrong, not at the input's address, or scratch stays "
                f"allocated; else per case {self.formula('q')} points, q = log(H·W / extra) / "
                "log(H·W / ((k//2 + 1)·W)) clamped to [0, 1], extra = the elements beyond C·H·W "
                "at the measured peak (the arena's high-water mark plus the numpy/Python "
                f"temporaries of the call beyond {self.temporary_allowance_bytes} bytes, "
                f"{FLOAT32_BYTES} bytes an element; the lowest of {self.repeats} runs per case "
                "counts); the mean over the cases. So H·W extra elements (a whole channel of "
                f"scratch) earn {self.points_phrase(0)}, (k//2 + 1)·W earn "
                f"{self.points_phrase(1)}, and halving the extra memory always earns the same step.")


STREAMING_SCALE = StreamingScale()


def streaming_expected(c, h, w, k, seed=0):
    """The right output of a case: depthwise_conv2d of streaming_inputs, stride 1, padding k//2."""
    x, weight, bias = streaming_inputs(c, h, w, k, seed)
    return depthwise_conv2d(x, weight, bias, 1, k // 2)


def judge_streaming_run(run, expected, scale=STREAMING_SCALE):
    """The record of one probe run (plain data) against ``expected`` (the (C, H, W) float32
    output of depthwise_conv2d, stride 1, padding k//2, computed by the judge).

    Returns a dict: 'shape', 'kernel', 'correct' (bool), 'problem' (why not, or ''),
    'arena_peak_bytes', 'temporary_bytes' and 'extra_elements' (scale.extra_elements).
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
            "extra_elements": float(scale.extra_elements(peak, temporary, c, h, w))}


def score_streaming_runs(tries_by_case, scale=STREAMING_SCALE):
    """ChallengeScore of judged runs: one list of judge_streaming_run records per case
    (``scale.repeats`` each). A wrong run makes its case wrong (0 points, so the mean drops),
    else the lowest measurement counts. Raises ValueError when no case is given."""
    if not tries_by_case:
        raise ValueError("score_streaming_runs needs at least one case")
    runs, points = [], []
    for tries in tries_by_case:
        run = next((t for t in tries if not t["correct"]), None) or \
            min(tries, key=lambda t: t["extra_elements"])
        runs.append(run)
        _, h, w = run["shape"]
        points.append(scale.points(run["extra_elements"], h, w, run["kernel"])
                      if run["correct"] else 0.0)
    wrong = [r for r in runs if not r["correct"]]
    if wrong:
        r = wrong[0]
        message = (f"{len(wrong)} of {len(runs)} cases wrong; C,H,W={r['shape']} k={r['kernel']}: "
                   f"{r['problem']}.")
    else:
        message = "extra elements beyond C*H*W per case: " + ", ".join(
            f"{r['extra_elements']:.0f} (H*W = {r['shape'][1] * r['shape'][2]}, target "
            f"{(r['kernel'] // 2 + 1) * r['shape'][2]})" for r in runs) + "."
    return ChallengeScore(NAME, round(sum(points) / len(points), 4), scale.max_points,
                          {"cases": runs}, scale.text(), message)


def measure_streaming_depthwise(fn, c, h, w, k, seed=0):
    """Run ``fn(arena, buf, weight, bias)`` once, here, and judge it (the notebook's visible test):
    judge_streaming_run(probes.run_streaming_depthwise(...), the expected output)."""
    return judge_streaming_run(run_streaming_depthwise(fn, c, h, w, k, seed),
                               streaming_expected(c, h, w, k, seed))


def score_streaming_depthwise(fn, cases=STREAMING_CASES, scale=STREAMING_SCALE):
    """ChallengeScore of ``fn`` run and judged here: cases are (C, H, W, k, seed) tuples, each
    run ``scale.repeats`` times."""
    return score_streaming_runs([[measure_streaming_depthwise(fn, *case)
                                  for _ in range(scale.repeats)] for case in cases], scale)
