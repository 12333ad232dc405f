"""tinyml_course.homework: feedback sentences, the challenge scorers' scales, the records."""
import json
import math

import numpy as np
import pytest

from assignment_cases import sram_accounting as sram_case
from tinyml_course import get_network
from tinyml_course.homework import (NotAnswered, expect_close, expect_equal, is_stub,
                                    require_answered, same)
from tinyml_course.homework import challenges as ch
from tinyml_course.homework.records import leaderboard, notebook_records
from tinyml_course.runtime.kernels import depthwise_conv2d


# ---------------------------------------------------------------- feedback

def _stub_with_docstring(x):
    """Handed out like this."""
    # YOUR CODE HERE
    ...


def _stub_pass(x):
    pass


def _answered(x):
    """Answered."""
    return x + 1


def test_stubs_are_recognised():
    """Is a handed-out stub (docstring + `...`, or `pass`) told apart from an answer?"""
    assert is_stub(_stub_with_docstring) and is_stub(_stub_pass)
    assert not is_stub(_answered) and not is_stub(len)


def test_require_answered_names_every_stub():
    """Does an unanswered exercise say "not answered yet", naming each stub and no answer?"""
    with pytest.raises(NotAnswered) as err:
        require_answered(_answered, _stub_pass, _stub_with_docstring)
    message = str(err.value)
    assert "_stub_pass, _stub_with_docstring is not answered yet" in message
    assert "_answered" not in message.replace("_stub", "")
    require_answered(_answered)  # no error


def _uses_a_stub(x):
    """Answered, but relies on an unanswered exercise."""
    return [_stub_pass(v) + 1 for v in x]


def _uses_it_indirectly(x):
    return _uses_a_stub(x) + [_answered(x[0])]


def test_require_answered_names_the_stubs_an_answer_uses():
    """Does an answer that calls an unanswered exercise (directly or through another answer, in
    a nested expression) say which one is not answered yet, instead of a TypeError?"""
    with pytest.raises(NotAnswered) as err:
        require_answered(_uses_it_indirectly)
    assert str(err.value).startswith("_uses_it_indirectly uses _stub_pass, which is not answered yet")
    assert not is_stub(_uses_a_stub)
    with pytest.raises(TypeError):  # what the student would have seen
        _uses_it_indirectly([1])


@pytest.mark.parametrize("got, expected", [
    ([3, 8], (3, 8)), ((np.int64(3), np.int32(8)), (3, 8)), (np.array([3, 8]), (3, 8)),
    ({"a": [1, 2]}, {"a": (1, 2)}), (np.float32(0.5), 0.5), ([[1, 2], (3,)], ((1, 2), [3])),
])
def test_same_accepts_equal_values_in_other_containers(got, expected):
    """Is a list where a tuple is natural (or numpy numbers) the same answer?"""
    assert same(got, expected)


@pytest.mark.parametrize("got, expected", [
    ([3, 9], (3, 8)), ([3], (3, 8)), ("38", (3, 8)), (True, 1), (1, True),
    ({"b": 1, "a": 2}, {"a": 2, "b": 1}), (float("nan"), float("nan")), (None, 0),
])
def test_same_rejects_different_answers(got, expected):
    """Are other values, other lengths, strings, bools for ints and reordered dicts rejected?"""
    assert not same(got, expected)


def test_expect_equal_says_expected_and_got():
    """Does a failure read "what: expected E, got G (why)", and None "not answered yet"?"""
    with pytest.raises(AssertionError) as err:
        expect_equal("f(2)", [3, 9], (3, 8), why="rows are half-open")
    assert str(err.value) == "f(2): expected (3, 8), got [3, 9] (rows are half-open)"
    with pytest.raises(NotAnswered, match="f\\(2\\) returned None: the exercise is not answered yet"):
        expect_equal("f(2)", None, (3, 8))
    # a list where a tuple is natural passes, and the check shows no value: a graded cell ending
    # in it would otherwise hand nbgrader a number to read as partial credit (538 > 2 points)
    assert expect_equal("f(2)", [3, 8], (3, 8)) is None
    assert expect_equal("zeros", 538, 538) is None
    expect_equal("x", 0.1 + 0.2, 0.3, tol=1e-12)


def test_expect_close_names_the_worst_element():
    """Does an array failure give the largest difference and where, and catch NaN and shapes?"""
    with pytest.raises(AssertionError, match=r"difference of 0.5 at index \(1, 0\) \(expected 3, got 3.5\)"):
        expect_close("y", [[1.0, 2.0], [3.5, 4.0]], np.array([[1, 2], [3, 4]]), 1e-6)
    with pytest.raises(AssertionError, match="expected shape \\(2,\\), got shape \\(3,\\)"):
        expect_close("y", [1, 2, 3], np.zeros(2), 1e-6)
    with pytest.raises(AssertionError):
        expect_close("y", [float("nan")], np.zeros(1), 1e-6)


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


def test_streaming_scale_end_points():
    """Does the published scale give 1 point at H*W extra elements, 4 at (k//2+1)*W, and the
    geometric middle 2.5?"""
    h, w, k = 64, 64, 3
    base, target = h * w, (k // 2 + 1) * w
    assert ch.streaming_points(base, h, w, k) == 1.0
    assert ch.streaming_points(4 * base, h, w, k) == 1.0
    assert ch.streaming_points(target, h, w, k) == 4.0
    assert ch.streaming_points(math.sqrt(base * target), h, w, k) == pytest.approx(2.5)


def test_channel_scratch_measures_a_channel_and_scores_one_point():
    """Is exercise 5's method measured at H*W extra elements or more and scored 1 of 4?"""
    run = ch.measure_streaming_depthwise(_channel_scratch, 4, 64, 64, 3)
    assert run["correct"], run["problem"]
    assert run["arena_peak_bytes"] == (4 * 64 * 64 + 64 * 64) * 4
    assert run["extra_elements"] >= 64 * 64  # the channel, plus the kernel's own temporaries
    score = ch.score_streaming_depthwise(_channel_scratch)
    assert score.points == 1.0 and score.max_points == 4.0
    json.dumps(score.to_json())  # plain data


def test_memory_hidden_outside_the_arena_counts():
    """Does a full-size numpy temporary count as SRAM (no points for hiding it)?"""
    run = ch.measure_streaming_depthwise(_outside_the_arena, 4, 64, 64, 3)
    assert run["correct"] and run["arena_peak_bytes"] == 4 * 64 * 64 * 4
    assert run["extra_elements"] >= 4 * 64 * 64  # at least a whole output beside the input


@pytest.mark.parametrize("fn, problem", [
    (lambda arena, buf, weight, bias=None: None, "returned None"),
    (lambda arena, buf, weight, bias=None: buf, "differs from depthwise_conv2d"),
    (lambda arena, buf, weight, bias=None: 1 / 0, "raised ZeroDivisionError"),
])
def test_wrong_streaming_answers_score_zero(fn, problem):
    """Is a wrong, unanswered or crashing answer 0 points with its reason?"""
    score = ch.score_streaming_depthwise(fn, cases=((2, 8, 8, 3, 0),))
    assert score.points == 0.0 and problem in score.message


def _through_json(run):
    """A probe's run as the grader receives it: JSON, the output array as nested lists."""
    plain = {**run, "out": None if run["out"] is None else run["out"].tolist()}
    return json.loads(json.dumps(plain))


def test_streaming_runs_are_judged_from_plain_data():
    """Is a run recorded where the student's code runs judged outside from its plain data alone:
    a right one right with the channel's extra memory, an output changed after the run or
    reported elsewhere wrong, a malformed run refused?"""
    c, h, w, k = 2, 8, 8, 3
    run = _through_json(ch.run_streaming_depthwise(_channel_scratch, c, h, w, k, 3))
    x, weight, bias = ch.streaming_inputs(c, h, w, k, 3)
    expected = depthwise_conv2d(x, weight, bias, 1, 1)
    judged = ch.judge_streaming_run(run, expected)
    assert judged["correct"], judged["problem"]
    assert run["arena_peak_bytes"] == (c * h * w + h * w) * 4 and run["live_bytes"] == x.nbytes
    assert "out" not in judged  # the record stays small
    changed = {**run, "out": (np.asarray(run["out"]) + 0.5).tolist()}
    assert "differs from depthwise_conv2d by up to 0.5" in ch.judge_streaming_run(changed, expected)["problem"]
    moved = {**run, "out_offset": run["in_offset"] + 64}
    assert "not at the input's byte" in ch.judge_streaming_run(moved, expected)["problem"]
    unanswered = ch.run_streaming_depthwise(lambda *a: None, c, h, w, k, 3)
    assert unanswered["returned"] == "NoneType" and unanswered["out"] is None
    with pytest.raises(KeyError):
        ch.judge_streaming_run({"shape": [c, h, w]}, expected)


def test_streaming_runs_scored_like_the_whole_measurement():
    """Does score_streaming_runs give the scale's points from judged records: a case's lowest
    measurement counts, a wrong try zeroes its case?"""
    right = {"shape": [4, 64, 64], "kernel": 3, "correct": True, "problem": ""}
    target, base = 2 * 64, 64 * 64
    tries = [[{**right, "extra_elements": float(base)}, {**right, "extra_elements": float(target)}],
             [{**right, "extra_elements": float(base)}, {**right, "correct": False,
                                                         "problem": "wrong", "extra_elements": 0.0}]]
    score = ch.score_streaming_runs(tries)
    assert score.points == 2.0  # (4 + 0) / 2
    assert score.message.startswith("1 of 2 cases wrong") and score.summary().startswith(
        "streaming-depthwise: 2.00 of 4 points. 1 of 2 cases wrong")
    with pytest.raises(ValueError, match="at least one case"):
        ch.score_streaming_runs([])


# ---------------------------------------------------------------- patch plan

NET = get_network("mobilenetv2", 96, 0.35)
BUDGET = 48 * 1024


def test_patch_best_plan_scores_full_and_others_less():
    """Is the search's best plan 4 points, a fitting but costlier plan fewer, one that does not
    fit or does not exist 0?"""
    best = ch.best_patch_choice(NET, BUDGET)
    split, n, peak, macs = best
    assert peak <= BUDGET and macs >= NET.macs
    assert ch.score_patch_choice(NET, [split, n], BUDGET, best=best).points == 4.0
    costlier = ch.score_patch_choice(NET, (split, 8), BUDGET, best=best)
    assert costlier.measured["macs"] > macs
    assert 1.0 <= costlier.points < 4.0
    assert costlier.points == pytest.approx(
        1 + 3 * max(0.0, 1 - (costlier.measured["macs"] / macs - 1) / 0.25), abs=1e-4)
    assert ch.score_patch_choice(NET, ("block0", 1), BUDGET, best=best).points == 0.0  # in place
    bad = ch.score_patch_choice(NET, ("block99", 2), BUDGET, best=best)
    assert bad.points == 0.0 and "not a valid plan" in bad.message
    with pytest.raises(ValueError, match="no patch plan of .* fits 1024 bytes"):
        ch.score_patch_choice(NET, (split, n), 1024)


def test_plan_evaluator_allows_its_budget_only():
    """Does evaluate() answer `budget` times, then refuse?"""
    evaluate = ch.PlanEvaluator(NET, 2)
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

    cheat = ch.score_patch_chooser(around, [(NET, BUDGET)])
    assert cheat.points == 0.0 and "outside evaluate()" in cheat.message
    assert cheat.measured["cases"][0]["measurements_outside_evaluate"] >= 2
    fair = ch.score_patch_chooser(honest, [(NET, BUDGET)])
    assert fair.points > 0 and fair.measured["cases"][0]["measurements_outside_evaluate"] == 0


def test_chooser_runs_scored_from_plain_data():
    """Is a chooser's run (plain data from where it ran) scored outside against the best plan:
    the best choice 4 points, a measurement outside evaluate() 0, an error or a non-pair 0 with
    the reason, and a run count that does not match the cases refused?"""
    best = ch.best_patch_choice(NET, BUDGET)
    run = {"choice": [best[0], best[1]], "evaluations": [[best[0], best[1]]],
           "measurements_outside_evaluate": 0}
    assert ch.score_chooser_runs([(NET, BUDGET)], [run], bests=[best]).points == 4.0
    outside = ch.score_chooser_runs([(NET, BUDGET)], [{**run, "measurements_outside_evaluate": 3}],
                                    bests=[best])
    assert outside.points == 0.0 and "measured 3 patch stage(s) outside evaluate()" in outside.message
    raised = ch.run_patch_chooser(lambda net, budget, evaluate: 1 / 0, NET, BUDGET)
    assert raised["choice"].startswith("an error (ZeroDivisionError")
    triple = ch.run_patch_chooser(lambda net, budget, evaluate: ("block1", 2, 3), NET, BUDGET)
    assert "ValueError" in triple["choice"]
    for bad in (raised, triple):
        score = ch.score_chooser_runs([(NET, BUDGET)], [bad], bests=[best])
        assert score.points == 0.0 and "is not a valid plan" in score.message
    pair = ch.run_patch_chooser(lambda net, budget, evaluate: (best[0], np.int64(best[1])), NET, BUDGET)
    assert pair == {"choice": [best[0], best[1]], "evaluations": [],
                    "measurements_outside_evaluate": 0}
    with pytest.raises(ValueError, match="2 chooser runs for 1 cases"):
        ch.score_chooser_runs([(NET, BUDGET)], [run, run], bests=[best])


# ---------------------------------------------------------------- compression

def test_parameter_bytes_of_codebooks_and_grids():
    """Codebook: 2^bits float32 per layer; symmetric grid: a scale per channel; asymmetric: plus a
    zero point; values neither can store: None."""
    rng = np.random.default_rng(0)
    codes = rng.integers(-7, 8, size=(6, 20))
    scales = rng.uniform(0.01, 0.1, size=(6, 1))
    assert ch.layer_parameter_bytes((codes * scales).astype(np.float32), 4) == 6 * 4
    shifted = rng.integers(0, 16, size=(6, 20)) * scales  # codes 0..15: needs a zero point
    assert ch.layer_parameter_bytes(shifted.astype(np.float32), 4) == 6 * 8
    few = np.array([[0.5, -0.25], [0.125, 0.5]], np.float32)  # 3 values in the whole layer
    assert ch.layer_parameter_bytes(few, 2) == 4 * 4
    assert ch.layer_parameter_bytes(rng.standard_normal((6, 20)).astype(np.float32), 4) is None


def test_float_model_flash_by_hand():
    """Is a dense float32 layer 4 bytes a weight plus 4 a bias?"""
    w = {"a": (np.ones((3, 4), np.float32), np.zeros(3, np.float32))}
    assert ch.model_flash_bytes(w, 32) == 3 * 4 * 4 + 3 * 4


@pytest.mark.slow
def test_claimed_bits_must_be_stored():
    """Is a float model that claims 4 bits rejected with the reason, and the float model (over
    budget) 0 points with its figures?"""
    from tinyml_course.compression import trained

    network, weights = trained.load_trained()
    score = ch.score_compressed_model(network, weights, 4, 4096, 8192, 0.99)
    assert score.points == 0.0 and "the bits claimed are not the bits stored" in score.message
    score = ch.score_compressed_model(network, weights, 32, 4096, 8192, 0.99)
    assert score.points == 0.0 and score.message.startswith("over budget: Flash 23560 of 4096")
    assert score.measured["peak_sram_bytes"] == 32768  # float32 activations



def test_network_round_trips_through_plain_data():
    """Does a channel-pruned network (no spec) come back op for op from its plain data, and is
    an op whose shapes do not follow from its input refused, by name?"""
    import dataclasses

    from tinyml_course.compression import trained
    from tinyml_course.compression.prune import channel_prune

    network, weights = trained.load_trained()
    pruned, _ = channel_prune(network, weights, 0.5)
    assert pruned.spec is None and pruned.params < network.params
    rebuilt = ch.network_from_plain(ch.network_plain(pruned), network.input_shape)
    assert rebuilt.ops == pruned.ops and rebuilt.name == pruned.name
    ops = list(pruned.ops)
    i = next(i for i, op in enumerate(ops) if op.kind == "dwconv")
    ops[i] = dataclasses.replace(ops[i], out_shape=(ops[i].out_shape[0], 1, 1))  # says 1x1
    with pytest.raises(ValueError, match=f"op '{ops[i].name}': output"):
        ch.network_from_plain(ch.network_plain(network.with_ops(ops)), network.input_shape)
    with pytest.raises(ValueError, match="the input is"):
        ch.network_from_plain(ch.network_plain(network), (3, 16, 16))


def test_compression_run_scored_outside():
    """Is an unanswered run 0 with its reason, bits outside 2-8/32 refused, and the float model
    sent as plain data measured like the model itself (23,560 bytes of Flash, over budget)?"""
    from tinyml_course.compression import trained

    network, weights = trained.load_trained()
    unanswered = ch.run_compress_for_budget(lambda n, w, d: None, network, weights, None)
    score = ch.score_compression_run(unanswered, network, 0.99, 4096, 8192)
    assert score.points == 0.0 and score.message == "not answered yet"
    run = ch.run_compress_for_budget(lambda n, w, d: (n, w, 1), network, weights, None)
    score = ch.score_compression_run(run, network, 0.99, 4096, 8192)
    assert score.points == 0.0 and "bits must be" in score.message
    run["bits"] = 32
    score = ch.score_compression_run(run, network, 0.99, 4096, 8192)
    assert score.points == 0.0 and score.message.startswith("over budget: Flash 23560 of 4096")
    raised = ch.run_compress_for_budget(lambda n, w, d: 1 / 0, network, weights, None)
    assert ch.score_compression_run(raised, network, 0.99, 4096, 8192).message == \
        "it raised ZeroDivisionError: division by zero"


# ---------------------------------------------------------------- records

def test_records_round_trip_through_a_notebook(capsys):
    """Does report() print a record line that notebook_records reads back (a challenge scored
    in the student's kernel), and leaderboard rank?"""
    score = ch.ChallengeScore("demo", 2.5, 4.0, {"bytes": 10}, "scale", "msg")
    assert score.report() == 2.5
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "demo: 2.50 of 4 points. msg"
    nb = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test-demo"}},
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": printed},
                                 {"output_type": "stream", "name": "stdout",
                                  "text": ch.RECORD_PREFIX + "{not json\n"}]}]}
    (record,) = notebook_records(nb)
    assert record == {**score.to_json(), "grade_id": "test-demo", "scored_by": "kernel"}
    rows = leaderboard({"bob": [record], "amy": [{**record, "points": 3.0}], "cy": []}, "demo")
    assert [(s, p) for s, p, _ in rows] == [("amy", 3.0), ("bob", 2.5)]


def _printed(challenge, points):
    line = ch.RECORD_PREFIX + json.dumps({"challenge": challenge, "points": points}) + "\n"
    return [{"output_type": "stream", "name": "stdout", "text": line}]


def test_records_come_from_the_grader_not_from_the_students_prints():
    """Is a challenge the grader decided recorded from its verdict (the notebook's metadata),
    with the verdict's points, and a forged record line printed anywhere for that challenge
    ignored, while a kernel-scored challenge's line elsewhere is still read?"""
    record = ch.ChallengeScore("demo", 1.0, 4.0, {"cases": [{"extra_elements": 4096.0}]},
                               "scale", "one channel").to_json()
    verdict = {"challenge": "demo", "points": 1.0, "message": "demo: 1.00 of 4 points.",
               "record": record}
    nb = {"metadata": {"tinyml_grading": {"checks": {"test-demo": verdict,
                                                     "test-other": {"challenge": None}}}},
          "cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "solution"}},
                     "outputs": _printed("demo", 4.0) + _printed("kernel-only", 2.0)},
                    {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test-demo"}},
                     "outputs": _printed("demo", 4.0)}]}
    records = notebook_records(nb)
    assert [(r["challenge"], r["points"], r["scored_by"], r["grade_id"]) for r in records] == [
        ("kernel-only", 2.0, "kernel", "solution"), ("demo", 1.0, "grader", "test-demo")]
    assert records[1]["measured"] == {"cases": [{"extra_elements": 4096.0}]}
    no_credit = {**verdict, "points": 0.0, "record": None, "message": "No credit: ..."}
    nb["metadata"]["tinyml_grading"]["checks"]["test-demo"] = no_credit
    (_, demo) = notebook_records(nb)
    assert (demo["points"], demo["message"]) == (0.0, "No credit: ...")


def test_expect_mapping_names_the_first_differing_key():
    """Does a dict check fail on the order of the keys, then name the first wrong value?"""
    from tinyml_course.homework import expect_mapping
    want = {"stem": 5120, "block0.dw": 6144}
    assert expect_mapping("f(net)", {"stem": 5120, "block0.dw": 6144}, want) is None  # passes, shows no value
    with pytest.raises(AssertionError, match=r"the keys of f\(net\): expected \['stem', 'block0.dw'\]"):
        expect_mapping("f(net)", {"block0.dw": 6144, "stem": 5120}, want)
    with pytest.raises(AssertionError, match=r"f\(net\)\['block0.dw'\] \(bytes\): expected 6144, got 4096"):
        expect_mapping("f(net)", {"stem": 5120, "block0.dw": 4096}, want, unit="bytes")
    with pytest.raises(AssertionError, match="expected a dict, got list"):
        expect_mapping("f(net)", [5120, 6144], want)
