"""Every homework through the whole nbgrader pipeline, in a temporary course copy.

For each case in tests/assignment_cases/: the locked cells carry the promised points; the
student version holds no solution and no hidden test; `solved` (the reference solutions) gets
full marks, `untouched` (the release as handed out) zero, the partly wrong submission exactly its
points (gradebook and exported CSV) and fails exactly the cells its mistakes break; no feedback
shows hidden test code, and each feedback holds the sentences its case lists (expected vs got,
"not answered yet", the challenge's score). Written answers (manually graded) earn nothing in
autograde: a case's AUTO_POINTS is what the solved submission gets before a TA grades them.
"""
import pytest

from assignment_cases import compression, deploy_kernel, patch_inference, sram_accounting, tinynas
from harness.assignment_checks import (assert_feedback_hides, assert_feedback_says,
                                       assert_release_clean, assert_score, failed_cells, grade,
                                       source_points)
from harness.nbgrader_pipeline import solved_submission, untouched_submission

pytestmark = pytest.mark.slow  # runs the nbgrader pipeline of each assignment: minutes

CASES = [sram_accounting, patch_inference, compression, deploy_kernel, tinynas]
STUDENTS = ["solved", "untouched", "partly-wrong"]


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.ASSIGNMENT)
def graded(request, tmp_path_factory):
    case = request.param
    course, result = grade(tmp_path_factory, case.ASSIGNMENT,
                           {"solved": solved_submission, "untouched": untouched_submission,
                            case.WRONG_STUDENT: case.wrong_submission,
                            **getattr(case, "EXTRA_STUDENTS", {})})
    return case, course, result


def _student(case, student):
    return case.WRONG_STUDENT if student == "partly-wrong" else student


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.ASSIGNMENT)
def test_source_points_add_up(case):
    """Do the locked test cells carry the points the notebook's introduction promises?"""
    assert source_points(case.ASSIGNMENT, case.NOTEBOOK) == case.POINTS


def test_student_version_has_no_solution_and_no_hidden_test(graded):
    """Is the released notebook free of solutions and hidden tests, with the scaffolds kept?"""
    case, _, result = graded
    assert_release_clean(result, case.NOTEBOOK, case.SOLUTION_SNIPPETS + case.HIDDEN_SNIPPETS,
                         case.VISIBLE_SNIPPETS)


@pytest.mark.parametrize("student", STUDENTS)
def test_scores(graded, student):
    """Does each submission get exactly its points, in the gradebook and in the exported CSV?"""
    case, _, result = graded
    solved = getattr(case, "AUTO_POINTS", case.MAX_POINTS)  # written answers: graded by a TA
    expected = {"solved": solved, "untouched": 0.0, "partly-wrong": case.WRONG_POINTS}
    assert_score(result, _student(case, student), case.NOTEBOOK, expected[student],
                 case.MAX_POINTS)


def test_partly_wrong_submission_loses_the_right_cells(graded):
    """Does the partly wrong submission fail exactly the cells its mistakes break?"""
    case, course, _ = graded
    assert failed_cells(course, case.WRONG_STUDENT, case.ASSIGNMENT, case.NOTEBOOK) == \
        case.FAILED_CELLS


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_hides_hidden_tests(graded, student):
    """Is the hidden test code absent from each student's feedback, the visible tests shown?"""
    case, course, _ = graded
    assert_feedback_hides(course, _student(case, student), case.ASSIGNMENT, case.NOTEBOOK,
                          case.HIDDEN_SNIPPETS, case.VISIBLE_SNIPPETS[:1])


def test_hostile_submissions_score_zero_and_cost_no_one_else(graded):
    """Does each hostile submission (EXTRA_STUDENTS) get 0 while the others keep their points?"""
    case, _, result = graded
    for student in getattr(case, "EXTRA_STUDENTS", {}):
        assert_score(result, student, case.NOTEBOOK, 0.0, case.MAX_POINTS)
    solved = getattr(case, "AUTO_POINTS", case.MAX_POINTS)
    assert_score(result, "solved", case.NOTEBOOK, solved, case.MAX_POINTS)


def test_feedback_teaches(graded):
    """Does each listed student's feedback say what was expected and what was got, "not answered
    yet" for an untouched exercise, and the challenge's score?"""
    case, course, _ = graded
    assert case.FEEDBACK, f"{case.ASSIGNMENT}: the case lists no feedback sentences to check"
    for name, sentences in case.FEEDBACK.items():
        assert_feedback_says(course, name, case.ASSIGNMENT, case.NOTEBOOK, sentences)
