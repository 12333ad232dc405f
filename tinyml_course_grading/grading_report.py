"""The grading report of an assignment: one JSON file a TA (and the challenges) can read.

    tinyml-course-grade ASSIGNMENT --report-only      # after a plain `nbgrader autograde`

(`tinyml-course-grade ASSIGNMENT` writes it after grading) `reports/<assignment>.json` in the
course directory, and the students to look at:

    {"assignment": "sram_accounting", "similarity_threshold": 0.8, "sandbox": "required",
     "students": {"alice": {"score": 10.0, "max_score": 10.0, "status": "graded", "detail": "",
                            "sandboxed": true, "sandbox": "required", "memory_cgroup": true,
                            "exercises": {"test-live-set-sram": {"fraction": 1.0, "message": "...",
                                          "integrity": "", "similarity": 0.41, "flagged": false}},
                            "integrity": [], "flagged": [], "challenges": {}}},
     "leaderboards": {"<challenge>": [{"student": "alice", "score": 3.0}, ...]}}

Everything in it comes from the grader: the gradebook, the scheduler's outcomes and the
`GradingRecord` SandboxedExecute wrote into each autograded notebook (nothing a student
printed). `integrity` lists the exercises that earned nothing because they use the package's
reference; `flagged` those whose source is at least `similarity_threshold` similar to the
reference's (a TA decides). `challenges` holds {name: points earned} of checks declared with
`challenge=`; each leaderboard ranks a challenge, best first, ties by student id. `sandbox` is
"off" when the instructor graded without the sandbox (`--sandbox off`), for every student so.
"""
import json
from pathlib import Path

from . import messages
from .nbgrader_execute import grading_record


def notebook_records(course, assignment, student):
    """{notebook file: GradingRecord} of a student's autograded notebooks (a notebook whose
    metadata is not a GradingRecord is left out: the grader did not write it)."""
    import nbformat
    out = {}
    for nb_path in sorted((Path(course) / "autograded" / student / assignment).glob("*.ipynb")):
        try:
            record = grading_record(nbformat.read(nb_path, as_version=4))
        except messages.MessageError:
            continue
        if record is not None:
            out[nb_path.name] = record
    return out


def student_entry(records, score=None, max_score=None, status="graded", detail=""):
    """(the report's entry of one student, its similarity threshold) from {nb: GradingRecord}."""
    exercises, threshold, sandboxed, mode, cgroup = {}, None, None, None, None
    for rec in records.values():
        threshold = rec.similarity_threshold if rec.similarity_threshold is not None else threshold
        sandboxed, mode, cgroup = rec.sandboxed, rec.sandbox, rec.memory_cgroup
        for gid, v in rec.checks.items():
            exercises[gid] = messages.dump(v)
    return {"score": score, "max_score": max_score, "status": status, "detail": detail,
            "sandboxed": sandboxed, "sandbox": mode, "memory_cgroup": cgroup,
            "exercises": exercises,
            "integrity": sorted(g for g, v in exercises.items() if v["integrity"]),
            "flagged": sorted(g for g, v in exercises.items() if v["flagged"]),
            "challenges": {v["challenge"]: v["points"] or 0.0 for v in exercises.values()
                           if v["challenge"]}}, threshold


def build(course, assignment, outcomes=None, sandbox=None):
    """The report dict from autograded/ and gradebook.db (and the scheduler's outcomes, if any:
    a graded outcome's records are used as they are, its notebooks not read again)."""
    from nbgrader.api import Gradebook, MissingEntry

    course = Path(course)
    by_student = {o.student: o for o in outcomes or []}
    students = set(by_student)
    auto = course / "autograded"
    if auto.is_dir():
        students |= {p.parent.name for p in auto.glob(f"*/{assignment}") if p.is_dir()}
    report = {"assignment": assignment, "similarity_threshold": None, "sandbox": sandbox,
              "students": {}, "leaderboards": {}}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in sorted(students):
            try:
                sub = gb.find_submission(assignment, student)
                score, max_score = float(sub.score), float(sub.max_score)
            except MissingEntry:
                score, max_score = 0.0, None
            o = by_student.get(student)
            records = o.records if o is not None and o.records is not None \
                else notebook_records(course, assignment, student)
            entry, threshold = student_entry(records, score, max_score,
                                             o.status if o else "graded", o.detail if o else "")
            report["students"][student] = entry
            report["similarity_threshold"] = report["similarity_threshold"] or threshold
            report["sandbox"] = report["sandbox"] or entry["sandbox"]
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
    """One line per student a TA should look at (integrity, similarity flags, no sandbox)."""
    lines = []
    if report.get("sandbox") == "off":
        lines.append("graded with --sandbox off: student code ran as your user, unsandboxed")
    for student, e in sorted(report["students"].items()):
        if e["integrity"]:
            lines.append(f"{student}: no credit (uses the package's reference) on "
                         f"{', '.join(e['integrity'])}")
        for gid in e["flagged"]:
            sim = e["exercises"][gid].get("similarity")
            lines.append(f"{student}: {gid} is {sim:.2f} similar to the package's source "
                         f"(threshold {report['similarity_threshold']}): check for copying")
    return lines
