"""The sandbox's memory cgroup: a limit on everything a student's code spawns together.

RLIMIT_AS limits each process; a student can fork several processes that each stay under it.
Where this machine lets the grader create a memory cgroup (tinyml_course_grading), the whole
sandbox shares one limit: two children touching 300 MiB each under a 500 MiB cgroup cannot both
finish (the kernel kills one), where without the cgroup both would.
"""
import pytest

from tinyml_course_grading import sandboxed_run
from tinyml_course_grading.limits import SandboxLimits
from tinyml_course_grading.memory_cgroup import MemoryCgroup
from tinyml_course_grading.messages import CellSource, RunRequest

FORKS = '''
import os
pids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        block = b"\\x01" * (300 * 2**20)  # touched: resident, not just reserved
        import time
        time.sleep(1.5)
        os._exit(0)
    pids.append(pid)
codes = [os.waitpid(p, 0)[1] for p in pids]
print("CHILDREN", ["killed" if os.WIFSIGNALED(c) else "finished" for c in codes])
'''


def test_memory_cgroup_limits_the_whole_sandbox():
    ok, why = sandboxed_run.available()
    if not ok:
        pytest.skip(f"no sandbox here: {why}")
    if MemoryCgroup.parent()[0] is None:
        pytest.skip("this machine gives the grader no memory cgroup to create")
    limits = SandboxLimits(memory_mb=0, cgroup_mb=500, run_seconds=60, cell_seconds=30)
    run = sandboxed_run.run_student(RunRequest(cells=(CellSource(0, FORKS),)), limits=limits)
    assert run.memory_cgroup and run.answer is not None, run.failure
    out = "".join(o.get("text", "") for o in run.answer.cells[0].outputs)
    assert "CHILDREN" in out and "killed" in out, out


class _NoCgroup:
    """What MemoryCgroup is on a machine that gives the grader none (a non-root grader here)."""

    path = None

    def __init__(self, *_):
        pass

    def join(self):
        pass

    def remove(self):
        pass


def test_without_a_cgroup_the_grader_still_limits_the_whole_sandbox(monkeypatch):
    """Issue 19 finding 11, a non-root grader: no memory cgroup, so only RLIMIT_AS per process,
    and two children touching 300 MiB each both finished under a 500 MiB run limit. The grader's
    watch (memory_watch.py) sums the tree's memory from outside and stops the run."""
    ok, why = sandboxed_run.available()
    if not ok:
        pytest.skip(f"no sandbox here: {why}")
    monkeypatch.setattr(sandboxed_run, "MemoryCgroup", _NoCgroup)
    limits = SandboxLimits(memory_mb=0, cgroup_mb=500, run_seconds=60, cell_seconds=30)
    run = sandboxed_run.run_student(RunRequest(cells=(CellSource(0, FORKS),)), limits=limits)
    assert not run.memory_cgroup
    out = "".join(o.get("text", "") for o in run.answer.cells[0].outputs) if run.answer else ""
    assert run.answer is None, f"the children ran to the end: {out}"
    assert "together held" in run.failure.detail and "500 MiB" in run.failure.detail, run.failure
    assert any("memory watch" in note for note in run.notes), run.notes


def test_the_watch_leaves_a_run_within_its_limit_alone(monkeypatch):
    """One child of 300 MiB under a 500 MiB limit is not stopped (the watch measures Pss, so the
    fork's copy-on-write pages are not counted twice)."""
    ok, why = sandboxed_run.available()
    if not ok:
        pytest.skip(f"no sandbox here: {why}")
    monkeypatch.setattr(sandboxed_run, "MemoryCgroup", _NoCgroup)
    limits = SandboxLimits(memory_mb=0, cgroup_mb=500, run_seconds=60, cell_seconds=30)
    one = FORKS.replace("range(2)", "range(1)")
    run = sandboxed_run.run_student(RunRequest(cells=(CellSource(0, one),)), limits=limits)
    assert run.answer is not None, run.failure
    out = "".join(o.get("text", "") for o in run.answer.cells[0].outputs)
    assert "CHILDREN ['finished']" in out, out


def test_the_grading_command_says_how_memory_is_bounded(monkeypatch):
    """The TA reads, before any score, whether a cgroup or the grader's watch holds each run."""
    from tinyml_course_grading import grade_command
    monkeypatch.setattr(grade_command.MemoryCgroup, "parent", staticmethod(lambda: (None, None)))
    line = grade_command.memory_line(2048)
    assert line.startswith("memory: 2048 MiB") and "watched by the grader every 50 ms" in line
    assert "no memory cgroup" in line, line
