#!/usr/bin/env python3
"""How long tools/autograde_class.py takes per student, and what 300 students would take.

    python benchmarks/bench_grading.py [-n 30] [--assignment takeaway_quiz] [--jobs 1,2]
                                       [--repeat 1]

Fabricates N submissions of ASSIGNMENT in a throwaway course (a third each: the reference
solution, the release untouched, the solution with its first answer cell left as released),
then times `autograde_class.py ASSIGNMENT --jobs J` end to end for each J. With --repeat R it
grades the class R times per J and checks that every run gives every student the same score
(and solved = max, untouched = 0): the evidence that parallel grading is reliable.
Wall clock, one machine: run it on a quiet one; the numbers scale with its cores.
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=30, help="students (default 30)")
    p.add_argument("--assignment", default="takeaway_quiz")
    p.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    p.add_argument("--repeat", type=int, default=1, help="runs per --jobs value (default 1)")
    p.add_argument("--class-size", type=int, default=300, help="extrapolate to (default 300)")
    args = p.parse_args(argv)
    ensure_hermetic()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                            os.environ.get("PYTHONPATH")]))
    jobs = [int(j) for j in args.jobs.split(",")]
    print(f"{os.cpu_count()} CPUs; {args.n} students of {args.assignment}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = Course.from_assignments(tmp, names=[args.assignment])
        students = fabricate(course, args.assignment, args.n)
        max_score = sum(course.max_scores(args.assignment).values())
        print(f"{'jobs':>4} {'run':>3} {'total s':>8} {'s/student':>9} "
              f"{args.class_size} students")
        runs = {}
        for j in jobs:
            for r in range(args.repeat):
                start = time.perf_counter()
                step = autograde_class(course, args.assignment, "--jobs", j, timeout=None)
                seconds = time.perf_counter() - start
                if step.returncode != 0:
                    print(step.output[-3000:])
                    raise SystemExit(f"autograde_class.py exited {step.returncode}")
                scores = {s: sum(v.values()) for s, v in course.scores(args.assignment).items()}
                runs[len(runs)] = scores
                per = seconds / args.n
                est = per * args.class_size
                print(f"{j:>4} {len(runs):>3} {seconds:>8.1f} {per:>9.2f} "
                      f"{est / 60:>6.1f} min", flush=True)
        first = next(iter(runs.values()))
        same = all(v == first for v in runs.values())
        right = all(first[s] == max_score for s, k in students.items() if k == "solved") and \
            all(first[s] == 0 for s, k in students.items() if k == "untouched")
        print(f"scores identical across all {len(runs)} runs: {same}; "
              f"solved = {max_score:g}, untouched = 0: {right}")
        return 0 if same and right else 1


if __name__ == "__main__":
    sys.exit(main())
