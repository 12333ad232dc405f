"""tools/autograde_class.py on a class of the takeaway quiz (15 points) with hostile students.

One run of the tool, two students at a time, 5 s per cell, 30 s and 1 GiB per student:

| student   | submission                                                  | expected         |
|-----------|-------------------------------------------------------------|------------------|
| solved    | the reference answers                                       | 15               |
| untouched | the release as handed out                                   | 0                |
| wrong     | c3 wrong                                                    | 14               |
| hog       | q1 allocates 3 GiB before answering (MemoryError there)     | 14, graded       |
| looping   | q2 is an infinite loop (per-cell timeout)                   | 14, graded       |
| forker    | q3 leaves a daemonised grandchild running; right answers    | 15, daemon gone  |
| killer    | c1 kills its parent, the nbgrader process                   | 0, crashed       |
| exiter    | c1 calls os._exit(0)                                        | 0, kernel died   |
| sleeper   | every answer sleeps 4.5 s (under the cell limit): 63 s      | 0, timeout       |
| vandal    | deletes ../../../gradebook.db and ../../../source, writes   | 0; course intact |
|           | ../../../VANDAL.txt                                          |                  |
| broken    | not JSON                                                    | 0, invalid       |

Every other student must keep its exact score, in the gradebook and the exported CSV, and the
tool must exit 1 naming the students it could not grade.
"""
import os
import re
import time
from pathlib import Path

import pytest

from harness.nbgrader_pipeline import (REPO, Course, autograde_class, solved_submission,
                                       untouched_submission, with_solution)
from harness.shared import once

pytestmark = pytest.mark.slow

ASSIGNMENT = "takeaway_quiz"
NOTEBOOK = "takeaway_quiz.ipynb"
MAX = 15.0
TOOL_ARGS = ["--jobs", "2", "--cell-timeout", "5", "--timeout", "30", "--memory-mb", "1024"]

KILLER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
EXITER = "import os\nos._exit(0)"
HOG = "hog = bytearray(3 * 2**30)\nanswer_q1 = 'ABC'"  # fits the RAM, not the 1 GiB limit
LOOPING = "while True:\n    pass\nanswer_q2 = 'AB'"
# The daemon comes from a shell (fork + exec at once): forking the multi-threaded kernel and
# running Python in the child can deadlock on a lock another thread held at fork time.
FORKER = '''import os, resource, subprocess
print("RLIMIT_AS", *resource.getrlimit(resource.RLIMIT_AS))
print("SOURCE_NOTEBOOK_VISIBLE", os.path.exists("../../../source/takeaway_quiz/takeaway_quiz.ipynb"))
shell = subprocess.run(["sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!"], capture_output=True,
                       text=True, start_new_session=True)
print("DAEMON_PID", shell.stdout.strip())
answer_q3 = "BC"'''
VANDAL = '''import os, shutil
os.remove("../../../gradebook.db")
shutil.rmtree("../../../source")
with open("../../../VANDAL.txt", "w") as f:
    f.write("was here")
answer_q4 = None'''

EXPECTED = {"solved": MAX, "untouched": 0.0, "wrong": MAX - 1, "hog": MAX - 1,
            "looping": MAX - 1, "forker": MAX, "killer": 0.0, "exiter": 0.0, "sleeper": 0.0,
            "vandal": 0.0, "broken": 0.0}
FAILED = {"killer": "crashed", "exiter": "kernel died", "sleeper": "timeout",
          "broken": "invalid notebook", "vandal": None}  # vandal: any failure reason


def _answer_ids(nb):
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("answer-")]


def _grade_class(tmp):
    course = Course.from_assignments(tmp, names=[ASSIGNMENT])
    with pytest.MonkeyPatch.context() as mp:
        # the grading kernel must import this checkout's package even where it is not installed
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO),
                                                              os.environ.get("PYTHONPATH")])))
        course.generate_assignment(ASSIGNMENT)
        solved = solved_submission(course, ASSIGNMENT)[NOTEBOOK]
        source = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solved.cells
                  if c.metadata.get("nbgrader", {}).get("solution")}
        sleeper = solved
        for gid in _answer_ids(solved):
            sleeper = with_solution(sleeper, gid, "import time\ntime.sleep(4.5)\n" + source[gid])
        subs = {
            "solved": {NOTEBOOK: solved},
            "untouched": untouched_submission(course, ASSIGNMENT),
            "wrong": {NOTEBOOK: with_solution(solved, "answer-c3", "answer_c3 = 1")},
            "hog": {NOTEBOOK: with_solution(solved, "answer-q1", HOG)},
            "looping": {NOTEBOOK: with_solution(solved, "answer-q2", LOOPING)},
            "forker": {NOTEBOOK: with_solution(solved, "answer-q3", FORKER)},
            "killer": {NOTEBOOK: with_solution(solved, "answer-c1-standard", KILLER)},
            "exiter": {NOTEBOOK: with_solution(solved, "answer-c1-standard", EXITER)},
            "sleeper": {NOTEBOOK: sleeper},
            "vandal": {NOTEBOOK: with_solution(solved, "answer-q4", VANDAL)},
            "broken": {NOTEBOOK: '{"cells": [ this is not json'},
        }
        course.submit(ASSIGNMENT, subs)
        start = time.monotonic()
        step = autograde_class(course, ASSIGNMENT, *TOOL_ARGS, timeout=400)
        seconds = time.monotonic() - start
        course.generate_feedback(ASSIGNMENT)
        rows = course.export()
    return course, step, seconds, rows


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return once(tmp_path_factory, "autograde-class-quiz", _grade_class)


def _summary_line(step, student):
    lines = [ln for ln in step.output.splitlines() if ln.split()[:1] == [student]]
    assert lines, f"no summary line for {student}:\n{step.output}"
    return lines[-1]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_every_student_gets_exact_score(graded, student):
    """Does each student get exactly its score, in the gradebook, the CSV and the summary?"""
    course, step, seconds, rows = graded
    scores = course.scores(ASSIGNMENT)
    assert course.max_scores(ASSIGNMENT) == {NOTEBOOK: MAX}
    assert student in scores, f"{student} missing from the gradebook\n{step.output}"
    assert scores[student][NOTEBOOK] == EXPECTED[student], step.output
    csv = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == ASSIGNMENT}
    assert csv[student] == EXPECTED[student]
    line = _summary_line(step, student)
    assert re.search(rf"\b{EXPECTED[student]:g} / {MAX:g}\b", line), line


@pytest.mark.parametrize("student", sorted(set(EXPECTED) - set(FAILED)))
def test_graded_students_are_not_failures(graded, student):
    """Are the hog and the infinite loop graded normally (their cell at 0), with feedback?"""
    course, step, seconds, rows = graded
    assert "FAILED" not in _summary_line(step, student)
    assert (course.root / "autograded" / student / ASSIGNMENT / NOTEBOOK).exists()
    assert (course.feedback_dir() / student / ASSIGNMENT / "takeaway_quiz.html").exists()


def test_memory_hog_fails_in_its_own_cell(graded):
    course, step, seconds, rows = graded
    text = (course.root / "autograded" / "hog" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "MemoryError" in text


@pytest.mark.parametrize("student, reason", sorted(FAILED.items()))
def test_failures_are_named(graded, student, reason):
    """Is each student whose grading failed named, with the reason, and recorded with 0?"""
    course, step, seconds, rows = graded
    line = _summary_line(step, student)
    assert "FAILED" in line, line
    if reason:
        assert f"FAILED: {reason}:" in line, line
    assert not (course.root / "autograded" / student / ASSIGNMENT).exists()


def test_exit_status_and_last_line(graded):
    course, step, seconds, rows = graded
    assert step.returncode == 1, step.output
    last = step.output.strip().splitlines()[-1]
    assert last.startswith(f"FAILED: {len(FAILED)} of {len(EXPECTED)} students"), last
    for student in FAILED:
        assert student in last


def test_vandal_only_hurt_its_sandbox(graded):
    """Did deleting ../../../gradebook.db and ../../../source leave the course alone?"""
    course, step, seconds, rows = graded
    assert (course.root / "gradebook.db").exists()
    assert (course.source_dir(ASSIGNMENT) / NOTEBOOK).exists()
    assert not (course.root / "VANDAL.txt").exists()
    assert not (course.root.parent / "VANDAL.txt").exists()


def test_forked_daemon_is_killed_limits_apply_solution_hidden(graded):
    course, step, seconds, rows = graded
    text = (course.root / "autograded" / "forker" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "SOURCE_NOTEBOOK_VISIBLE False" in text
    limit = 1024 * 2**20  # --memory-mb 1024 reached the kernel, soft and hard
    assert f"RLIMIT_AS {limit} {limit}" in text
    pid = int(re.search(r"DAEMON_PID (\d+)", text).group(1))
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}").exists() else ""
        if "zombie" in status:
            break
        time.sleep(0.2)
    alive = Path(f"/proc/{pid}/status")
    assert not alive.exists() or "zombie" in alive.read_text(), f"daemon {pid} still runs"


def test_logs_per_student(graded):
    course, step, seconds, rows = graded
    logs = course.root / "autograde_logs" / ASSIGNMENT
    assert {p.stem for p in logs.glob("*.log")} == set(EXPECTED)
    assert "NotJSONError" in (logs / "broken.log").read_text()


def test_bad_usage_exits_2(tmp_path):
    course = Course.from_assignments(tmp_path, names=[ASSIGNMENT])
    step = autograde_class(course, ASSIGNMENT, timeout=60)
    assert step.returncode == 2 and "generate_assignment" in step.output, step.output
    step = autograde_class(course, "no_such_assignment", timeout=60)
    assert step.returncode == 2 and "no source/no_such_assignment" in step.output, step.output
