#!/usr/bin/env python3
"""Throughput of grading a class: plain `nbgrader autograde` (serial) against
tools/autograde_class.py with --jobs 1 and --jobs 2, on the same class, side by side.

    python benchmarks/bench_grading.py [-n 16] [--assignment sram_accounting] [--jobs 1,2]
                                       [--repeat 1] [--class-size 300]

Fabricates two classes of ASSIGNMENT in throwaway courses, N/2 and N students (a third each: the
reference solutions, the release untouched, the solutions with their first answer cell left as
released), and grades each with `nbgrader autograde ASSIGNMENT` and with the tool for each
--jobs value (R times with --repeat). It prints each run's wall clock, and the throughput of
each command: the extra students of the large class over the extra seconds they took, which
leaves out what a command pays once (starting Python, importing nbgrader, the first notebook),
as a 300-student class does; then each tool run's throughput relative to plain nbgrader (the
targets: --jobs 1 >= 1.0x, --jobs 2 >= 1.8x on 2 cores). Every run must give every student the
same score (solved = max, untouched = 0). Both commands sandbox every student (the course's
SandboxedExecute). Wall clock: run it on a quiet machine.
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


def grade(course, assignment, command):
    """Seconds to grade the course with `command` ("nbgrader" or a --jobs value)."""
    start = time.perf_counter()
    if command == "nbgrader":
        course.autograde(assignment)
    else:
        step = autograde_class(course, assignment, "--jobs", command, timeout=None)
        if step.returncode != 0:
            print(step.output[-3000:])
            raise SystemExit(f"autograde_class.py exited {step.returncode}")
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=16, help="students of the large class (default 16)")
    p.add_argument("--assignment", default="sram_accounting")
    p.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    p.add_argument("--repeat", type=int, default=1, help="runs per command (default 1)")
    p.add_argument("--class-size", type=int, default=300, help="extrapolate to (default 300)")
    args = p.parse_args(argv)
    ensure_hermetic()
    commands = ["nbgrader"] + args.jobs.split(",")
    sizes = [args.n // 2, args.n]
    print(f"{os.cpu_count()} CPUs; classes of {sizes[0]} and {sizes[1]} students of "
          f"{args.assignment}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        courses, kinds, runs = {}, {}, []
        for n in sizes:
            courses[n] = Course.from_assignments(Path(tmp) / f"n{n}", names=[args.assignment])
            kinds[n] = fabricate(courses[n], args.assignment, n)
        max_score = sum(courses[sizes[1]].max_scores(args.assignment).values())
        print(f"{'command':<22} {'students':>8} {'wall s':>7}")
        seconds = {}
        for command in commands:
            label = "nbgrader autograde" if command == "nbgrader" else f"autograde_class -j {command}"
            for _ in range(args.repeat):
                for n in sizes:
                    t = grade(courses[n], args.assignment, command)
                    seconds.setdefault((command, n), []).append(t)
                    runs.append((n, scores_of(courses[n], args.assignment)))
                    print(f"{label:<22} {n:>8} {t:>7.1f}", flush=True)
        rate = {c: (sizes[1] - sizes[0]) / max(1e-9, min(seconds[(c, sizes[1])]) -
                                               min(seconds[(c, sizes[0])])) for c in commands}
        print(f"\n{'command':<22} {'students/s':>10} {'vs plain':>8}  {args.class_size} students")
        for c in commands:
            label = "nbgrader autograde" if c == "nbgrader" else f"autograde_class -j {c}"
            print(f"{label:<22} {rate[c]:>10.2f} {rate[c] / rate['nbgrader']:>7.2f}x  "
                  f"{args.class_size / rate[c] / 60:>5.1f} min")
        for c in commands[1:]:
            print(f"throughput --jobs {c} / plain nbgrader: {rate[c] / rate['nbgrader']:.2f}x")
        same = all(r == next(r2 for n2, r2 in runs if n2 == n) for n, r in runs)
        right = all(r[s] == max_score for n, r in runs for s, k in kinds[n].items()
                    if k == "solved") and \
            all(r[s] == 0 for n, r in runs for s, k in kinds[n].items() if k == "untouched")
        print(f"scores identical across all {len(runs)} runs of each class: {same}; "
              f"solved = {max_score:g}, untouched = 0: {right}")
        return 0 if same and right else 1


if __name__ == "__main__":
    sys.exit(main())
