"""A long-lived grading worker: nbgrader imported once, one student after another.

    python tools/grading/worker.py COURSE ASSIGNMENT WORKER_DB [--set Class.trait=value ...]

Reads one student id per line on stdin; for each, runs nbgrader's Autograde converter in this
process (the course's nbgrader_config.py, loaded once) into WORKER_DB, the worker's own copy of
the gradebook, with the student's log in `autograde_logs/<assignment>/<student>.log`; then
writes one JSON line on stdout: {"student", "ok", "error", "record"} where record is what
SandboxedExecute left in the autograded notebooks (execute.grading_record). The student's code
runs in the sandboxed runner that SandboxedExecute starts, never in this process; only a fresh
runner per student is paid, not a new Python with nbgrader, nor a gradebook copy; and what
nbgrader would redo for every student (its metadata schema check, a database engine per
gradebook open) is done once, and its commits to the scratch copy do not wait for the disk
(speedups.py).
"""
import json
import logging
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "grading"  # noqa: A001  (run as a script: the package's relative imports)

from grading import speedups  # noqa: E402
from grading.execute import grading_record  # noqa: E402


def load_config(course, overrides):
    from traitlets.config import Config
    from traitlets.config.loader import KVArgParseConfigLoader, PyFileConfigLoader

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


def grade_one(cfg, course, assignment, student, db, logdir):
    """Autograde one student in this process; -> (ok, error text)."""
    import nbformat
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import NbGraderException
    from nbgrader.coursedir import CourseDirectory

    cfg = cfg.copy()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.db_url = f"sqlite:///{db}"
    cfg.CourseDirectory.assignment_id = assignment
    cfg.CourseDirectory.student_id = student
    cfg.Autograde.force = True
    logfile = Path(logdir) / f"{student}.log"
    handler = logging.FileHandler(logfile, mode="w")
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    loggers = [logging.getLogger(n) for n in ("traitlets", "nbgrader", "")]
    for lg in loggers:
        lg.addHandler(handler)
    logging.getLogger("traitlets").setLevel(logging.INFO)
    ok, error = True, ""
    try:
        coursedir = CourseDirectory(config=cfg)
        converter = Autograde(coursedir=coursedir, config=cfg)
        converter.log = logging.getLogger("traitlets")
        converter.start()
    except NbGraderException as exc:
        ok, error = False, str(exc) or "nbgrader reported a failure"
    except Exception as exc:  # the worker must survive any one student
        ok, error = False, f"{type(exc).__name__}: {exc}"
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
        handler.close()
    record = {}
    auto = Path(course) / "autograded" / student / assignment
    for nb_path in sorted(auto.glob("*.ipynb")):
        try:
            record[nb_path.name] = grading_record(nbformat.read(nb_path, as_version=4))
        except Exception:
            pass
    return ok, error, record


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
    speedups.install(scratch=[f"sqlite:///{args.db}"])  # the tool made it a WAL copy
    logdir = Path(args.course) / "autograde_logs" / args.assignment
    logdir.mkdir(parents=True, exist_ok=True)
    out = sys.stdout
    sys.stdout = sys.stderr  # nbgrader's prints must not mix with the answers
    print(json.dumps({"ready": True}), file=out, flush=True)
    for line in sys.stdin:
        student = line.strip()
        if not student:
            continue
        ok, error, record = grade_one(cfg, args.course, args.assignment, student, args.db, logdir)
        print(json.dumps({"student": student, "ok": ok, "error": error, "record": record}),
              file=out, flush=True)


if __name__ == "__main__":
    main()
