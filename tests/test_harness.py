"""Self-test of the harness and of assignments/nbgrader_config.py on a throwaway assignment.

One solution cell `square`, one locked autograder cell worth 2 points with a visible and a
hidden test. Students: solved, untouched, wrong (passes the visible test, fails the hidden
one), looping (an infinite loop), stubborn (a loop that swallows the interrupt), broken (file
is not JSON), vandal (deleted the locked cell), cheater (wrong answer, and replaced the locked
test with `pass`).
"""
import json
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from harness.nbgrader_pipeline import (ASSIGNMENTS, Course, run_pipeline, solved_submission,
                                       untouched_submission, with_solution)
from harness.notebooks import NotebookExecutionError, execute_notebook
from harness.shared import once

HIDDEN_CODE = "square(-4) == 16"  # appears only in the hidden test region
STUBBORN = ("def square(x):\n    while True:\n        try:\n            while True:\n"
            "                pass\n        except BaseException:\n            pass")
CELL_TIMEOUT = 5  # seconds; the real config uses 30, the behaviour is the same
pytestmark = pytest.mark.slow


def _nbgrader_meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def square_assignment():
    nb = new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nb.cells = [
        new_markdown_cell("Implement `square(x)`."),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                      "    ### END SOLUTION",
                      metadata=_nbgrader_meta("square", solution=True)),
        new_code_cell("assert square(3) == 9, f'square(3) = {square(3)}, expected 9'\n"
                      "### BEGIN HIDDEN TESTS\n"
                      f"assert {HIDDEN_CODE}\n"
                      "### END HIDDEN TESTS",
                      metadata=_nbgrader_meta("test-square", grade=True, locked=True, points=2)),
    ]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(Course, GradingResult) of the whole pipeline, run once per test run."""
    return once(tmp_path_factory, "harness-square", _grade_square)


def _grade_square(tmp):
    src = tmp / "assignments"
    (src / "source" / "sq").mkdir(parents=True)
    nbformat.write(square_assignment(), src / "source" / "sq" / "sq.ipynb")
    (src / "nbgrader_config.py").write_text((ASSIGNMENTS / "nbgrader_config.py").read_text())
    course = Course.from_assignments(tmp, assignments_dir=src)
    course.generate_assignment("sq")
    released = course.release_notebook("sq", "sq.ipynb")
    vandalised = nbformat.from_dict(json.loads(nbformat.writes(released)))
    vandalised.cells = [c for c in vandalised.cells
                        if not c.metadata.get("nbgrader", {}).get("locked")]
    cheat = with_solution(released, "square", "def square(x):\n    return 0")
    cheat = with_solution(cheat, "test-square", "pass")
    submissions = {
        "solved": solved_submission(course, "sq"),
        "untouched": untouched_submission(course, "sq"),
        "wrong": {"sq.ipynb": with_solution(released, "square", "def square(x):\n"
                                            "    return abs(x) * x")},
        "looping": {"sq.ipynb": with_solution(released, "square", "def square(x):\n"
                                              "    while True:\n        pass")},
        "stubborn": {"sq.ipynb": with_solution(released, "square", STUBBORN)},
        "cheater": {"sq.ipynb": cheat},
        "broken": {"sq.ipynb": '{"cells": [ this is not json'},
        "vandal": {"sq.ipynb": vandalised},
    }
    result = run_pipeline(course, "sq", submissions, timeout=CELL_TIMEOUT)
    return course, result


def test_release_has_no_solution_and_no_hidden_test(graded):
    """Is the student version free of the solution and of the hidden test?"""
    course, result = graded
    text = (result.release_dir / "sq.ipynb").read_text()
    assert "return x * x" not in text
    assert HIDDEN_CODE not in text and "HIDDEN TESTS" not in text
    assert "square(3) == 9" in text  # the visible test stays
    assert "YOUR CODE HERE" in text and "NotImplementedError" not in text  # our code_stub


@pytest.mark.parametrize("student, expected", [
    ("solved", 2.0), ("untouched", 0.0), ("wrong", 0.0), ("looping", 0.0), ("stubborn", 0.0),
    ("vandal", 0.0), ("cheater", 0.0), ("broken", 0.0),
])
def test_scores_in_gradebook_and_csv(graded, student, expected):
    """Does each submission get the score it deserves, in the gradebook and the CSV alike?"""
    course, result = graded
    assert result.max_scores == {"sq.ipynb": 2.0}
    got = result.scores.get(student, {}).get("sq.ipynb", 0.0)
    assert got == expected, f"{student}: gradebook score {got}, expected {expected}\n" + \
        "\n".join(s.output[-3000:] for s in result.log if s.args[0] == "autograde")
    assert result.csv_score(student) == expected


def test_broken_notebook_fails_alone(graded):
    """Is a submission that is not JSON scored 0, without feedback, while the others go on?

    nbgrader logs the NotJSONError, removes autograded/<student>, records the notebook with
    score 0 and makes `autograde` exit 1 (the TA must read the log), then grades the rest.
    """
    course, result = graded
    autograde = [s for s in result.log if s.args[0] == "autograde"][-1]
    assert autograde.returncode != 0 and "NotJSONError" in autograde.output
    assert not (course.root / "autograded" / "broken" / "sq").exists()
    assert not (course.feedback_dir() / "broken").exists()
    assert result.scores["solved"]["sq.ipynb"] == 2.0


def test_infinite_loop_times_out(graded):
    """Does autograde interrupt the looping cell and record a timeout, not hang?"""
    course, result = graded
    nb = nbformat.read(course.root / "autograded" / "looping" / "sq" / "sq.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors, "the looping submission shows no error output"
    assert any(e.ename in ("CellTimeoutError", "KeyboardInterrupt") for e in errors), \
        [e.ename for e in errors]


def test_stubborn_loop_fails_alone(graded):
    """Does a loop that swallows the interrupt fail only its own submission?

    At the time limit the sandboxed runner (tinyml_course_grading) raises in the cell; when the cell
    swallows that and goes on, the runner ends at the second alarm, and nbgrader treats the
    submission like a broken one: score 0, no autograded notebook, no feedback.
    """
    course, result = graded
    autograde = [s for s in result.log if s.args[0] == "autograde"][-1]
    assert "for student 'stubborn'" in autograde.output
    assert not (course.root / "autograded" / "stubborn" / "sq").exists()
    assert result.scores["stubborn"]["sq.ipynb"] == 0.0


@pytest.mark.parametrize("student", ["solved", "untouched", "wrong", "looping", "cheater"])
def test_feedback_hides_hidden_tests(graded, student):
    """Is the hidden test code absent from the feedback, even where the hidden test failed?"""
    course, result = graded
    html = course.feedback_html(student, "sq", "sq.ipynb")
    assert "square(3)" in html  # the visible test is shown
    assert "square(-4)" not in html and "HIDDEN TESTS" not in html


def test_execute_notebook_runs_this_interpreter(tmp_path):
    """Does the notebook kernel run sys.executable, and does a failing cell name its source?"""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "x",
                                               "language": "python"}})
    nb.cells = [new_code_cell("import sys\nprint(sys.executable)")]
    nbformat.write(nb, tmp_path / "ok.ipynb")
    out = execute_notebook(tmp_path / "ok.ipynb", timeout=60)
    assert out.cells[0].outputs[0]["text"].strip() == sys.executable

    nb.cells.append(new_code_cell("x = 1\nraise ValueError('boom-42')"))
    nbformat.write(nb, tmp_path / "bad.ipynb")
    with pytest.raises(NotebookExecutionError, match="(?s)cell 1.*raise ValueError.*boom-42"):
        execute_notebook(tmp_path / "bad.ipynb", timeout=60)


def test_execute_notebook_rejects_a_figure_shown_as_text(tmp_path):
    """Does a pyplot-free figure without an inline backend fail, and pass with `%matplotlib inline`?"""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "x",
                                               "language": "python"}})
    show = "from matplotlib.figure import Figure\nfig = Figure(figsize=(2, 1))\nfig.add_subplot()\nfig"
    nb.cells = [new_code_cell(show)]
    nbformat.write(nb, tmp_path / "text.ipynb")
    with pytest.raises(NotebookExecutionError, match=r"cell 0: <Figure size 200x100 with 1 Axes>"):
        execute_notebook(tmp_path / "text.ipynb", timeout=60)
    nb.cells = [new_code_cell("%matplotlib inline\n" + show)]
    nbformat.write(nb, tmp_path / "image.ipynb")
    out = execute_notebook(tmp_path / "image.ipynb", timeout=60)
    assert any("image/png" in o.get("data", {}) for o in out.cells[0].outputs)


def test_home_is_a_throwaway_folder():
    """Do libraries that write under ~ (onnxruntime's ~/.cache/Microsoft) write into this run's
    throwaway folder instead of the user's home?"""
    import os
    from pathlib import Path

    from harness.env import ensure_hermetic

    base = ensure_hermetic()
    assert Path.home() == base / "home" and Path(os.environ["XDG_CACHE_HOME"]) == base / "cache"
    assert Path.home().is_dir()
