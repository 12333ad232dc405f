#!/usr/bin/env python3
"""Throughput of grading a class: plain `nbgrader autograde` (serial) against
tools/autograde_class.py with --jobs 1 and --jobs 2, on the same class, side by side.

    python benchmarks/bench_grading.py [-n 16] [--assignment sram_accounting] [--jobs 1,2]
                                       [--repeat 1] [--class-size 300]

Fabricates N submissions of ASSIGNMENT in a throwaway course (a third each: the reference
solutions, the release untouched, the solutions with their first answer cell left as released),
times `nbgrader autograde ASSIGNMENT` once and the tool once per --jobs value (R times with
--repeat), checks every run gives every student the same score (solved = max, untouched = 0),
and prints students per minute and each run's throughput relative to plain nbgrader (the
targets: --jobs 1 >= 1.0x, --jobs 2 >= 1.8x on 2 cores). Both commands sandbox every student
(nbgrader_config.py's SandboxedExecute). Wall clock: run it on a quiet machine.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.env import ensure_hermetic  # noqa: E402
from harness.nbgrader_pipeline import (Course, autograde_class, solved_submission,  # noqa: E402
                                       untouched_submission, with_solution)


def fabricate(course, assignment, n):
    """{student: kind} after writing n submissions into course/submitted."""
    course.generate_assignment(assignment)
    solved = solved_submission(course, assignment)
    untouched = untouched_submission(course, assignment)
    wrong = {}
    for name, nb in solved.items():
        first = next(c for c in untouched[name].cells
                     if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
        wrong[name] = with_solution(nb, first.metadata["nbgrader"]["grade_id"], first.source)
    kinds = ["solved", "untouched", "wrong"]
    students = {f"student{i:03d}": kinds[i % 3] for i in range(n)}
    by_kind = {"solved": solved, "untouched": untouched, "wrong": wrong}
    course.submit(assignment, {s: by_kind[k] for s, k in students.items()})
    return students


def scores_of(course, assignment):
    return {s: sum(v.values()) for s, v in course.scores(assignment).items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=16, help="students (default 16)")
    p.add_argument("--assignment", default="sram_accounting")
    p.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    p.add_argument("--repeat", type=int, default=1, help="tool runs per --jobs value")
    p.add_argument("--class-size", type=int, default=300, help="extrapolate to (default 300)")
    args = p.parse_args(argv)
    ensure_hermetic()
    jobs = [int(j) for j in args.jobs.split(",")]
    print(f"{os.cpu_count()} CPUs; {args.n} students of {args.assignment}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = Course.from_assignments(tmp, names=[args.assignment])
        students = fabricate(course, args.assignment, args.n)
        max_score = sum(course.max_scores(args.assignment).values())
        print(f"{'command':<22} {'total s':>8} {'s/student':>9} {'ratio':>6}  "
              f"{args.class_size} students")
        runs = []

        def row(label, seconds, base):
            per = seconds / args.n
            ratio = base / seconds if base else 1.0
            print(f"{label:<22} {seconds:>8.1f} {per:>9.2f} {ratio:>5.2f}x  "
                  f"{per * args.class_size / 60:>5.1f} min", flush=True)
            return ratio

        start = time.perf_counter()
        step = course.autograde(args.assignment)
        plain = time.perf_counter() - start
        runs.append(scores_of(course, args.assignment))
        row("nbgrader autograde", plain, None)
        ratios = {}
        for j in jobs:
            for _ in range(args.repeat):
                start = time.perf_counter()
                step = autograde_class(course, args.assignment, "--jobs", j, timeout=None)
                seconds = time.perf_counter() - start
                if step.returncode != 0:
                    print(step.output[-3000:])
                    raise SystemExit(f"autograde_class.py exited {step.returncode}")
                runs.append(scores_of(course, args.assignment))
                ratios.setdefault(j, []).append(row(f"autograde_class -j {j}", seconds, plain))
        first = runs[0]
        same = all(r == first for r in runs)
        right = all(first[s] == max_score for s, k in students.items() if k == "solved") and \
            all(first[s] == 0 for s, k in students.items() if k == "untouched")
        for j, rs in ratios.items():
            print(f"throughput --jobs {j} / plain nbgrader: {min(rs):.2f}x (worst of {len(rs)})")
        print(f"scores identical across all {len(runs)} runs: {same}; "
              f"solved = {max_score:g}, untouched = 0: {right}")
        return 0 if same and right else 1


if __name__ == "__main__":
    sys.exit(main())
