"""Read the challenge records back from autograded notebooks, for the grading report.

A challenge's hidden test cell ends with ``ChallengeScore.report()``, which prints one line
``challenge-record: {...JSON...}`` into the cell's output. After ``nbgrader autograde`` (or the
course's grading tool) the autograded notebooks hold those outputs; these functions collect them:

    class_records("course/autograded", "sram_accounting")
    # {"alice": [{"challenge": "streaming-depthwise", "points": 3.2, "measured": {...}, ...}], ...}
"""

import json
from pathlib import Path

from .challenges import RECORD_PREFIX


def _output_text(output):
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif output.get("output_type") in ("execute_result", "display_data"):
        text = output.get("data", {}).get("text/plain", "")
    else:
        return ""
    return "".join(text) if isinstance(text, list) else text


def notebook_records(notebook):
    """Records (dicts) in a notebook's outputs, in cell order, each with its cell's 'grade_id'.

    notebook: a path or an already loaded notebook (a dict in nbformat v4 layout).
    A line that starts with the prefix but does not hold valid JSON is skipped.
    """
    if not isinstance(notebook, dict):
        notebook = json.loads(Path(notebook).read_text())
    records = []
    for cell in notebook.get("cells", []):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            for line in _output_text(output).splitlines():
                if not line.startswith(RECORD_PREFIX):
                    continue
                try:
                    record = json.loads(line[len(RECORD_PREFIX):])
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    records.append({**record, "grade_id": grade_id})
    return records


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
