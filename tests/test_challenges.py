"""The homework's challenges: each scale written once, as data (its score and its prose), the probes
apart from the scorers, and the three scorers on hand-made answers.

(The hidden checks that wire probe and scorer through the grader: test_grading_challenges.py.)
"""
import ast
import json
import math
import re

import numpy as np
import pytest

from assignment_cases import sram_accounting as sram_case
from conftest import REPO
from tinyml_course import get_network
from tinyml_course.homework.challenges import compressed_model as cm
from tinyml_course.homework.challenges import patch_plan as pp
from tinyml_course.homework.challenges import probes
from tinyml_course.homework.challenges import streaming_depthwise as sd
from tinyml_course.homework.challenges.catalog import CHALLENGES
from tinyml_course.memory import patch_accounting
from tinyml_course.runtime.kernels import depthwise_conv2d

# ---------------------------------------------------------------- streaming depthwise

def _student_function(source, name):
    """The function ``name`` defined by a student's cell ``source`` (numpy in scope)."""
    namespace = {"np": np}
    exec(source, namespace)
    return namespace[name]


# exercise 5's method at stride 1: one (H, W) channel of scratch in the arena
_channel_scratch = _student_function(sram_case.CHANNEL_SCRATCH_STREAMING, "depthwise_streaming")


def _outside_the_arena(arena, buf, weight, bias=None):
    """Right output, computed in a numpy temporary: no arena scratch at all."""
    buf.array[...] = depthwise_conv2d(buf.array, weight, bias, 1, weight.shape[-1] // 2)
    return buf


@pytest.mark.parametrize("case", sd.STREAMING_CASES)
def test_streaming_scale_end_points(case):
    """Does the published scale give 1 point at H*W extra elements, 4 at (k//2+1)*W plus the
    resolution (4 MiB: 1048576 elements), the geometric middle 2.5, at each hidden size?"""
    _, h, w, k, _ = case
    base, target = h * w, (k // 2 + 1) * w + (4 << 20) / 4
    assert sd.STREAMING_SCALE.target(w, k) == target
    assert sd.STREAMING_SCALE.points(base, h, w, k) == 1.0
    assert sd.STREAMING_SCALE.points(4 * base, h, w, k) == 1.0
    assert sd.STREAMING_SCALE.points(target, h, w, k) == 4.0
    assert sd.STREAMING_SCALE.points((k // 2 + 1) * w, h, w, k) == 4.0
    assert sd.STREAMING_SCALE.points(math.sqrt(base * target), h, w, k) == pytest.approx(2.5)
    assert base / target > 5  # a channel of scratch and streaming rows lie far apart


def test_channel_scratch_measures_a_channel_locally():
    """Is exercise 5's method measured at H*W extra elements or more by the local figure (the
    student's own feedback)?"""
    run = sd.measure_streaming_depthwise(_channel_scratch, 4, 64, 64, 3)
    assert run["correct"], run["problem"]
    assert run["arena_peak_bytes"] == (4 * 64 * 64 + 64 * 64) * 4
    assert run["extra_elements"] >= 64 * 64  # the channel, plus the kernel's own temporaries


def test_memory_hidden_outside_the_arena_counts():
    """Does a full-size numpy temporary count as SRAM (no points for hiding it)?"""
    run = sd.measure_streaming_depthwise(_outside_the_arena, 4, 64, 64, 3)
    assert run["correct"] and run["arena_peak_bytes"] == 4 * 64 * 64 * 4
    assert run["extra_elements"] >= 4 * 64 * 64  # at least a whole output beside the input


@pytest.mark.parametrize("fn, problem", [
    (lambda arena, buf, weight, bias=None: None, "returned None"),
    (lambda arena, buf, weight, bias=None: buf, "differs from depthwise_conv2d"),
    (lambda arena, buf, weight, bias=None: 1 / 0, "raised ZeroDivisionError"),
])
def test_wrong_streaming_answers_score_zero(fn, problem):
    """Is a wrong, unanswered or crashing answer 0 points with its reason (judged as the grader
    judges a case measured outside: the case process's record and output)?"""
    from tinyml_course.homework.challenges.streaming_case import prepare
    case = prepare(2, 8, 8, 3, 0)
    record, out = case.run(fn)
    measured = {"record": record, "out": None if out is None else np.array(out), "problem": "",
                "extra_bytes": 0}
    judged = sd.judge_outside(measured, sd.streaming_expected(2, 8, 8, 3, 0))
    score = sd.score_streaming_runs([judged])
    assert score.points == 0.0 and problem in score.message
    json.dumps(score.to_json())  # plain data


def _through_json(run):
    """A probe's run as the grader receives it: JSON, the output array as nested lists."""
    plain = {**run, "out": None if run["out"] is None else run["out"].tolist()}
    return json.loads(json.dumps(plain))


def test_streaming_runs_are_judged_from_plain_data():
    """Is a run recorded where the student's code runs judged outside from its plain data alone:
    a right one right with the channel's extra memory, an output changed after the run or
    reported elsewhere wrong, a malformed run refused?"""
    c, h, w, k = 2, 8, 8, 3
    run = _through_json(probes.run_streaming_depthwise(_channel_scratch, c, h, w, k, 3))
    x, weight, bias = probes.streaming_inputs(c, h, w, k, 3)
    expected = depthwise_conv2d(x, weight, bias, 1, 1)
    judged = sd.judge_streaming_run(run, expected)
    assert judged["correct"], judged["problem"]
    assert run["arena_peak_bytes"] == (c * h * w + h * w) * 4 and run["live_bytes"] == x.nbytes
    assert "out" not in judged  # the record stays small
    changed = {**run, "out": (np.asarray(run["out"]) + 0.5).tolist()}
    assert "differs from depthwise_conv2d by up to 0.5" in sd.judge_streaming_run(changed, expected)["problem"]
    moved = {**run, "out_offset": run["in_offset"] + 64}
    assert "not at the input's byte" in sd.judge_streaming_run(moved, expected)["problem"]
    unanswered = probes.run_streaming_depthwise(lambda *a: None, c, h, w, k, 3)
    assert unanswered["returned"] == "NoneType" and unanswered["out"] is None
    with pytest.raises(KeyError):
        sd.judge_streaming_run({"shape": [c, h, w]}, expected)


def test_streaming_runs_scored_like_the_whole_measurement():
    """Does score_streaming_runs give the scale's points from judged records, one per case: a
    right one at the target 4, a wrong one 0?"""
    right = {"shape": [2, 384, 8192], "kernel": 3, "correct": True, "problem": ""}
    runs = [{**right, "extra_elements": float(2 * 8192)},
            {**right, "correct": False, "problem": "wrong", "extra_elements": 0.0}]
    score = sd.score_streaming_runs(runs)
    assert score.points == 2.0  # (4 + 0) / 2
    assert score.message.startswith("1 of 2 cases wrong") and score.summary().startswith(
        "streaming-depthwise: 2.00 of 4 points. 1 of 2 cases wrong")
    with pytest.raises(ValueError, match="at least one case"):
        sd.score_streaming_runs([])


# ---------------------------------------------------------------- patch plan

NET = get_network("mobilenetv2", 96, 0.35)
BUDGET = 48 * 1024


def test_patch_best_plan_scores_full_and_others_less():
    """Is the search's best plan 4 points, a fitting but costlier plan fewer, one that does not
    fit or does not exist 0?"""
    best = pp.best_patch_choice(NET, BUDGET)
    split, n, peak, macs = best
    assert peak <= BUDGET and macs >= NET.macs
    assert pp.score_patch_choice(NET, [split, n], BUDGET, best=best).points == 4.0
    costlier = pp.score_patch_choice(NET, (split, 8), BUDGET, best=best)
    assert costlier.measured["macs"] > macs
    assert 1.0 <= costlier.points < 4.0
    assert costlier.points == pytest.approx(
        1 + 3 * max(0.0, 1 - (costlier.measured["macs"] / macs - 1) / 0.25), abs=1e-4)
    assert pp.score_patch_choice(NET, ("block0", 1), BUDGET, best=best).points == 0.0  # in place
    bad = pp.score_patch_choice(NET, ("block99", 2), BUDGET, best=best)
    assert bad.points == 0.0 and "not a valid plan" in bad.message
    with pytest.raises(ValueError, match="no patch plan of .* fits 1024 bytes"):
        pp.score_patch_choice(NET, (split, n), 1024)


def test_plan_evaluator_allows_its_budget_only():
    """Does evaluate() answer `budget` times, then refuse?"""
    evaluate = probes.PlanEvaluator(NET, 2)
    evaluate("block1", 2)
    evaluate("block1", 3)
    with pytest.raises(RuntimeError, match="budget of 2 plans"):
        evaluate("block1", 4)
    assert evaluate.calls == [["block1", 2], ["block1", 3]]


def test_measuring_around_evaluate_scores_zero():
    """Does a chooser that measures plans with memory.profile(..., 'patch') instead of evaluate()
    score 0, while one that uses evaluate() keeps its points?"""
    from tinyml_course import memory

    def around(network, sram_bytes, evaluate):
        fits = [(memory.profile(network, "patch", "mcunet", patches=n, split="block1")
                 .peak_sram_bytes, n) for n in (2, 3)]
        return "block1", min(n for peak, n in fits if peak <= sram_bytes)

    def honest(network, sram_bytes, evaluate):
        for n in (2, 3, 4):
            if evaluate("block1", n)[0] <= sram_bytes:
                return "block1", n

    cheat = pp.score_patch_chooser(around, [(NET, BUDGET)])
    assert cheat.points == 0.0 and "outside evaluate()" in cheat.message
    assert cheat.measured["cases"][0]["measurements_outside_evaluate"] >= 2
    fair = pp.score_patch_chooser(honest, [(NET, BUDGET)])
    assert fair.points > 0 and fair.measured["cases"][0]["measurements_outside_evaluate"] == 0


def test_chooser_runs_scored_from_plain_data():
    """Is a chooser's run (plain data from where it ran) scored outside against the best plan:
    the best choice 4 points, a measurement outside evaluate() 0, an error or a non-pair 0 with
    the reason, and a run count that does not match the cases refused?"""
    best = pp.best_patch_choice(NET, BUDGET)
    run = {"choice": [best[0], best[1]], "evaluations": [[best[0], best[1]]],
           "measurements_outside_evaluate": 0}
    assert pp.score_chooser_runs([(NET, BUDGET)], [run], bests=[best]).points == 4.0
    outside = pp.score_chooser_runs([(NET, BUDGET)], [{**run, "measurements_outside_evaluate": 3}],
                                    bests=[best])
    assert outside.points == 0.0 and "measured 3 patch stage(s) outside evaluate()" in outside.message
    raised = probes.run_patch_chooser(lambda net, budget, evaluate: 1 / 0, NET, BUDGET)
    assert raised["choice"].startswith("an error (ZeroDivisionError")
    triple = probes.run_patch_chooser(lambda net, budget, evaluate: ("block1", 2, 3), NET, BUDGET)
    assert "ValueError" in triple["choice"]
    for bad in (raised, triple):
        score = pp.score_chooser_runs([(NET, BUDGET)], [bad], bests=[best])
        assert score.points == 0.0 and "is not a valid plan" in score.message
    pair = probes.run_patch_chooser(lambda net, budget, evaluate: (best[0], np.int64(best[1])), NET, BUDGET)
    assert pair == {"choice": [best[0], best[1]], "evaluations": [],
                    "measurements_outside_evaluate": 0}
    with pytest.raises(ValueError, match="2 chooser runs for 1 cases"):
        pp.score_chooser_runs([(NET, BUDGET)], [run, run], bests=[best])



def test_the_process_wide_stage_held_is_unchanged_while_and_after_a_chooser_runs():
    """Is patch_accounting.stage_held the package's own function while a chooser runs and after
    (the probe counts measurements, it swaps nothing out), and still counted outside evaluate()?"""
    original = patch_accounting.stage_held
    seen = []

    def chooser(network, sram_bytes, evaluate):
        seen.append(patch_accounting.stage_held is original)
        evaluate("block1", 2)
        from tinyml_course import memory
        memory.profile(network, "patch", "mcunet", patches=2, split="block1")
        return "block1", 2

    run = probes.run_patch_chooser(chooser, NET, BUDGET)
    assert seen == [True] and patch_accounting.stage_held is original
    assert run["evaluations"] == [["block1", 2]] and run["measurements_outside_evaluate"] >= 1


# ---------------------------------------------------------------- compression

def test_claimed_bits_must_be_stored():
    """Is a float model that claims 4 bits rejected with the reason, and the float model (over
    budget) 0 points with its figures?"""
    from tinyml_course.compression import trained

    network, weights = trained.load_trained()
    score = cm.score_compressed_model(network, weights, 4, 4096, 8192, 0.99)
    assert score.points == 0.0 and "the bits claimed are not the bits stored" in score.message
    score = cm.score_compressed_model(network, weights, 32, 4096, 8192, 0.99)
    assert score.points == 0.0 and score.message.startswith("over budget: Flash 23560 of 4096")
    assert score.measured["peak_sram_bytes"] == 32768  # float32 activations


def test_compression_run_scored_outside():
    """Is an unanswered run 0 with its reason, bits outside 2-8/32 refused, and the float model
    sent as plain data measured like the model itself (23,560 bytes of Flash, over budget)?"""
    from tinyml_course.compression import trained

    network, weights = trained.load_trained()
    unanswered = probes.run_compress_for_budget(lambda n, w, d: None, network, weights, None)
    score = cm.score_compression_run(unanswered, network, 0.99, 4096, 8192)
    assert score.points == 0.0 and score.message == "not answered yet"
    run = probes.run_compress_for_budget(lambda n, w, d: (n, w, 1), network, weights, None)
    score = cm.score_compression_run(run, network, 0.99, 4096, 8192)
    assert score.points == 0.0 and "bits must be" in score.message
    run["model"]["bits"] = 32
    score = cm.score_compression_run(run, network, 0.99, 4096, 8192)
    assert score.points == 0.0 and score.message.startswith("over budget: Flash 23560 of 4096")
    raised = probes.run_compress_for_budget(lambda n, w, d: 1 / 0, network, weights, None)
    assert cm.score_compression_run(raised, network, 0.99, 4096, 8192).message == \
        "it raised ZeroDivisionError: division by zero"


# ---------------------------------------------------------------- the scales, written once

def _points_in_prose(name, text):
    """A function computing the points the prose ``text`` of challenge ``name`` states, read from
    the text itself (its formula and constants): what a student reads is what is scored."""
    floor, rise = (float(v) for v in re.search(r"(\d+(?:\.\d+)?) \+ (\d+(?:\.\d+)?)·", text).groups())
    clamp = lambda q: min(1.0, max(0.0, q))  # noqa: E731
    if name == "streaming-depthwise":
        assert "q = log(H·W / extra) / log(H·W / target) clamped to [0, 1]" in text
        mib = float(re.search(r"target = \(k//2 \+ 1\)·W \+ ([\d.]+) MiB", text).group(1))
        element = int(re.search(r"(\d+) bytes an element", text).group(1))
        target = lambda w, k: (k // 2 + 1) * w + mib * 2**20 / element  # noqa: E731
        return lambda extra, h, w, k: floor + rise * clamp(
            1.0 if extra <= target(w, k) else
            math.log(h * w / extra) / math.log(h * w / target(w, k))), (mib, element)
    if name == "patch-plan":
        excess = float(re.search(r"best MACs − 1\) / ([\d.]+)\)", text).group(1))
        return lambda macs, best: floor + rise * clamp(1 - (macs / best - 1) / excess), excess
    top, span = (float(v) for v in re.search(r"clamp\(\(([\d.]+) − loss\) / ([\d.]+)\)", text).groups())
    return lambda loss: floor + rise * clamp((top - loss) / span), (top, span)


SAMPLES = {"streaming-depthwise": [(e, 384, 8192, 3) for e in (4e6, 3145728, 1e6, 6e5, 3e5, 50)]
           + [(e, 448, 7168, 7) for e in (3211264, 9e5, 216)],
           "patch-plan": [(m, 100) for m in (100, 105, 112.5, 125, 140)],
           "compress-to-budget": [(loss,) for loss in (-0.01, 0.0, 0.02, 0.05, 0.07, 0.12, 0.3)]}
OTHER_SCALES = {"streaming-depthwise": sd.StreamingScale(floor_points=0.5,
                                                         resolution_bytes=1 << 20),
                "patch-plan": pp.PatchScale(excess_at_floor=0.5, max_points=5.0),
                "compress-to-budget": cm.CompressionScale(loss_for_full=0.03, loss_at_floor=0.15)}


@pytest.mark.parametrize("name", list(CHALLENGES))
def test_the_prose_of_a_scale_states_what_it_scores(name):
    """Do the points read off a scale's text equal the points it scores, for the published
    scale and for one with other constants (the text is made from them, it cannot drift)?"""
    for scale in (CHALLENGES[name].scale, OTHER_SCALES[name]):
        prose, _ = _points_in_prose(name, scale.text())
        for args in SAMPLES[name]:
            assert prose(*args) == pytest.approx(scale.points(*args), abs=1e-9), (scale, args)
    _, constants = _points_in_prose(name, OTHER_SCALES[name].text())
    assert constants != _points_in_prose(name, CHALLENGES[name].scale.text())[1]


def _words(text):
    """``text`` with markdown comment marks, line breaks and runs of spaces made single spaces."""
    return " ".join(re.sub(r"^\s*# ?", "", text, flags=re.M).split())


def test_the_docs_show_each_scale_as_the_package_writes_it():
    """Does docs/homework.md hold every scale's generated text (and not a changed scale's)?"""
    docs = _words((REPO / "docs" / "homework.md").read_text())
    for name, challenge in CHALLENGES.items():
        assert _words(challenge.scale.text()) in docs, name
        assert _words(OTHER_SCALES[name].text()) not in docs, name


@pytest.mark.parametrize("name", list(CHALLENGES))
def test_the_assignment_prints_its_scale_from_the_package(name):
    """Does the assignment print the scale from the package (in a given cell) and state no
    formula of its own in its markdown?"""
    challenge = CHALLENGES[name]
    source = (REPO / "assignments" / "source" / challenge.assignment /
              f"{challenge.assignment}.py").read_text()
    scale_name = {"streaming-depthwise": "STREAMING_SCALE", "patch-plan": "PATCH_SCALE",
                  "compress-to-budget": "COMPRESSION_SCALE"}[name]
    assert f"print({scale_name}.text())" in source
    markdown = [cell for cell in source.split("# %%") if cell.startswith(" [markdown]")]
    assert not [cell for cell in markdown if "1 + 3·" in cell]


def test_a_record_carries_its_scale_text():
    """Does a scored record carry the scale's text (the feedback's, the leaderboard's)?"""
    score = sd.score_streaming_runs([{"shape": [2, 8, 8], "kernel": 3, "correct": True,
                                      "problem": "", "extra_elements": 16.0}])
    assert score.scale == sd.STREAMING_SCALE.text() and score.points == 4.0


# ---------------------------------------------------------------- probes apart from scorers

SCORERS = {"streaming_depthwise", "patch_plan", "compressed_model", "score", "catalog"}


def _scorers_imported(source):
    """The scorer modules of the challenges package that ``source`` imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {part for name in names for part in name.split(".") if part in SCORERS}
    return found


def test_the_probes_import_no_scorer():
    """Does probes.py import none of the scorers (and would the check see one if it did)?"""
    assert _scorers_imported((REPO / "tinyml_course" / "homework" / "challenges" /
                              "probes.py").read_text()) == set()
    assert _scorers_imported("from .score import ChallengeScore\nimport x.patch_plan") == \
        {"score", "patch_plan"}
