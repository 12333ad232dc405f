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
