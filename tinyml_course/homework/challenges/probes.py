"""The challenges' probes: run a student's artefact where the student's code runs, plain data out.

A probe calls the student's function once and records what it did, without judging it: no
expected value, no scale, no score is imported here (tests/test_challenges.py checks that this
module imports no scorer). The grader judges and scores the records outside
(``streaming_depthwise``, ``patch_plan``, ``compressed_model``), against figures it computed
itself; assignments/source/<a>/hidden_checks.py wires the two.

- :func:`run_streaming_depthwise` (sram_accounting): the output, its address and the memory the
  call used (arena high-water mark, tracemalloc's peak outside the arena).
- :func:`run_patch_chooser` (patch_inference): the chooser's (split, n), the plans it measured
  with its :class:`PlanEvaluator`, and the patch-stage measurements it made any other way.
- :func:`run_compress_for_budget` (compression): the returned model as plain data
  (``plain_model.model_to_plain``).
"""

# tracemalloc's functions bound here, at import: a student who replaces the module's attributes
# (tracemalloc.get_traced_memory = ...) does not change what a measurement reads
from tracemalloc import get_traced_memory as _tm_traced, is_tracing as _tm_is_tracing
from tracemalloc import reset_peak as _tm_reset_peak, start as _tm_start, stop as _tm_stop

import numpy as np

from ...memory import accounting
from ...memory import patch_accounting
from ...memory.arena import Arena, Buffer
from ..plain_model import model_to_plain

ARENA_SLACK_BYTES = 1 << 16  # the probe's arena: twice the input plus this


# ---------------------------------------------------------------- streaming depthwise

def streaming_inputs(c, h, w, k, seed=0):
    """(x (C, H, W), weight (C, k, k), bias (C,)), float32, of one challenge case from ``seed``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    weight = rng.standard_normal((c, k, k)).astype(np.float32)
    bias = rng.standard_normal(c).astype(np.float32)
    return x, weight, bias


def run_streaming_depthwise(fn, c, h, w, k, seed=0):
    """Run ``fn(arena, buf, weight, bias)`` once on streaming_inputs(...) and record what it did.

    Returns plain data: 'shape' [C, H, W], 'kernel', 'returned' (the type name of the result,
    'NoneType' when unanswered, None when it raised), 'problem' (why there is no output to judge,
    or ''), 'out' (the returned buffer's float32 array, or None), 'in_offset' / 'out_offset'
    (bytes), 'live_bytes' (still allocated after the call), 'arena_peak_bytes' and
    'temporary_bytes' (tracemalloc's peak over the call: memory outside the arena).
    """
    x, weight, bias = streaming_inputs(c, h, w, k, seed)
    arena = Arena(2 * x.nbytes + ARENA_SLACK_BYTES)
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


# ---------------------------------------------------------------- patch plan

def plan_figures(network, split, n, convention="mcunet", dtype="int8"):
    """(peak SRAM bytes, executed MACs) of the patch plan (split, n x n) of ``network``: what
    evaluate() answers and what the scorer measures."""
    peak = accounting.profile(network, "patch", convention, dtype, patches=n,
                              split=split).peak_sram_bytes
    return int(peak), int(patch_accounting.mac_overhead(network, split, n).network_macs_clipped)


class PlanEvaluator:
    """``evaluate(split, n) -> (peak SRAM bytes, executed MACs)`` of one patch plan, at most
    ``budget`` times (then it raises RuntimeError): what a chooser may measure.

    calls: the [split, n] it measured; stage_measurements: the patch-stage measurements
    (``patch_accounting.stage_measurements``) those calls made.
    """

    def __init__(self, network, budget, convention="mcunet", dtype="int8"):
        self.network, self.budget = network, budget
        self.convention, self.dtype = convention, dtype
        self.calls, self.stage_measurements = [], 0

    def __call__(self, split, n):
        if len(self.calls) >= self.budget:
            raise RuntimeError(f"the evaluation budget of {self.budget} plans is used up")
        self.calls.append([str(split), int(n)])
        before = patch_accounting.stage_measurements()
        try:
            return plan_figures(self.network, split, int(n), self.convention, self.dtype)
        finally:
            self.stage_measurements += patch_accounting.stage_measurements() - before


def run_patch_chooser(fn, network, sram_bytes, evaluations=6, evaluate=None):
    """Call a chooser ``fn(network, sram_bytes, evaluate) -> (split, n)`` once, with a
    PlanEvaluator allowing ``evaluations`` measurements (or ``evaluate``: the grader's, which
    measures outside the student's process and keeps its own count), and record what it did.

    Returns plain data: 'choice' ([split str, n int]; None when unanswered; otherwise a string
    saying what came back, which the scorer rejects with its reason), 'evaluations' (the
    [split, n] it measured; [] for the grader's ``evaluate``: the grader records them) and
    'measurements_outside_evaluate' (patch-stage measurements made any other way,
    memory.profile(..., "patch") or the search: the process's count of them over the call,
    less the evaluator's own).
    """
    evaluate = PlanEvaluator(network, evaluations) if evaluate is None else evaluate
    before = patch_accounting.stage_measurements()
    try:
        choice = fn(network, sram_bytes, evaluate)
    except Exception as err:  # a student's error is a wrong answer, with its reason
        choice = f"an error ({type(err).__name__}: {err})"
    own = evaluate.stage_measurements if isinstance(evaluate, PlanEvaluator) else 0
    outside = patch_accounting.stage_measurements() - before - own
    if choice is not None and not isinstance(choice, str):
        try:
            split, n = choice
            choice = [str(split), int(n)]
        except Exception as err:  # not a pair: the scorer says so
            choice = f"{choice!r:.200} ({type(err).__name__}: {err})"
    return {"choice": choice, "evaluations": [list(c) for c in getattr(evaluate, "calls", [])],
            "measurements_outside_evaluate": int(outside)}


# ---------------------------------------------------------------- compressed model

def run_compress_for_budget(fn, network, weights, data):
    """Call ``fn(network, weights, data)`` once and return its model as plain data.

    Returns: 'returned' (the result's type name, 'NoneType' when unanswered, None when it raised),
    'problem' (why there is no model to measure, or '') and 'model' (model_to_plain of the
    returned (network, weights, bits), or None).
    """
    run = {"returned": None, "problem": "", "model": None}
    try:
        model = fn(network, weights, data)
        run["returned"] = type(model).__name__
        if model is None:
            run["problem"] = "not answered yet"
            return run
        net, w, bits = model
        run["model"] = model_to_plain(net, w, bits)
    except Exception as err:  # a student's error is a wrong answer, with its reason
        run["problem"] = f"it raised {type(err).__name__}: {err}"
    return run
