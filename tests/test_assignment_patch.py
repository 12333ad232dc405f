"""The patch-inference homework through the whole nbgrader pipeline, in a temporary course copy.

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `sloppy`
(a patch_forward whose tiles are H // n wide: right when n divides H, so it passes the visible
test, and leaves the last rows empty otherwise, so it fails the hidden one).
"""
import os
import re
from html import unescape

import nbformat
import pytest

from harness.nbgrader_pipeline import (Course, run_pipeline, solved_submission,
                                       untouched_submission, with_solution)

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
def graded(tmp_path_factory, repo_root):
    course = Course.from_assignments(tmp_path_factory.mktemp("patch"), names=[ASSIGNMENT])
    students = {"solved": solved_submission, "untouched": untouched_submission,
                "sloppy": sloppy_submission}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(repo_root),
                                                              os.environ.get("PYTHONPATH")])))
        result = run_pipeline(course, ASSIGNMENT, students)
    return course, result


def _log(result):
    return "\n".join(s.output[-3000:] for s in result.log if s.args[0] == "autograde")


def test_source_points_add_up(repo_root):
    """Do the locked test cells carry the points the introduction promises?"""
    nb = nbformat.read(repo_root / "assignments" / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    got = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
           for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert got == POINTS, f"points {got}, expected {POINTS}"


def test_source_passes_the_release_gates(repo_root):
    """Do the header shapes, grade_ids, solution markers and stripped outputs pass the gates?"""
    import sys

    sys.path.insert(0, str(repo_root / "tools"))
    try:
        import check_course
    finally:
        sys.path.pop(0)
    path = repo_root / "assignments" / "source" / ASSIGNMENT / NOTEBOOK
    failed = {d: o for d, o in check_course.run_gates(repo_root, [path]).items() if o}
    assert not failed, failed


def test_student_version_has_no_solution_and_no_hidden_test(graded):
    """Is the released notebook free of solutions and hidden tests, with the scaffolds kept?"""
    course, result = graded
    nb = nbformat.read(result.release_dir / NOTEBOOK, as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for snippet in SOLUTION_SNIPPETS + HIDDEN_SNIPPETS + ["BEGIN SOLUTION"]:
        assert snippet not in text, f"the student version contains {snippet!r}"
    for snippet in VISIBLE_SNIPPETS + ["TODO:", "APPROACH:", "EXAMPLE:", "HINT:",
                                       "# YOUR CODE HERE"]:
        assert snippet in text, f"the student version lacks {snippet!r}"


@pytest.mark.parametrize("student, expected", [("solved", MAX_POINTS), ("untouched", 0.0),
                                               ("sloppy", SLOPPY_POINTS)])
def test_scores(graded, student, expected):
    """Does each submission get exactly its points, in the gradebook and in the exported CSV?"""
    course, result = graded
    assert result.max_scores == {NOTEBOOK: MAX_POINTS}
    got = result.scores.get(student, {}).get(NOTEBOOK)
    assert got == expected, f"{student}: {got} points, expected {expected}\n{_log(result)}"
    assert result.csv_score(student) == expected


@pytest.mark.parametrize("student", ["solved", "untouched", "sloppy"])
def test_feedback_hides_hidden_tests(graded, student):
    """Is the hidden test code absent from each student's feedback, the visible tests shown?"""
    course, result = graded
    html = course.feedback_html(student, ASSIGNMENT, NOTEBOOK)
    text = unescape(re.sub(r"<[^>]+>", "", html))
    for snippet in HIDDEN_SNIPPETS:
        assert snippet not in text and snippet not in html, f"{student}'s feedback contains {snippet!r}"
    assert "op_input_rows(stem, 2, 4, 32) == (3, 8)" in text
