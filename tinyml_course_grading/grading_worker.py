"""A long-lived grading worker: nbgrader imported once, one student after another.

    python -m tinyml_course_grading.grading_worker COURSE ASSIGNMENT WORKER_DB [--set C.t=v ...]

started by class_scheduler.py. It prints one line `{"ready": true}`, then reads one
`messages.WorkerTask` per line on stdin; for each it checks the submission folder
(submission.py), runs nbgrader's Autograde in this process (the course's nbgrader_config.py,
loaded once) into WORKER_DB, the worker's own copy of the gradebook, with the student's log in
`autograde_logs/<assignment>/<student>.log`, and writes one `messages.WorkerAnswer` line on
stdout: the typed Failure when the student could not be graded (from the submission check, from
SandboxedExecute, or the exception nbgrader met), else the GradingRecord of every autograded
notebook. The student's code runs in the sandboxed runner SandboxedExecute starts, never here;
what nbgrader would redo for every student is done once (nbgrader_speedups.py).
"""
import json
import logging
import sys
from pathlib import Path

from . import messages, nbgrader_speedups, submission
from .messages import Failure, FailureKind, WorkerAnswer, WorkerTask
from .nbgrader_execute import NotebookNotRun, grading_record, take_failure


def load_config(course, overrides):
    """The course's nbgrader config plus ``overrides`` ("Class.trait=value", JSON values)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = Config()
    path = Path(course) / "nbgrader_config.py"
    if path.exists():
        cfg.merge(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
    for item in overrides:
        key, _, value = item.partition("=")
        cls, _, trait = key.rpartition(".")
        try:
            value = json.loads(value)
        except ValueError:
            pass
        cfg[cls][trait] = value
    return cfg


def _autograde_class():
    from nbgrader.converters import Autograde

    class Recorded(Autograde):
        """nbgrader's Autograde, keeping the exception of a notebook it could not convert."""
        seen = []

        def convert_single_notebook(self, notebook_filename):
            try:
                return super().convert_single_notebook(notebook_filename)
            except Exception as exc:
                Recorded.seen.append(exc)
                raise
    return Recorded


def grade_one(cfg, course, assignment, student, db, logdir):
    """Autograde one student in this process -> WorkerAnswer."""
    import nbformat
    from nbgrader.converters.base import NbGraderException
    from nbgrader.coursedir import CourseDirectory

    refused = submission.problem(Path(course) / "submitted" / student / assignment)
    if refused:
        return WorkerAnswer(student, refused)
    cfg = cfg.copy()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.db_url = f"sqlite:///{db}"
    cfg.CourseDirectory.assignment_id = assignment
    cfg.CourseDirectory.student_id = student
    cfg.Autograde.force = True
    handler = logging.FileHandler(Path(logdir) / f"{student}.log", mode="w")
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    loggers = [logging.getLogger(n) for n in ("traitlets", "nbgrader", "")]
    for lg in loggers:
        lg.addHandler(handler)
    logging.getLogger("traitlets").setLevel(logging.INFO)
    Autograde = _autograde_class()
    Autograde.seen = []
    failure = None
    take_failure(student)
    try:
        converter = Autograde(coursedir=CourseDirectory(config=cfg), config=cfg)
        converter.log = logging.getLogger("traitlets")
        converter.start()
    except NbGraderException:
        failure = take_failure(student)
        if failure is None:
            exc = next((e for e in Autograde.seen if not isinstance(e, NotebookNotRun)), None)
            failure = Failure(FailureKind.ERROR, f"{type(exc).__name__}: {exc}"[:300]
                              if exc else "nbgrader reported a failure (see the log)")
    except Exception as exc:  # the worker must survive any one student
        failure = Failure(FailureKind.ERROR, f"{type(exc).__name__}: {exc}"[:300])
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
        handler.close()
    if failure is not None:
        return WorkerAnswer(student, failure)
    records = {}
    for nb_path in sorted((Path(course) / "autograded" / student / assignment).glob("*.ipynb")):
        record = grading_record(nbformat.read(nb_path, as_version=4))
        if record is not None:
            records[nb_path.name] = record
    return WorkerAnswer(student, None, records)


def main(argv=None):
    import argparse
    import warnings

    p = argparse.ArgumentParser()
    p.add_argument("course")
    p.add_argument("assignment")
    p.add_argument("db")
    p.add_argument("--set", action="append", default=[])
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    cfg = load_config(args.course, args.set)
    nbgrader_speedups.install(scratch=[f"sqlite:///{args.db}"])  # the scheduler made it a WAL copy
    logdir = Path(args.course) / "autograde_logs" / args.assignment
    logdir.mkdir(parents=True, exist_ok=True)
    out = sys.stdout
    sys.stdout = sys.stderr  # nbgrader's prints must not mix with the answers
    print(json.dumps({"ready": True}), file=out, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        task = messages.loads(WorkerTask, line)
        answer = grade_one(cfg, args.course, args.assignment, task.student, args.db, logdir)
        print(messages.dumps(answer), file=out, flush=True)


if __name__ == "__main__":
    main()
