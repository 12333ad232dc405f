"""The compression homework through the whole nbgrader pipeline, in a temporary course copy.

Students: `solved` (the reference solutions), `untouched` (the release as handed out), `wrong`
(quantization parameters that forget to widen the range to contain 0: pass the visible test, fail
the hidden one; an int8 conv that pads with 0 instead of the input zero point: fails the visible test).
"""
import os
import re
from html import unescape

import nbformat
import pytest

from harness.nbgrader_pipeline import (Course, run_pipeline, solved_submission,
                                       untouched_submission, with_solution)

ASSIGNMENT = "compression"
NOTEBOOK = "compression.ipynb"
MAX_POINTS = 10.0
POINTS = {"test-magnitude-prune": 2, "test-channel-importance": 2, "test-linear-qparams": 3,
          "test-int8-conv": 3}

WRONG_QPARAMS = '''
def linear_qparams(r_min, r_max, bits=8, symmetric=False):
    # forgets to widen [r_min, r_max] to contain 0
    qmax = 2 ** (bits - 1) - 1
    if symmetric:
        return max(abs(r_min), abs(r_max)) / qmax, 0
    qmin = -qmax - 1
    scale = (r_max - r_min) / (qmax - qmin)
    x = qmin - r_min / scale
    return scale, int(min(max(np.sign(x) * np.floor(abs(x) + 0.5), qmin), qmax))
'''
WRONG_CONV = '''
def int8_conv2d(x, x_zp, w, bias, m0, shift, y_zp, stride=1, padding=0, act_min=-128, act_max=127):
    # pads with 0 instead of the input zero point
    xp = np.pad(x.astype(np.int32) - x_zp, ((0, 0), (padding, padding), (padding, padding)),
                constant_values=-x_zp)
    cout, _, k, _ = w.shape
    ho, wo = (xp.shape[1] - k) // stride + 1, (xp.shape[2] - k) // stride + 1
    acc = np.zeros((cout, ho, wo), np.int32)
    for r in range(ho):
        for s in range(wo):
            patch = xp[:, r * stride:r * stride + k, s * stride:s * stride + k]
            acc[:, r, s] = (w.astype(np.int32) * patch[None]).sum(axis=(1, 2, 3))
    acc += bias[:, None, None]
    y = multiply_by_quantized_multiplier(acc, m0[:, None, None], shift[:, None, None]).astype(np.int64)
    return np.clip(y + y_zp, act_min, act_max).astype(np.int8)
'''
WRONG_POINTS = MAX_POINTS - POINTS["test-linear-qparams"] - POINTS["test-int8-conv"]

SOLUTION_SNIPPETS = ['order[:n_zero]] = 0', "np.sqrt((flat ** 2).sum(axis=1))",
                     "x = qmin - r_min / scale", "acc[:, r, s] = (w32 * patch[None])"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "default_rng(7)", "default_rng(11)", "_oracle(_lo, _hi, _bits, _sym)",
                   '"block3.project", "classifier"']
VISIBLE_SNIPPETS = ["magnitude_prune(np.array([0.1, -3, 0.5, 2]), 0.5)", "linear_qparams(-1.0, 3.0, 8)",
                    "int8_conv2d(_x, -3, _w, _b, _m0, _sh, 5, 1, 1)"]


def wrong_submission(course, assignment):
    solved = solved_submission(course, assignment)[NOTEBOOK]
    nb = with_solution(solved, "linear-qparams", WRONG_QPARAMS)
    return {NOTEBOOK: with_solution(nb, "int8-conv", WRONG_CONV)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo_root):
    course = Course.from_assignments(tmp_path_factory.mktemp("compression"), names=[ASSIGNMENT])
    students = {"solved": solved_submission, "untouched": untouched_submission,
                "wrong": wrong_submission}
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


def test_student_version_has_no_solution_and_no_hidden_test(graded):
    """Is the released notebook free of solutions and hidden tests, with the scaffolds kept?"""
    course, result = graded
    nb = nbformat.read(result.release_dir / NOTEBOOK, as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for snippet in SOLUTION_SNIPPETS + HIDDEN_SNIPPETS + ["BEGIN SOLUTION"]:
        assert snippet not in text, f"the student version contains {snippet!r}"
    for snippet in VISIBLE_SNIPPETS + ["TODO:", "APPROACH:", "EXAMPLE:", "HINT:",
                                       "raise NotImplementedError"]:
        assert snippet in text, f"the student version lacks {snippet!r}"


@pytest.mark.parametrize("student, expected", [("solved", MAX_POINTS), ("untouched", 0.0),
                                               ("wrong", WRONG_POINTS)])
def test_scores(graded, student, expected):
    """Does each submission get exactly its points, in the gradebook and in the exported CSV?"""
    course, result = graded
    assert result.max_scores == {NOTEBOOK: MAX_POINTS}
    got = result.scores.get(student, {}).get(NOTEBOOK)
    assert got == expected, f"{student}: {got} points, expected {expected}\n{_log(result)}"
    assert result.csv_score(student) == expected


def test_wrong_submission_loses_the_right_cells(graded):
    """Does the wrong submission fail exactly the quantization-parameter and int8-conv cells?"""
    course, result = graded
    nb = nbformat.read(course.root / "autograded" / "wrong" / ASSIGNMENT / NOTEBOOK, as_version=4)
    failed = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")
              and any(o.output_type == "error" for o in c.get("outputs", []))}
    assert failed == {"test-linear-qparams", "test-int8-conv"}, failed


@pytest.mark.parametrize("student", ["solved", "untouched", "wrong"])
def test_feedback_hides_hidden_tests(graded, student):
    """Is the hidden test code absent from each student's feedback, the visible tests shown?"""
    course, result = graded
    html = course.feedback_html(student, ASSIGNMENT, NOTEBOOK)
    text = unescape(re.sub(r"<[^>]+>", "", html))
    for snippet in HIDDEN_SNIPPETS:
        assert snippet not in text and snippet not in html, f"{student}'s feedback contains {snippet!r}"
    assert "linear_qparams(-1.0, 3.0, 8)" in text
