"""patch_inference's challenge, ``patch-plan``: a patch plan within an SRAM budget, few MACs beyond the best.

The student's ``choose_patch_plan(network, sram_bytes, evaluate)`` runs in the probe
(``probes.run_patch_chooser``), measuring at most six plans with its ``PlanEvaluator``; here its
choice is measured again (peak SRAM under ``memory.profile(..., "patch")``, executed MACs) and
scored on PATCH_SCALE against the cheapest fitting plan found by exhaustive search
(:func:`best_patch_choice`). A chooser that measured patch stages outside evaluate() scores 0 on
that network.
"""

from dataclasses import dataclass

from ...memory.patch_plan import patch_splits, resolve_split
from ...model.ops import GroupOp
from ...validation import check_scalar
from .probes import plan_figures, run_patch_chooser
from .score import ChallengeScore, Scale

NAME = "patch-plan"


@dataclass(frozen=True)
class PatchScale(Scale):
    """Per network: 0 if the plan is invalid or over budget, else floor + (max - floor) *
    clamp(1 - (MACs / best MACs - 1) / excess_at_floor); the mean over the networks."""

    excess_at_floor: float = 0.25  # extra MACs (share of the best plan's) that earn only the floor
    max_grid: int = 8  # the search tries n x n grids, n = 1 .. max_grid
    convention: str = "mcunet"
    dtype: str = "int8"

    @property
    def grids(self):
        return tuple(range(1, self.max_grid + 1))

    def quality(self, macs, best_macs):
        """q: 1 for the best plan's MACs, 0 at (1 + excess_at_floor) times them."""
        return 1.0 - (macs / best_macs - 1.0) / self.excess_at_floor

    def points(self, macs, best_macs):
        """Points of a plan within budget that executes ``macs`` (the best: ``best_macs``)."""
        return self.points_for(self.quality(macs, best_macs))

    def text(self):
        """The published scale, as the notebook, the docs and the feedback record show it."""
        half = self.excess_at_floor / 2
        return (f"0 if the plan is invalid or its peak SRAM (memory.profile, schedule 'patch', "
                f"convention '{self.convention}', {self.dtype}) exceeds the budget; else "
                f"{self.formula(f'clamp(1 − (your MACs / best MACs − 1) / {self.excess_at_floor:g})')}"
                f" points, best = the cheapest plan that fits over every block split and every "
                f"n x n grid up to {self.max_grid}x{self.max_grid} (exhaustive search); the mean "
                f"over the networks. So any plan that fits earns {self.points_phrase(0)}, the best "
                f"earns {self.points_phrase(1)}, and {100 * half:g}% more MACs than the best "
                f"earn {self.points_phrase(self.quality(1 + half, 1))}.")


PATCH_SCALE = PatchScale()


def best_patch_choice(network, sram_bytes, scale=PATCH_SCALE):
    """(split, n, peak bytes, executed MACs) of the cheapest patch plan within ``sram_bytes``,
    over every block split and n x n grid of ``scale.grids``; None if none fits."""
    best = None
    for split in patch_splits(network):
        size = network.shape_of(network.ops[resolve_split(network, split)].name)[1]
        for n in scale.grids:
            if n > size:
                break
            peak, macs = plan_figures(network, split, n, scale.convention, scale.dtype)
            if peak <= sram_bytes and (best is None or macs < best[3]):
                best = (split, n, peak, macs)
    return best


def score_patch_choice(network, choice, sram_bytes, best=None, scale=PATCH_SCALE):
    """ChallengeScore of ``choice`` = (split, n) for ``network`` within ``sram_bytes``.

    best: a precomputed best_patch_choice(...) (it takes a second or two per network).
    Raises ValueError when no plan at all fits (a badly chosen case).
    """
    best = best or best_patch_choice(network, sram_bytes, scale)
    if best is None:  # the instructor's case, not the student's answer, is wrong
        raise ValueError(f"no patch plan of {network.name} fits {sram_bytes} bytes: "
                         "choose a larger budget for this challenge case")
    measured = {"network": network.name, "sram_budget_bytes": int(sram_bytes),
                "best": {"split": best[0], "patches": best[1], "peak_sram_bytes": best[2],
                         "macs": best[3]}}
    try:
        split, n = choice
        split = str(split)
        n = check_scalar(n, "the grid n", int, min_val=1, error=ValueError)
        peak, macs = plan_figures(network, split, n, scale.convention, scale.dtype)
    except Exception as err:  # whatever the student sent: no plan, with the reason
        msg = "not answered yet" if choice is None else f"{choice!r} is not a valid plan ({err})"
        return ChallengeScore(NAME, 0.0, scale.max_points, measured, scale.text(), msg)
    measured.update({"split": split, "patches": n, "peak_sram_bytes": peak, "macs": macs})
    if peak > sram_bytes:
        return ChallengeScore(NAME, 0.0, scale.max_points, measured, scale.text(),
                              f"{network.name}: {split} with {n}x{n} patches peaks at {peak} "
                              f"bytes, over the {sram_bytes}-byte budget.")
    excess = macs / best[3] - 1
    measured["excess_macs"] = excess
    return ChallengeScore(NAME, round(scale.points(macs, best[3]), 4), scale.max_points, measured,
                          scale.text(),
                          f"{network.name}: {split} with {n}x{n} patches fits ({peak} bytes) "
                          f"and executes {macs:,} MACs, {100 * excess:.1f}% more than the best "
                          f"plan found.")


def score_chooser_runs(cases, runs, bests=None, scale=PATCH_SCALE):
    """Mean ChallengeScore of probe records ``runs`` (probes.run_patch_chooser), one per case of
    ``cases`` = [(network, sram_bytes)]: each scored by score_patch_choice (``bests``: the
    cases' precomputed best_patch_choice, else searched here); a run that measured patch stages
    outside evaluate() scores 0 on its case. Raises ValueError when the counts differ."""
    bests = list(bests) if bests is not None else [None] * len(cases)
    if not cases or len(runs) != len(cases) or len(bests) != len(cases):
        raise ValueError(f"{len(runs)} chooser runs for {len(cases)} cases")
    scores = []
    for (network, sram_bytes), run, best in zip(cases, runs, bests):
        score = score_patch_choice(network, run["choice"], sram_bytes, best, scale)
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
    return ChallengeScore(NAME, round(earned, 4), scale.max_points,
                          {"cases": [s.measured for s in scores]}, scale.text(),
                          " ".join(s.message for s in scores))


def score_patch_chooser(fn, cases, evaluations=6, scale=PATCH_SCALE):
    """Mean ChallengeScore of a chooser ``fn(network, sram_bytes, evaluate) -> (split, n)`` over
    ``cases`` = [(network, sram_bytes)], run and scored here: probes.run_patch_chooser, then
    score_chooser_runs."""
    runs = [run_patch_chooser(fn, network, sram_bytes, evaluations)
            for network, sram_bytes in cases]
    return score_chooser_runs(cases, runs, scale=scale)
