"""Checks every homework's pipeline test makes: points, a clean release, scores, hidden feedback.

Each tests/test_assignment_<name>.py describes its students and the code snippets that only the
solutions or the hidden tests contain; these functions do the rest, the same way for all.
"""
import re
from html import unescape

import nbformat

from .nbgrader_pipeline import ASSIGNMENTS, Course, run_pipeline

SCAFFOLD = ["TODO:", "APPROACH:", "EXAMPLE:", "HINT:", "# YOUR CODE HERE"]


def grade(tmp_path_factory, assignment, students):
    """Run the whole pipeline on ``students`` ({name: submission maker}) in a temporary course."""
    course = Course.from_assignments(tmp_path_factory.mktemp(assignment), names=[assignment])
    return course, run_pipeline(course, assignment, students)


def autograde_log(result):
    """The tail of every autograde step's output, to explain a wrong score."""
    return "\n".join(s.output[-3000:] for s in result.log if s.args[0] == "autograde")


def source_points(assignment, notebook):
    """{grade_id: points} of the graded cells of the instructor's source notebook."""
    nb = nbformat.read(ASSIGNMENTS / "source" / assignment / notebook, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def assert_release_clean(result, notebook, forbidden, required):
    """The student version contains none of ``forbidden`` and all of ``required`` + the scaffold."""
    nb = nbformat.read(result.release_dir / notebook, as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for snippet in list(forbidden) + ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS"]:
        assert snippet not in text, f"the student version contains {snippet!r}"
    for snippet in list(required) + SCAFFOLD:
        assert snippet in text, f"the student version lacks {snippet!r}"


def assert_score(result, student, notebook, expected, max_points):
    """The gradebook and the exported CSV both give ``student`` exactly ``expected`` points."""
    assert result.max_scores == {notebook: max_points}
    got = result.scores.get(student, {}).get(notebook)
    assert got == expected, f"{student}: {got} points, expected {expected}\n{autograde_log(result)}"
    assert result.csv_score(student) == expected


def failed_cells(course, student, assignment, notebook):
    """grade_ids of the graded cells that raised in ``student``'s autograded notebook."""
    nb = nbformat.read(course.root / "autograded" / student / assignment / notebook, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and any(o.output_type == "error" for o in c.get("outputs", []))}


def assert_feedback_hides(course, student, assignment, notebook, hidden, shown):
    """The feedback HTML has none of the ``hidden`` snippets (as code or markup), all ``shown``."""
    assert_html_hides(course.feedback_html(student, assignment, notebook), student, hidden, shown)


def assert_html_hides(html, student, hidden, shown):
    """A feedback page's ``html`` has none of the ``hidden`` snippets, all ``shown``."""
    text = unescape(re.sub(r"<[^>]+>", "", html))  # the code as shown, without highlighting tags
    for snippet in list(hidden) + ["BEGIN HIDDEN TESTS"]:
        assert snippet not in text and snippet not in html, \
            f"{student}'s feedback contains {snippet!r}"
    for snippet in shown:
        assert snippet in text, f"{student}'s feedback lacks the visible test {snippet!r}"


def feedback_text(course, student, assignment, notebook):
    """A student's feedback page as text (tags and entities removed)."""
    return unescape(re.sub(r"<[^>]+>", "", course.feedback_html(student, assignment, notebook)))


def assert_feedback_says(course, student, assignment, notebook, sentences):
    """The feedback HTML shows every one of ``sentences`` (as text, tags and entities removed)."""
    text = feedback_text(course, student, assignment, notebook)
    for sentence in sentences:
        assert sentence in text, f"{student}'s feedback lacks {sentence!r}"


BARE_ASSERTION = re.compile(r"AssertionError(?::[ \t]*)?(?:\n|$)")  # no sentence after it


def assert_no_bare_assertion(course, student, assignment, notebook):
    """No failed cell of the feedback reads a bare ``AssertionError`` (no sentence saying why)."""
    text = feedback_text(course, student, assignment, notebook)
    match = BARE_ASSERTION.search(text)
    assert match is None, (f"{student}'s feedback has a bare AssertionError: "
                           f"{text[max(0, match.start() - 300):match.end()]!r}")
