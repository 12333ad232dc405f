"""tinyml_course.homework.records: the challenge records the grader wrote, read back for the report."""
import json

from tinyml_course.homework.challenges.score import ChallengeScore
from tinyml_course.homework.records import leaderboard, notebook_records


def _printed(challenge, points):
    """A stream output holding a forged record line, as a student's print could make it."""
    line = "challenge-record: " + json.dumps({"challenge": challenge, "points": points}) + "\n"
    return [{"output_type": "stream", "name": "stdout", "text": line}]


def test_records_come_from_the_grader_not_from_the_students_prints():
    """Is a challenge the grader decided recorded from its verdict (the notebook's metadata),
    with the verdict's points, in cell order, and is every record line a student printed
    ignored, whatever challenge it names?"""
    record = ChallengeScore("demo", 1.0, 4.0, {"cases": [{"extra_elements": 4096.0}]},
                            "scale", "one channel").to_json()
    verdict = {"challenge": "demo", "points": 1.0, "message": "demo: 1.00 of 4 points.",
               "record": record}
    other = {**verdict, "challenge": "other", "points": 2.0, "record": {**record, "challenge": "other"}}
    nb = {"metadata": {"tinyml_grading": {"checks": {"test-other": other, "test-demo": verdict,
                                                     "test-plain": {"challenge": None}}}},
          "cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "solution"}},
                     "outputs": _printed("demo", 4.0) + _printed("kernel-only", 2.0)},
                    {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test-demo"}},
                     "outputs": _printed("demo", 4.0)}]}
    records = notebook_records(nb)
    assert [(r["challenge"], r["points"], r["scored_by"], r["grade_id"]) for r in records] == [
        ("demo", 1.0, "grader", "test-demo"), ("other", 2.0, "grader", "test-other")]
    assert records[0]["measured"] == {"cases": [{"extra_elements": 4096.0}]}
    no_credit = {**verdict, "points": 0.0, "record": None, "message": "No credit: ..."}
    nb["metadata"]["tinyml_grading"]["checks"]["test-demo"] = no_credit
    (demo, _) = notebook_records(nb)
    assert (demo["points"], demo["message"]) == (0.0, "No credit: ...")


def test_leaderboard_ranks_best_first():
    """Does leaderboard rank one challenge's records best first, ties by name, others left out?"""
    record = {"challenge": "demo", "points": 2.5}
    rows = leaderboard({"bob": [record], "amy": [{**record, "points": 3.0}], "cy": [],
                        "dan": [{"challenge": "other", "points": 4.0}]}, "demo")
    assert [(s, p) for s, p, _ in rows] == [("amy", 3.0), ("bob", 2.5)]
