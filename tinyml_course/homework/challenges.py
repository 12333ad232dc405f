"""The open-ended challenges of the homework, graded by measurement on a published scale.

Each ``score_*`` function takes the student's artefact (a function, a choice, a compressed model),
measures it, and returns a :class:`ChallengeScore`: plain data (``to_json()``), one record per
student per challenge, which the grader turns into the cell's partial credit and the grading
report collects for the class leaderboard.

Where the artefact is a function, measuring it and scoring it are separate steps, so that the
grader can run the student's function in its sandbox (``run_*``: plain data back, no verdict)
and score the figures outside it (``judge_*`` / ``score_*_runs``, against expected values it
computed itself): ``assignments/source/<a>/hidden_checks.py``. ``measure_*`` and
``score_streaming_depthwise`` / ``score_patch_chooser`` chain both steps in one process (the
notebooks' visible tests, the unit tests). The scales are published in the notebooks and
in docs/homework.md; every scale gives 0 for a wrong answer, 1 point for a right one that does
no better than the lecture's method, and the rest of ``max_points`` for how close it comes to the
best known figure.

- :func:`score_streaming_depthwise` (sram_accounting): in-place depthwise conv whose measured
  extra memory (arena high-water mark + Python/numpy temporaries, beyond the C*H*W input) goes
  from H*W elements (MCUNet-v1's channel buffer) down to (k//2 + 1)*W (streaming rows).
- :func:`score_patch_choice` (patch_inference): a (split, grid) that fits an SRAM budget, scored
  by its executed MACs against the cheapest plan found by exhaustive search (:func:`best_patch_choice`);
  :func:`score_patch_chooser` scores a chooser that may measure six plans with a :class:`PlanEvaluator`.
- :func:`score_compressed_model` (compression): a digits model inside a Flash and SRAM budget,
  scored by its held-out accuracy loss against the float model; the grader's probe
  :func:`run_compress_for_budget` returns the model as plain data and
  :func:`score_compression_run` rebuilds (:func:`network_from_plain`) and measures it outside.
"""

import json
import math
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
# tracemalloc's functions bound here, at import: a student who replaces the module's attributes
# (tracemalloc.get_traced_memory = ...) does not change what a measurement reads
from tracemalloc import get_traced_memory as _tm_traced, is_tracing as _tm_is_tracing
from tracemalloc import reset_peak as _tm_reset_peak, start as _tm_start, stop as _tm_stop

import numpy as np

from ..compression import data as digits_data
from ..compression import prune
from ..memory import accounting
from ..memory import patch_accounting
from ..memory.arena import Arena, Buffer
from ..memory.patch_plan import resolve_split
from ..model.network import OP_RULES, GroupOp, Network, Op
from ..model.units import BIAS_BYTES, DTYPE_BYTES, SCALE_BYTES, ZERO_POINT_BYTES
from ..runtime import batched
from ..runtime.kernels import depthwise_conv2d
from ..validation import check_scalar

RECORD_PREFIX = "challenge-record: "  # a line of a graded cell's output: this prefix, then JSON


@dataclass
class ChallengeScore:
    """One student's result on one challenge (plain data: JSON-able with ``to_json``).

    points: earned on the published scale (0 .. max_points); measured: the figures behind it
    (bytes, MACs, accuracy); message: one sentence for the student's feedback.
    """

    challenge: str
    points: float
    max_points: float
    measured: dict = field(default_factory=dict)
    scale: str = ""
    message: str = ""

    def to_json(self):
        return asdict(self)

    def summary(self):
        """The feedback sentence: 'name: P of M points. message'."""
        return f"{self.challenge}: {self.points:.2f} of {self.max_points:g} points. {self.message}"

    def report(self):
        """Print the feedback sentence and the record line (RECORD_PREFIX + JSON, read back by
        homework.records) and return the points: what a hidden test cell scored in the
        student's kernel would end with, so that nbgrader takes them as the cell's partial
        credit. The course's challenges are scored by the grader (hidden_checks.py) and do not
        print it."""
        print(self.summary())
        print(RECORD_PREFIX + json.dumps(self.to_json(), sort_keys=True))
        return float(self.points)


def _clamp01(x):
    return min(1.0, max(0.0, x))


# ---------------------------------------------------------------- sram_accounting

TEMPORARY_ALLOWANCE = 4096  # bytes outside the arena not counted: Python's own bookkeeping
REPEATS = 2  # runs per case; the lowest measurement counts (a kernel's threads allocate too)
STREAMING_SCALE = ("0 if the output is wrong, not at the input's address or anything stays "
                   "allocated; else per case 1 + 3 * q, q = log(H*W / extra) / log(H*W / "
                   "((k//2 + 1) * W)) clamped to [0, 1], extra = elements beyond C*H*W at the "
                   "measured peak: the arena's high-water mark plus the numpy/Python temporaries "
                   f"of the call beyond {TEMPORARY_ALLOWANCE} bytes (4 bytes an element); "
                   "mean over the cases")
STREAMING_CASES = ((4, 64, 64, 3, 0), (3, 48, 72, 5, 1), (2, 80, 56, 7, 2))  # (C, H, W, k, seed)


def streaming_inputs(c, h, w, k, seed=0):
    """(x (C, H, W), weight (C, k, k), bias (C,)), float32, of one challenge case from ``seed``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    weight = rng.standard_normal((c, k, k)).astype(np.float32)
    bias = rng.standard_normal(c).astype(np.float32)
    return x, weight, bias


def run_streaming_depthwise(fn, c, h, w, k, seed=0):
    """Run ``fn(arena, buf, weight, bias)`` once on streaming_inputs(...) and record what it did,
    without judging it (the grader's probe, run where the student's code runs).

    Returns plain data: 'shape' [C, H, W], 'kernel', 'returned' (the type name of the result,
    'NoneType' when unanswered, None when it raised), 'problem' (why there is no output to judge,
    or ''), 'out' (the returned buffer's float32 array, or None), 'in_offset' / 'out_offset'
    (bytes), 'live_bytes' (still allocated after the call), 'arena_peak_bytes' and
    'temporary_bytes' (tracemalloc's peak over the call: memory outside the arena).
    """
    x, weight, bias = streaming_inputs(c, h, w, k, seed)
    arena = Arena(2 * x.nbytes + (1 << 16))
    buf = arena.alloc("x", (c, h, w), np.float32)
    buf.array[...] = x
    offset = buf.offset
    was_tracing = _tm_is_tracing()
    if not was_tracing:
        _tm_start()
    _tm_reset_peak()
    base = _tm_traced()[0]
    returned, problem, out = None, "", None
    try:
        out = fn(arena, buf, weight, bias)
        returned = type(out).__name__
    except Exception as err:  # a student's error is a wrong answer, with its reason
        problem = f"it raised {type(err).__name__}: {err}"
    finally:
        temporary = max(0, _tm_traced()[1] - base)
        if not _tm_is_tracing():
            problem = problem or "it stopped tracemalloc, which measures its temporaries"
        elif not was_tracing:
            _tm_stop()
    run = {"shape": [c, h, w], "kernel": k, "returned": returned, "problem": problem,
           "out": None, "in_offset": int(offset), "out_offset": None,
           "live_bytes": int(arena.live_bytes), "arena_peak_bytes": int(arena.peak_bytes),
           "temporary_bytes": int(temporary)}
    if problem:
        return run
    if out is None:
        run["problem"] = "it returned None (not answered yet)"
    elif not isinstance(out, Buffer):
        run["problem"] = f"it returned a {type(out).__name__}, not the arena Buffer"
    else:
        run["out"] = np.array(out.array, dtype=np.float32)
        run["out_offset"] = int(out.offset)
    return run


def judge_streaming_run(run, expected):
    """The record of one run of run_streaming_depthwise against ``expected`` (the (C, H, W)
    float32 output of depthwise_conv2d, stride 1, padding k//2, computed by the judge).

    Returns a dict: 'shape', 'kernel', 'correct' (bool), 'problem' (why not, or ''),
    'arena_peak_bytes', 'temporary_bytes' and 'extra_elements' ((arena peak + temporaries beyond
    TEMPORARY_ALLOWANCE) / 4 - C*H*W). Raises KeyError / TypeError on a malformed run.
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
    extra = (peak + max(0, temporary - TEMPORARY_ALLOWANCE)) / DTYPE_BYTES["float32"] - c * h * w
    return {"shape": [c, h, w], "kernel": int(run["kernel"]), "correct": not problem,
            "problem": problem, "arena_peak_bytes": peak, "temporary_bytes": temporary,
            "extra_elements": float(extra)}


def streaming_expected(c, h, w, k, seed=0):
    """The right output of a case: depthwise_conv2d of streaming_inputs, stride 1, padding k//2."""
    x, weight, bias = streaming_inputs(c, h, w, k, seed)
    return depthwise_conv2d(x, weight, bias, 1, k // 2)


def measure_streaming_depthwise(fn, c, h, w, k, seed=0):
    """Run ``fn(arena, buf, weight, bias)`` (stride 1, padding k//2, float32) once, here, and
    judge it: judge_streaming_run(run_streaming_depthwise(...), the expected output)."""
    return judge_streaming_run(run_streaming_depthwise(fn, c, h, w, k, seed),
                               streaming_expected(c, h, w, k, seed))


def streaming_points(extra, h, w, k):
    """Points (1..4) of a correct run with ``extra`` elements beyond C*H*W (STREAMING_SCALE)."""
    base, target = h * w, (k // 2 + 1) * w
    if extra <= target:
        return 4.0
    return 1.0 + 3.0 * _clamp01(math.log(base / extra) / math.log(base / target))


def score_streaming_runs(tries_by_case, max_points=4.0):
    """ChallengeScore of judged runs: one list of judge_streaming_run records per case (REPEATS
    each). A wrong run makes its case wrong (0 points, so the mean drops), else the lowest
    measurement counts. Raises ValueError when no case is given."""
    if not tries_by_case:
        raise ValueError("score_streaming_runs needs at least one case")
    runs, points = [], []
    for tries in tries_by_case:
        run = next((t for t in tries if not t["correct"]), None) or \
            min(tries, key=lambda t: t["extra_elements"])
        runs.append(run)
        _, h, w = run["shape"]
        points.append(streaming_points(run["extra_elements"], h, w, run["kernel"])
                      if run["correct"] else 0.0)
    earned = max_points / 4.0 * sum(points) / len(points)
    wrong = [r for r in runs if not r["correct"]]
    if wrong:
        r = wrong[0]
        message = (f"{len(wrong)} of {len(runs)} cases wrong; C,H,W={r['shape']} k={r['kernel']}: "
                   f"{r['problem']}.")
    else:
        message = "extra elements beyond C*H*W per case: " + ", ".join(
            f"{r['extra_elements']:.0f} (H*W = {r['shape'][1] * r['shape'][2]}, target "
            f"{(r['kernel'] // 2 + 1) * r['shape'][2]})" for r in runs) + "."
    return ChallengeScore("streaming-depthwise", round(earned, 4), max_points,
                          {"cases": runs}, STREAMING_SCALE, message)


def score_streaming_depthwise(fn, cases=STREAMING_CASES, max_points=4.0):
    """ChallengeScore of a stride-1 'same' in-place depthwise conv ``fn(arena, buf, weight, bias)``,
    run and judged here: cases are (C, H, W, k, seed) tuples, each run REPEATS times."""
    return score_streaming_runs([[measure_streaming_depthwise(fn, *case) for _ in range(REPEATS)]
                                 for case in cases], max_points)


# ---------------------------------------------------------------- patch_inference

PATCH_SCALE = ("0 if the plan is invalid or its peak SRAM (memory.profile, schedule 'patch') "
               "exceeds the budget; else 1 + 3 * clamp(1 - (your MACs / best MACs - 1) / 0.25), "
               "best = the cheapest fitting (block split, n x n grid, n <= 8) by exhaustive search; "
               "mean over the cases")
PATCH_GRIDS = tuple(range(1, 9))


def patch_splits(network):
    """Block names whose ops (and all before them) may form a patch stage: 'block0', ..."""
    splits = []
    for b, ops in network.blocks().items():
        end = resolve_split(network, f"block{b}")
        if any(op.kind not in GroupOp.PATCH_STAGE for op in network.ops[:end + 1]):
            break
        splits.append(f"block{b}")
    return splits


def _plan_figures(network, split, n, convention, dtype):
    peak = accounting.profile(network, "patch", convention, dtype, patches=n,
                              split=split).peak_sram_bytes
    return int(peak), int(patch_accounting.mac_overhead(network, split, n).network_macs_clipped)


def best_patch_choice(network, sram_bytes, convention="mcunet", dtype="int8", grids=PATCH_GRIDS):
    """(split, n, peak bytes, executed MACs) of the cheapest patch plan within ``sram_bytes``,
    over every block split and n x n grid in ``grids``; None if none fits."""
    best = None
    for split in patch_splits(network):
        size = network.shape_of(network.ops[resolve_split(network, split)].name)[1]
        for n in grids:
            if n > size:
                break
            peak, macs = _plan_figures(network, split, n, convention, dtype)
            if peak <= sram_bytes and (best is None or macs < best[3]):
                best = (split, n, peak, macs)
    return best


def score_patch_choice(network, choice, sram_bytes, convention="mcunet", dtype="int8",
                       max_points=4.0, best=None):
    """ChallengeScore of ``choice`` = (split, n) for ``network`` within ``sram_bytes``.

    best: a precomputed best_patch_choice(...) (it takes a second or two per network).
    Raises ValueError when no plan at all fits (a badly chosen case).
    """
    scale = PATCH_SCALE.replace("; mean over the cases", "")
    best = best or best_patch_choice(network, sram_bytes, convention, dtype)
    if best is None:  # the instructor's case, not the student's answer, is wrong
        raise ValueError(f"no patch plan of {network.name} fits {sram_bytes} bytes: "
                         "choose a larger budget for this challenge case")
    measured = {"network": network.name, "sram_budget_bytes": int(sram_bytes),
                "best": None if best is None else {"split": best[0], "patches": best[1],
                                                   "peak_sram_bytes": best[2], "macs": best[3]}}
    try:
        split, n = choice
        split = str(split)
        n = check_scalar(n, "the grid n", int, min_val=1, error=ValueError)
        peak, macs = _plan_figures(network, split, n, convention, dtype)
    except Exception as err:
        msg = "not answered yet" if choice is None else f"{choice!r} is not a valid plan ({err})"
        return ChallengeScore("patch-plan", 0.0, max_points, measured, scale, msg)
    measured.update({"split": split, "patches": n, "peak_sram_bytes": peak, "macs": macs})
    if peak > sram_bytes:
        return ChallengeScore("patch-plan", 0.0, max_points, measured, scale,
                              f"{network.name}: {split} with {n}x{n} patches peaks at {peak} "
                              f"bytes, over the {sram_bytes}-byte budget.")
    excess = macs / best[3] - 1
    earned = max_points / 4.0 * (1.0 + 3.0 * _clamp01(1.0 - excess / 0.25))
    measured["excess_macs"] = excess
    return ChallengeScore("patch-plan", round(earned, 4), max_points, measured, scale,
                          f"{network.name}: {split} with {n}x{n} patches fits ({peak} bytes) "
                          f"and executes {macs:,} MACs, {100 * excess:.1f}% more than the best "
                          f"plan found.")


class PlanEvaluator:
    """``evaluate(split, n) -> (peak SRAM bytes, executed MACs)`` of one patch plan, at most
    ``budget`` times (then it raises RuntimeError): what a chooser may measure."""

    def __init__(self, network, budget, convention="mcunet", dtype="int8"):
        self.network, self.budget = network, budget
        self.convention, self.dtype = convention, dtype
        self.calls = []
        self.measuring = False  # True while this evaluator itself measures a plan

    def __call__(self, split, n):
        if len(self.calls) >= self.budget:
            raise RuntimeError(f"the evaluation budget of {self.budget} plans is used up")
        self.calls.append([str(split), int(n)])
        self.measuring = True
        try:
            return _plan_figures(self.network, split, int(n), self.convention, self.dtype)
        finally:
            self.measuring = False


@contextmanager
def _count_stage_measurements(evaluate):
    """Count the patch-stage SRAM measurements (patch_accounting.stage_held, behind
    memory.profile(..., "patch") and the search) made outside ``evaluate``; yields a list whose
    length is that count."""
    outside = []
    original = patch_accounting.stage_held

    def counted(*args, **kwargs):
        if not evaluate.measuring:
            outside.append(1)
        return original(*args, **kwargs)

    patch_accounting.stage_held = counted
    try:
        yield outside
    finally:
        patch_accounting.stage_held = original


def run_patch_chooser(fn, network, sram_bytes, evaluations=6):
    """Call a chooser ``fn(network, sram_bytes, evaluate) -> (split, n)`` once, with a
    PlanEvaluator allowing ``evaluations`` measurements, and record what it did without judging
    it (the grader's probe, run where the student's code runs).

    Returns plain data: 'choice' ([split str, n int]; None when unanswered; otherwise a string
    saying what came back, which score_patch_choice rejects with its reason), 'evaluations'
    (the [split, n] it measured) and 'measurements_outside_evaluate' (patch-stage measurements
    made any other way: memory.profile(..., "patch"), the search).
    """
    evaluate = PlanEvaluator(network, evaluations)
    with _count_stage_measurements(evaluate) as outside:
        try:
            choice = fn(network, sram_bytes, evaluate)
        except Exception as err:
            choice = f"an error ({type(err).__name__}: {err})"
    if choice is not None and not isinstance(choice, str):
        try:
            split, n = choice
            choice = [str(split), int(n)]
        except Exception as err:
            choice = f"{choice!r:.200} ({type(err).__name__}: {err})"
    return {"choice": choice, "evaluations": [list(c) for c in evaluate.calls],
            "measurements_outside_evaluate": len(outside)}


def score_chooser_runs(cases, runs, bests=None, max_points=4.0):
    """Mean ChallengeScore of run_patch_chooser records ``runs``, one per case of ``cases`` =
    [(network, sram_bytes)]: each scored by score_patch_choice (``bests``: the cases'
    precomputed best_patch_choice, else searched here); a run that measured patch stages
    outside evaluate() scores 0 on its case. Raises ValueError when the counts differ."""
    bests = list(bests) if bests is not None else [None] * len(cases)
    if not cases or len(runs) != len(cases) or len(bests) != len(cases):
        raise ValueError(f"{len(runs)} chooser runs for {len(cases)} cases")
    scores = []
    for (network, sram_bytes), run, best in zip(cases, runs, bests):
        score = score_patch_choice(network, run["choice"], sram_bytes, max_points=max_points,
                                   best=best)
        outside = int(run["measurements_outside_evaluate"])
        score.measured["evaluations"] = run["evaluations"]
        score.measured["measurements_outside_evaluate"] = outside
        if outside:
            score.points = 0.0
            score.message = (f"{network.name}: the chooser measured {outside} patch stage(s) "
                             f"outside evaluate() (memory.profile(..., 'patch') or the search): "
                             f"only evaluate() may measure a patch plan.")
        scores.append(score)
    earned = sum(s.points for s in scores) / len(scores)
    return ChallengeScore("patch-plan", round(earned, 4), max_points,
                          {"cases": [s.measured for s in scores]}, PATCH_SCALE,
                          " ".join(s.message for s in scores))


def score_patch_chooser(fn, cases, evaluations=6, max_points=4.0):
    """Mean ChallengeScore of a chooser ``fn(network, sram_bytes, evaluate) -> (split, n)`` over
    ``cases`` = [(network, sram_bytes)], run and scored here: run_patch_chooser, then
    score_chooser_runs."""
    runs = [run_patch_chooser(fn, network, sram_bytes, evaluations)
            for network, sram_bytes in cases]
    return score_chooser_runs(cases, runs, max_points=max_points)


# ---------------------------------------------------------------- compression

LOSS_FOR_FULL, LOSS_FOR_ONE_POINT = 0.02, 0.12  # held-out accuracy lost (0.01 = 1 point of %)
COMPRESSION_SCALE = ("0 if the model breaks the Flash or SRAM budget or a layer's values cannot "
                     "be stored at its bits (a 2^bits codebook or a per-channel linear grid); else 1 + 3 * clamp((0.12 - "
                     "loss) / 0.10), loss = float model's held-out accuracy - yours: full points "
                     "for a loss of at most 2 percentage points, 1 point at 12 or more")


def _bits_of(bits, name):
    return int(bits[name] if isinstance(bits, dict) else bits)


def _linear_codes(row, value_bits):
    """(min code, max code) of a channel's values on a uniform grid through 0 that ``value_bits``
    bits can index, or None if they are not on one."""
    levels = np.unique(row)
    if len(levels) > 2 ** value_bits:
        return None
    if len(levels) < 2:
        return (0, 0)
    gap = float(np.min(np.diff(levels)))  # a multiple of the grid's step (levels may be unused)
    for m in range(1, 2 ** value_bits):
        codes = levels / (gap / m)
        if np.max(np.abs(codes - np.round(codes))) <= 1e-3:
            lo, hi = int(np.round(codes.min())), int(np.round(codes.max()))
            return (lo, hi) if hi - lo < 2 ** value_bits else None
    return None


def layer_parameter_bytes(w, value_bits):
    """Bytes of what decodes a quantized weight ``w`` at ``value_bits``, the cheaper valid one:
    a codebook (at most 2^bits distinct values in the layer: 2^bits float32 entries) or linear
    per output channel (values on a uniform grid through 0: a float32 scale per channel, plus an
    int32 zero point when the codes leave [-2^(bits-1), 2^(bits-1) - 1]). None if neither holds."""
    options = []
    if len(np.unique(w)) <= 2 ** value_bits:
        options.append(2 ** value_bits * SCALE_BYTES)
    codes = [_linear_codes(row, value_bits) for row in np.asarray(w).reshape(w.shape[0], -1)]
    if all(c is not None for c in codes):
        lo, hi = -2 ** (value_bits - 1), 2 ** (value_bits - 1) - 1
        zero_points = any(c[0] < lo or c[1] > hi for c in codes)
        options.append(w.shape[0] * (SCALE_BYTES + (ZERO_POINT_BYTES if zero_points else 0)))
    return min(options) if options else None


def model_flash_bytes(weights, bits):
    """Flash (bytes) of {op: (weight, bias)} with weights at ``bits`` (int, or {op: bits}; 32 =
    float32): per layer the best of the sparse formats, plus layer_parameter_bytes when bits < 32,
    plus 4-byte biases. Raises ValueError naming a layer whose values ``bits`` cannot encode."""
    total = 0
    for name, (w, b) in weights.items():
        value_bits = _bits_of(bits, name)
        total += min(prune.weight_storage_bytes(w, fmt, value_bits) for fmt in prune.SPARSE_FORMATS)
        if value_bits < 32:
            extra = layer_parameter_bytes(w, value_bits)
            if extra is None:
                raise ValueError(f"{name}: its values are neither at most 2^{value_bits} levels per "
                                 f"layer nor a uniform {value_bits}-bit grid per channel")
            total += extra
        total += int(np.size(b)) * BIAS_BYTES["int8"]  # int32 (float32 biases are as large)
    return int(total)


def score_compressed_model(network, weights, bits, flash_budget, sram_budget, float_accuracy,
                           data=None, max_points=4.0):
    """ChallengeScore of a compressed digits model within ``flash_budget``/``sram_budget`` bytes.

    network, weights: the student's model ({op: (weight, bias)}, any architecture that maps the
    digits input to 10 logits); bits: int or {op: bits} (2-8, or 32 = float32 weights); activations
    are int8 when every layer has bits < 32, else float32 (as in the lecture's dashboard).
    float_accuracy: the uncompressed model's held-out accuracy; data: load_digits() output.
    """
    x_test, y_test = (data or digits_data.load_digits())[2:]
    measured = {"flash_budget_bytes": int(flash_budget), "sram_budget_bytes": int(sram_budget),
                "float_accuracy": float(float_accuracy)}
    try:
        all_low = all(_bits_of(bits, name) < 32 for name in weights)
        dtype = "int8" if all_low else "float32"
        sram = int(accounting.profile(network, "per-layer", "exact", dtype).peak_sram_bytes)
        acc = batched.accuracy(network, weights, x_test, y_test)
    except Exception as err:
        msg = ("not answered yet" if network is None or weights is None
               else f"the model could not be measured ({type(err).__name__}: {err})")
        return ChallengeScore("compress-to-budget", 0.0, max_points, measured, COMPRESSION_SCALE, msg)
    loss = float(float_accuracy) - acc
    measured.update({"peak_sram_bytes": sram, "activation_dtype": dtype, "accuracy": acc,
                     "accuracy_loss": loss})
    try:
        flash = model_flash_bytes(weights, bits)
    except ValueError as err:
        return ChallengeScore("compress-to-budget", 0.0, max_points, measured, COMPRESSION_SCALE,
                              f"{err}: the bits claimed are not the bits stored.")
    measured["flash_bytes"] = flash
    figures = (f"Flash {flash} of {flash_budget} bytes, SRAM {sram} of {sram_budget} bytes, "
               f"accuracy {100 * acc:.1f}% (float: {100 * float_accuracy:.1f}%)")
    if flash > flash_budget or sram > sram_budget:
        return ChallengeScore("compress-to-budget", 0.0, max_points, measured, COMPRESSION_SCALE,
                              f"over budget: {figures}.")
    earned = max_points / 4.0 * (1.0 + 3.0 * _clamp01(
        (LOSS_FOR_ONE_POINT - loss) / (LOSS_FOR_ONE_POINT - LOSS_FOR_FULL)))
    return ChallengeScore("compress-to-budget", round(earned, 4), max_points, measured,
                          COMPRESSION_SCALE, f"fits: {figures}.")


# the challenge scored by the grader: the student's model comes back from the sandbox as plain
# data (run_compress_for_budget) and is measured again, outside it (score_compression_run)

VALID_BITS = (2, 3, 4, 5, 6, 7, 8, 32)


def network_plain(network):
    """Plain data of a Network: {'name', 'input_shape', 'ops': [[name, kind, inputs, in_shape,
    out_shape, kernel, stride, padding, act, block, role], ...]} (the Op fields, in order; role
    as its string or None)."""
    return {"name": str(network.name), "input_shape": [int(d) for d in network.input_shape],
            "ops": [[op.name, op.kind, list(op.inputs), list(op.in_shape), list(op.out_shape),
                     op.kernel, op.stride, op.padding, op.act, op.block,
                     None if op.role is None else str(op.role)] for op in network.ops]}


def network_from_plain(data, input_shape):
    """The Network of network_plain(...) data, its shapes checked by the op rules: every op reads
    tensors made before it, its in_shape is its first input's, its out_shape follows its kind;
    the input is ``input_shape`` (C, H, W). Raises ValueError naming the first op that does not
    hold (a model must be what its shapes say before its bytes are counted)."""
    if tuple(int(d) for d in data["input_shape"]) != tuple(input_shape):
        raise ValueError(f"the input is {tuple(data['input_shape'])}, expected {tuple(input_shape)}")
    shapes, ops = {"input": tuple(input_shape)}, []
    for row in data["ops"]:
        name, kind, inputs, in_shape, out_shape, kernel, stride, padding, act, block, *role = row
        op = Op(str(name), str(kind), tuple(str(t) for t in inputs),
                tuple(int(d) for d in in_shape), tuple(int(d) for d in out_shape),
                int(kernel), int(stride), int(padding), act, block, *role[:1])  # role: optional
        if op.kind not in OP_RULES or not op.inputs or op.name in shapes:
            raise ValueError(f"op {op.name!r}: unknown kind, no input or a repeated name")
        if any(t not in shapes for t in op.inputs) or op.in_shape != shapes[op.inputs[0]]:
            raise ValueError(f"op {op.name!r}: reads {op.inputs} of shape "
                             f"{shapes.get(op.inputs[0])}, but says {op.in_shape}")
        hw = OP_RULES[op.kind].out_hw(*op.in_shape[1:], op.kernel, op.stride, op.padding)
        same_c = op.kind in GroupOp.CHANNELWISE
        if op.out_shape[1:] != hw or (same_c and op.out_shape[0] != op.in_shape[0]) or \
                (op.kind == "add" and any(shapes[t] != op.in_shape for t in op.inputs)):
            raise ValueError(f"op {op.name!r}: output {op.out_shape} does not follow from "
                             f"{op.in_shape} ({op.kind}, k={op.kernel}, stride {op.stride})")
        shapes[op.name] = op.out_shape
        ops.append(op)
    return Network(str(data["name"]), input_shape, ops)


def run_compress_for_budget(fn, network, weights, data):
    """Call ``fn(network, weights, data)`` once and return its model as plain data without
    scoring it (the grader's probe, run where the student's code runs).

    Returns: 'returned' (the result's type name, 'NoneType' when unanswered, None when it raised),
    'problem' (why there is no model to measure, or ''), 'network' (network_plain), 'weights'
    ({op: [weight float32, bias float32]}) and 'bits' (as returned: an int or {op: int}).
    """
    run = {"returned": None, "problem": "", "network": None, "weights": None, "bits": None}
    try:
        model = fn(network, weights, data)
        run["returned"] = type(model).__name__
        if model is None:
            run["problem"] = "not answered yet"
            return run
        net, w, bits = model
        run.update(network=network_plain(net), bits=bits,
                   weights={str(k): [np.asarray(wb[0], np.float32), np.asarray(wb[1], np.float32)]
                            for k, wb in w.items()})
    except Exception as err:  # a student's error is a wrong answer, with its reason
        run["problem"] = f"it raised {type(err).__name__}: {err}"
    return run


def _checked_bits(bits, names):
    """bits (an int, or {op: int} naming every op with weights) checked against VALID_BITS."""
    values = [bits] if not isinstance(bits, dict) else [bits.get(n) for n in names]
    if any(isinstance(v, bool) or not isinstance(v, int) or v not in VALID_BITS for v in values):
        raise ValueError(f"bits must be an int or {{op: int}} for every layer, each one of "
                         f"{VALID_BITS}; got {bits!r:.200}")
    return bits


def score_compression_run(run, ref_network, float_accuracy, flash_budget, sram_budget, data=None,
                          max_points=4.0):
    """ChallengeScore of a run_compress_for_budget record, measured here: the network rebuilt
    and checked (network_from_plain, its input and output those of ``ref_network``, the trained
    Network), the weights' shapes checked against its ops, bits against VALID_BITS, then
    score_compressed_model against ``float_accuracy`` (the trained model's held-out accuracy,
    computed by the caller). A model that cannot be rebuilt scores 0 with the reason."""
    measured = {"flash_budget_bytes": int(flash_budget), "sram_budget_bytes": int(sram_budget),
                "float_accuracy": float(float_accuracy)}
    if run.get("problem"):
        return ChallengeScore("compress-to-budget", 0.0, max_points, measured, COMPRESSION_SCALE,
                              str(run["problem"]))
    try:
        network = network_from_plain(run["network"], ref_network.input_shape)
        weights = {str(k): (np.asarray(w, np.float32), np.asarray(b, np.float32))
                   for k, (w, b) in run["weights"].items()}
        for op in network.ops:
            if op.weight_shape is None:
                continue
            w, b = weights.get(op.name, (None, None))
            if w is None or w.shape != op.weight_shape or b.shape != (op.bias_count,):
                raise ValueError(f"op {op.name!r}: its weights are not {op.weight_shape} and "
                                 f"({op.bias_count},)")
        if network.output_shape != ref_network.output_shape:
            raise ValueError(f"the output is {network.output_shape}, expected "
                             f"{ref_network.output_shape}")
        bits = _checked_bits(run["bits"], list(weights))
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        return ChallengeScore("compress-to-budget", 0.0, max_points, measured, COMPRESSION_SCALE,
                              f"the model could not be rebuilt ({type(err).__name__}: {err})")
    return score_compressed_model(network, weights, bits, flash_budget, sram_budget,
                                  float_accuracy, data, max_points)
