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
from harness.instructor import KEY_PATH, hand_worked_answers, load_answer_leaks, load_builder
from tinyml_course.homework.quiz_variant import quiz_variant
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
    # the computed answers are the mixed student's own (hand-worked in _mixed_computed)
    "answer-c1-standard": ("answer_c1_standard = {c1_standard}", {"partial": 1, "all-or-nothing": 1}),
    "answer-c1-inplace": ("answer_c1_inplace = {c1_inplace_hw}",  # an H x W scratch at stride 2
                          {"partial": 0, "all-or-nothing": 0}),
    "answer-c2-r0": ("answer_c2_r0 = {c2_r0}.0", {"partial": 1, "all-or-nothing": 1}),
    "answer-c2-r1": ("answer_c2_r1 = {c2_r1_plus}", {"partial": 0, "all-or-nothing": 0}),
    "answer-c3": ("answer_c3 = {c3_no_classifier_bias}", {"partial": 0, "all-or-nothing": 0}),
    "answer-c4": ('answer_c4 = "{c4:,}"', {"partial": 1, "all-or-nothing": 1}),
    "answer-c5-per-layer": ('answer_c5_per_layer = "{c5_per_layer_word}"',
                            {"partial": 1, "all-or-nothing": 1}),
    "answer-c5-inplace": ("answer_c5_inplace = None", {"partial": 0, "all-or-nothing": 0}),
}


def _mixed_computed():
    """The values the mixed student's computed answers are made of: their own right answers
    (hand-worked for the id "mixed") and three common mistakes."""
    right = {k[len("answer_"):]: v for k, v in hand_worked_answers("mixed").items()}
    v = quiz_variant("mixed")
    c, h = v.dw_channels, v.dw_size
    assert v.dw_stride == 2, "the H x W scratch mistake needs a stride-2 layer"
    return {**right, "c1_inplace_hw": c * h * h + h * h, "c2_r1_plus": right["c2_r1"] + 1,
            "c3_no_classifier_bias": right["c3"] - 4 * 10,
            "c5_per_layer_word": "yes" if right["c5_per_layer"] else "no"}


def mixed_submission(course, assignment):
    nb = course.release_notebook(assignment, NOTEBOOK)
    values = _mixed_computed()
    for grade_id, (source, _) in MIXED.items():
        computed = grade_id.startswith("answer-c")
        nb = with_solution(nb, grade_id, source.format(**values) if computed else source)
    return {NOTEBOOK: nb}


def copier_submission(course, assignment):
    """The perfect student's notebook, handed in by "copier" with STUDENT_ID left as
    "perfect": the takeaway answers transfer, the computed ones do not."""
    nb = solved_submission(course, assignment)[NOTEBOOK]
    for name, value in hand_worked_answers("perfect").items():
        gid = "answer-" + name[len("answer_"):].replace("_", "-")
        nb = with_solution(nb, gid, f"{name} = {value!r}")
    return {NOTEBOOK: with_solution(nb, "student-id", 'STUDENT_ID = "perfect"')}


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
                "untouched": untouched_submission, "copier": copier_submission}
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
    assert result.scores["copier"][NOTEBOOK] == 7, _log(result)  # the takeaway questions only


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


def _secrets(own_solutions=False):
    """Strings that must not reach a student: hidden test code, the solutions.

    own_solutions: the student handed in the instructor's solutions (perfect, copier), so their
    own feedback shows them.
    """
    out = ["BEGIN HIDDEN TESTS", "grade_choice(", "grade_number(", "grade_bool(", "key=[",
           "flash_bytes(", "memory.fits(", "input_window(", "explanation=", "READ_AGAIN",
           "def expected("]
    if not own_solutions:  # the instructor's c5 solution reads a profile's peak_sram_bytes
        out += ["BEGIN SOLUTION", "peak_sram_bytes"]
    return out


@pytest.mark.slow
def test_release_and_feedback_hold_no_key(graded):
    """Do the released notebook and every feedback HTML lack the hidden tests, and does
    tools/answer_leaks.py find no statement of the key in them?"""
    policy, course, result = graded
    leaks_tool = load_answer_leaks()
    key = leaks_tool.load_key(KEY_PATH)
    texts = {"release": (result.release_dir / NOTEBOOK).read_text()}
    leaks = leaks_tool.scan_bytes("release.ipynb", texts["release"].encode(), key)
    for page in sorted(result.feedback_dir.glob(f"*/{ASSIGNMENT}/*.html")):
        name = str(page.relative_to(result.feedback_dir))
        texts[name] = html_text(page.read_text())
        leaks += [f"{name}: {leak}" for leak in leaks_tool.find_leaks(
            texts[name], key, own_answers_ok=True)]  # a right answer of their own is theirs
    assert len(texts) == 1 + 4, sorted(texts)  # the release and four feedbacks
    assert not leaks, leaks
    for name, text in texts.items():
        own = name.startswith(("perfect/", "copier/"))
        leaked = [s for s in _secrets(own) if s in text]
        assert not leaked, f"{name} contains {leaked}"
        assert "check_choice(" in text and "POLICY" in text  # the visible parts stay
    assert f'POLICY = \\"{policy}\\"' in texts["release"], "the release shows the policy"


@pytest.mark.slow
def test_feedback_teaches_without_the_key(graded):
    """Does the feedback give each takeaway question's score and where the lecture teaches it
    (never an option's verdict), the rule a wrong computed answer breaks, and the id a copied
    notebook was graded under?"""
    policy, course, result = graded
    mixed = html_text(course.feedback_html("mixed", ASSIGNMENT, NOTEBOOK))
    for student in ("mixed", "perfect", "untouched", "copier"):
        text = html_text(course.feedback_html(student, ASSIGNMENT, NOTEBOOK))
        for banned in ("Why:", "correct and chosen", "correct but missed", "wrong and left out"):
            assert banned not in text, (student, banned)
    assert "q1: 0.3333 of 1 point(s) (partial); the lecture teaches it in 00_why_tinyml" in mixed \
        or "q1: 0 of 1 point(s) (all-or-nothing); the lecture teaches it in 00_why_tinyml" in mixed
    assert ("c1_inplace: 0 of 1 point(s) (exact); the rule: in place, the layer holds its input "
            "and one output channel (Ho x Wo after the stride, not H x W).") in mixed
    copier = html_text(course.feedback_html("copier", ASSIGNMENT, NOTEBOOK))
    assert ("your notebook's STUDENT_ID is 'perfect', but you are graded as 'copier': the "
            "expected values are those of 'copier'") in copier


@pytest.mark.slow
def test_release_runs_top_to_bottom_without_error(graded, tmp_path):
    """Does the untouched release run without a crash (answers None -> format messages)?"""
    policy, course, result = graded
    text = (result.release_dir / NOTEBOOK).read_text()
    assert "NotImplementedError" not in text, "the code stub must let 'Run all' go on"
    nb = execute_notebook(result.release_dir / NOTEBOOK, timeout=60, cwd=tmp_path)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert printed.count("unanswered") == 15, printed
