"""One measured case, in a fresh sandboxed process of its own (case_measurement.py starts it).

    python -I -m tinyml_course_grading.case_harness --result-fd 3 [--drop-to UID]

It reads one JSON request on stdin:

    {"entry": "module:prepare", "args": [...],     the grader's case, made ready before the call
     "source": "..." or null,                       the student's solution cell (null: baseline)
     "function": "depthwise_streaming",             the name that cell defines
     "names": {"np": "numpy", "Arena": "tinyml_course.memory.arena:Arena"}}   given to the cell

(the cell may import numpy, the package modules already loaded and PRELOAD; any other import
fails, since no file can be opened once the case is locked down)

and does, in this order: prepare the case (``entry(*args)``, the inputs built where the call
reads them); import ``names``; take away what a kernel could use to hide memory from the
kernel's count (no new process or thread: RLIMIT_NPROC 1; no new file descriptor, so no pipe,
socket or memfd: RLIMIT_NOFILE = the descriptors already open; no file data: RLIMIT_FSIZE 0; the
sandbox has no writable folder, no /proc and no /dev); run the cell and call its function
(the baseline: the entry module's ``null_kernel``); write one JSON line (the prepared case's
record and the output's byte count) and the output's raw bytes to the result descriptor, close
it, and wait until the grader, having read the peak, closes the request pipe; exit.

Nothing here decides a grade: the peak memory is read by the grader from the kernel (each
sandboxed process's VmHWM in /proc while the case waits, the memory cgroup's peak), the output
is judged by the grader.
Standard library only, besides what the entry imports (numpy and the arena).
"""
import argparse
import importlib
import json
import os
import resource
import sys

REQUEST_BYTES = 4 << 20  # the request: a solution cell and a few names
RESULT_FD = 3  # where the result goes once the case is locked down
PRELOAD = ("array", "collections", "functools", "itertools", "math", "mmap", "operator",
           "tracemalloc")  # standard modules a kernel may import (they cost the baseline too)


class _Quiet:
    """sys.stdout / sys.stderr of the case: whatever the student's code prints goes nowhere."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _resolve(dotted):
    module, _, qual = dotted.partition(":")
    obj = importlib.import_module(module)
    for part in filter(None, qual.split(".")):
        obj = getattr(obj, part)
    return obj


def _lock_down(result_fd):
    """No new processes, threads, descriptors or file data from here on (see the module doc):
    the result goes to descriptor RESULT_FD, 0-2 are the grader's /dev/null, the rest closed.
    -> RESULT_FD."""
    if result_fd != RESULT_FD:
        os.dup2(result_fd, RESULT_FD)
    os.closerange(RESULT_FD + 1, 65536)
    for name, value in (("RLIMIT_NPROC", 1), ("RLIMIT_NOFILE", RESULT_FD + 1),
                        ("RLIMIT_FSIZE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))
    return RESULT_FD


def _read_line(fd, limit):
    """One line from ``fd`` (at most ``limit`` bytes), the descriptor left open."""
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        block = os.read(fd, min(1 << 16, limit - len(data)))
        if not block:
            break
        data += block
    return data


def _write_all(fd, data):
    view = memoryview(data).cast("B")
    while view:
        view = view[os.write(fd, view):]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--result-fd", type=int, required=True)
    p.add_argument("--drop-to", type=int, default=None, help="uid (and gid) to become first")
    args = p.parse_args()
    if args.drop_to is not None:  # a root grader: RLIMIT_NPROC holds for non-root users only
        os.setgroups([])
        os.setgid(args.drop_to)
        os.setuid(args.drop_to)
    request = json.loads(_read_line(0, REQUEST_BYTES))
    sys.stdout = sys.stderr = _Quiet()
    entry = _resolve(request["entry"])
    case = entry(*request["args"])
    space = {"__name__": "__student__", "__builtins__": __builtins__}
    space.update({name: _resolve(dotted) for name, dotted in request["names"].items()})
    for name in PRELOAD:  # the cell may import these; nothing else can be opened after the lock
        importlib.import_module(name)
    kernel = getattr(importlib.import_module(entry.__module__), "null_kernel")
    source, function, problem = request["source"], str(request["function"]), ""
    del request
    result = _lock_down(args.result_fd)
    if source is not None:
        try:
            exec(compile(source, "<solution cell>", "exec"), space)
            kernel = space.get(function)
            if not callable(kernel):
                problem = f"the solution cell defines no function {function}"[:300]
        except BaseException as exc:  # the cell does not run: a wrong answer, with its reason
            problem = f"the solution cell raised {type(exc).__name__}: {exc}"[:300]
    record, out = ({"problem": problem}, None) if problem else case.run(kernel)
    size = 0 if out is None else out.nbytes
    _write_all(result, (json.dumps({"record": record, "out_bytes": size}) + "\n").encode())
    if out is not None:
        _write_all(result, out)
    os.close(result)
    os.read(0, 1)  # the grader reads this process's peak, then closes the request pipe
    os._exit(0)  # no atexit handler, thread or __del__ of the student's runs after this


if __name__ == "__main__":
    main()
