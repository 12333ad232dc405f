"""Hidden checks of patch_inference (instructor only: never released, hidden in the sandbox).

The grader (tinyml_course_grading) runs the student's notebook in a sandbox, evaluates each Case's `expr` there and
compares the plain-data answer with `expected`, computed here, in the grader, by the package.
docs/grading.md, "How to write a hidden check", explains the pieces.
"""
import functools

import numpy as np

from tinyml_course_grading.check_declarations import Case, Check
from tinyml_course_grading.comparisons import close, contains

from tinyml_course import build_network, get_network
from tinyml_course.homework.challenges.patch_plan import (PATCH_SCALE, best_patch_choice,
                                                           score_chooser_runs)
from tinyml_course.homework.challenges.probes import PlanEvaluator
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.patch_accounting import mac_overhead
from tinyml_course.memory.patch_plan import patch_plan
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.executor import reference_forward

SPEC = {"name": "hw", "resolution": 32, "stem": {"kernel": 3, "stride": 2, "out": 8},
        "blocks": [{"kernel": 3, "expand": 2, "out": 12, "stride": 1},
                   {"kernel": 5, "expand": 2, "out": 16, "stride": 2}],
        "feature_mix": None, "classes": None}
NET = build_network(SPEC)
LAST = NET.ops[-1].name
WEIGHTS = random_weights(NET, 0)
# the challenge's networks (get_network's arguments) and SRAM budgets: the notebook's, then two more
PLAN_CASES = [(("mobilenetv2", 144, 0.5), 128 * 1024), (("mcunet-in2",), 128 * 1024),
              (("mobilenetv2", 96, 0.35), 48 * 1024)]
EVALUATIONS = 6

HELPERS = f'''
import numpy as _np
from tinyml_course import build_network as _build
_GRADER_NET = _build({SPEC!r})


def _grader_forward(fn, n, seed):
    x = _np.random.default_rng(seed).standard_normal(_GRADER_NET.input_shape).astype(_np.float32)
    out = fn(_GRADER_NET, x, n)
    return None if out is None else _np.asarray(out, dtype=_np.float32)


# the challenge: the student's chooser called here, in the sandbox, with an evaluate() that
# asks the grader (ORACLES below: measured, counted and refused past the budget there); only
# its choices go back, measured and scored outside
from tinyml_course import get_network as _get
from tinyml_course.homework.challenges.probes import run_patch_chooser as _grader_run_chooser
from tinyml_course_grading.conversation import ask as _grader_ask
_GRADER_PLAN_CASES = [(_get(*args), budget) for args, budget in {PLAN_CASES!r}]


class _GraderEvaluate:
    """evaluate(split, n) -> (peak SRAM bytes, executed MACs), measured by the grader (which
    keeps the count); ``calls`` and ``budget`` as the package's PlanEvaluator has them."""

    def __init__(self, case):
        self._case, self.budget, self.calls = case, {EVALUATIONS}, []

    def __call__(self, split, n):
        peak, macs = _grader_ask("patch-plan", self._case, str(split), int(n))
        self.calls.append([str(split), int(n)])
        return int(peak), int(macs)


def _grader_chooser(fn):
    runs = [_grader_run_chooser(fn, net, budget, evaluate=_GraderEvaluate(i))
            for i, (net, budget) in enumerate(_GRADER_PLAN_CASES)]
    return None if all(r["choice"] is None for r in runs) else runs
'''

# the package's patch planning, execution and accounting: what the exercises ask to write
PLANNING = ["tinyml_course.memory.patch_plan:patch_plan",
            "tinyml_course.memory.patch_plan:patch_plans",
            "tinyml_course.memory.patch_plan:axis_windows",
            "tinyml_course.memory.patch_plan:input_range",
            "tinyml_course.memory.patch_plan:input_window"]
EXECUTION = ["tinyml_course.runtime.patch_exec:execute_patch_based",
             "tinyml_course.runtime.patch_exec:run_op_on_window"]
ACCOUNTING = ["tinyml_course.memory.accounting:profile",
              "tinyml_course.memory.patch_accounting:mac_overhead",
              "tinyml_course.memory.patch_accounting:stage_peak_bytes",
              "tinyml_course.memory.patch_accounting:stage_held",
              "tinyml_course.memory.patch_accounting:grid_stage_macs"]


def _window_cases():
    # held out (the visible test has stem [2, 4), [0, 2), [14, 16) and a 1x1 conv), by hand:
    # rows [a*s - p, (b-1)*s - p + k) cut to [0, H)
    cases = [Case("stem (3x3, stride 2, padding 1) rows [5, 7) of 32",
                  "op_input_rows(_GRADER_NET.op('stem'), 5, 7, 32)", (9, 14)),
             Case("block1.dw (5x5, stride 2, padding 2) rows [1, 3) of 16: clip rows -2, -1",
                  "op_input_rows(_GRADER_NET.op('block1.dw'), 1, 3, 16)", (0, 7)),
             Case("block1.dw (5x5, stride 2, padding 2) rows [6, 8) of 16: clip row 16",
                  "op_input_rows(_GRADER_NET.op('block1.dw'), 6, 8, 16)", (10, 16))]
    for n in (4, 1, 3, 5, 8):
        plan = patch_plan(NET, LAST, n)
        for i, (a, b) in enumerate(plan.row_tiles):
            want = {t: (int(lo[i]), int(hi[i])) for t, (lo, hi) in plan.rows.items()}
            cases.append(Case(f"{n}x{n} grid, tile {i} rows [{a}, {b})",
                              f"stage_windows(_GRADER_NET, {int(a)}, {int(b)})", want,
                              compare=contains))
    return cases


def _forward_expected(seed):
    x = np.random.default_rng(seed).standard_normal(NET.input_shape).astype(np.float32)
    return reference_forward(NET, x, WEIGHTS)


def _peak_and_overhead(got, expected):
    if not isinstance(got, list) or len(got) != 2:
        return f"got {got!r}, expected (peak bytes, MAC overhead)"
    if got[0] != expected[0]:
        return f"peak {got[0]!r} bytes, expected {expected[0]}"
    if not isinstance(got[1], (int, float)) or abs(got[1] - expected[1]) >= 1e-9:
        return f"overhead {got[1]!r}, expected {expected[1]:.6f}"
    return None


def _cost_expected(n):
    peak = profile(NET, "patch", "mcunet", "int8", patches=n, split=LAST).patch.stage_peak_bytes
    return (int(peak), float(mac_overhead(NET, LAST, n).stage_overhead))


@functools.lru_cache(maxsize=1)
def _plan_cases():
    """[(network, budget)] of the challenge, built once per grading process."""
    return [(get_network(*args), budget) for args, budget in PLAN_CASES]


def _best_plans():
    """The cheapest fitting plan of each case, by exhaustive search (a few seconds, once)."""
    return [best_patch_choice(network, budget) for network, budget in _plan_cases()]


class PlanOracle:
    """The challenge's evaluate(case, split, n), answered here for the sandbox (one per student
    call): the package's PlanEvaluator of each case, EVALUATIONS plans each; ``answer`` puts the
    plans it measured into the chooser runs (no count the score reads comes from the sandbox)."""

    def __init__(self):
        self.evaluators = [PlanEvaluator(net, EVALUATIONS) for net, _ in _plan_cases()]

    def __call__(self, case, split, n):
        if not isinstance(case, int) or not 0 <= case < len(self.evaluators):
            raise ValueError(f"no challenge case {case!r:.20}")
        if not isinstance(n, int) or not 1 <= n <= PATCH_SCALE.max_grid:
            raise ValueError(f"the grid n must be 1 to {PATCH_SCALE.max_grid}, not {n!r:.20}")
        return self.evaluators[case](str(split)[:40], n)

    def answer(self, runs):
        if isinstance(runs, list) and len(runs) == len(self.evaluators):
            for run, evaluator in zip(runs, self.evaluators):
                if isinstance(run, dict):
                    run["evaluations"] = [list(c) for c in evaluator.calls]
        return runs


ORACLES = {"patch-plan": PlanOracle}


def _plan_grade(got, expected):
    """(fraction, feedback sentence, record) of the challenge from the sandbox's chooser runs:
    each choice measured here (peak SRAM, executed MACs) and scored against the best plan."""
    score = score_chooser_runs(_plan_cases(), got, bests=expected)
    return score.fraction, score.summary(), score.to_json()


CHECKS = [
    Check("test-windows", "stage_windows", solution="stage-windows",
          property="the clipped input window of every tensor, for every tile of several grids",
          reference=PLANNING, similar_to=["tinyml_course.memory.patch_plan:axis_windows"],
          cases=_window_cases(), scoring="fraction"),
    Check("test-patch-forward", "patch_forward", solution="patch-forward",
          property="the assembled output equals per-layer inference, grids that do not divide H "
                   "included",
          reference=PLANNING + EXECUTION,
          similar_to=["tinyml_course.runtime.patch_exec:execute_patch_based"],
          cases=[Case(f"{n}x{n} patches" + (" (the notebook's x)" if seed == 1 else ""),
                      f"_grader_forward(patch_forward, {n}, {seed})",
                      (lambda seed=seed: _forward_expected(seed)), compare=close(0, 1e-5))
                 for n, seed in [(3, 3), (5, 5), (6, 6), (7, 7), (8, 8)]],  # held out
          scoring="fraction"),
    Check("test-patch-stage-cost", "patch_stage_cost", solution="patch-stage-cost",
          property="peak SRAM (input + output windows, in-place depthwise, the full stage "
                   "output) and MAC overhead",
          reference=PLANNING + ACCOUNTING,
          cases=[Case(f"{n}x{n} patches", f"patch_stage_cost(_GRADER_NET, {n})",
                      (lambda n=n: _cost_expected(n)), compare=_peak_and_overhead)
                 for n in (3, 5, 6, 8)], scoring="fraction"),  # held out: the test has 1, 2, 4
    Check("test-choose-patch-plan", "choose_patch_plan", solution="choose-patch-plan",
          property="a plan that fits, few MACs beyond the best, measured only with evaluate()",
          challenge="patch-plan", grade=_plan_grade,
          cases=[Case("three networks and budgets", "_grader_chooser(choose_patch_plan)",
                      _best_plans)]),
]
