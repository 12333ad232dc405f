"""Grade a class: every submitted student of an assignment, a few at a time, none able to harm
another (the scheduler behind `tinyml-course-grade`, grade_command.py).

Each student goes to one of `jobs` long-lived workers (grading_worker.py: nbgrader imported
once, its own gradebook copy), which checks the submission folder and runs nbgrader's Autograde,
whose SandboxedExecute runs the student's code in a fresh sandboxed runner and decides the
checked cells outside it. The scheduler copies that student's gradebook rows into the course's
gradebook (the only writer), records a student who could not be graded with 0 on every cell
and the typed Failure the worker sent (or its own: out of time, the worker died), and writes
the grading report `reports/<assignment>.json` (grading_report.py).
"""
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import gradebook_merge as gradebook
from . import grading_report, messages, nbgrader_speedups, process_tree
from .limits import SANDBOX_UID_BASE, TOOL_MARGIN_SECONDS
from .messages import Failure, FailureKind, WorkerAnswer, WorkerTask

WORKER = "tinyml_course_grading.grading_worker"
DIED = object()  # the answer of a worker that ended


@dataclass
class Outcome:
    """What the class scheduler records for one student."""
    student: str
    failure: Failure = None  # None: graded
    seconds: float = 0.0
    score: float = 0.0
    max_score: float = 0.0
    log: Path = None
    notes: str = ""
    records: dict = None     # notebook file -> GradingRecord (grading_report.py)

    @property
    def ok(self):
        return self.failure is None

    @property
    def status(self):
        return "graded" if self.failure is None else self.failure.kind.value

    @property
    def detail(self):
        return "" if self.failure is None else self.failure.detail


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
        cmd = [sys.executable, "-m", WORKER, str(tool.course), tool.assignment, str(self.db)]
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
        self.proc.stdin.write(messages.dumps(WorkerTask(student)) + "\n")
        self.proc.stdin.flush()

    def accept(self, line):
        """Take one line of the worker's output (None: it ended); the ready line and lines
        that are no WorkerAnswer are not answers."""
        if line is None:
            self.answer = self.answer or DIED
            return
        try:
            msg = messages.loads(WorkerAnswer, line)
        except messages.MessageError:
            return
        if msg.student == self.student and self.student is not None:
            self.answer = msg

    def result(self):
        """The worker's WorkerAnswer for the current student, DIED, or None while it works."""
        return self.answer

    def stop(self):
        process_tree.kill_tree(self.proc.pid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.errlog.close()


class ClassGrader:
    """One assignment's class: `check()` the course, `students()`, then `run(students)`."""

    def __init__(self, course, assignment, timeout, memory_mb, fsize_mb, nproc, jobs,
                 cell_timeout=None, students=None, sandbox_mode="required"):
        self.course = Path(course).resolve()
        self.assignment = assignment
        self.timeout, self.jobs = timeout, max(1, jobs)
        self.course_db = self.course / "gradebook.db"
        self.only = students
        self.logdir = self.course / "autograde_logs" / assignment
        # the runner must finish before the tool gives up on the student
        run_timeout = max(5, int(timeout - TOOL_MARGIN_SECONDS))
        self.sandbox_mode = sandbox_mode
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

    def canary(self):
        """canary.canary under this class's config and limits: None, or why it cannot grade
        (an exception hidden_checks.py raises at import is such a reason too, in one line)."""
        from .canary import canary
        from .grading_worker import load_config
        from .nbgrader_execute import SandboxedExecute

        cfg = load_config(self.course, self.overrides)
        cfg.CourseDirectory.root = str(self.course)
        try:
            return canary(SandboxedExecute(config=cfg), self.assignment)
        except Exception as exc:  # reported, and nothing is graded
            return f"{type(exc).__name__}: {exc}"

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
        process_tree.become_subreaper()
        todo, outcomes, workers = list(students), [], []
        idle, events = [], queue.Queue()
        try:
            while todo and len(workers) < self.jobs:  # first: they import nbgrader meanwhile
                w = Worker(self, len(workers), events)
                workers.append(w)
                idle.append(w)
            from nbgrader.api import Gradebook
            nbgrader_speedups.install()  # one engine per worker's gradebook copy, not one per merge
            self.gb = Gradebook(f"sqlite:///{self.course_db}", self.course_id)
            busy = []

            def dispatch():  # the next students to the idle workers
                while todo and idle:
                    student = todo.pop(0)
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
                process_tree.sweep_orphans({w.proc.pid for w in workers})
                for w in list(busy):
                    msg = w.result()
                    late = time.monotonic() - w.started > self.timeout
                    if msg is None and not late:
                        continue
                    busy.remove(w)
                    job = Job(w.student, time.monotonic() - w.started, w)
                    if msg is None or msg is DIED:
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
            process_tree.sweep_orphans(set())
            process_tree.rmtree_hard(self.workroot)
        self.report = grading_report.build(self.course, self.assignment, outcomes,
                                           self.sandbox_mode)
        self.report_path = grading_report.write(self.course, self.assignment, self.report)
        return outcomes

    def fail(self, student, failure, seconds, log=None):
        submitted = self.course / "submitted" / student / self.assignment
        auto = self.course / "autograded" / student / self.assignment
        if auto.exists() or auto.is_symlink():
            process_tree.rmtree_hard(auto)
        gradebook.record_zero(self.gb, self.assignment, student, self.course_id,
                              gradebook.read_timestamp(submitted))
        out = Outcome(student, failure, seconds, log=log or self.logdir / f"{student}.log")
        out.score, out.max_score = gradebook.score_of(self.gb, self.assignment, student,
                                                      self.course_id)
        return out

    def finish(self, job, msg):
        """Record the student of `job` from the worker's answer `msg` (None: out of time;
        DIED: the worker ended) -> Outcome."""
        w, student, seconds = job.worker, job.student, job.seconds
        logfile = self.logdir / f"{student}.log"
        if msg is None:
            return self.fail(student, Failure(FailureKind.TIMEOUT, "grading ran past "
                                              f"{self.timeout:g} s"), seconds, logfile)
        if msg is DIED:
            rc = w.proc.poll()
            return self.fail(student, Failure(FailureKind.CRASHED, "the grading worker died "
                                              f"(exit status {rc})"), seconds, logfile)
        if msg.failure is not None:
            return self.fail(student, msg.failure, seconds, logfile)
        reason = gradebook.merge_student(w.db, self.gb, self.assignment, student,
                                         self.course_id)
        if reason:
            return self.fail(student, Failure(FailureKind.ERROR, reason), seconds, logfile)
        out = Outcome(student, seconds=seconds, log=logfile, records=msg.records)
        out.score, out.max_score = gradebook.score_of(self.gb, self.assignment, student,
                                                      self.course_id)
        entry, _ = grading_report.student_entry(msg.records)
        notes = []
        if entry["integrity"]:
            notes.append(f"no credit (uses the reference): {', '.join(entry['integrity'])}")
        if entry["flagged"]:
            notes.append(f"flagged as similar to the package's source: {', '.join(entry['flagged'])}")
        out.notes = "; ".join(notes)
        return out


def format_line(o):
    """The student's summary line: score, seconds, NOTE: or FAILED: and why."""
    head = f"{o.student:<24} {o.score:6g} / {o.max_score:g}  {o.seconds:6.1f} s"
    if o.ok:
        return head + (f"  NOTE: {o.notes}" if o.notes else "")
    return f"{head}  FAILED: {o.status}: {o.detail} (recorded as 0; log {o.log})"
