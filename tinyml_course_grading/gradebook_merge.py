"""The course gradebook: one writer (the tool), rows merged from the workers' own copies.

Each worker grades into its own copy of gradebook.db (sqlite files must not have two writers);
after each student the tool copies exactly that student's rows into the course's gradebook.
"""
import sqlite3
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def opened(db, course_id):
    """A Gradebook for `db`: a path is opened (and closed after), an open Gradebook is used as
    it is (the tool keeps the course's open for the whole run: one engine, not one a student)."""
    if not isinstance(db, (str, Path)):
        yield db
        return
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{db}", course_id) as gb:
        yield gb


def copy_db(src, dst, wal=False):
    """Copy the sqlite database `src` to `dst`. wal: `dst` in write-ahead-log mode, so that the
    tool can read a student's rows from a worker's copy while the worker writes the next one's
    (a reader then never blocks the writer)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
        if wal:
            b.execute("PRAGMA journal_mode=WAL")
    a.close()
    b.close()


def course_id_of(db, assignment):
    with sqlite3.connect(db) as con:
        row = con.execute("select course_id from assignment where name = ?",
                          (assignment,)).fetchone()
    con.close()
    return row[0] if row else None


def merge_student(box_db, course_db, assignment, student, course_id, timestamp=None):
    """Copy S's submission rows from the sandbox gradebook into the course's; 'no submission'
    when nbgrader never created one there. Returns None on success, else the reason."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{box_db}", course_id) as sgb, opened(course_db, course_id) as gb:
        try:
            ssub = sgb.find_submission(assignment, student)
        except MissingEntry:
            return "no submission"
        gb.update_or_create_student(student)
        sub = gb.update_or_create_submission(assignment, student, timestamp=ssub.timestamp)
        sub.extension = ssub.extension
        for snb in ssub.notebooks:
            nb = gb.find_submission_notebook(snb.name, assignment, student)
            nb.flagged = snb.flagged
            nb.late_submission_penalty = snb.late_submission_penalty
            for sg in snb.grades:
                g = gb.find_grade(sg.name, snb.name, assignment, student)
                g.auto_score, g.manual_score = sg.auto_score, sg.manual_score
                g.extra_credit, g.needs_manual_grade = sg.extra_credit, sg.needs_manual_grade
            for sc in snb.comments:
                c = gb.find_comment(sc.name, snb.name, assignment, student)
                c.auto_comment, c.manual_comment = sc.auto_comment, sc.manual_comment
        gb.db.commit()
    return None


def record_zero(course_db, assignment, student, course_id, timestamp=None):
    """S's submission with 0 on every autograded cell, as nbgrader does for a missing notebook."""
    with opened(course_db, course_id) as gb:
        gb.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        sub = gb.update_or_create_submission(assignment, student, **kwargs)
        for nb in sub.notebooks:
            for grade in nb.grades:
                grade.auto_score = 0
                grade.manual_score = None
                grade.needs_manual_grade = False
            nb.late_submission_penalty = None
        gb.db.commit()


def score_of(course_db, assignment, student, course_id):
    from nbgrader.api import MissingEntry

    with opened(course_db, course_id) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return 0.0, gb.find_assignment(assignment).max_score
        return float(sub.score), float(sub.max_score)


def read_timestamp(folder):
    from nbgrader.utils import parse_utc

    f = Path(folder) / "timestamp.txt"
    try:
        return parse_utc(f.read_text().strip())
    except Exception:
        return None
