"""`tinyml-course-grade ASSIGNMENT [options]`: autograde a class from its course directory.

    cd assignments                          # the nbgrader course directory
    nbgrader generate_assignment sram_accounting
    tinyml-course-grade sram_accounting --jobs 2
    nbgrader generate_feedback sram_accounting && nbgrader export --to grades.csv

The arguments, the checks before anything is graded (the course, the sandbox), one line per
student (class_scheduler.py does the grading), the TA's attention lines, a summary. Exit status:
0 when every student was graded, 1 when some could not be (recorded with 0; the last line names
them), 2 when nothing was graded (bad usage, no sandbox, a grader that cannot grade: one line on
stderr, no score written).
"""
import argparse
import os
import sys
import time
import warnings

from . import grading_report
from .class_scheduler import ClassGrader
from .limits import SANDBOX, STUDENT_SECONDS
from .memory_cgroup import MemoryCgroup
from .memory_watch import INTERVAL_SECONDS
from .sandboxed_run import MODES

PROG = "tinyml-course-grade"


def report_only(course, assignment):
    report = grading_report.build(course, assignment)
    path = grading_report.write(course, assignment, report)
    for line in grading_report.attention_lines(report):
        print(f"ATTENTION: {line}")
    print(f"report: {path} ({len(report['students'])} students)")
    return 0


def default_jobs(memory_mb):
    """One job per CPU, but no more than the RAM holds at memory_mb + 512 MiB each."""
    cpus = os.cpu_count() or 1
    try:
        ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return 1
    per_job = (memory_mb or SANDBOX.memory_mb) + 512
    return max(1, min(cpus, ram_mb // per_job))


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Autograde every submitted student of ASSIGNMENT, each student's code "
                    "sandboxed, several students at once (run it in the course directory).")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="nbgrader course directory (default: .)")
    p.add_argument("--timeout", type=float, default=STUDENT_SECONDS,
                   help="wall-clock seconds per student (default %(default)s)")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help="per-cell limit in seconds (default: nbgrader_config's)")
    p.add_argument("--memory-mb", type=int, default=SANDBOX.memory_mb,
                   help="address-space limit of a student's code, MiB; 0 = none "
                        "(default %(default)s)")
    p.add_argument("--fsize-mb", type=int, default=SANDBOX.fsize_mb,
                   help="largest file a student's code may write, MiB (default %(default)s)")
    p.add_argument("--nproc", type=int, default=SANDBOX.nproc,
                   help="processes/threads of the sandbox user (default %(default)s)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="students graded at once (default: one per CPU, as RAM allows)")
    p.add_argument("--students", default=None,
                   help="comma-separated student ids (default: every submitted/<id>/ASSIGNMENT)")
    p.add_argument("--sandbox", choices=MODES, default="required",
                   help="required: refuse to grade without bubblewrap's sandbox; off: student "
                        "code runs as your user with resource limits only, recorded in the "
                        "report (default %(default)s)")
    p.add_argument("--report-only", action="store_true",
                   help="grade nobody: write reports/ASSIGNMENT.json from autograded/ (after a "
                        "plain `nbgrader autograde`)")
    return p.parse_args(argv)


def memory_line(memory_mb):
    """How one student's memory is bounded on this machine, in one line for the TA."""
    if MemoryCgroup.parent()[0] is not None:
        return (f"memory: {memory_mb} MiB per student for everything the sandbox spawns (a memory "
                "cgroup each)")
    return (f"memory: {memory_mb} MiB per student for all its processes together, watched by the "
            f"grader every {INTERVAL_SECONDS * 1000:g} ms (this machine gives it no memory cgroup: a non-root grader)")


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    only = [s.strip() for s in args.students.split(",") if s.strip()] if args.students else None
    jobs = args.jobs if args.jobs else default_jobs(args.memory_mb)
    tool = ClassGrader(args.course, args.assignment, args.timeout, args.memory_mb,
                       args.fsize_mb, args.nproc, jobs, args.cell_timeout, only, args.sandbox)
    problem = tool.check()
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    if args.report_only:
        return report_only(tool.course, args.assignment)
    students, missing = tool.students()
    if missing:
        print(f"{PROG}: no submitted/<id>/{args.assignment} for: "
              f"{', '.join(missing)}", file=sys.stderr)
        return 2
    if not students:
        print(f"{PROG}: nobody submitted {args.assignment} "
              f"(no {tool.course}/submitted/<id>/{args.assignment}/)", file=sys.stderr)
        return 2
    why = tool.canary()
    if why:
        print(f"{PROG}: the grader cannot grade {args.assignment} ({why}); no score was "
              "written", file=sys.stderr)
        return 2
    if args.sandbox == "off":
        print("sandbox: off (--sandbox off, recorded in the report): student code runs as your "
              "user with resource limits only")
    else:
        print("sandbox: bubblewrap (only the interpreter, the package and the student's files "
              "visible, size-limited /tmp, no network, own PID namespace)")
    print(memory_line(args.memory_mb))
    print(f"autograding {args.assignment}: {len(students)} students, {tool.jobs} at a time, "
          f"{args.timeout:g} s and {args.memory_mb} MiB each", flush=True)
    start = time.monotonic()
    outcomes = tool.run(students, report_line=lambda line: print(line, flush=True))
    wall = time.monotonic() - start
    for line in grading_report.attention_lines(tool.report):
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


if __name__ == "__main__":
    sys.exit(main())
