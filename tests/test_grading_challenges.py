"""The three challenges scored by the grader (sram_accounting's streaming depthwise, patch_inference's
patch plan, compression's compressed model): their hidden check's probe runs the student's
function where the student's code ran, after the runner restored the package, and the score comes from plain data judged outside.

In one process, as the sandboxed runner does it (tinyml_course_grading/student_runner.py): the check's HELPERS,
the runner's snapshot, the student's code (here: patching what the challenge is measured with),
the runner's restore, the call, the wire, the verdict. A patch in the student's code changes no
score; the reference solution earns the whole challenge.
"""
import tracemalloc

import pytest

from assignment_cases import sram_accounting as sram_case
from harness.nbgrader_pipeline import REPO

from tinyml_course_grading import check_declarations, conversation, messages, oracles
from tinyml_course_grading import student_runner as runner
from tinyml_course_grading.nbgrader_execute import SandboxedExecute
from tinyml_course_grading.verdicts import verdict
from tinyml_course.homework.challenges.streaming_depthwise import STREAMING_SCALE

SOURCE = REPO / "assignments" / "source"


def _solution(assignment, name):
    """The reference solution of ``def name`` in the assignment's percent source."""
    src = (SOURCE / assignment / f"{assignment}.py").read_text()
    start = src.index(f"def {name}(")
    return src[start:src.index("# %% [markdown]", start)]


class _Channel:
    """conversation's channel, in this process: each ask answered by the grader's oracles."""

    def __init__(self, measured):
        self.measured, self.asked = measured, None

    def send(self, step, body):
        self.asked = body

    def next(self):  # the grader's measurements are another process's: not counted here
        from tinyml_course.memory import patch_accounting
        count = list(patch_accounting._STAGE_MEASUREMENTS)
        try:
            return "reply", self.measured("c", self.asked)
        finally:
            patch_accounting._STAGE_MEASUREMENTS[:] = count


def _verdict(assignment, grade_id, student_code):
    """The verdict of the challenge's check when the student's namespace ran ``student_code``."""
    hidden = check_declarations.load(SOURCE / assignment / "hidden_checks.py")
    check = hidden.checks[grade_id]
    helpers = {}
    measured = oracles.Oracles(getattr(hidden.module, "ORACLES", None))
    exec(hidden.helpers, helpers)
    saved = runner.snapshot()
    stdlib = dict(vars(tracemalloc))  # the runner leaves it to the student; this process not
    student = {}
    try:
        exec("import numpy as np\nfrom tinyml_course import memory\n"
             "from tinyml_course.runtime.kernels import depthwise_conv2d\n" + student_code, student)
        runner.restore(saved)  # what the runner does before the calls
        ns = {**student, **{k: v for k, v in helpers.items() if k != "__builtins__"}}
        call = messages.CallRequest("c", check.cases[0].expr, block=tuple(check.reference))
        conversation._CHANNEL[:] = [_Channel(measured)]
        answer = runner.Runner(messages.RunRequest(cells=())).call(call, ns)
    finally:
        conversation._CHANNEL[:] = []
        runner.restore(saved)
        vars(tracemalloc).update(stdlib)
    answer = messages.loads(messages.CallResult, messages.dumps(answer))  # across the wall
    answer = measured.answers({"c": answer})["c"]  # the grader's own records put in
    if check.outside is not None:  # measured outside, a fresh process per case, as at autograde
        key = f"{check.grade_id}#0"
        answer = SandboxedExecute().measure_outside(
            [check], {key: answer}, {check.solution: student_code})[key]
    return check, verdict(check, {0: answer}, student_code)


def test_streaming_reference_earns_the_challenge():
    """Does the reference streaming solution earn 4 of 4, with its record, from the grader?"""
    check, v = _verdict("sram_accounting", "test-depthwise-streaming",
                        _solution("sram_accounting", "depthwise_streaming"))
    assert check.challenge == "streaming-depthwise"
    assert v.fraction == 1.0, v.message
    assert v.message.startswith("streaming-depthwise: 4.00 of 4 points.")
    for case in v.record["measured"]["cases"]:  # within the measurement's resolution of rows
        assert case["extra_elements"] <= STREAMING_SCALE.target(case["shape"][2], case["kernel"])


@pytest.mark.parametrize("patched", [False, True], ids=["honest", "arena-patched"])
def test_patching_the_arena_changes_no_streaming_score(patched):
    """Does a channel of scratch score exercise 5's 1 point whether or not the student's code
    patched Arena.peak_bytes and tracemalloc to hide it?"""
    code = (sram_case.PATCH_STREAMING_MEASUREMENT if patched else "") + sram_case.CHANNEL_SCRATCH_STREAMING
    _, v = _verdict("sram_accounting", "test-depthwise-streaming", code)
    assert v.fraction == 0.25 and v.message.startswith("streaming-depthwise: 1.00 of 4 points."), \
        v.message
    assert all(case["extra_elements"] >= case["shape"][1] * case["shape"][2]
               for case in v.record["measured"]["cases"])


@pytest.mark.slow
def test_patch_plan_reference_earns_the_challenge():
    """Does the reference chooser earn 4 of 4 on the three hidden networks?"""
    check, v = _verdict("patch_inference", "test-choose-patch-plan",
                        _solution("patch_inference", "choose_patch_plan"))
    assert check.challenge == "patch-plan"
    assert v.fraction == 1.0 and v.message.startswith("patch-plan: 4.00 of 4 points."), v.message
    assert len(v.record["measured"]["cases"]) == 3


# measures plans with memory.profile(..., "patch") instead of evaluate(), the block's last op as
# the split; with the evaluator patched to claim every measurement, nothing would be counted
AROUND_EVALUATE = '''
def choose_patch_plan(network, sram_bytes, evaluate):
    split = f"block{min(2, len(network.blocks()) - 1)}"
    peaks = {n: memory.profile(network, "patch", "mcunet", "int8", patches=n, split=split)
             .peak_sram_bytes for n in (2, 4)}
    return split, min(peaks, key=peaks.get)
'''
PATCH_EVALUATOR = '''
from tinyml_course.homework.challenges.probes import PlanEvaluator as _PE
from tinyml_course.memory import patch_accounting as _pa
_PE.stage_measurements = property(lambda self: 10 ** 9, lambda self, value: None)
_pa.stage_measurements = lambda: 0
'''


@pytest.mark.parametrize("patched", [False, True], ids=["honest", "evaluator-patched"])
def test_patching_the_evaluator_changes_no_patch_plan_score(patched):
    """Does a chooser that measures around evaluate() score 0 whether or not the student's code
    patched PlanEvaluator to hide those measurements?"""
    code = (PATCH_EVALUATOR if patched else "") + AROUND_EVALUATE
    _, v = _verdict("patch_inference", "test-choose-patch-plan", code)
    assert v.fraction == 0.0 and "outside evaluate()" in v.message, v.message
    assert all(case["measurements_outside_evaluate"] >= 2 for case in v.record["measured"]["cases"])


def test_compression_reference_earns_the_challenge():
    """Does the reference compress_for_budget earn 4 of 4 from the grader, its figures measured
    outside the student's kernel?"""
    check, v = _verdict("compression", "test-compress-for-budget",
                        _solution("compression", "compress_for_budget"))
    assert check.challenge == "compress-to-budget"
    assert v.fraction == 1.0 and v.message.startswith("compress-to-budget: 4.00 of 4 points."), \
        v.message
    measured = v.record["measured"]
    assert measured["flash_bytes"] <= 4096 and measured["peak_sram_bytes"] <= 8192
    assert measured["accuracy_loss"] <= 0.02


# the trained float model, unchanged: 23,560 bytes of Flash, over the 4 KiB budget (0 points)
FLOAT_MODEL = '''
def compress_for_budget(network, weights, digits):
    return network, weights, 32
'''
# what a student could patch in their kernel so that the float model measures as within budget
PATCH_COMPRESSION = '''
from tinyml_course.homework.challenges import compressed_model as _cm
from tinyml_course.compression import storage as _st
_cm.model_storage = lambda *args, **kwargs: _st.ModelStorage(())
_st.layer_storage = lambda *args, **kwargs: None
'''


@pytest.mark.parametrize("patched", [False, True], ids=["honest", "measurement-patched"])
def test_patching_the_measurement_changes_no_compression_score(patched):
    """Does the uncompressed float model score 0 (over the Flash budget) whether or not the
    student's code patched the Flash measurement to report it within budget?"""
    code = (PATCH_COMPRESSION if patched else "") + FLOAT_MODEL
    _, v = _verdict("compression", "test-compress-for-budget", code)
    assert v.fraction == 0.0 and "over budget: Flash 23560 of 4096 bytes" in v.message, v.message
    assert v.record["measured"]["flash_bytes"] == 23560


# a model whose ops claim a smaller classifier input than the layer before it gives
FORGED_SHAPES = '''
from tinyml_course.model.network import Op
from dataclasses import replace


def compress_for_budget(network, weights, digits):
    ops = list(network.ops)
    ops[-1] = replace(ops[-1], in_shape=(1, 1, 1))
    return network.with_ops(ops), weights, 4
'''


def test_a_model_whose_shapes_do_not_hold_scores_nothing():
    """Is a returned network whose op shapes contradict each other refused before measuring?"""
    _, v = _verdict("compression", "test-compress-for-budget", FORGED_SHAPES)
    assert v.fraction == 0.0 and "could not be rebuilt" in v.message, v.message
    assert "classifier" in v.message
