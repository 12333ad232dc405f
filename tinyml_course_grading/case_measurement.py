"""Peak memory of a student's kernel, measured by the kernel from outside the student's process.

A figure measured inside the process that runs the student's code (an arena's high-water mark,
tracemalloc's peak) can be changed by that code. Here each case runs in a fresh sandboxed
process of its own (case_harness.py: the student's solution cell and one call, nothing else of
the notebook), and the grader reads what the operating system says that process used:

- ``rss_bytes``: the largest VmHWM (peak resident set) of the sandbox's processes, read from
  /proc once the case has written its answer and waits (the whole life of the case: what a
  kernel frees before it returns is in it). Not wait4's ru_maxrss: the kernel folds into that
  the grader's own resident set at the fork before exec;
- ``cgroup_bytes``: where the grader may create one (memory_cgroup.py), the memory cgroup's peak
  of everything the case spawned together, kernel memory (pipe and socket buffers, page tables)
  and tmpfs pages included (None elsewhere).

``baseline`` measures the same harness with the entry's null kernel (no student code) a few
times, once per process, and ``extra_bytes`` is the case's figure minus the baseline's median:
the memory the student's code added, in bytes. The output comes back as raw bytes, read only up
to the size the grader expects (``out_shape``, float32) and judged by the grader.
"""
import json
import os
import select
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from .limits import SANDBOX
from .memory_cgroup import MemoryCgroup
from .process_tree import descendants
from .sandboxed_run import _limit  # the runner's rlimits and cgroup join, before exec
from .sandbox_layout import bwrap_command

HARNESS_MODULE = "tinyml_course_grading.case_harness"
HEADER_BYTES = 1 << 16      # the case's JSON line
BASELINE_RUNS = 3           # null-kernel runs per case whose median is the baseline
_BASELINES = {}             # (entry, args, names, package source) -> Baseline, per process


@dataclass
class CaseRun:
    """What one case process did, as the grader read it (see the module doc)."""

    record: dict             # the case's own description of its result (untrusted plain data)
    out: object              # its output, float32 of out_shape, or None
    rss_bytes: int           # ru_maxrss of the sandbox, bytes (0 when unknown)
    cgroup_bytes: object     # the cgroup's peak, bytes, or None
    problem: str = ""        # '' or why there is no output (time limit, died, malformed)


@dataclass(frozen=True)
class Baseline:
    """The null kernel's figures: medians of ``BASELINE_RUNS`` runs and their spread, bytes."""

    rss_bytes: int
    cgroup_bytes: object
    rss_spread: int
    cgroup_spread: object


def _request(entry, args, source, function, names):
    return (json.dumps({"entry": entry, "args": list(args), "source": source,
                        "function": function, "names": dict(names)}) + "\n").encode()


def _read_answer(fd, deadline, out_shape):
    """(record, output or None, '' or why not) of what the case writes on ``fd``: one JSON line
    (at most HEADER_BYTES), then exactly the float32 bytes of ``out_shape``, by ``deadline``
    (nothing larger is ever allocated)."""
    want = 4 * int(np.prod(out_shape))
    data, pos, need = bytearray(HEADER_BYTES + want), 0, None
    view = memoryview(data)
    while need is None or pos < need:
        now = time.monotonic()
        if now > deadline:
            return {}, None, "it ran past the grader's time limit"
        ready, _, _ = select.select([fd], [], [], min(0.2, deadline - now))
        if not ready:
            continue
        n = os.readv(fd, [view[pos:need or HEADER_BYTES]])
        if n == 0:
            return {}, None, "the case process ended without an answer"
        pos += n
        if need is None and b"\n" in data[:pos]:
            line, _, rest = bytes(view[:pos]).partition(b"\n")
            try:
                head = json.loads(line)
                record, size = dict(head["record"]), int(head["out_bytes"])
            except (ValueError, KeyError, TypeError) as exc:
                return {}, None, f"the case's answer is malformed ({type(exc).__name__})"
            if size == 0:
                return record, None, ""
            if size != want:
                return record, None, f"the output has {size} bytes, expected {want}"
            data = bytearray(want)
            data[:len(rest)] = rest
            view, pos, need = memoryview(data), len(rest), want
        elif need is None and pos == HEADER_BYTES:
            return {}, None, "the case's answer is malformed (no line)"
    return record, np.frombuffer(data, dtype=np.float32).reshape(out_shape), ""


def _peak_rss(pid):
    """The largest VmHWM (peak resident set, bytes) of ``pid`` and its descendants, now."""
    peak = 0
    for p in [pid, *descendants(pid)]:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except (OSError, ValueError, IndexError):
            pass
    return peak


def run_case(entry, args, source, function, names, out_shape, limits=SANDBOX,
             package_source=None, seconds=60.0, bwrap=None):
    """One case process (``source`` None: the baseline), measured; -> CaseRun.

    entry: "module:prepare" (its module defines null_kernel); args: plain data; source: the
    student's solution cell (Python, magics already made Python); names: {name: "module:attr"}
    given to the cell; out_shape: the output's expected shape (float32); seconds: wall clock;
    bwrap: the bubblewrap to run it under (None: a plain process, --sandbox off). LayoutError
    (sandbox_layout) when the sandbox cannot be described here.
    """
    cmd, opened, pass_fds = [], [], ()
    as_root = os.geteuid() == 0
    if bwrap is not None:
        box = bwrap_command(bwrap, [], limits, package_source, as_root=as_root, writable=False)
        cmd, opened, pass_fds = box.argv, box.opened, box.pass_fds
    rfd, wfd = os.pipe()
    cmd += [sys.executable, "-I", "-m", HARNESS_MODULE, "--result-fd", str(wfd)]
    if as_root:
        cmd += ["--drop-to", str(limits.uid)]
    cgroup = MemoryCgroup(limits.cgroup_mb or limits.memory_mb)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, pass_fds=(wfd, *pass_fds), cwd="/",
                                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                                     "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                                     "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"},
                                preexec_fn=_limit(limits, cgroup))
    finally:
        os.close(wfd)
        for f in opened:
            f.close()
    try:
        try:
            proc.stdin.write(_request(entry, args, source, function, names))
            proc.stdin.flush()
        except OSError:
            pass
        record, out, problem = _read_answer(rfd, time.monotonic() + seconds, out_shape)
        rss = _peak_rss(proc.pid)  # the case waits for stdin to close: it has not exited
    finally:
        os.close(rfd)
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:  # the case exits once its request pipe closes
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                proc.kill()
            proc.wait()
        peak = cgroup.peak()
        cgroup.remove()
    return CaseRun(record, out, rss, peak, problem)


def baseline(entry, args, names, out_shape, limits=SANDBOX, package_source=None, bwrap=None,
             runs=BASELINE_RUNS):
    """The Baseline of a case (the null kernel's runs), measured once per process."""
    key = (entry, tuple(args), tuple(sorted(dict(names).items())), str(package_source),
           bwrap is None)
    if key not in _BASELINES:
        got = [run_case(entry, args, None, "", names, out_shape, limits, package_source,
                        bwrap=bwrap) for _ in range(runs)]
        bad = next((g.problem for g in got if g.problem), "")
        if bad:
            raise RuntimeError(f"the baseline of case {list(args)} failed: {bad}")
        rss = [g.rss_bytes for g in got]
        groups = [g.cgroup_bytes for g in got]
        has_group = all(g is not None for g in groups)
        _BASELINES[key] = Baseline(
            int(statistics.median(rss)), int(statistics.median(groups)) if has_group else None,
            max(rss) - min(rss), max(groups) - min(groups) if has_group else None)
    return _BASELINES[key]


def extra_bytes(run, base):
    """Bytes the student's code added over the baseline: the larger of the resident-set and
    the cgroup differences (the cgroup's where both runs have one)."""
    extra = run.rss_bytes - base.rss_bytes
    if run.cgroup_bytes is not None and base.cgroup_bytes is not None:
        extra = max(extra, run.cgroup_bytes - base.cgroup_bytes)
    return extra


class OutsideCases:
    """One student's solution cell, measured case by case outside the student's process: what
    a check's ``outside`` function is given (check_declarations.Check.outside).

    source: the cell's Python (magics made Python); bwrap: the bubblewrap to run each case
    under (None: --sandbox off, the instructor's choice: plain processes with the limits).
    """

    def __init__(self, source, limits=SANDBOX, package_source=None, bwrap=None, seconds=60.0):
        self.source, self.limits, self.package_source = source, limits, package_source
        self.bwrap, self.seconds = bwrap, seconds

    def measure(self, entry, args, function, names, out_shape):
        """One case: {'record', 'out' (float32 array or None), 'problem', 'extra_bytes' (over
        the baseline, bytes), 'baseline_spread' (bytes)}."""
        base = baseline(entry, args, names, out_shape, self.limits, self.package_source,
                        self.bwrap)
        run = run_case(entry, args, self.source, function, names, out_shape, self.limits,
                       self.package_source, self.seconds, self.bwrap)
        spread = max(base.rss_spread, base.cgroup_spread or 0)
        return {"record": run.record, "out": run.out, "problem": run.problem,
                "extra_bytes": extra_bytes(run, base), "baseline_spread": spread}
