"""Where the takeaway key lives: one JSON file outside the package, copied only into the
grader's hidden checks (assignments/source/takeaway_quiz/hidden_checks.py, never released).

- instructor/takeaway_key.json is complete and valid for the package's questions;
- the nbgrader source notebook and its hidden checks are exactly what
  instructor/build_takeaway_quiz.py writes from it, the checks' key equals the JSON, and the
  notebook holds no key and no hidden test;
- nothing in tinyml_course/ holds the key (explanations, answer lines, the key file);
- the lecture notebook runs top to bottom with the key and without it.
"""
import json
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest

from harness.instructor import KEY_PATH, load_builder
from harness.notebooks import execute_notebook
from tinyml_course.quiz import TAKEAWAY_QUESTIONS, load_key

from conftest import REPO

SOURCE_NB = REPO / "assignments" / "source" / "takeaway_quiz" / "takeaway_quiz.ipynb"
CHECKS = SOURCE_NB.with_name("hidden_checks.py")
LECTURE_NB = REPO / "notebooks" / "90_takeaway_quiz.ipynb"
PACKAGE = REPO / "tinyml_course"



def test_key_covers_every_question():
    """Does the key give a non-empty set of valid letters and an explanation for q1..q7?"""
    key = load_key(KEY_PATH)
    assert sorted(key) == sorted(q.id for q in TAKEAWAY_QUESTIONS)
    for qid, entry in key.items():
        assert entry.correct and len(entry.explanation) > 40, qid


def test_source_notebook_is_built_from_the_key():
    """Is the committed source notebook exactly the builder's output (rerun it if not)?"""
    builder = load_builder()
    expected = builder.build(load_key(KEY_PATH), builder.DEFAULT_POLICY)
    committed = nbformat.read(SOURCE_NB, as_version=4)
    got = [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in committed.cells]
    want = [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in expected.cells]
    assert got == want, "run: python instructor/build_takeaway_quiz.py"
    assert CHECKS.read_text() == builder.checks_source(load_key(KEY_PATH)), \
        "run: python instructor/build_takeaway_quiz.py"


def _checks_module():
    from tinyml_course_grading.check_declarations import load
    return load(CHECKS).module


def test_checks_key_equals_json_and_notebook_holds_none():
    """Does every quiz check score against the JSON key, and no notebook cell hold it?"""
    module = _checks_module()
    key = {qid: set(entry.correct) for qid, entry in load_key(KEY_PATH).items()}
    assert {qid: set(letters) for qid, letters in module.KEY.items()} == key
    nb = nbformat.read(SOURCE_NB, as_version=4)
    for cell in nb.cells:
        outside = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", cell.source, flags=re.S)
        assert "HIDDEN TESTS" not in outside and "key=" not in outside, cell.source
        assert "grade_" not in outside.replace("grade_bool,", "").replace(
            "grade_choice,", "").replace("grade_number)", ""), cell.source


def test_every_graded_cell_has_a_check():
    """Is every graded cell of the quiz decided by a hidden check (1 point, never more)?"""
    checked = {c.grade_id for c in _checks_module().CHECKS}
    nb = nbformat.read(SOURCE_NB, as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(graded) == checked and set(graded.values()) == {1}


def _package_files():
    return [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _key_needles():
    """Strings that would betray the key: explanation ends, the JSON mapping, answer lines."""
    needles = []
    for qid, entry in json.loads(KEY_PATH.read_text())["questions"].items():
        letters = "".join(entry["correct"])
        needles += [entry["explanation"][:50], entry["explanation"][-50:],
                    f'"{qid}": {{"correct": {json.dumps(entry["correct"])}', f"answer_{qid} = \"{letters}\""]
    return needles


def test_package_holds_no_key():
    """Is the key (file, explanations, answer lines, the mapping) absent from tinyml_course/?"""
    needles = _key_needles()
    assert not [p for p in _package_files() if "key" in p.name.lower() and p.suffix != ".py"]
    offenders = []
    for path in _package_files():
        text = path.read_bytes().decode("utf-8", errors="replace")
        offenders += [(str(path.relative_to(REPO)), n) for n in needles if n in text]
    assert not offenders, offenders


def test_package_data_rules_cannot_ship_the_key():
    """Is the key outside the tinyml_course package tree that package-data globs reach?"""
    assert PACKAGE not in KEY_PATH.resolve().parents


@pytest.mark.slow
def test_lecture_notebook_runs_with_key():
    """Does the lecture notebook run top to bottom and load the key from the repository?"""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TINYML_QUIZ_KEY", raising=False)
        nb = execute_notebook(LECTURE_NB, timeout=60)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "answer key loaded: 7 questions" in text, text


@pytest.mark.slow
def test_lecture_notebook_runs_without_key(tmp_path):
    """Without a key file, does it say so clearly and still show the questions?"""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYML_QUIZ_KEY", str(tmp_path / "no-such-key.json"))
        nb = execute_notebook(LECTURE_NB, timeout=60, cwd=tmp_path)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "No answer key found" in text, text
    shown = json.dumps([o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])])
    assert "What are advantages of TinyML?" in shown and "Regularization" in shown


def test_lecture_notebook_is_stripped_and_cells_name_their_step():
    """No outputs or execution counts; does every code cell open with a lowercase comment?"""
    nb = nbformat.read(LECTURE_NB, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
            first = cell.source.splitlines()[0]
            assert re.match(r"# [a-z]", first), first


@pytest.mark.slow
def test_built_wheel_holds_no_key_but_the_weights(tmp_path):
    """Does the wheel a student installs lack every trace of the key, and carry the weights?"""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(tmp_path), str(REPO)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("tinyml_course-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        texts = {name: archive.read(name).decode("utf-8", errors="replace") for name in names}
    assert "tinyml_course/compression/weights/digits_mbnet.npz" in names
    assert not [n for n in names if n.startswith("instructor/") or "takeaway_key" in n]
    leaks = [(name, n) for name, text in texts.items() for n in _key_needles() if n in text]
    assert not leaks, leaks
