"""tinynas graded outside the student's kernel (issue 18, item 2), as a TA runs it:
`tinyml-course-grade tinynas --jobs 2` on a class of honest and dishonest students
(deploy_kernel's Python override is a hostile student of tests/assignment_cases/deploy_kernel.py;
its measurements, tests/test_deploy_kernel_check.py).

tinynas: the grader rebuilds each student's architecture from plain data and measures its memory
and accuracy itself, so a redefined `get_acc` earns nothing; exercises answered by the package's
`memory.fits` / `codesign_loop` earn no credit, with the sentence why; no bare AssertionError in
any feedback. On the notebook as it was (asserts in the student's kernel, no hidden_checks.py;
main at 63e58cc, 2026-12-06) this class scored forger 9, fitcaller 10, loopcaller 10 and
fitpatcher (sn.largest(), which fits nowhere, with memory.fits patched) 7 of 10, the forger's
feedback had no grader measurement, and the untouched release failed with bare AssertionErrors.
"""
import pytest

from harness.assignment_checks import assert_no_bare_assertion, feedback_text
from harness.nbgrader_pipeline import Course, autograde_class, solved_submission, with_solution
from harness.shared import once

pytestmark = pytest.mark.slow

FORGED_ACC = '''
my_arch = sn.smallest(20)  # 53% held out, below the 77% of the best baseline
def get_acc(arch):
    return 0.99  # a forged accuracy: the notebook's own leaderboard believes it
'''
FITS_BY_REFERENCE = '''
def can_fit_memory(arch, schedule, device):
    return memory.fits(arch.network(), device, schedule=schedule, dtype="int8").fits
'''
FITS_PATCHED = '''
import types as _types
my_arch = sn.largest()  # fits the nRF52832 under none of its schedules
_big, _real_fits = my_arch.network().macs, memory.fits
memory.fits = lambda net, *a, **k: (_types.SimpleNamespace(fits=True) if net.macs == _big
                                    else _real_fits(net, *a, **k))  # lies for my_arch only
'''
LOOP_BY_REFERENCE = '''
def search(arch_space, device, schedule_space, get_valid_acc):
    from tinyml_course.nas.tinynas import codesign_loop
    return codesign_loop(arch_space, device, schedules=schedule_space, get_acc=get_valid_acc)[:3]
'''


def _graded(tmp_path_factory, assignment, students):
    def grade(tmp):
        course = Course.from_assignments(tmp, names=[assignment])
        course.generate_assignment(assignment)
        nb = f"{assignment}.ipynb"
        solved = solved_submission(course, assignment)[nb]
        release = course.release_notebook(assignment, nb)
        course.submit(assignment, {name: {nb: make(solved, release)}
                                   for name, make in students.items()})
        step = autograde_class(course, assignment, "--jobs", "2", timeout=900)
        course.generate_feedback(assignment)
        return course, step
    return once(tmp_path_factory, f"graded-{assignment}-item2", grade)


@pytest.fixture(scope="module")
def tinynas(tmp_path_factory):
    students = {
        "solved": lambda nb, release: nb,
        "untouched": lambda nb, release: release,  # its bare asserts failed with no sentence
        "forger": lambda nb, release: with_solution(nb, "my-arch", FORGED_ACC),
        "fitcaller": lambda nb, release: with_solution(nb, "can-fit-memory", FITS_BY_REFERENCE),
        "loopcaller": lambda nb, release: with_solution(nb, "search-loop", LOOP_BY_REFERENCE),
        "fitpatcher": lambda nb, release: with_solution(nb, "my-arch", FITS_PATCHED),
    }
    return _graded(tmp_path_factory, "tinynas", students)


def _text(course, student, assignment):
    return feedback_text(course, student, assignment, f"{assignment}.ipynb")


def _scores(course, assignment):
    return {s: v[f"{assignment}.ipynb"] for s, v in course.scores(assignment).items()}


def test_tinynas_scores_come_from_the_graders_measurements(tinynas):
    """A forged get_acc earns only the 'it fits' point (2 + 4 + 1); a non-fitting arch with
    `memory.fits` patched to say it fits earns nothing of exercise 3 (2 + 4); the exercises
    answered by the package's reference lose their points; the reference solutions keep 10."""
    course, step = tinynas
    assert _scores(course, "tinynas") == {"solved": 10.0, "untouched": 0.0, "forger": 7.0,
                                          "fitcaller": 8.0, "loopcaller": 6.0,
                                          "fitpatcher": 6.0}, step.output[-3000:]


def test_tinynas_feedback_says_why(tinynas):
    """Does each dishonest answer read one sentence saying why, and the forger the accuracy the
    grader measured (not 99.0%)?"""
    course, _ = tinynas
    forger = _text(course, "forger", "tinynas")
    assert "measured by the grader" in forger and "99.0%" not in forger.split("measured by")[1]
    assert ("No credit: can_fit_memory uses the package's reference "
            "tinyml_course.memory.accounting.fits") in _text(course, "fitcaller", "tinynas")
    assert ("No credit: search uses the package's reference "
            "tinyml_course.nas.tinynas.codesign_loop") in _text(course, "loopcaller", "tinynas")
    assert "fits nrf52832 under none of its schedules" in _text(course, "fitpatcher", "tinynas")


def test_tinynas_leaderboard_from_the_grader(tinynas):
    """Are both leaderboards (the records' and the grading report's) made of the grader's
    measured accuracies, the forger (53%, below the baseline) below solved, the untouched last?"""
    import json

    from tinyml_course.homework.records import class_records, leaderboard
    course, _ = tinynas
    rows = leaderboard(class_records(course.root / "autograded", "tinynas"), "tinynas-accuracy",
                       by="accuracy")
    order = [student for student, _, _ in rows]
    assert order.index("solved") < order.index("forger") < order.index("untouched"), rows
    measured = {s: r["measured"]["accuracy"] for s, _, r in rows
                if (r.get("measured") or {}).get("accuracy") is not None}
    assert "fitpatcher" not in measured  # not measured: it fits nowhere
    assert measured["forger"] < 0.6 < measured["solved"], measured
    report = json.loads((course.root / "reports" / "tinynas.json").read_text())
    board = report["leaderboards"]["tinynas-accuracy"]
    assert [r["student"] for r in board][:2] != ["forger"] and board[-1]["student"] == "untouched"
    assert {r["student"]: r["rank"] for r in board if "rank" in r} == measured, board


def test_no_bare_assertion_error(tinynas):
    """Does no feedback hold an AssertionError without its sentence (the untouched release's
    `assert can_fit_memory(...) is False` failed with an empty message)?"""
    course, _ = tinynas
    for student in _scores(course, "tinynas"):
        assert_no_bare_assertion(course, student, "tinynas", "tinynas.ipynb")
