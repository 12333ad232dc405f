"""The takeaway quiz through the whole nbgrader pipeline (generate, autograde, feedback, export).

One course per scoring policy, built from assignments/ with the source notebook rebuilt by
instructor/build_takeaway_quiz.py for that policy. Students: perfect (the instructor's
solutions), untouched (the release as handed out), mixed (a few wrong, a few malformed).
Scores are read from the gradebook and the exported CSV, never from nbgrader's exit status.
"""
import html
import re

import nbformat
import pytest

from harness.nbgrader_pipeline import (Course, run_pipeline, solved_submission,
                                       untouched_submission, with_solution)
from harness.instructor import KEY_PATH, load_builder
from harness.notebooks import execute_notebook

ASSIGNMENT = "takeaway_quiz"
NOTEBOOK = "takeaway_quiz.ipynb"
MAX_SCORE = 7 + 8  # seven takeaway questions and eight computed answers, 1 point each



# answer cell grade_id -> what the mixed student wrote, and its expected score per policy.
# Keys (instructor/takeaway_key.json): q1 ABC, q2 AB, q3 BC, q4 AB, q5 C, q6 AC, q7 A.
# partial = max(0, (right - wrong) / 3) for the three options of every takeaway question.
MIXED = {
    "answer-q1": ('answer_q1 = "a, b"', {"partial": 1 / 3, "all-or-nothing": 0}),  # C missed
    "answer-q2": ('answer_q2 = "BA"', {"partial": 1, "all-or-nothing": 1}),
    "answer-q3": ('answer_q3 = "D"', {"partial": 0, "all-or-nothing": 0}),  # malformed
    "answer-q4": ('answer_q4 = {"A", "C"}', {"partial": 0, "all-or-nothing": 0}),  # 1-2 < 0
    "answer-q5": ('answer_q5 = ["c"]', {"partial": 1, "all-or-nothing": 1}),
    "answer-q6": ("answer_q6 = 42", {"partial": 0, "all-or-nothing": 0}),  # malformed
    "answer-q7": ('answer_q7 = "A B"', {"partial": 1 / 3, "all-or-nothing": 0}),  # B chosen
    "answer-c1-standard": ("answer_c1_standard = 76800", {"partial": 1, "all-or-nothing": 1}),
    "answer-c1-inplace": ('answer_c1_inplace = "37.9 kB"', {"partial": 0, "all-or-nothing": 0}),
    "answer-c2-r0": ("answer_c2_r0 = 13.0", {"partial": 1, "all-or-nothing": 1}),
    "answer-c2-r1": ("answer_c2_r1 = 34", {"partial": 0, "all-or-nothing": 0}),  # unclipped
    "answer-c3": ("answer_c3 = 2000", {"partial": 0, "all-or-nothing": 0}),  # wrong
    "answer-c4": ('answer_c4 = "116,736"', {"partial": 1, "all-or-nothing": 1}),
    "answer-c5-per-layer": ('answer_c5_per_layer = "no"', {"partial": 1, "all-or-nothing": 1}),
    "answer-c5-inplace": ("answer_c5_inplace = None", {"partial": 0, "all-or-nothing": 0}),
}


def mixed_submission(course, assignment):
    nb = course.release_notebook(assignment, NOTEBOOK)
    for grade_id, (source, _) in MIXED.items():
        nb = with_solution(nb, grade_id, source)
    return {NOTEBOOK: nb}


def build_course(tmp_path, policy):
    builder = load_builder()
    course = Course.from_assignments(tmp_path, names=[ASSIGNMENT])
    nb = builder.build(builder.load_key(KEY_PATH), policy)
    nbformat.write(nb, course.source_dir(ASSIGNMENT) / NOTEBOOK)
    return course


@pytest.fixture(scope="module", params=["partial", "all-or-nothing"])
def graded(request, tmp_path_factory):
    policy = request.param
    course = build_course(tmp_path_factory.mktemp(f"quiz-{policy}"), policy)
    students = {"mixed": mixed_submission, "perfect": solved_submission,
                "untouched": untouched_submission}
    result = run_pipeline(course, ASSIGNMENT, students)
    return policy, course, result


def _log(result):
    return "\n".join(s.output[-3000:] for s in result.log if s.args[0] == "autograde")


@pytest.mark.slow
def test_perfect_and_untouched(graded):
    """Does the instructor's solution get full marks, and the untouched release zero?"""
    policy, course, result = graded
    assert result.max_scores == {NOTEBOOK: MAX_SCORE}
    assert result.scores["perfect"][NOTEBOOK] == MAX_SCORE, _log(result)
    assert result.scores["untouched"][NOTEBOOK] == 0, _log(result)
    assert result.csv_score("perfect") == MAX_SCORE
    assert result.csv_score("untouched") == 0


@pytest.mark.slow
def test_mixed_submission_exact_partial_score(graded):
    """Does a submission with wrong and malformed answers get exactly the expected score?"""
    policy, course, result = graded
    expected = sum(scores[policy] for _, scores in MIXED.values())
    assert expected == pytest.approx(20 / 3 if policy == "partial" else 6)
    got = result.scores["mixed"][NOTEBOOK]
    assert got == pytest.approx(expected, abs=1e-6), f"{policy}: {got} != {expected}\n{_log(result)}"
    # cell by cell, from the autograded notebook's gradebook entries
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        for grade_id, (_, scores) in MIXED.items():
            check_id = grade_id.replace("answer-", "check-")
            grade = gb.find_grade(check_id, NOTEBOOK[:-6], ASSIGNMENT, "mixed")
            assert grade.score == pytest.approx(scores[policy], abs=1e-6), \
                f"{policy} {check_id}: got {grade.score}, expected {scores[policy]}"


def html_text(page):
    """The text of an HTML page with tags removed: syntax highlighting splits code into spans."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _explanations():
    import json
    return [entry["explanation"] for entry in json.loads(KEY_PATH.read_text())["questions"].values()]


def _secrets(own_solutions=False, release=False):
    """Strings that must not reach a student: hidden test code, the key, the solutions.

    own_solutions: the student submitted the instructor's solutions (the perfect student), so
    their own feedback may show them. release: the notebook handed out, which must not hold the
    explanations either (feedback, after the deadline, shows them).
    """
    import json
    key = json.loads(KEY_PATH.read_text())["questions"]
    out = ["BEGIN HIDDEN TESTS", "grade_choice(", "grade_number(", "grade_bool(", "key=[",
           "peak_sram_bytes", "flash_bytes(", "memory.fits(", "input_window(", "explanation="]
    if release:
        out += [text[:60] for text in _explanations()]
    if not own_solutions:
        out += ["BEGIN SOLUTION"]
        out += [f'answer_{qid} = "{"".join(entry["correct"])}"' for qid, entry in key.items()]
    return out


@pytest.mark.slow
def test_release_and_feedback_hold_no_key(graded):
    """Do the released notebook and every feedback HTML lack the key and the hidden tests?"""
    policy, course, result = graded
    texts = {"release": (result.release_dir / NOTEBOOK).read_text()}
    for page in sorted(result.feedback_dir.glob(f"*/{ASSIGNMENT}/*.html")):
        texts[str(page.relative_to(result.feedback_dir))] = html_text(page.read_text())
    assert len(texts) == 1 + 3, sorted(texts)  # the release and three feedbacks
    for name, text in texts.items():
        leaked = [s for s in _secrets(name.startswith("perfect/"), name == "release") if s in text]
        assert not leaked, f"{name} contains {leaked}"
        assert "check_choice(" in text and "POLICY" in text  # the visible parts stay
    assert f'POLICY = \\"{policy}\\"' in texts["release"], "the release shows the policy"


@pytest.mark.slow
def test_feedback_explains_every_option(graded):
    """After grading, does each student's feedback explain every takeaway question, option by
    option, whatever the student answered (even nothing)?"""
    policy, course, result = graded
    for student in ("mixed", "perfect", "untouched"):
        text = html_text(course.feedback_html(student, ASSIGNMENT, NOTEBOOK))
        for explanation in _explanations():
            assert f"Why: {explanation}" in text, f"{student} lacks {explanation[:40]!r}"
        assert text.count("right: correct and chosen") + text.count("wrong: correct but missed") \
            == _correct_options(), student  # every correct option judged once
    mixed = html_text(course.feedback_html("mixed", ASSIGNMENT, NOTEBOOK))
    assert "(C) wrong: correct but missed." in mixed  # q1 answered "a, b"; its key is ABC


def _correct_options():
    import json
    return sum(len(e["correct"]) for e in json.loads(KEY_PATH.read_text())["questions"].values())


@pytest.mark.slow
def test_release_runs_top_to_bottom_without_error(graded, tmp_path):
    """Does the untouched release run without a crash (answers None -> format messages)?"""
    policy, course, result = graded
    text = (result.release_dir / NOTEBOOK).read_text()
    assert "NotImplementedError" not in text, "the code stub must let 'Run all' go on"
    nb = execute_notebook(result.release_dir / NOTEBOOK, timeout=60, cwd=tmp_path)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert printed.count("unanswered") == 15, printed
