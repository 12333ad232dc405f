"""Read the challenge records back from autograded notebooks, for the grading report.

A challenge is scored by the course's grader outside the student's kernel (the assignment's
``hidden_checks.py``, a check with ``challenge=``): the grader writes each checked cell's verdict
into the autograded notebook's metadata (``tinyml_grading``, by
tinyml_course_grading.nbgrader_execute), and a
challenge's verdict carries its record (the ChallengeScore's plain data). These functions
collect them:

    class_records("course/autograded", "sram_accounting")
    # {"alice": [{"challenge": "streaming-depthwise", "points": 3.2, "measured": {...},
    #             "scored_by": "grader", "grade_id": "test-depthwise-streaming", ...}], ...}

Nothing a student's code prints is read: a record comes only from the grader's verdict.
"""

import json
from pathlib import Path

GRADING_META = "tinyml_grading"  # the notebook metadata key the grader writes (tinyml_course_grading)


def grader_records(notebook):
    """{grade_id: record} of the challenges the grader decided in a loaded notebook (a dict in
    nbformat v4 layout): the verdict's record, its points (the cell's points earned: 0 when no
    credit was given) and 'scored_by': 'grader'."""
    checks = notebook.get("metadata", {}).get(GRADING_META, {}).get("checks", {})
    out = {}
    for grade_id, verdict in checks.items():
        if not isinstance(verdict, dict) or not verdict.get("challenge"):
            continue
        record = verdict.get("record") if isinstance(verdict.get("record"), dict) else {}
        out[grade_id] = {**record, "challenge": verdict["challenge"],
                         "points": float(verdict.get("points") or 0.0),
                         "message": record.get("message", verdict.get("message", "")),
                         "grade_id": grade_id, "scored_by": "grader"}
    return out


def notebook_records(notebook):
    """Records (dicts) of the challenges the grader decided in a notebook, in cell order, each
    with its cell's 'grade_id' and 'scored_by': 'grader' (grader_records; a verdict whose cell
    is not in the notebook comes last).

    notebook: a path or an already loaded notebook (a dict in nbformat v4 layout).
    """
    if not isinstance(notebook, dict):
        notebook = json.loads(Path(notebook).read_text())
    by_grader = grader_records(notebook)
    records = []
    for cell in notebook.get("cells", []):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in by_grader:
            records.append(by_grader.pop(grade_id))
    return records + list(by_grader.values())


def class_records(autograded_dir, assignment):
    """{student: [record, ...]} over ``autograded_dir/<student>/<assignment>/*.ipynb``."""
    out = {}
    for folder in sorted(Path(autograded_dir).glob(f"*/{assignment}")):
        records = []
        for nb in sorted(folder.glob("*.ipynb")):
            records += notebook_records(nb)
        out[folder.parent.name] = records
    return out


def leaderboard(records_by_student, challenge):
    """Rows (student, points, record) of one challenge, best first (ties by student name)."""
    rows = [(student, r["points"], r) for student, records in records_by_student.items()
            for r in records if r.get("challenge") == challenge]
    return sorted(rows, key=lambda row: (-row[1], row[0]))
