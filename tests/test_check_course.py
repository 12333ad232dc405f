"""tools/check_course.py: passes on the repository, catches each failure mode on a tiny fixture."""
import copy
import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import REPO

spec = importlib.util.spec_from_file_location("check_course", REPO / "tools" / "check_course.py")
check_course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_course)


def _cell(cell_type, source, slide_type="-", **nbgrader):
    cell = {"cell_type": cell_type, "metadata": {"slideshow": {"slide_type": slide_type}},
            "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    if nbgrader:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    return cell


GOOD = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {},
    "cells": [
        _cell("markdown", "Intro", grade=False, grade_id="intro", locked=True, solution=False),
        _cell("code", "# the exercise\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
              grade=False, grade_id="f", locked=False, solution=True),
        _cell("code", "# its test\nassert f(1) == 1", grade=True, grade_id="test-f", locked=True,
              solution=False, points=1),
        _cell("markdown", "Why does f return x?", grade=True, grade_id="written-f", locked=False,
              solution=True, points=2),  # a written answer, graded by a TA
        _cell("markdown", "Speaker notes: f is the identity.", slide_type="notes"),
    ],
}


def _bad(mutate):
    nb = copy.deepcopy(GOOD)
    mutate(nb)
    return nb


def _meta(nb, index):
    return nb["cells"][index]["metadata"]["nbgrader"]


BAD = {  # failure mode -> (fixture, the gate that must catch it)
    "unlocked-test": (_bad(lambda nb: _meta(nb, 2).update(locked=False)), "header_shapes"),
    "test-without-points": (_bad(lambda nb: _meta(nb, 2).pop("points")), "header_shapes"),
    "task-cell": (_bad(lambda nb: _meta(nb, 0).update(task=True)), "header_shapes"),
    "written-answer-without-points": (_bad(lambda nb: _meta(nb, 3).pop("points")), "header_shapes"),
    "locked-written-answer": (_bad(lambda nb: _meta(nb, 3).update(locked=True)), "header_shapes"),
    "written-answer-in-code": (_bad(lambda nb: nb["cells"][3].update(
        cell_type="code", outputs=[], execution_count=None)), "header_shapes"),
    "snake-case-id": (_bad(lambda nb: _meta(nb, 1).update(grade_id="my_f")), "grade_ids"),
    "duplicate-id": (_bad(lambda nb: _meta(nb, 2).update(grade_id="f")), "grade_ids"),
    "no-solution-markers": (_bad(lambda nb: nb["cells"][1].update(source="def f(x):\n    return x")),
                            "solution_markers"),
    "missing-end-solution": (_bad(lambda nb: nb["cells"][1].update(
        source="def f(x):\n    ### BEGIN SOLUTION\n    return x")), "solution_markers"),
    "output-left": (_bad(lambda nb: nb["cells"][2].update(
        outputs=[{"output_type": "stream", "name": "stdout", "text": "hi"}])), "stripped"),
    "execution-count-left": (_bad(lambda nb: nb["cells"][2].update(execution_count=3)),
                             "stripped"),
    "no-step-comment": (_bad(lambda nb: nb["cells"][2].update(source="assert f(1) == 1")),
                        "step_comments"),
    "no-slide-type": (_bad(lambda nb: nb["cells"][1]["metadata"].pop("slideshow")),
                      "slide_metadata"),
    "no-speaker-notes": (_bad(lambda nb: nb["cells"].pop()), "slide_metadata"),
    "hint-is-the-code": (_bad(lambda nb: nb["cells"][1].update(
        source='# the exercise\ndef f(x):\n    """HINT: total = sum(v * 2 for v in x) + 1"""\n'
               '    ### BEGIN SOLUTION\n    total = sum(v * 2 for v in x) + 1\n    return total\n'
               '    ### END SOLUTION')), "hints_not_code"),
    "quiz-answer-stated": (_bad(lambda nb: nb["cells"][0].update(
        source="Intro: depthwise-separable convolution shrinks the model (takeaway question 5: "
               "C).")), "no_quiz_answers"),
    "quiz-key-in-a-given-cell": (_bad(lambda nb: nb["cells"][2].update(
        source='# its test\nassert f(1) == 1\nKEY = {"q4": ["A", "B"]}')), "no_quiz_answers"),
}


def _write(tmp_path, name, nb):
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_repository_passes():
    """Does the repository itself pass every gate?"""
    results = check_course.run_gates(REPO)
    failing = {gate: offenders for gate, offenders in results.items() if offenders}
    assert not failing, json.dumps(failing, indent=1)


def test_good_fixture_passes(tmp_path):
    """Does a well-formed exercise triplet pass every gate?"""
    results = check_course.run_gates(tmp_path, [_write(tmp_path, "good", GOOD)])
    assert not any(results.values()), results


@pytest.mark.parametrize("mode", sorted(BAD))
def test_each_failure_mode_is_caught(tmp_path, mode):
    """Is each defect reported by its gate, naming the file?"""
    nb, gate_name = BAD[mode]
    results = check_course.run_gates(tmp_path, [_write(tmp_path, mode, nb)])
    description = next(d for d, _, fn in check_course.GATES if fn.__name__ == gate_name)
    assert results[description], f"{gate_name} missed {mode}: {results}"
    assert all(mode in offender for offender in results[description])


@pytest.mark.slow
def test_command_line_exit_status(tmp_path):
    """Does the script exit 1 and print the offender on a bad notebook, 0 on a good one?"""
    script = REPO / "tools" / "check_course.py"
    bad = _write(tmp_path, "duplicate-id", BAD["duplicate-id"][0])
    proc = subprocess.run([sys.executable, str(script), "--root", str(tmp_path), str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "already used" in proc.stdout, proc.stdout + proc.stderr
    (tmp_path / "broken.ipynb").write_text("{ not json")
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "broken.ipynb")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "not a readable JSON notebook" in proc.stdout
    good = _write(tmp_path, "good", GOOD)
    proc = subprocess.run([sys.executable, str(script), "--root", str(tmp_path), str(good)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the gates in their scopes: a checkout with a bad notebook in notebooks/ or assignments/ ---
# 2026-12 (issue 20 item 4): the lecture scope's git pathspec 'notebooks/**/*.ipynb' matched no
# file with git 2.39, so every lecture gate passed vacuously; these tests see each gate fail on a
# bad notebook where the tool finds it by itself (no paths given), in a git checkout and not.
FOLDERS = {"lectures": "notebooks", "assignments": "assignments/source/hw"}
GATE_SCOPES = {"assignments": ("assignments",), "lectures": ("lectures",),
               "all": ("lectures", "assignments")}
BAD_FOR_GATE = {  # gate -> a failure mode of BAD (or 'stale-ipynb', made below)
    "header_shapes": "unlocked-test", "grade_ids": "duplicate-id",
    "solution_markers": "no-solution-markers", "stripped": "output-left",
    "step_comments": "no-step-comment", "slide_metadata": "no-slide-type",
    "generated_from_source": "stale-ipynb", "hints_not_code": "hint-is-the-code",
    "no_quiz_answers": "quiz-answer-stated",
}


def _checkout(root, git, bad=None, where=None):
    """A course checkout under ``root``: the GOOD notebook (with its percent source) in each scope's
    folder; the one in ``where`` replaced by failure mode ``bad``. ``git``: make it a repository."""
    build_notebooks = _build_notebooks()
    import jupytext
    for scope, folder in FOLDERS.items():
        (root / folder).mkdir(parents=True)
        name = f"{bad or 'good'}-{scope}" if scope == where else f"good-{scope}"
        source = root / folder / f"{name}.py"
        jupytext.write(nbformat_node(GOOD), source, fmt="py:percent")
        text = build_notebooks.render(source)
        if scope == where:
            nb = json.loads(text)
            if bad == "stale-ipynb":
                nb["cells"][1]["source"] = "# edited in the .ipynb only\n"
            else:
                nb["cells"] = BAD[bad][0]["cells"]
            text = json.dumps(nb)
        (root / folder / f"{name}.ipynb").write_text(text)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _build_notebooks():
    sys.path.insert(0, str(REPO / "tools"))
    import build_notebooks
    return build_notebooks


def nbformat_node(nb):
    import nbformat
    return nbformat.from_dict(copy.deepcopy(nb))


CASES = [(fn.__name__, scope) for _, gate_scope, fn in check_course.GATES
         for scope in GATE_SCOPES[gate_scope]]


def test_every_gate_has_a_scoped_case():
    """Does every registered gate have a bad notebook to catch in each scope it covers?"""
    assert {name for name, _ in CASES} == set(BAD_FOR_GATE)


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
@pytest.mark.parametrize("gate_name,scope", CASES)
def test_each_gate_fails_on_a_bad_notebook_of_its_scope(tmp_path, gate_name, scope, git):
    """Does each gate, finding the notebooks by itself, name the bad one in notebooks/ and in
    assignments/source/ (with git 2.39 pathspecs and without git), and pass the good checkout?"""
    mode = BAD_FOR_GATE[gate_name]
    description = next(d for d, _, fn in check_course.GATES if fn.__name__ == gate_name)
    good = check_course.run_gates(_checkout(tmp_path / "good", git))
    assert not any(good.values()), good
    results = check_course.run_gates(_checkout(tmp_path / "bad", git, mode, scope))
    bad_name = f"{FOLDERS[scope]}/{mode}-{scope}.ipynb"
    assert any(bad_name in offender for offender in results[description]), results[description]


def test_a_scope_without_notebooks_fails(tmp_path):
    """Does the tool fail, naming the scope, when a scope finds no notebook at all?"""
    root = _checkout(tmp_path / "repo", git=True)
    for path in (root / "notebooks").iterdir():
        path.unlink()
    results = check_course.run_gates(root)
    empty = [o for offenders in results.values() for o in offenders if "no notebooks" in o]
    assert empty and all("lectures" in o for o in empty), results
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "check_course.py"), "--root",
                           str(root)], capture_output=True, text=True)
    assert proc.returncode == 1 and "no notebooks" in proc.stdout, proc.stdout


def test_the_repository_gates_check_every_lecture_notebook():
    """Does the lecture scope of this repository find all its notebooks (not zero)?"""
    found = check_course.find_notebooks(REPO, "lectures")
    assert len(found) == len(list((REPO / "notebooks").glob("*.ipynb"))) >= 10, found
