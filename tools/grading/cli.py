"""Grade a class: every submitted student of an assignment, a few at a time, none able to harm
another. `python tools/autograde_class.py ASSIGNMENT [options]` (run in the course directory).

For each student the tool first checks the submission folder (a notebook present, no symbolic
links: a link to the instructor's source would be graded as the source), then hands the student
to one of `--jobs` long-lived workers (worker.py: nbgrader imported once, its own gradebook
copy). The worker runs nbgrader's Autograde, whose SandboxedExecute runs the student's code in
a fresh sandboxed runner and decides the checked cells outside it. The tool copies that
student's gradebook rows into the course's gradebook (the only writer), records a student
whose grading failed with 0 on every cell and names the reason, prints one line per student,
and writes the grading report `reports/<assignment>.json` (report.py).

Exit status: 0 when every student was graded, 1 when some could not be (recorded with 0; the
last line names them), 2 on bad usage (one line on stderr).
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import gradebook, processes, sandbox, speedups  # light: nbgrader is imported later

WORKER = Path(__file__).resolve().parent / "worker.py"
SANDBOX_UID_BASE = 64000  # worker i runs student code as uid 64000 + i (a root grader)
DEFAULTS = {"timeout": 600, "memory_mb": 4096, "fsize_mb": 256, "nproc": 256}


@dataclass
class Outcome:
    student: str
    status: str = "graded"   # graded | timeout | crashed | kernel died | invalid notebook |
    detail: str = ""         #   invalid submission | no notebook | error
    seconds: float = 0.0
    score: float = 0.0
    max_score: float = 0.0
    log: Path = None
    notes: str = ""
    record: dict = None      # what SandboxedExecute left per notebook (report.py)

    @property
    def ok(self):
        return self.status == "graded"


def precheck(folder):
    """Why a submission folder cannot be graded as it is, or None."""
    folder = Path(folder)
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            return "invalid submission", f"{path.relative_to(folder.parent)} is a symbolic link"
    if not any(folder.glob("*.ipynb")):
        return "no notebook", "no .ipynb in the submission folder"
    return None


def classify(error, log, record):
    """(status, detail) of a student the worker could not grade, or whose run failed."""
    text = f"{error}\n{log}"
    problems = [ln.split("NotebookNotRun: ", 1)[1].strip() for ln in text.splitlines()
                if "NotebookNotRun: " in ln]
    if problems:
        status = "timeout" if ("ran past" in problems[0] or "time limit" in problems[0]) \
            else "kernel died"
        return status, problems[0]
    if any(m in text for m in ("NotJSONError", "does not appear to be JSON",
                               "NotebookValidationError", "ValidationError", "Notebook JSON")):
        return "invalid notebook", "the submitted file is not a valid notebook"
    if "exists multiple times" in text:  # nbgrader then blames "an old metadata format"
        line = next(ln for ln in text.splitlines() if "exists multiple times" in ln)
        cell = line.split("'")[1] if line.count("'") >= 2 else "?"
        return "invalid notebook", f"the graded cell {cell!r} appears more than once"
    if error:
        return "error", error.strip().splitlines()[-1][:200]
    return None


@dataclass
class Job:
    """A student a worker answered for (or gave up on): what finish() records."""
    student: str
    seconds: float
    worker: "Worker"


class Worker:
    def __init__(self, tool, index, events):
        self.tool, self.index, self.events = tool, index, events
        self.db = tool.workroot / f"worker{index}.db"
        gradebook.copy_db(tool.course_db, self.db, wal=True)
        self.answer = None
        self.errlog = open(tool.workroot / f"worker{index}.err", "a")
        cmd = [sys.executable, str(WORKER), str(tool.course), tool.assignment, str(self.db)]
        cmd += [f"--set={s}" for s in tool.overrides]
        cmd.append(f"--set=SandboxedExecute.uid={SANDBOX_UID_BASE + index % 1000}")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errlog, text=True, cwd=tool.course,
                                     env=tool.env, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.student, self.started = None, None

    def _read(self):  # a thread: every line wakes the tool at once (no polling delay)
        for line in self.proc.stdout:
            self.events.put((self, line))
        self.events.put((self, None))

    def submit(self, student):
        self.student, self.started, self.answer = student, time.monotonic(), None
        self.proc.stdin.write(student + "\n")
        self.proc.stdin.flush()

    def accept(self, line):
        """Take one line of the worker's output (None: it ended)."""
        if line is None:
            self.answer = self.answer or "died"
            return
        try:
            msg = json.loads(line)
        except ValueError:
            return
        if msg.get("student") == self.student and self.student is not None:
            self.answer = msg

    def result(self):
        """The worker's answer for the current student, "died", or None while it works."""
        return self.answer

    def stop(self):
        processes.kill_tree(self.proc.pid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.errlog.close()


class ClassGrader:
    def __init__(self, course, assignment, timeout, memory_mb, fsize_mb, nproc, jobs,
                 cell_timeout=None, students=None, sandbox_mode="auto"):
        self.course = Path(course).resolve()
        self.assignment = assignment
        self.timeout, self.jobs = timeout, max(1, jobs)
        self.course_db = self.course / "gradebook.db"
        self.only = students
        self.logdir = self.course / "autograde_logs" / assignment
        # the runner must finish before the tool gives up on the student
        run_timeout = max(5, int(timeout) - 5)
        self.overrides = [f"SandboxedExecute.run_timeout={run_timeout}",
                          f"SandboxedExecute.memory_mb={int(memory_mb or 0)}",
                          f"SandboxedExecute.fsize_mb={int(fsize_mb or 0)}",
                          f"SandboxedExecute.nproc={int(nproc or 0)}",
                          f"SandboxedExecute.sandbox=\"{sandbox_mode}\""]
        if cell_timeout:
            self.overrides.append(f"SandboxedExecute.timeout={int(cell_timeout)}")

    def check(self):
        if not (self.course / "source" / self.assignment).is_dir():
            return f"no source/{self.assignment} in {self.course}"
        if not self.course_db.exists():
            return f"no gradebook.db in {self.course}: run `nbgrader generate_assignment " \
                   f"{self.assignment}` first"
        self.course_id = gradebook.course_id_of(self.course_db, self.assignment)
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

    def run(self, students, report_line=print):
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.workroot = Path(tempfile.mkdtemp(prefix="autograde-class-"))
        self.env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        processes.become_subreaper()
        todo, outcomes, workers = list(students), [], []
        idle, events = [], queue.Queue()
        try:
            while todo and len(workers) < self.jobs:  # first: they import nbgrader meanwhile
                w = Worker(self, len(workers), events)
                workers.append(w)
                idle.append(w)
            from nbgrader.api import Gradebook
            speedups.install()  # one engine per worker's gradebook copy, not one per merge
            self.gb = Gradebook(f"sqlite:///{self.course_db}", self.course_id)
            busy = []

            def dispatch():  # the next students to the idle workers (refused ones recorded)
                while todo and idle:
                    student = todo.pop(0)
                    refused = precheck(self.course / "submitted" / student / self.assignment)
                    if refused:
                        record(self.fail(student, *refused, seconds=0.0))
                        continue
                    w = idle.pop(0)
                    w.submit(student)
                    busy.append(w)

            def record(out):
                outcomes.append(out)
                report_line(format_line(out))

            while todo or busy:
                dispatch()
                try:
                    who, line = events.get(timeout=0.25)
                    who.accept(line)
                except queue.Empty:
                    pass
                processes.sweep_orphans({w.proc.pid for w in workers})
                for w in list(busy):
                    msg = w.result()
                    late = time.monotonic() - w.started > self.timeout
                    if msg is None and not late:
                        continue
                    busy.remove(w)
                    job = Job(w.student, time.monotonic() - w.started, w)
                    if msg is None or msg == "died":
                        w.stop()  # before its student is recorded: nothing writes after
                        record(self.finish(job, msg))
                        workers.remove(w)  # a fresh worker replaces this one
                        w = Worker(self, w.index, events)
                        workers.append(w)
                        idle.append(w)
                        continue
                    # the worker starts its next student before this one is merged: the
                    # merge reads the worker's gradebook copy (WAL: it may write meanwhile)
                    idle.append(w)
                    dispatch()
                    record(self.finish(job, msg))
        finally:
            for w in workers:
                w.stop()
            if getattr(self, "gb", None) is not None:
                self.gb.close()
                self.gb = None
            processes.sweep_orphans(set())
            processes.rmtree_hard(self.workroot)
        from . import report
        self.report = report.build(self.course, self.assignment, outcomes)
        self.report_path = report.write(self.course, self.assignment, self.report)
        return outcomes

    def fail(self, student, status, detail, seconds, log=None):
        submitted = self.course / "submitted" / student / self.assignment
        auto = self.course / "autograded" / student / self.assignment
        if auto.exists() or auto.is_symlink():
            processes.rmtree_hard(auto)
        gradebook.record_zero(self.gb, self.assignment, student, self.course_id,
                              gradebook.read_timestamp(submitted))
        out = Outcome(student, status, detail, seconds, log=log or self.logdir / f"{student}.log")
        out.score, out.max_score = gradebook.score_of(self.gb, self.assignment, student,
                                                      self.course_id)
        return out

    def finish(self, job, msg):
        """Record the student of `job` from the worker's answer `msg` (None: out of time;
        "died": the worker ended) -> Outcome."""
        w, student, seconds = job.worker, job.student, job.seconds
        logfile = self.logdir / f"{student}.log"
        log = logfile.read_text(errors="replace") if logfile.exists() else ""
        if msg is None:
            return self.fail(student, "timeout", f"grading ran past {self.timeout:g} s",
                             seconds, logfile)
        if msg == "died":
            rc = w.proc.poll()
            return self.fail(student, "crashed", f"the grading worker died (exit status {rc})",
                             seconds, logfile)
        record = msg.get("record") or {}
        failure = classify(msg.get("error", "") if not msg.get("ok") else "", log, record)
        if failure:
            return self.fail(student, *failure, seconds, logfile)
        reason = gradebook.merge_student(w.db, self.gb, self.assignment, student,
                                         self.course_id)
        if reason:
            return self.fail(student, "error", reason, seconds, logfile)
        out = Outcome(student, seconds=seconds, log=logfile, record=record)
        out.score, out.max_score = gradebook.score_of(self.gb, self.assignment, student,
                                                      self.course_id)
        from .report import student_entry
        entry, _ = student_entry(record)
        notes = []
        if entry["integrity"]:
            notes.append(f"no credit (uses the reference): {', '.join(entry['integrity'])}")
        if entry["flagged"]:
            notes.append(f"flagged as similar to the package's source: {', '.join(entry['flagged'])}")
        out.notes = "; ".join(notes)
        return out


def format_line(o):
    head = f"{o.student:<24} {o.score:6g} / {o.max_score:g}  {o.seconds:6.1f} s"
    if o.ok:
        return head + (f"  NOTE: {o.notes}" if o.notes else "")
    return f"{head}  FAILED: {o.status}: {o.detail} (recorded as 0; log {o.log})"


def default_jobs(memory_mb):
    """One job per CPU, but no more than the RAM holds at memory_mb + 512 MiB each."""
    cpus = os.cpu_count() or 1
    try:
        ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return 1
    per_job = (memory_mb or DEFAULTS["memory_mb"]) + 512
    return max(1, min(cpus, ram_mb // per_job))


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="autograde_class.py",
        description="Autograde every submitted student of ASSIGNMENT, each student's code "
                    "sandboxed, several students at once.")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="nbgrader course directory (default: .)")
    p.add_argument("--timeout", type=float, default=DEFAULTS["timeout"],
                   help="wall-clock seconds per student (default %(default)s)")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help="per-cell limit in seconds (default: nbgrader_config's)")
    p.add_argument("--memory-mb", type=int, default=DEFAULTS["memory_mb"],
                   help="address-space limit of a student's code, MiB; 0 = none "
                        "(default %(default)s)")
    p.add_argument("--fsize-mb", type=int, default=DEFAULTS["fsize_mb"],
                   help="largest file a student's code may write, MiB (default %(default)s)")
    p.add_argument("--nproc", type=int, default=DEFAULTS["nproc"],
                   help="processes/threads of the sandbox user (default %(default)s)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="students graded at once (default: one per CPU, as RAM allows)")
    p.add_argument("--students", default=None,
                   help="comma-separated student ids (default: every submitted/<id>/ASSIGNMENT)")
    p.add_argument("--sandbox", choices=["auto", "required", "off"], default="auto",
                   help="auto: bubblewrap where available, else limits only (said once); "
                        "required: refuse to grade without it; off (default %(default)s)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    only = [s.strip() for s in args.students.split(",") if s.strip()] if args.students else None
    jobs = args.jobs if args.jobs else default_jobs(args.memory_mb)
    tool = ClassGrader(args.course, args.assignment, args.timeout, args.memory_mb,
                       args.fsize_mb, args.nproc, jobs, args.cell_timeout, only, args.sandbox)
    problem = tool.check()
    if problem:
        print(f"autograde_class: {problem}", file=sys.stderr)
        return 2
    ok, why = sandbox.available()
    if args.sandbox == "required" and not ok:
        print(f"autograde_class: --sandbox required, but {why}", file=sys.stderr)
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
    if args.sandbox == "off":
        print("sandbox: off (--sandbox off): student code runs with resource limits only")
    elif ok:
        print("sandbox: bubblewrap (read-only system, instructor files hidden, private /tmp, "
              "no network, own PID namespace)")
    else:
        print(f"sandbox: not available ({why}); student code runs with resource limits only")
    print(f"autograding {args.assignment}: {len(students)} students, {tool.jobs} at a time, "
          f"{args.timeout:g} s and {args.memory_mb} MiB each", flush=True)
    start = time.monotonic()
    outcomes = tool.run(students, report_line=lambda line: print(line, flush=True))
    wall = time.monotonic() - start
    from .report import attention_lines
    for line in attention_lines(tool.report):
        print(f"ATTENTION: {line}")
    print(f"report: {tool.report_path}")
    failed = [o for o in outcomes if not o.ok]
    print(f"graded {len(outcomes) - len(failed)} of {len(outcomes)} students in {wall:.1f} s "
          f"({wall / max(1, len(outcomes)):.1f} s per student)")
    if failed:
        print(f"FAILED: {len(failed)} of {len(outcomes)} students could not be graded and are "
              f"recorded with 0: " + ", ".join(f"{o.student} ({o.status})" for o in failed))
        return 1
    return 0
