"""The grading report of an assignment: one JSON file a TA (and the challenges) can read.

    python tools/grading/report.py ASSIGNMENT [--course DIR]     # after any autograde

writes `reports/<assignment>.json` in the course directory and prints the students to look at:

    {"assignment": "sram_accounting", "similarity_threshold": 0.8,
     "students": {"alice": {"score": 10.0, "max_score": 10.0, "status": "graded", "detail": "",
                            "sandboxed": true, "memory_cgroup": true,
                            "exercises": {"test-live-set-sram": {"fraction": 1.0, "message": "...",
                                          "integrity": "", "similarity": 0.41, "flagged": false}},
                            "integrity": [], "flagged": [], "challenges": {}}},
     "leaderboards": {"<challenge>": [{"student": "alice", "score": 3.0}, ...]}}

`integrity` lists the exercises that earned nothing because they use the package's reference;
`flagged` those whose source is at least `similarity_threshold` similar to the reference's (a
TA decides). `challenges` holds {name: score} for checks declared with `challenge=` (their
points earned); each leaderboard ranks a challenge's scores, best first, ties by student id.
"""
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "grading"  # noqa: A001

from grading.execute import grading_record  # noqa: E402


def _records(course, assignment, student):
    import nbformat
    out = {}
    for nb_path in sorted((Path(course) / "autograded" / student / assignment).glob("*.ipynb")):
        try:
            out[nb_path.name] = grading_record(nbformat.read(nb_path, as_version=4))
        except Exception:
            out[nb_path.name] = {}
    return out


def student_entry(records, score=None, max_score=None, status="graded", detail=""):
    exercises, threshold, sandboxed, cgroup = {}, None, None, None
    for rec in records.values():
        threshold = rec.get("similarity_threshold", threshold)
        sandboxed = rec.get("sandboxed", sandboxed)
        cgroup = rec.get("memory_cgroup", cgroup)
        for gid, v in rec.get("checks", {}).items():
            exercises[gid] = v
    return {"score": score, "max_score": max_score, "status": status, "detail": detail,
            "sandboxed": sandboxed, "memory_cgroup": cgroup, "exercises": exercises,
            "integrity": sorted(g for g, v in exercises.items() if v.get("integrity")),
            "flagged": sorted(g for g, v in exercises.items() if v.get("flagged")),
            "challenges": {v["challenge"]: v.get("points", 0.0) for v in exercises.values()
                           if v.get("challenge")}}, threshold


def build(course, assignment, outcomes=None):
    """The report dict from autograded/ and gradebook.db (and the tool's outcomes, if any: a
    graded outcome's `record` is used as it is, its notebooks are not read again)."""
    from nbgrader.api import Gradebook, MissingEntry

    course = Path(course)
    by_student = {o.student: o for o in outcomes or []}
    students = set(by_student)
    auto = course / "autograded"
    if auto.is_dir():
        students |= {p.parent.name for p in auto.glob(f"*/{assignment}") if p.is_dir()}
    report = {"assignment": assignment, "similarity_threshold": None, "students": {},
              "leaderboards": {}}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in sorted(students):
            try:
                sub = gb.find_submission(assignment, student)
                score, max_score = float(sub.score), float(sub.max_score)
            except MissingEntry:
                score, max_score = 0.0, None
            o = by_student.get(student)
            # the tool's outcome carries what its worker read from the autograded notebooks
            records = o.record if o is not None and o.record is not None \
                else _records(course, assignment, student)
            entry, threshold = student_entry(records, score,
                                             max_score, o.status if o else "graded",
                                             o.detail if o else "")
            report["students"][student] = entry
            report["similarity_threshold"] = report["similarity_threshold"] or threshold
    boards = {}
    for student, entry in report["students"].items():
        for name, value in entry["challenges"].items():
            boards.setdefault(name, []).append({"student": student, "score": value})
    report["leaderboards"] = {name: sorted(rows, key=lambda r: (-r["score"], r["student"]))
                              for name, rows in sorted(boards.items())}
    return report


def write(course, assignment, report):
    path = Path(course) / "reports" / f"{assignment}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, sort_keys=True))
    return path


def attention_lines(report):
    """One line per student a TA should look at (integrity, similarity flags)."""
    lines = []
    for student, e in sorted(report["students"].items()):
        if e["integrity"]:
            lines.append(f"{student}: no credit (uses the package's reference) on "
                         f"{', '.join(e['integrity'])}")
        for gid in e["flagged"]:
            sim = e["exercises"][gid].get("similarity")
            lines.append(f"{student}: {gid} is {sim:.2f} similar to the package's source "
                         f"(threshold {report['similarity_threshold']}): check for copying")
    return lines


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description="Write reports/ASSIGNMENT.json from autograded/.")
    p.add_argument("assignment")
    p.add_argument("--course", default=".")
    args = p.parse_args(argv)
    course = Path(args.course).resolve()
    if not (course / "gradebook.db").exists():
        print(f"grading report: no gradebook.db in {course}", file=sys.stderr)
        return 2
    report = build(course, args.assignment)
    path = write(course, args.assignment, report)
    for line in attention_lines(report):
        print(line)
    print(f"report: {path} ({len(report['students'])} students)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
