#!/usr/bin/env python3
"""Autograde a whole class, one student at a time in a sandbox, so that a broken or hostile
submission costs that student points and nothing else.

    cd assignments                      # the nbgrader course directory
    python ../tools/autograde_class.py hw1 [--jobs 2] [--timeout 600] [--memory-mb 4096]
    nbgrader generate_feedback hw1 && nbgrader export

`nbgrader autograde hw1` grades every student in one process, in the course directory itself.
A submission whose code kills that process (`os.kill(os.getppid(), 9)`), exhausts memory, or
deletes `../../../gradebook.db` stops or corrupts the grading of everyone after it. This tool,
for each student S who has `submitted/S/hw1/`:

1. builds a sandbox course in a fresh temporary folder (outside the course): the config, the
   assignment's non-notebook source files (not the solution notebook), a *copy* of
   gradebook.db and S's submission only;
2. runs `nbgrader autograde hw1 --student S` there in its own process, under a wall-clock limit
   (`--timeout`), with the grading kernel started through a kernelspec of the sandbox whose
   launcher sets resource limits before it execs the course's usual python3 kernel: address
   space (`--memory-mb`: a memory hog gets MemoryError in its own cell; nbgrader's own
   process gets 4 GiB more, so output without end crashes only that grader), file size
   (`--fsize-mb`), no core dumps, and, for a non-root grader, processes (`--nproc`);
3. kills every process the grading left behind (the tool is a Linux "child subreaper": a
   kernel whose nbgrader was killed, or a daemonised fork, is re-parented to the tool, which
   kills it), then copies S's grades (exactly the rows nbgrader wrote in the sandbox) into the
   course's gradebook.db and `autograded/S/hw1/` into the course; logs go to
   `autograde_logs/hw1/S.log`;
4. a student whose grading failed (timeout, grader crashed or killed, kernel died, invalid
   notebook, no notebook) is recorded in the gradebook with 0 for every cell, exactly like
   nbgrader records a missing notebook, and named in the summary.

It prints one line per student (score / max, or the failure reason) and exits 0 when every
student was graded, 1 when some could not be (they are recorded with 0; the last line says who),
2 on bad usage. Students are graded in parallel (`--jobs N`, default one per CPU as far as the
RAM holds `--memory-mb` + 512 MiB per job): each grader writes only its own sandbox gradebook
and the tool merges them one at a time, so no two processes ever write the same sqlite file.
benchmarks/bench_grading.py graded 20 students 3 times with --jobs 2 (and once with --jobs 1):
identical scores every time. Measured there (2 shared cores, takeaway_quiz): 4.6 s per student
sequential, 2.4-2.9 s with --jobs 2, i.e. 23 or 12-15 minutes for 300 students.

What is NOT protected (same user, no container):
- The kernel runs as the TA's user. Code that uses absolute paths can read or write anything
  that user can: the course folder (when it can find it: its path is not in the kernel's cwd or
  environment, but `/proc` and the file system are open), the TA's home, other courses. Run
  as root, it can write anywhere on the disk. The hidden tests are readable during grading
  (they are in the sandbox's gradebook copy, as in plain nbgrader).
- It can signal any process of the same user, including this tool (its grandparent): the
  class run then stops; students merged so far keep their grades, rerun with `--students`.
- `--nproc` is RLIMIT_NPROC, which Linux counts per user, and ignores for root: it does not
  stop a fork bomb of a root-run grader (the wall-clock limit and the subreaper sweep end it,
  after it has loaded the machine for up to `--timeout` seconds).
- Network access is not restricted.
For untrusted classes, run this tool as an unprivileged user that owns only a copy of the
course directory (`sudo -u grader python tools/autograde_class.py ...`), or in a container
with the course mounted (`docker run --rm --network none --memory 8g --pids-limit 512
-v "$PWD":/course -w /course IMAGE python tools/autograde_class.py hw1`).
"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

KERNEL_NAME = "tinyml-course-grader"
DEFAULTS = {"timeout": 600, "memory_mb": 4096, "fsize_mb": 512, "nproc": 512}

# The grading kernel's argv[0..2]: set the limits, then exec the course's own kernel command.
# argv: LAUNCHER JSON_LIMITS KERNEL_ARGV...
LAUNCHER = r"""
import json, os, resource, sys
limits = json.loads(sys.argv[1])
extra = limits.pop("NPROC_EXTRA", None)
if extra is not None and hasattr(resource, "RLIMIT_NPROC") and os.getuid() != 0:
    uid, tasks = os.getuid(), 0
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            if os.stat("/proc/" + pid).st_uid == uid:
                tasks += len(os.listdir("/proc/%s/task" % pid))
        except (OSError, ValueError):
            pass
    limits["RLIMIT_NPROC"] = tasks + extra
for name, value in limits.items():
    which = getattr(resource, name, None)
    if which is None:
        continue
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:  # hard = soft: student code cannot raise it again
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass
os.execvp(sys.argv[2], sys.argv[2:])
"""


@dataclass
class Outcome:
    student: str
    status: str = "graded"          # graded | timeout | crashed | kernel died | invalid notebook
    detail: str = ""                #   | no notebook | error
    seconds: float = 0.0
    score: float = 0.0
    max_score: float = 0.0
    log: Path = None

    @property
    def ok(self):
        return self.status == "graded"


# --- processes ---------------------------------------------------------------------------

def become_subreaper():
    """Make orphans of our descendants our children (Linux >= 3.4); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _children(pid):
    """Direct children of `pid` (Linux /proc; psutil elsewhere when present)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        pass
    try:
        import psutil
        return [p.pid for p in psutil.Process(pid).children()]
    except Exception:
        return []


def _descendants(pid):
    out, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in out:
                out.append(child)
                todo.append(child)
    return out


def kill_tree(pid, include_self=True):
    """SIGKILL `pid`'s descendants (stopped first so they cannot fork away) and `pid`."""
    for _ in range(3):  # a forking process may add children while we kill
        victims = _descendants(pid)
        if not victims:
            break
        for p in victims:
            try:
                os.kill(p, signal.SIGSTOP)
            except OSError:
                pass
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
    if include_self:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def sweep_orphans(keep):
    """Kill and reap our children that are not graders in `keep` (orphans re-parented to us)."""
    killed = 0
    for pid in _children(os.getpid()):
        if pid in keep:
            continue
        kill_tree(pid)
        killed += 1
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    # reap orphans that had already exited (zombies) and were not seen above
    for pid in _children(os.getpid()):
        if pid not in keep:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
    return killed


# --- the sandbox -------------------------------------------------------------------------

def course_kernel_argv(kernel="python3"):
    """argv and env of the kernelspec the notebooks name, as the course would run them."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel)
        return list(spec.argv), dict(spec.env or {})
    except NoSuchKernel:
        return [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], {}


def write_grader_kernelspec(jupyter_path, limits, kernel="python3"):
    """kernels/KERNEL_NAME/kernel.json under `jupyter_path`: the course kernel, with limits."""
    argv, env = course_kernel_argv(kernel)
    kdir = Path(jupyter_path) / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-c", LAUNCHER, json.dumps(limits), *argv],
            "display_name": "tinyml-course grader (resource-limited)",
            "language": "python", "env": env, "metadata": {"debugger": False}}
    (kdir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return kdir


def kernel_limits(memory_mb, fsize_mb, nproc):
    limits = {"RLIMIT_CORE": 0}
    if memory_mb:
        limits["RLIMIT_AS"] = int(memory_mb) * 2**20
    if fsize_mb:
        limits["RLIMIT_FSIZE"] = int(fsize_mb) * 2**20
    if nproc:
        limits["NPROC_EXTRA"] = int(nproc)
    return limits


def make_sandbox(course, assignment, student, workroot):
    """A private course dir with config, non-notebook sources, gradebook copy, one submission."""
    box = Path(tempfile.mkdtemp(prefix=f"{student[:20]}-", dir=workroot)) / "course"
    box.mkdir()
    for name in ("nbgrader_config.py",):
        if (course / name).exists():
            shutil.copy2(course / name, box / name)
    src = course / "source" / assignment
    shutil.copytree(src, box / "source" / assignment,
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
    copy_db(course / "gradebook.db", box / "gradebook.db")
    shutil.copytree(course / "submitted" / student / assignment,
                    box / "submitted" / student / assignment, symlinks=True)
    return box


def copy_db(src, dst):
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def rmtree_hard(path):
    def onerror(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=onerror)


# --- the gradebook -----------------------------------------------------------------------

def course_id_of(db, assignment):
    with sqlite3.connect(db) as con:
        row = con.execute("select course_id from assignment where name = ?",
                          (assignment,)).fetchone()
    con.close()
    return row[0] if row else None


def merge_student(box_db, course_db, assignment, student, course_id, timestamp=None):
    """Copy S's submission rows from the sandbox gradebook into the course's; 'no submission'
    when nbgrader never created one there. Returns None on success, else the reason."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{box_db}", course_id) as sgb, \
            Gradebook(f"sqlite:///{course_db}", course_id) as gb:
        try:
            ssub = sgb.find_submission(assignment, student)
        except MissingEntry:
            return "no submission"
        gb.update_or_create_student(student)
        sub = gb.update_or_create_submission(assignment, student, timestamp=ssub.timestamp)
        sub.extension = ssub.extension
        for snb in ssub.notebooks:
            nb = gb.find_submission_notebook(snb.name, assignment, student)
            nb.flagged = snb.flagged
            nb.late_submission_penalty = snb.late_submission_penalty
            for sg in snb.grades:
                g = gb.find_grade(sg.name, snb.name, assignment, student)
                g.auto_score, g.manual_score = sg.auto_score, sg.manual_score
                g.extra_credit, g.needs_manual_grade = sg.extra_credit, sg.needs_manual_grade
            for sc in snb.comments:
                c = gb.find_comment(sc.name, snb.name, assignment, student)
                c.auto_comment, c.manual_comment = sc.auto_comment, sc.manual_comment
        gb.db.commit()
    return None


def record_zero(course_db, assignment, student, course_id, timestamp=None):
    """S's submission with 0 on every autograded cell, as nbgrader does for a missing notebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_db}", course_id) as gb:
        gb.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        sub = gb.update_or_create_submission(assignment, student, **kwargs)
        for nb in sub.notebooks:
            for grade in nb.grades:
                grade.auto_score = 0
                grade.manual_score = None
                grade.needs_manual_grade = False
            nb.late_submission_penalty = None
        gb.db.commit()


def score_of(course_db, assignment, student, course_id):
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course_db}", course_id) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return 0.0, gb.find_assignment(assignment).max_score
        return float(sub.score), float(sub.max_score)


def read_timestamp(folder):
    from nbgrader.utils import parse_utc

    f = Path(folder) / "timestamp.txt"
    try:
        return parse_utc(f.read_text().strip())
    except Exception:
        return None


# --- grading -----------------------------------------------------------------------------

def classify_failure(log, returncode):
    """Why nbgrader could not grade: from its exit status and its log."""
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return "crashed", f"grader killed by {name}"
    if any(m in log for m in ("NotJSONError", "does not appear to be JSON",
                              "NotebookValidationError", "ValidationError")):
        return "invalid notebook", "the submitted file is not a valid notebook"
    if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log:
        return "kernel died", "the kernel exited or was killed while running the notebook"
    if "unresponsive" in log or "Timeout waiting for IOPub" in log or "UnresponsiveKernel" in log:
        return "kernel died", "the kernel stopped answering (ignored the interrupt)"
    if returncode not in (0, None):
        return "crashed", f"nbgrader exited {returncode}"
    return "error", "see the log"


class Grader:
    """One student's grading in its sandbox: start(), poll(), finish()."""

    def __init__(self, tool, student):
        self.tool, self.student = tool, student
        self.proc = None
        self.box = None
        self.started = None
        self.timed_out = False
        self.logfile = tool.logdir / f"{student}.log"

    def start(self):
        t = self.tool
        self.box = make_sandbox(t.course, t.assignment, self.student, t.workroot)
        env = dict(t.env)
        env["PWD"] = str(self.box)
        cmd = [sys.executable, "-m", "nbgrader", "autograde", t.assignment,
               f"--student={self.student}", "--force",
               f"--CourseDirectory.root={self.box}",
               f"--CourseDirectory.db_url=sqlite:///{self.box / 'gradebook.db'}",
               f"--Execute.kernel_name={KERNEL_NAME}"]
        if t.cell_timeout:
            cmd.append(f"--Execute.timeout={int(t.cell_timeout)}")
        self.log_handle = open(self.logfile, "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=self.box, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log_handle, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=t.limit_grader)
        return self

    def poll(self):
        """True when done (exited, or killed at the wall-clock limit)."""
        if self.proc.poll() is not None:
            return True
        if time.monotonic() - self.started > self.tool.timeout:
            self.timed_out = True
            kill_tree(self.proc.pid)
            self.proc.wait()
            return True
        return False

    def finish(self):
        t = self.tool
        rc = self.proc.returncode
        seconds = time.monotonic() - self.started
        kill_tree(self.proc.pid, include_self=False)  # kernels the grader did not shut down
        self.log_handle.close()
        log = self.logfile.read_text(errors="replace")
        out = Outcome(self.student, seconds=seconds, log=self.logfile)
        submitted = t.course / "submitted" / self.student / t.assignment
        timestamp = read_timestamp(submitted)
        box_auto = self.box / "autograded" / self.student / t.assignment
        course_auto = t.course / "autograded" / self.student / t.assignment
        failed = "There was an error processing assignment" in log
        if self.timed_out:
            out.status, out.detail = "timeout", f"grading ran past {t.timeout:g} s"
        elif rc != 0 or failed or not box_auto.is_dir():
            if not any(submitted.glob("*.ipynb")):
                out.status, out.detail = "no notebook", "no .ipynb in the submission folder"
            else:
                out.status, out.detail = classify_failure(log, rc)
        if out.ok:
            reason = merge_student(self.box / "gradebook.db", t.course_db, t.assignment,
                                   self.student, t.course_id)
            if reason:
                out.status, out.detail = "error", reason
        if course_auto.exists():
            rmtree_hard(course_auto)
        if out.ok:
            course_auto.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(box_auto, course_auto, symlinks=True)
        else:
            record_zero(t.course_db, t.assignment, self.student, t.course_id, timestamp)
        out.score, out.max_score = score_of(t.course_db, t.assignment, self.student, t.course_id)
        rmtree_hard(self.box.parent)
        return out


class ClassGrader:
    def __init__(self, course, assignment, timeout, memory_mb, fsize_mb, nproc, jobs,
                 cell_timeout=None, students=None):
        self.course = Path(course).resolve()
        self.assignment = assignment
        self.timeout, self.jobs, self.cell_timeout = timeout, max(1, jobs), cell_timeout
        self.course_db = self.course / "gradebook.db"
        self.limits = kernel_limits(memory_mb, fsize_mb, nproc)
        # nbgrader itself holds every output of the kernel until the notebook is done: a cell
        # that prints without end must crash that grader, not fill the machine's memory
        self.grader_as = (int(memory_mb) + 4096) * 2**20 if memory_mb else None
        self.only = students
        self.logdir = self.course / "autograde_logs" / assignment

    def limit_grader(self):
        """preexec_fn of the nbgrader process: its own address-space limit (POSIX only)."""
        if self.grader_as is None:
            return
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        value = self.grader_as if hard == resource.RLIM_INFINITY else min(self.grader_as, hard)
        resource.setrlimit(resource.RLIMIT_AS, (value, value))

    def check(self):
        if not (self.course / "source" / self.assignment).is_dir():
            return f"no source/{self.assignment} in {self.course}"
        if not self.course_db.exists():
            return f"no gradebook.db in {self.course}: run `nbgrader generate_assignment " \
                   f"{self.assignment}` first"
        self.course_id = course_id_of(self.course_db, self.assignment)
        if self.course_id is None:
            return f"assignment {self.assignment!r} is not in gradebook.db: run `nbgrader " \
                   f"generate_assignment {self.assignment}` first"
        return None

    def students(self):
        sub = self.course / "submitted"
        found = sorted(p.name for p in sub.iterdir()
                       if not p.name.startswith(".") and (p / self.assignment).is_dir()) \
            if sub.is_dir() else []
        if self.only:
            missing = [s for s in self.only if s not in found]
            return [s for s in found if s in self.only], missing
        return found, []

    def run(self, students, report=print):
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.workroot = Path(tempfile.mkdtemp(prefix="autograde-class-"))
        jpath = self.workroot / "jupyter"
        write_grader_kernelspec(jpath, self.limits)
        self.env = dict(os.environ)
        self.env["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [str(jpath), os.environ.get("JUPYTER_PATH")]))
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        become_subreaper()
        todo, running, outcomes = list(students), [], []
        try:
            while todo or running:
                while todo and len(running) < self.jobs:
                    running.append(Grader(self, todo.pop(0)).start())
                time.sleep(0.1)
                sweep_orphans({g.proc.pid for g in running})
                for g in [g for g in running if g.poll()]:
                    running.remove(g)
                    out = g.finish()
                    outcomes.append(out)
                    report(format_line(out))
        finally:
            for g in running:
                kill_tree(g.proc.pid)
            sweep_orphans(set())
            rmtree_hard(self.workroot)
        return outcomes


def format_line(o):
    head = f"{o.student:<24} {o.score:6g} / {o.max_score:g}  {o.seconds:6.1f} s"
    if o.ok:
        return head
    return f"{head}  FAILED: {o.status}: {o.detail} (recorded as 0; log {o.log})"


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Autograde every submitted student of ASSIGNMENT, each in its own sandboxed "
                    "nbgrader process with resource limits.")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="nbgrader course directory (default: .)")
    p.add_argument("--timeout", type=float, default=DEFAULTS["timeout"],
                   help="wall-clock seconds per student (default %(default)s)")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help="per-cell limit in seconds (default: nbgrader_config's Execute.timeout)")
    p.add_argument("--memory-mb", type=int, default=DEFAULTS["memory_mb"],
                   help="address-space limit of a grading kernel, MiB; 0 = none "
                        "(default %(default)s)")
    p.add_argument("--fsize-mb", type=int, default=DEFAULTS["fsize_mb"],
                   help="largest file a kernel may write, MiB; 0 = none (default %(default)s)")
    p.add_argument("--nproc", type=int, default=DEFAULTS["nproc"],
                   help="processes/threads a kernel may add (RLIMIT_NPROC, per user; ignored "
                        "for root); 0 = none (default %(default)s)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="students graded at once (default: one per CPU, as far as memory "
                        "holds --memory-mb + 512 MiB for each)")
    p.add_argument("--students", default=None,
                   help="comma-separated student ids (default: every submitted/<id>/ASSIGNMENT)")
    return p.parse_args(argv)


def default_jobs(memory_mb):
    """One job per CPU, but no more than the RAM holds at memory_mb + 512 MiB (nbgrader) each."""
    cpus = os.cpu_count() or 1
    try:
        ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return 1
    per_job = (memory_mb or DEFAULTS["memory_mb"]) + 512
    return max(1, min(cpus, ram_mb // per_job))


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", module="sqlalchemy")  # nbgrader's own autoflush warnings
    warnings.filterwarnings("ignore", message=".*not in session.*")
    only = [s.strip() for s in args.students.split(",") if s.strip()] if args.students else None
    jobs = args.jobs if args.jobs else default_jobs(args.memory_mb)
    tool = ClassGrader(args.course, args.assignment, args.timeout, args.memory_mb,
                       args.fsize_mb, args.nproc, jobs, args.cell_timeout, only)
    problem = tool.check()
    if problem:
        print(f"autograde_class: {problem}", file=sys.stderr)
        return 2
    students, missing = tool.students()
    if missing:
        print(f"autograde_class: no submitted/<id>/{args.assignment} for: "
              f"{', '.join(missing)}", file=sys.stderr)
        return 2
    if not students:
        print(f"autograde_class: nobody submitted {args.assignment} "
              f"(no {tool.course}/submitted/<id>/{args.assignment}/)", file=sys.stderr)
        return 2
    print(f"autograding {args.assignment}: {len(students)} students, {tool.jobs} at a time, "
          f"{args.timeout:g} s and {args.memory_mb} MiB each", flush=True)
    start = time.monotonic()
    outcomes = tool.run(students, report=lambda line: print(line, flush=True))
    wall = time.monotonic() - start
    failed = [o for o in outcomes if not o.ok]
    print(f"graded {len(outcomes) - len(failed)} of {len(outcomes)} students in {wall:.1f} s "
          f"({wall / max(1, len(outcomes)):.1f} s per student)")
    if failed:
        print(f"FAILED: {len(failed)} of {len(outcomes)} students could not be graded and are "
              f"recorded with 0: " + ", ".join(f"{o.student} ({o.status})" for o in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
