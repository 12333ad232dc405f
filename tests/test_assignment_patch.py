"""The patch-inference homework through the whole nbgrader pipeline, in a temporary course copy.

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `sloppy`
(a patch_forward whose tiles are H // n wide: right when n divides H, so it passes the visible
test, and leaves the last rows empty otherwise, so it fails the hidden one).
"""
import pytest

from harness.assignment_checks import (assert_feedback_hides, assert_release_clean,
                                       assert_score, failed_cells, grade, source_points)
from harness.nbgrader_pipeline import solved_submission, untouched_submission, with_solution

ASSIGNMENT = "patch_inference"
NOTEBOOK = "patch_inference.ipynb"
MAX_POINTS = 10.0
POINTS = {"test-windows": 4, "test-patch-forward": 3, "test-patch-stage-cost": 3}

SLOPPY_FORWARD = '''
def patch_forward(network, x, n):
    c, h, w = network.output_shape
    out = np.zeros((c, h, w), np.float32)
    tiles = [(i * (h // n), (i + 1) * (h // n)) for i in range(n)]  # misses rows when n does not divide h
    for r0, r1 in tiles:
        rows = stage_windows(network, r0, r1)
        for c0, c1 in tiles:
            cols = stage_windows(network, c0, c1)
            t = x[:, slice(*rows["input"]), slice(*cols["input"])]
            for op in network.ops:
                pads = []
                for ranges in (rows, cols):
                    a, b = ranges[op.name]
                    lo, hi = ranges[op.inputs[0]]
                    pads.append((lo - (a * op.stride - op.padding),
                                 (b - 1) * op.stride - op.padding + op.kernel - hi))
                t = run_op_unpadded(op, np.pad(t, [(0, 0)] + pads))
            out[:, r0:r1, c0:c1] = t
    return out
'''
SLOPPY_POINTS = MAX_POINTS - POINTS["test-patch-forward"]

SOLUTION_SNIPPETS = ["lo = start * op.stride - op.padding", "ranges[op.inputs[0]] = op_input_rows",
                     "out[:, r0:r1, c0:c1] = t", "y_bytes = 0 if op is network.ops[-1]"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "for _n in (1, 3, 5, 8):", "for _n in (3, 5, 8):",
                   "default_rng(_n)"]
VISIBLE_SNIPPETS = ['op_input_rows(stem, 2, 4, 32) == (3, 8)', 'got["input"] == (1, 20)',
                    "for _n in (1, 2, 4):"]


def sloppy_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]
    return {NOTEBOOK: with_solution(solved, "patch-forward", SLOPPY_FORWARD)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade(tmp_path_factory, ASSIGNMENT, {"solved": solved_submission,
                                                "untouched": untouched_submission,
                                                "sloppy": sloppy_submission})


def test_source_points_add_up():
    """Do the locked test cells carry the points the notebook's introduction promises?"""
    assert source_points(ASSIGNMENT, NOTEBOOK) == POINTS


def test_student_version_has_no_solution_and_no_hidden_test(graded):
    """Is the released notebook free of solutions and hidden tests, with the scaffolds kept?"""
    assert_release_clean(graded[1], NOTEBOOK, SOLUTION_SNIPPETS + HIDDEN_SNIPPETS, VISIBLE_SNIPPETS)


@pytest.mark.parametrize("student, expected", [("solved", MAX_POINTS), ("untouched", 0.0),
                                               ("sloppy", SLOPPY_POINTS)])
def test_scores(graded, student, expected):
    """Does each submission get exactly its points, in the gradebook and in the exported CSV?"""
    assert_score(graded[1], student, NOTEBOOK, expected, MAX_POINTS)


def test_sloppy_submission_loses_the_right_cells(graded):
    """Does the sloppy submission fail exactly the cells its mistakes break?"""
    assert failed_cells(graded[0], "sloppy", ASSIGNMENT, NOTEBOOK) == {"test-patch-forward"}


@pytest.mark.parametrize("student", ["solved", "untouched", "sloppy"])
def test_feedback_hides_hidden_tests(graded, student):
    """Is the hidden test code absent from each student's feedback, the visible tests shown?"""
    assert_feedback_hides(graded[0], student, ASSIGNMENT, NOTEBOOK, HIDDEN_SNIPPETS,
                          VISIBLE_SNIPPETS[:1])
