"""Hostile students graded among honest ones by the course's command (tinyml-course-grade),
sram_accounting, two at a time; each attack's effect is asserted, not just "it was graded".

The student's code runs in the sandboxed runner (tinyml_course_grading); hidden checks are decided
outside it. Every row is one student; base = the reference solutions with one cell changed.
The scores below are of the original ten points of exercises 1-5; each student also keeps the
4 points of the streaming challenge (MAX = 14 autograded of 18), except where the row says not.

| student       | attack                                                           | expected          |
|---------------|------------------------------------------------------------------|-------------------|
| solved        | -                                                                | 10                |
| untouched     | the release                                                      | 0                 |
| looping       | infinite loop after tensor_bytes' def (cell limit)               | 10, interrupted   |
| exiter        | os._exit(0)                                                      | 0, kernel died    |
| segfault      | ctypes.string_at(0)                                              | 0, kernel died    |
| hog           | 6 GiB allocation before peak_sram's def                          | 9, MemoryError    |
| flood         | 2 million printed lines                                          | 10, output capped |
| tamperer      | wrong live-set + the live-set test cell replaced by `pass`       | 7                 |
| deleter       | wrong live-set + the live-set test cell deleted                  | 7                 |
| numpy         | wrong depthwise + np.allclose / np.max / testing patched         | 7                 |
| pkgpatch      | depthwise with a full-size buffer + Arena.peak_bytes patched     | 7 (challenge kept) |
| transformer   | wrong live-set + an IPython input transformer try/except-wrapping | 7                 |
| ast           | wrong live-set + an AST transformer deleting asserts             | 7                 |
| leaker        | print(In), a function printing its callers' source and globals   | 10, nothing shown |
| reader        | prints hidden_checks.py and the instructor notebook by path      | 10, not found     |
| gbwriter      | deletes / overwrites gradebook.db by absolute path               | 10, read-only     |
| configwriter  | appends code to nbgrader_config.py by absolute path              | 10, unchanged     |
| killer        | os.kill(os.getppid(), SIGKILL)                                   | 10, not permitted |
| killall       | os.kill(-1, SIGKILL): every process it may signal                | 10, none outside  |
| forkbomb      | forks until the process limit, every process then sleeps         | 10, limit hit     |
| daemon        | a setsid `sleep 600` daemon                                      | 10, gone after    |
| network       | TCP to 127.0.0.1 and 8.8.8.8                                     | 10, unreachable   |
| marker        | `### BEGIN HIDDEN TESTS` in a solution                           | 10, feedback made |
| badkernel     | kernelspec "no-such-kernel"                                      | 10                |
| twice         | the live-set test cell twice                                     | 0, named          |
| symlink       | the notebook is a symlink to the instructor's source             | 0, refused        |
| broken        | not JSON                                                         | 0, invalid        |
| empty         | an empty folder                                                  | 0, no notebook    |
"""
import copy
import hashlib
import os
import re
import sys
import time
from pathlib import Path

import pytest

from harness.nbgrader_pipeline import (Course, autograde_class, solved_submission,
                                       untouched_submission, with_solution)
from harness.shared import once
from tinyml_course_grading.limits import SANDBOX_UID_BASE
from tinyml_course_grading.memory_cgroup import MemoryCgroup

pytestmark = pytest.mark.slow

A = "sram_accounting"
NB = "sram_accounting.ipynb"
MAX = 14.0  # the autograded points of sram_accounting (18 in all: 4 are written answers)
TOTAL = 18.0  # what the tool prints as the maximum
LOST = MAX - 3.0  # a student whose attack costs exercise 3 (3 points) and nothing else
UID_BASE = SANDBOX_UID_BASE  # worker i runs student code as this + i (root only)
TOOL_ARGS = ["--jobs", "2", "--cell-timeout", "3", "--timeout", "90", "--nproc", "64"]
HIDDEN = ["_GRADER_NETS", "_grader_inplace", "hidden_checks", "BEGIN SOLUTION",
          "mobilenetv2@96x0.35", "INPLACE = ["]

WRONG_LIVE_SET = '''
def live_set_sram(network, dtype="int8"):
    return {op.name: tensor_bytes(op.in_shape, dtype) + tensor_bytes(op.out_shape, dtype)
            for op in network.ops}
'''
WRONG_DEPTHWISE = '''
def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    c, h, w = buf.shape
    k = weight.shape[-1]
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    buf.array[...] = 0
    return arena.shrink(buf, (c, ho, wo))
'''
FULL_BUFFER_DEPTHWISE = '''
from tinyml_course.memory.arena import Arena as _A

_A.peak_bytes = property(lambda self: self._honest_peak)  # report the in-place figure
_alloc = _A.alloc


def _tracking_alloc(self, name, shape, dtype):
    buf = _alloc(self, name, shape, dtype)
    if name == "x":
        c, h, w = shape
        self._honest_peak = (c * h * w + (h - 2) * (w - 2)) * 4  # for 3x3, no padding
    return buf


def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    c, h, w = buf.shape
    x = buf.array.copy()
    out = depthwise_conv2d(x, weight, bias, stride, padding)
    full = arena.alloc("full", out.shape, np.float32)  # a whole output: not in place
    full.array[...] = out
    ho, wo = out.shape[1:]
    arena._honest_peak = (c * h * w + ho * wo) * 4
    buf.array.reshape(-1)[:out.size] = full.array.reshape(-1)
    arena.free(full)
    return arena.shrink(buf, out.shape)
'''


KILL = """
import os, signal
try:
    os.kill({target}, signal.SIGKILL)
    print("KILL_SENT")
except OSError as exc:
    print("KILL_FAILED", type(exc).__name__)
"""


def attacks(course):
    root = course.root
    return {
        "looping": ("tensor-bytes", None, "\nwhile True:\n    pass\n"),
        "exiter": ("peak-sram", "import os\nos._exit(0)\n", None),
        "segfault": ("peak-sram", "import ctypes\nctypes.string_at(0)\n", None),
        "hog": ("peak-sram", "hog = bytearray(6 * 2**30)\n", None),
        "flood": ("tensor-bytes", None, "\nfor _i in range(2_000_000):\n    print('FLOOD', _i)\n"),
        "leaker": ("peak-sram", None, '''
print("IN_HISTORY", In)
import inspect as _inspect
_orig = tensor_bytes


def tensor_bytes(shape, dtype="int8"):
    global _seen
    if "_seen" not in globals():  # once: the callers' source, names and locals
        _seen = True
        for f in _inspect.stack(context=3):
            print("CALLER", f.filename, f.code_context, sorted(f.frame.f_globals)[:50])
            with open("/tmp/leak.txt", "a") as out:
                out.write(str(f.frame.f_locals)[:2000])
    return _orig(shape, dtype)
'''),
        "reader": ("peak-sram", None, f'''
for _p in ["{root}/source/{A}/hidden_checks.py", "{root}/source/{A}/{NB}", "{root}/gradebook.db"]:
    try:
        print("READ_OK", open(_p).read()[:5000])
    except OSError as exc:
        print("READ_FAILED", type(exc).__name__)
'''),
        "gbwriter": ("peak-sram", None, f'''
import os as _os
for _act in (lambda: _os.remove("{root}/gradebook.db"),
             lambda: open("{root}/gradebook.db", "r+b").write(b"\\0" * 4096),
             lambda: open("{root}/../VANDAL.txt", "w").write("was here")):
    try:
        _act()
        print("WRITE_OK")
    except OSError as exc:
        print("WRITE_FAILED", type(exc).__name__)
'''),
        "configwriter": ("peak-sram", None, f'''
try:
    with open("{root}/nbgrader_config.py", "a") as _f:
        _f.write("\\nc.SandboxedExecute.sandbox = 'off'\\n")
    print("CONFIG_WRITTEN")
except OSError as exc:
    print("CONFIG_FAILED", type(exc).__name__)
'''),
        "killer": ("peak-sram", None, KILL.format(target="os.getppid()")),
        "killall": ("peak-sram", None, KILL.format(target="-1")),
        "forkbomb": ("peak-sram", None, '''
import os as _os, time as _time
try:
    while True:
        _os.fork()
except OSError as exc:
    print("FORK_LIMIT", exc.errno)
_time.sleep(600)
'''),
        "daemon": ("peak-sram", None, '''
import subprocess as _sp
_sp.Popen(["sh", "-c", "sleep 600 &"], start_new_session=True)
print("DAEMON_STARTED")
'''),
        "network": ("peak-sram", None, '''
import socket as _socket
for _addr in [("127.0.0.1", 22), ("8.8.8.8", 53)]:
    try:
        _socket.create_connection(_addr, timeout=2).close()
        print("NET_OPEN", _addr)
    except OSError as exc:
        print("NET_BLOCKED", _addr, type(exc).__name__)
'''),
        "marker": ("tensor-bytes", None, "\n# ### BEGIN HIDDEN TESTS\nx = 1  # ### END HIDDEN TESTS\n"),
    }


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _submissions(course):
    solved = solved_submission(course, A)[NB]
    subs = {"solved": {NB: solved}, "untouched": untouched_submission(course, A)}
    for student, (gid, before, after) in attacks(course).items():
        source = _cell(solved, gid).source
        subs[student] = {NB: with_solution(solved, gid, (before or "") + source + (after or ""))}
    wrong = with_solution(solved, "live-set-sram", WRONG_LIVE_SET)
    tampered = copy.deepcopy(wrong)
    _cell(tampered, "test-live-set-sram").source = "pass"
    subs["tamperer"] = {NB: tampered}
    deleted = copy.deepcopy(wrong)
    deleted.cells = [c for c in deleted.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") != "test-live-set-sram"]
    subs["deleter"] = {NB: deleted}
    subs["numpy"] = {NB: with_solution(
        with_solution(solved, "depthwise-inplace", WRONG_DEPTHWISE), "peak-sram",
        _cell(solved, "peak-sram").source + "\nnp.allclose = lambda *a, **k: True\n"
        "np.max = lambda *a, **k: 0.0\nnp.testing.assert_allclose = lambda *a, **k: None\n")}
    subs["pkgpatch"] = {NB: with_solution(solved, "depthwise-inplace", FULL_BUFFER_DEPTHWISE)}
    transformer = '''
def _swallow(lines):
    return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"]


get_ipython().input_transformers_cleanup.append(_swallow)
'''
    subs["transformer"] = {NB: with_solution(wrong, "peak-sram",
                                             _cell(solved, "peak-sram").source + transformer)}
    ast_strip = '''
import ast as _ast


class _NoAsserts(_ast.NodeTransformer):
    def visit_Assert(self, node):
        return _ast.Pass()


get_ipython().ast_transformers.append(_NoAsserts())
'''
    subs["ast"] = {NB: with_solution(wrong, "peak-sram",
                                     _cell(solved, "peak-sram").source + ast_strip)}
    bad = copy.deepcopy(solved)
    bad.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "nope",
                                  "language": "python"}
    subs["badkernel"] = {NB: bad}
    dup = copy.deepcopy(solved)
    i = dup.cells.index(_cell(dup, "test-live-set-sram"))
    dup.cells.insert(i, copy.deepcopy(dup.cells[i]))
    subs["twice"] = {NB: dup}
    subs["broken"] = {NB: '{"cells": [ this is not json'}
    return subs


EXPECTED = {"solved": MAX, "untouched": 0.0, "looping": MAX, "exiter": 0.0, "segfault": 0.0,
            "hog": MAX - 1, "flood": MAX, "tamperer": LOST, "deleter": LOST, "numpy": LOST,
            "pkgpatch": LOST, "transformer": LOST, "ast": LOST, "leaker": MAX, "reader": MAX,
            "gbwriter": MAX, "configwriter": MAX, "killer": MAX, "killall": MAX,
            "forkbomb": MAX, "daemon": MAX, "network": MAX, "marker": MAX, "badkernel": MAX,
            "symlink": 0.0, "broken": 0.0, "empty": 0.0, "twice": 0.0}
FAILED = {"exiter": "kernel died", "segfault": "kernel died", "twice": "invalid notebook",
          "symlink": "invalid submission", "broken": "invalid notebook", "empty": "no notebook"}
CHANGING = ("gradebook.db", "autograded", "autograde_logs", "reports", "feedback")


def _digest(root):
    out = {}
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in CHANGING or path.is_dir():
            continue
        out[str(rel)] = "link:" + os.readlink(path) if path.is_symlink() else \
            hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _sandbox_processes():
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                uid = int((p / "status").read_text().split("Uid:")[1].split()[0])
            except (OSError, IndexError, ValueError):
                continue
            if UID_BASE <= uid < UID_BASE + 1000:
                found.append(int(p.name))
    return found


def _grade(tmp):
    course = Course.from_assignments(tmp, names=[A])
    course.generate_assignment(A)
    subs = _submissions(course)
    course.submit(A, subs)
    folder = course.root / "submitted" / "symlink" / A
    folder.mkdir(parents=True)
    (folder / NB).symlink_to(course.source_dir(A) / NB)
    (course.root / "submitted" / "empty" / A).mkdir(parents=True)
    before = _digest(course.root)
    start = time.monotonic()
    step = autograde_class(course, A, *TOOL_ARGS, timeout=600)
    seconds = time.monotonic() - start
    leftover = _sandbox_processes()
    after_grading = _digest(course.root)
    feedback = course.generate_feedback(A)
    return course, step, seconds, before, after_grading, leftover, feedback


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return once(tmp_path_factory, "grading-adversarial", _grade)


def _line(step, student):
    lines = [ln for ln in step.output.splitlines() if ln.split()[:1] == [student]]
    assert lines, f"no summary line for {student}:\n{step.output}"
    return lines[-1]


def _autograded(course, student):
    """Every output text of the student's autograded notebook (not the code)."""
    import nbformat
    nb = nbformat.read(course.root / "autograded" / student / A / NB, as_version=4)
    return "\n".join(str(o.get("text", "")) + str(o.get("ename", "")) + str(o.get("evalue", "")) + str(o.get("data", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _feedback(course, student):
    return course.feedback_html(student, A, NB)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_every_student_gets_exact_score(graded, student):
    course, step, *_ = graded
    got = course.scores(A).get(student, {}).get(NB)
    assert got == EXPECTED[student], f"{student}: {got}\n{step.output[-4000:]}"
    assert re.search(rf"\b{EXPECTED[student]:g} / {TOTAL:g}\b", _line(step, student))


@pytest.mark.parametrize("student, reason", sorted(FAILED.items()))
def test_failures_are_named(graded, student, reason):
    course, step, *_ = graded
    line = _line(step, student)
    assert f"FAILED: {reason}:" in line, line
    assert not (course.root / "autograded" / student / A).exists()
    assert step.returncode == 1 and student in step.output.strip().splitlines()[-1]


def test_course_unchanged_but_grades(graded):
    """Is the course byte-identical after grading, except gradebook, autograded/, logs, report?"""
    course, step, seconds, before, after, *_ = graded
    assert after == before
    assert not (course.root.parent / "VANDAL.txt").exists()


def test_hidden_checks_never_reach_feedback(graded):
    course, step, *_ = graded
    for student in sorted(set(EXPECTED) - set(FAILED)):
        html = _feedback(course, student)
        own = (course.root / "submitted" / student / A / NB).read_text()
        for snippet in HIDDEN:
            if snippet not in own:  # the reader names hidden_checks.py in its own code
                assert snippet not in html, f"{student}'s feedback shows {snippet!r}"


def test_reading_and_writing_the_course_fails_inside(graded):
    course, *_ = graded
    reader = _autograded(course, "reader")
    assert reader.count("READ_FAILED") == 3 and "READ_OK" not in reader
    writer = _autograded(course, "gbwriter")
    assert writer.count("WRITE_FAILED") == 3 and "WRITE_OK" not in writer
    config = _autograded(course, "configwriter")
    assert "CONFIG_FAILED" in config and "CONFIG_WRITTEN" not in config


def test_leaks_show_nothing(graded):
    """print(In) and caller inspection: only the student's own cells, no grader frame shown."""
    course, *_ = graded
    text = _autograded(course, "leaker")
    assert "IN_HISTORY" in text and "CALLER" not in text  # calls print nowhere


def test_resource_attacks(graded):
    course, step, *_ = graded
    assert "MemoryError" in _autograded(course, "hog")
    flood = course.root / "autograded" / "flood" / A / NB
    assert flood.stat().st_size < 2_000_000 and "FLOOD 1999999" not in flood.read_text()
    assert "ran past the grader's time limit" in _autograded(course, "looping")
    assert "FORK_LIMIT 11" in _autograded(course, "forkbomb")  # EAGAIN at --nproc 64
    assert "DAEMON_STARTED" in _autograded(course, "daemon")


def test_signals_reach_nothing_outside(graded):
    """The grader's processes are invisible: the kills fail and everyone else is graded."""
    course, step, *_ = graded
    assert "KILL_FAILED PermissionError" in _autograded(course, "killer")
    assert "KILL_FAILED" in _autograded(course, "killall") or \
        "KILL_SENT" in _autograded(course, "killall")
    assert f"graded {len(EXPECTED) - len(FAILED)} of {len(EXPECTED)} students" in step.output


def test_no_process_outlives_grading(graded):
    course, step, seconds, before, after, leftover, _ = graded
    assert leftover == [], f"sandbox processes still alive: {leftover}"


def test_network_is_unreachable(graded):
    course, *_ = graded
    text = _autograded(course, "network")
    assert text.count("NET_BLOCKED") == 2 and "NET_OPEN" not in text


def test_feedback_made_for_every_graded_student(graded):
    course, step, *_ = graded
    for student in sorted(set(EXPECTED) - set(FAILED)):
        assert (course.feedback_dir() / student / A / "sram_accounting.html").exists(), student


def test_summary_and_report(graded):
    """The tool says it sandboxes; the report says every graded student ran sandboxed, with a
    memory cgroup of its own where this machine allows one (tests/test_grading_sandbox.py)."""
    import json
    course, step, *_ = graded
    assert step.output.splitlines()[0].startswith("sandbox: bubblewrap"), step.output[:500]
    report = json.loads((course.root / "reports" / f"{A}.json").read_text())
    cgroups = MemoryCgroup.parent()[0] is not None
    for student in sorted(set(EXPECTED) - set(FAILED)):
        entry = report["students"][student]
        assert entry["sandboxed"] is True and entry["memory_cgroup"] is cgroups, (student, entry)


def test_bad_usage_exits_2(tmp_path):
    """One line on stderr and exit status 2: no gradebook yet, or no such assignment."""
    course = Course.from_assignments(tmp_path, names=[A])
    step = autograde_class(course, A, timeout=120)
    assert step.returncode == 2 and "generate_assignment" in step.output, step.output
    step = autograde_class(course, "no_such_assignment", timeout=120)
    assert step.returncode == 2 and "no source/no_such_assignment" in step.output, step.output


def test_without_bubblewrap_refused_unless_off_and_recorded(tmp_path, monkeypatch):
    """No bwrap: both commands refuse to grade (one line, non-zero, no score); only an explicit
    `--sandbox off` grades, says so, and the report records it."""
    monkeypatch.setenv("TINYML_GRADING_BWRAP", "none")
    course = Course.from_assignments(tmp_path, names=[A])
    course.generate_assignment(A)
    course.submit(A, {"solved": solved_submission(course, A)})
    step = autograde_class(course, A, timeout=120)
    assert step.returncode == 2 and step.output.strip().startswith(
        f"tinyml-course-grade: the grader cannot grade {A} (--sandbox required, but no bwrap"), \
        step.output
    plain = course.autograde(A)
    assert plain.returncode != 0 and course.scores(A).get("solved") is None, plain.output[-2000:]
    step = autograde_class(course, A, "--jobs", "1", "--sandbox", "off", timeout=300)
    assert step.output.splitlines()[0].startswith("sandbox: off (--sandbox off"), step.output
    assert step.returncode == 0 and course.scores(A)["solved"][NB] == MAX, step.output
    import json
    report = json.loads((course.root / "reports" / f"{A}.json").read_text())
    assert report["sandbox"] == "off" and report["students"]["solved"]["sandbox"] == "off"
    assert "ATTENTION: graded with --sandbox off" in step.output


QUIZ = "takeaway_quiz"
QUIZ_NB = "takeaway_quiz.ipynb"
REDEFINE = '''
def grade_choice(*args, points=1, **kwargs):
    return points


grade_number = grade_bool = grade_choice
answer_q1 = None
'''
PATCH = '''
import tinyml_course.quiz.scoring as _scoring
import tinyml_course.quiz as _quiz
_full = lambda *a, **k: _scoring.Score(1.0, 1.0, None, None, "")
_scoring.score = _scoring.score_number = _scoring.score_bool = _full
_quiz.grade_choice = lambda *a, **k: 1.0
answer_q1 = None
'''
LEAK = 'print("IN_HISTORY", In)\nanswer_q7 = "A"\n'


@pytest.fixture(scope="module")
def quiz_graded(tmp_path_factory):
    def grade(tmp):
        course = Course.from_assignments(tmp, names=[QUIZ])
        course.generate_assignment(QUIZ)
        solved = solved_submission(course, QUIZ)[QUIZ_NB]
        untouched = untouched_submission(course, QUIZ)[QUIZ_NB]
        course.submit(QUIZ, {"perfect": {QUIZ_NB: solved},
                             "redefiner": {QUIZ_NB: with_solution(untouched, "answer-q1", REDEFINE)},
                             "patcher": {QUIZ_NB: with_solution(untouched, "answer-q1", PATCH)},
                             "leaker": {QUIZ_NB: with_solution(solved, "answer-q7", LEAK)}})
        step = autograde_class(course, QUIZ, "--jobs", "2", timeout=600)
        course.generate_feedback(QUIZ)
        return course, step
    return once(tmp_path_factory, "grading-adversarial-quiz", grade)


def test_quiz_grading_cannot_be_changed_from_the_notebook(quiz_graded):
    """Redefined grade_* helpers and a patched scoring module earn nothing; the leaker keeps 15."""
    course, step = quiz_graded
    scores = {s: v[QUIZ_NB] for s, v in course.scores(QUIZ).items()}
    assert scores == {"perfect": 15.0, "redefiner": 0.0, "patcher": 0.0, "leaker": 15.0}, \
        step.output[-3000:]


def test_quiz_key_never_reaches_the_notebook_or_feedback(quiz_graded):
    course, step = quiz_graded
    html = course.feedback_html("leaker", QUIZ, QUIZ_NB)
    assert "IN_HISTORY" in html
    for secret in ["KEY = {", "'q1': ['A', 'B', 'C']", "grade_choice(\"q1\"", "hidden_checks",
                   "BEGIN HIDDEN TESTS", "key=["]:
        assert secret not in html, secret
