"""Grading where the TA is (issue 18 item 1): a fresh copy of the course under a temporary HOME
(`~/tinyml-course`), under /tmp with a path that starts with /tmp/student and holds a space, and
a plain (non-editable) install in a venv under /opt (the hub's layout); in each, the README's
own commands, with no PYTHONPATH: `python3 course.py lab --version`, `nbgrader
generate_assignment`, the README's grading command, and plain `nbgrader autograde`.

Before: the instructor's solved notebook scored 0 of 14 with exit status 0 ("graded 1 of 1")
from a clone under HOME (the sandbox hid the editable package's source), and a checkout under
/tmp/student... collided with the sandbox's own mount point. After: full marks, from every
place. A grader that cannot grade (no usable bubblewrap, a stale name in hidden_checks.py)
stops before the first student with one line naming the cause and writes no score.
"""
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.fresh_clone import clone, make_venv, readme_ta_command, ta_env
from harness.nbgrader_pipeline import Course, solved_notebook
from harness.shared import once

pytestmark = pytest.mark.slow

A = "sram_accounting"
NB = "sram_accounting.ipynb"
AUTO = 14.0  # the autograded points of the solved notebook (18 in all; 4 are written answers)


def _run(cmd, cwd, env, timeout=600):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _submit(course_dir, env):
    """The instructor's solved notebook as alice's submission, the release as bob's."""
    import nbformat
    step = _run(["nbgrader", "generate_assignment", A, "--force"], course_dir, env)
    assert step.returncode == 0, step.stdout[-2000:] + step.stderr[-2000:]
    release = nbformat.read(course_dir / "release" / A / NB, as_version=4)
    solved = solved_notebook(nbformat.read(course_dir / "source" / A / NB, as_version=4), release)
    for student, nb in (("alice", solved), ("bob", release)):
        folder = course_dir / "submitted" / student / A
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / NB)
        (folder / "timestamp.txt").write_text("2026-11-25 12:00:00.000000 UTC")


def _setup(kind, tmp):
    """(checkout, venv python, env) of one place a TA keeps the course."""
    if kind == "home":
        home = tmp / "home"
        checkout = clone(home / "tinyml-course")
        python = make_venv(checkout / ".venv", checkout, editable=True)
    elif kind == "tmp-student-space":
        home = tmp / "home"
        top = Path(tempfile.mkdtemp(prefix="student ", dir="/tmp"))
        (tmp / "cleanup").write_text(str(top))
        checkout = clone(top / "tinyml course")
        python = make_venv(checkout / ".venv", checkout, editable=True)
    else:  # plain install into a venv under /opt, as the hub's /opt/tinyml-course/venv
        home = tmp / "home"
        top = Path(tempfile.mkdtemp(prefix="tinyml-course-test-", dir="/opt"))
        (tmp / "cleanup").write_text(str(top))
        checkout = clone(tmp / "checkout" / "tinyml-course")
        python = make_venv(top / "venv", checkout, editable=False)
    return checkout, python, ta_env(home, python)


def _grade_everywhere(kind):
    def compute(tmp):
        checkout, python, env = _setup(kind, tmp)
        lab = ["python3", "course.py", "lab", "--version"] if kind != "opt-plain" else \
            ["python", "-m", "jupyter", "lab", "--version"]  # the hub's venv: no course.py
        out = {"lab": _run(lab, checkout, env)}
        course_dir = checkout / "assignments"
        _submit(course_dir, env)
        out["tool"] = _run(readme_ta_command(A), course_dir, env)
        out["tool_scores"] = Course(course_dir).scores(A)
        out["plain"] = _run(["nbgrader", "autograde", A, "--force"], course_dir, env)
        out["plain_scores"] = Course(course_dir).scores(A)
        where = (tmp / "cleanup").read_text() if (tmp / "cleanup").exists() else None
        if where:
            shutil.rmtree(where, ignore_errors=True)
        return {k: (v.returncode, v.stdout + v.stderr) if hasattr(v, "returncode") else v
                for k, v in out.items()} | {"checkout": str(checkout)}
    return compute


KINDS = ["home", "tmp-student-space", "opt-plain"]


@pytest.fixture(scope="module", params=KINDS)
def graded(request, tmp_path_factory):
    return once(tmp_path_factory, f"where-the-ta-is-{request.param}",
                _grade_everywhere(request.param))


def test_course_py_lab_runs_there(graded):
    rc, output = graded["lab"]
    assert rc == 0 and output.strip().startswith("4."), output[-2000:]


def test_the_readme_command_gives_the_solution_full_marks(graded):
    """Does the README's grading command give the solved notebook its 14 points and the release
    0, exit 0, from this checkout?"""
    rc, output = graded["tool"]
    assert graded["tool_scores"] == {"alice": {NB: AUTO}, "bob": {NB: 0.0}}, output[-3000:]
    assert rc == 0 and "graded 2 of 2 students" in output, output[-3000:]


def test_plain_nbgrader_gives_the_solution_full_marks(graded):
    rc, output = graded["plain"]
    assert graded["plain_scores"] == {"alice": {NB: AUTO}, "bob": {NB: 0.0}}, output[-3000:]


# --- a grader that cannot grade says so before any score --------------------------------------

FAKE_BWRAP = "#!/bin/sh\necho 'bwrap: execvp /nowhere/python: No such file or directory' >&2\nexit 1\n"
# the real bwrap, with the course package's folder covered by an empty one: the sandbox of
# finding 1, which did not bring in an editable install's source (the solved notebook scored 0)
HIDING_BWRAP = """#!/bin/sh
done=""
for a; do
    shift
    if [ "$a" = "--" ] && [ -z "$done" ]; then set -- "$@" --tmpfs '{package}' --; done=1
    else set -- "$@" "$a"; fi
done
exec '{bwrap}' "$@"
"""
SOLVED_LINE = "return elements * BYTES_PER_ELEMENT[dtype]"  # the instructor's tensor_bytes


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    def compute(tmp):
        checkout, python, env = _setup("home", tmp)
        course_dir = checkout / "assignments"
        _submit(course_dir, env)
        out = {}
        fake = tmp / "fake-bwrap"
        fake.write_text(FAKE_BWRAP)
        fake.chmod(0o755)
        bad_env = dict(env, TINYML_GRADING_BWRAP=str(fake))
        out["bwrap_tool"] = _run(readme_ta_command(A), course_dir, bad_env)
        out["bwrap_plain"] = _run(["nbgrader", "autograde", A], course_dir, bad_env)
        from tinyml_course_grading.sandboxed_run import bwrap_path
        hiding = tmp / "hiding-bwrap"
        hiding.write_text(HIDING_BWRAP.format(package=(checkout / "tinyml_course").resolve(),
                                              bwrap=bwrap_path()))
        hiding.chmod(0o755)
        hidden_env = dict(env, TINYML_GRADING_BWRAP=str(hiding))
        out["hidden_tool"] = _run(readme_ta_command(A), course_dir, hidden_env)
        out["hidden_plain"] = _run(["nbgrader", "autograde", A], course_dir, hidden_env)
        source = course_dir / "source" / A / NB
        solved = source.read_text()
        assert SOLVED_LINE in solved
        source.write_text(solved.replace(SOLVED_LINE, "return elements"))  # bytes forgotten
        out["unsolved_tool"] = _run(readme_ta_command(A), course_dir, env)
        out["unsolved_plain"] = _run(["nbgrader", "autograde", A], course_dir, env)
        source.write_text(solved)
        checks = course_dir / "source" / A / "hidden_checks.py"
        checks.write_text(checks.read_text().replace("tinyml_course.memory.live_set:live_tensors",
                                                     "tinyml_course.memory.conventions:live_tensors"))
        out["stale_tool"] = _run(readme_ta_command(A), course_dir, env)
        out["stale_plain"] = _run(["nbgrader", "autograde", A], course_dir, env)
        scores = Course(course_dir).scores(A)
        return {k: (v.returncode, v.stdout + v.stderr) for k, v in out.items()} | {"scores": scores}
    return once(tmp_path_factory, "where-the-ta-is-broken", compute)


# 2026-12-07: the package hidden in the sandbox (finding 1's cause, simulated by a bwrap that
# covers it) and an instructor's solution that no longer earns full marks are set-up failures
# too; with the canary switched off the class was graded (exit 0) and its scores written.
@pytest.mark.parametrize("case, cause", [
    ("bwrap_tool", "bwrap: execvp /nowhere/python: No such file or directory"),
    ("bwrap_plain", "bwrap: execvp /nowhere/python: No such file or directory"),
    ("hidden_tool", "No module named 'tinyml_course'"),
    ("hidden_plain", "No module named 'tinyml_course'"),
    ("unsolved_tool", "of test-tensor-bytes in the sandbox: tensor_bytes fails"),
    ("unsolved_plain", "of test-tensor-bytes in the sandbox: tensor_bytes fails"),
    ("stale_tool", "'tinyml_course.memory.conventions:live_tensors' does not resolve"),
    ("stale_plain", "'tinyml_course.memory.conventions:live_tensors' does not resolve"),
])
def test_a_grader_that_cannot_grade_stops_first_and_says_why(broken, case, cause):
    """Does each command stop (non-zero) with one line naming the cause, bwrap's own message
    included, before any score is written?"""
    rc, output = broken[case]
    assert rc != 0, output[-3000:]
    lines = [ln for ln in output.splitlines() if "the grader cannot grade" in ln]
    assert len(lines) == 1 and cause in lines[0], output[-3000:]
    assert broken["scores"] == {}, broken["scores"]
