"""The sram_accounting homework through the whole nbgrader pipeline, in a temporary course copy.

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `wrong`
(a live-set rule that forgets the residuals: fails a visible test; an in-place depthwise that
only works at stride 1 without losing size: passes the visible test, fails the hidden ones).
"""
import pytest

from harness.assignment_checks import (assert_feedback_hides, assert_release_clean,
                                       assert_score, failed_cells, grade, source_points)
from harness.nbgrader_pipeline import solved_submission, untouched_submission, with_solution

ASSIGNMENT = "sram_accounting"
NOTEBOOK = "sram_accounting.ipynb"
MAX_POINTS = 10.0
POINTS = {"test-tensor-bytes": 1, "test-io-rule-sram": 2, "test-live-set-sram": 3,
          "test-peak-sram": 1, "test-depthwise-inplace": 3}

WRONG_LIVE_SET = '''
def live_set_sram(network, dtype="int8"):
    # forgets every tensor but the op's first input and its output
    return {op.name: tensor_bytes(op.in_shape, dtype) + tensor_bytes(op.out_shape, dtype)
            for op in network.ops}
'''
WRONG_INPLACE = '''
def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    # assumes the output channel has the input's size: right at stride 1 with 'same' padding only
    c, h, w = buf.shape
    temp = arena.alloc("scratch", (h, w), np.float32)
    x = buf.array
    for ch in range(c):
        b = None if bias is None else bias[ch:ch + 1]
        depthwise_conv2d(x[ch:ch + 1], weight[ch:ch + 1], b, stride, padding, out=temp.array[None])
        x[ch] = temp.array
    arena.free(temp)
    return buf
'''
WRONG_POINTS = MAX_POINTS - POINTS["test-live-set-sram"] - POINTS["test-depthwise-inplace"]

# code that only the solutions / the hidden tests contain
SOLUTION_SNIPPETS = ["block_input = {op.block", "flat[ch * ho * wo", "produced.append(op.name)",
                     "elements *= int(dim)", "key=lambda item: item[1]"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "_check_inplace(6, 9, 11", "mcunet-in1", "default_rng(1)",
                   "_check_live_set(get_network"]
VISIBLE_SNIPPETS = ["_check_inplace(8, 10, 10, 3, 1, 1", "_check_io_rule(net, \"int8\")",
                    "peak_sram({\"a\": 5"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]  # right everywhere else
    nb = with_solution(solved, "live-set-sram", WRONG_LIVE_SET)
    return {NOTEBOOK: with_solution(nb, "depthwise-inplace", WRONG_INPLACE)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade(tmp_path_factory, ASSIGNMENT, {"solved": solved_submission,
                                                "untouched": untouched_submission,
                                                "wrong": wrong_submission})


def test_source_points_add_up():
    """Do the locked test cells carry the points the notebook's introduction promises?"""
    assert source_points(ASSIGNMENT, NOTEBOOK) == POINTS


def test_student_version_has_no_solution_and_no_hidden_test(graded):
    """Is the released notebook free of solutions and hidden tests, with the scaffolds kept?"""
    assert_release_clean(graded[1], NOTEBOOK, SOLUTION_SNIPPETS + HIDDEN_SNIPPETS, VISIBLE_SNIPPETS)


@pytest.mark.parametrize("student, expected", [("solved", MAX_POINTS), ("untouched", 0.0),
                                               ("wrong", WRONG_POINTS)])
def test_scores(graded, student, expected):
    """Does each submission get exactly its points, in the gradebook and in the exported CSV?"""
    assert_score(graded[1], student, NOTEBOOK, expected, MAX_POINTS)


def test_wrong_submission_loses_the_right_cells(graded):
    """Does the wrong submission fail exactly the cells its mistakes break?"""
    assert failed_cells(graded[0], "wrong", ASSIGNMENT, NOTEBOOK) == {"test-live-set-sram", "test-depthwise-inplace"}


@pytest.mark.parametrize("student", ["solved", "untouched", "wrong"])
def test_feedback_hides_hidden_tests(graded, student):
    """Is the hidden test code absent from each student's feedback, the visible tests shown?"""
    assert_feedback_hides(graded[0], student, ASSIGNMENT, NOTEBOOK, HIDDEN_SNIPPETS,
                          VISIBLE_SNIPPETS[:1])
