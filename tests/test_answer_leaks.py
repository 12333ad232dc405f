"""tools/answer_leaks.py and tools/student_edition.py: the takeaway quiz's answers are found
wherever they are stated, and nothing a student receives states one.

- each form of a leak is caught (the key's explanation, the key as data, a sentence naming a
  question with its letters or a verdict), and the public questions and format lines are not;
- the lecture notebooks as the instructor has them do state answers (in speaker notes): the
  scan finds them, so its silence on the student edition means something;
- the student edition drops speaker notes and outputs, and refuses a notebook that still
  states an answer; the installed package (its source tree) states none;
- the command's exit status: 1 with a leak, 0 without, 2 when nothing was scanned.
"""
import json
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO
from harness.instructor import KEY_PATH, load_answer_leaks

leaks_tool = load_answer_leaks()
sys.path.insert(0, str(REPO / "tools"))
import student_edition  # noqa: E402

KEY = leaks_tool.load_key(KEY_PATH)
SCRIPT = REPO / "tools" / "answer_leaks.py"


@pytest.mark.parametrize("text", [
    "takeaway question 4: A and B, not C",
    "So depthwise-separable convolution shrinks the model (takeaway question 5: C).",
    "Takeaway question 7: only the small patches are stored (A); the overlap is the cost.",
    "These are the three answers to the first takeaway question.",
    "All three advantages are correct answers to takeaway question 1.",
    'answer_q5 = "C"',
    "KEY = {'q4': ['A', 'B'], 'q6': ['A', 'C']}",
    "Memory (a few hundred kB of SRAM cannot hold a typical DNN's activations) and compute",
])
def test_each_form_of_a_leak_is_caught(text):
    """Is a statement of an answer in this form found?"""
    assert leaks_tool.find_leaks(text, KEY), text


@pytest.mark.parametrize("text", [
    "**q6.** Which are correct descriptions of MCUNet-v1?\n\n- (A) Using in-place depthwise "
    "convolution to reduce peak memory usage\n- (B) Small peak memory contributes the speedup",
    "# q4: your letters, in any form of 'How to answer' above\nanswer_q4 = None",
    "q3: unknown option 'D': options are A, B, C -- this answer scores 0 until it is fixed",
    "CheckFailed: q6: 0 of 1 point(s): wrong type: got 42 (int)",
    "q4: 0.3333 of 1 point(s) (partial); the lecture teaches it in 15_mobilenet_vs_peak",
    "Activations are rewritten at every layer of every inference; weights are written once.",
    "An in-place kernel holds C*H*W + Ho*Wo elements (C, H, W): one channel of scratch.",
])
def test_public_text_is_not_a_leak(text):
    """Are the questions, the format messages and the lecture's facts left alone?"""
    assert leaks_tool.find_leaks(text, KEY) == []


def test_own_answers_in_feedback_are_the_students():
    """With own_answers_ok, are a student's own answer line and its echo left out, and the
    grader's sentence still read?"""
    text = ('answer_q4 = "AB"\nq4: read as A, B; format OK\nq4: 1 of 1 point(s) (partial)')
    assert leaks_tool.find_leaks(text, KEY, own_answers_ok=True) == []
    assert leaks_tool.find_leaks(text + "\nq4: the right options are A and B", KEY,
                                 own_answers_ok=True)


def test_the_instructors_lecture_notebooks_state_answers_in_their_notes():
    """Does the scan find answers in the lecture notebooks as committed (their speaker notes), and
    none once the notes are gone?"""
    found, clean = [], []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        found += leaks_tool.scan_bytes(path.name, json.dumps(nb).encode(), KEY)
        edition = student_edition.student_notebook(nb)
        clean += leaks_tool.scan_bytes(path.name, json.dumps(edition).encode(), KEY)
    assert len(found) >= 4, found
    assert clean == []


def test_student_edition_drops_notes_and_outputs(tmp_path):
    """Are speaker notes, outputs and execution counts gone, every other cell kept in order?"""
    source = REPO / "notebooks" / "15_mobilenet_vs_peak.ipynb"
    nb = json.loads(source.read_text())
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    nb["cells"][2]["execution_count"] = 4
    (written,) = student_edition.write_student_edition(tmp_path, [_saved(tmp_path, nb)])
    out = json.loads(written.read_text())
    kept = [c for c in nb["cells"] if not student_edition.is_notes(c)]
    assert [c["source"] for c in out["cells"]] == [c["source"] for c in kept]
    assert len(kept) < len(nb["cells"])
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in out["cells"] if c["cell_type"] == "code")


def _saved(folder, nb, name="lecture.ipynb"):
    path = folder / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def test_student_edition_refuses_a_slide_that_states_an_answer(tmp_path):
    """Is a notebook whose slide (not its notes) states an answer refused, naming the sentence?"""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {"slideshow": {"slide_type": "slide"}},
         "source": "SRAM is fast to write (takeaway question 4: A and B, not C)."}]}
    with pytest.raises(student_edition.LeakError, match="takeaway question 4: A and B"):
        student_edition.write_student_edition(tmp_path / "out", [_saved(tmp_path, nb)])


def test_package_states_no_answer():
    """Does no file of tinyml_course/ (what the wheel and the hub install) state an answer?"""
    leaks, scanned = leaks_tool.scan_paths([REPO / "tinyml_course"], KEY)
    assert scanned > 50 and leaks == [], leaks


def test_command_exit_status(tmp_path):
    """Exit 1 naming the file on a leak (also inside a zip), 0 on clean text, 2 on nothing."""
    (tmp_path / "empty").mkdir()
    bad = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("notebooks/a.md", "takeaway question 5: C")
    good = tmp_path / "good.md"
    good.write_text("Patch-based inference keeps one patch at a time.")
    run = lambda *a: subprocess.run([sys.executable, str(SCRIPT), *map(str, a)],
                                    capture_output=True, text=True, timeout=60)
    proc = run(bad)
    assert proc.returncode == 1 and "bundle.zip!notebooks/a.md: q5:" in proc.stdout, proc.stdout
    assert run(good).returncode == 0
    proc = run(tmp_path / "empty")
    assert proc.returncode == 2 and "nothing to scan" in proc.stderr
    assert run(tmp_path / "missing").returncode == 2
