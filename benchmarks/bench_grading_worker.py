#!/usr/bin/env python3
"""Where one student's grading time goes in a worker: nbgrader's own work in the worker's
process against the sandboxed runner it starts, without and with speedups.py.

    python benchmarks/bench_grading_worker.py [--assignment sram_accounting] [-n 6] [--repeat 2]

Fabricates a class of N (as bench_grading.py does), then, in a fresh process per variant, grades
it with tinyml_course_grading.grading_worker's `grade_one` R times over (one warm-up student first; "as
nbgrader runs": a plain copy of the gradebook, nbgrader as it is; "with speedups.py": the WAL
copy and the speedups of a worker of tinyml-course-grade) and
prints per student the medians of: CPU seconds of the worker's own process (nbgrader, the
gradebook, the comparisons), CPU seconds of the runner and its sandbox (children's user+sys,
reaped as their subreaper) and wall seconds. CPU time is what compares on a shared machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))


def measure(course, assignment, repeat, speedups):
    """In this process: [(worker CPU s, runner CPU s, wall s)] per graded student."""
    from tinyml_course_grading import gradebook_merge as gradebook
    from tinyml_course_grading import grading_worker as worker
    from tinyml_course_grading import nbgrader_speedups as fast
    from tinyml_course_grading import process_tree as processes
    from bench_grading import children_cpu

    processes.become_subreaper()
    db = Path(course) / "worker.db"
    if db.exists():
        db.unlink()
    # as the class scheduler makes a worker's copy, and as grading_worker.py installs the speedups
    gradebook.copy_db(Path(course) / "gradebook.db", db, wal=speedups)
    if speedups:
        fast.install(scratch=[f"sqlite:///{db}"])
    cfg = worker.load_config(course, [])
    students = sorted(p.name for p in (Path(course) / "submitted").iterdir())
    logdir = Path(course) / "autograde_logs" / assignment
    logdir.mkdir(parents=True, exist_ok=True)
    worker.grade_one(cfg, course, assignment, students[0], db, logdir)  # warm: caches, imports
    rows = []
    for _ in range(repeat):
        for student in students:
            own, kids, wall = time.process_time(), children_cpu(), time.perf_counter()
            answer = worker.grade_one(cfg, course, assignment, student, db, logdir)
            if answer.failure is not None:
                raise SystemExit(f"{student}: {answer.failure.kind.value}: {answer.failure.detail}")
            rows.append((time.process_time() - own, children_cpu() - kids,
                         time.perf_counter() - wall))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--assignment", default="sram_accounting")
    p.add_argument("-n", type=int, default=6, help="students (default 6)")
    p.add_argument("--repeat", type=int, default=2, help="passes over the class (default 2)")
    p.add_argument("--inside", help=argparse.SUPPRESS)  # COURSE:0|1, one variant's process
    args = p.parse_args(argv)
    if args.inside:
        course, fast = args.inside.rsplit(":", 1)
        print(json.dumps(measure(course, args.assignment, args.repeat, fast == "1")))
        return 0
    from bench_grading import fabricate, uptime
    from harness.env import ensure_hermetic
    from harness.nbgrader_pipeline import Course
    ensure_hermetic()
    print(f"bench_grading_worker: {args.assignment}, {args.n} students x {args.repeat}; "
          f"{uptime()}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-worker-") as tmp:
        course = Course.from_assignments(tmp, names=[args.assignment])
        fabricate(course, args.assignment, args.n)
        print(f"{'worker':<22} {'own cpu s':>9} {'runner cpu s':>12} {'wall s':>7}  per student")
        for fast in (False, True):
            out = subprocess.run([sys.executable, __file__, "--assignment", args.assignment,
                                  "--repeat", str(args.repeat), f"--inside={course.root}:{int(fast)}"],
                                 cwd=course.root, capture_output=True, text=True, env=os.environ)
            if out.returncode:
                print(out.stdout[-2000:] + out.stderr[-2000:])
                return 1
            rows = json.loads(out.stdout.strip().splitlines()[-1])
            med = [statistics.median(r[i] for r in rows) for i in range(3)]
            print(f"{'with speedups.py' if fast else 'as nbgrader runs':<22} {med[0]:>9.3f} "
                  f"{med[1]:>12.3f} {med[2]:>7.2f}  (median of {len(rows)})")
    print(f"after: {uptime()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
