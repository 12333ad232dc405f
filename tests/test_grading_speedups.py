"""tinyml_course_grading/nbgrader_speedups.py: what a long-lived grading worker does once instead of per student
must not change what nbgrader decides (the same metadata errors, the same gradebook rows)."""
import sqlite3
import sys
from pathlib import Path

import jsonschema
import nbformat
import pytest
from sqlalchemy import text as sqlalchemy_text

from tinyml_course_grading import nbgrader_speedups as speedups

nbgrader_api = pytest.importorskip("nbgrader.api")
from nbgrader.nbgraderformat import common  # noqa: E402
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3  # noqa: E402

pytestmark = pytest.mark.slow  # opens gradebooks and runs the grader: about a minute a test

GOOD = {"grade": True, "grade_id": "test-a", "locked": True, "points": 2, "schema_version": 3,
        "solution": False, "task": False}
BAD = [dict(GOOD, points="two"),                  # wrong type
       {k: v for k, v in GOOD.items() if k != "locked"},  # a required key missing
       dict(GOOD, grade_id=7, solution="yes")]    # two errors: the best match is raised


def _error(fn, instance, schema):
    try:
        fn(instance, schema)
    except jsonschema.ValidationError as exc:
        return exc.message, list(exc.absolute_path), exc.validator
    return None


@pytest.fixture
def patched(monkeypatch):
    """install() on this process, undone after the test."""
    monkeypatch.setattr(common, "jsonschema", common.jsonschema)
    monkeypatch.setattr(nbgrader_api, "create_engine", nbgrader_api.create_engine)
    speedups.install()
    speedups.install()  # a second call changes nothing
    return speedups


def test_cached_validate_raises_what_jsonschema_raises():
    """Does the cached validator accept and reject the same metadata, with the same error?"""
    schema = MetadataValidatorV3().schema
    for instance in [GOOD, *BAD]:
        assert _error(speedups.cached_validate, instance, schema) == \
            _error(jsonschema.validate, instance, schema)
    assert _error(speedups.cached_validate, BAD[0], schema) is not None


def test_cached_validate_still_rejects_a_bad_schema():
    with pytest.raises(jsonschema.SchemaError):
        speedups.cached_validate({}, {"type": "no such type"})


def test_nbgrader_metadata_check_unchanged_when_installed(patched):
    """After install(), does nbgrader's own notebook check pass and fail as before?"""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": dict(GOOD)})]
    MetadataValidatorV3().validate_nb(nb)
    nb.cells[0].metadata["nbgrader"]["points"] = "two"
    with pytest.raises(jsonschema.ValidationError, match="'two' is not of type 'number'"):
        MetadataValidatorV3().validate_nb(nb)


def test_gradebook_opens_share_one_engine_and_keep_data(patched, tmp_path):
    """Do two Gradebook opens of one database share an engine, and does what the first wrote
    (and committed, then closed) reach the second?"""
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with nbgrader_api.Gradebook(url, "course") as gb:
        gb.add_student("alice")
        first = gb.engine
    with nbgrader_api.Gradebook(url, "course") as gb:
        assert gb.engine is first
        assert [s.id for s in gb.students] == ["alice"]
    with nbgrader_api.Gradebook(f"sqlite:///{tmp_path / 'other.db'}", "course") as gb:
        assert gb.engine is not first and gb.students == []


def test_only_a_scratch_wal_gradebook_commits_without_waiting_for_the_disk(monkeypatch, tmp_path):
    """synchronous=NORMAL (1) on the worker's WAL copy only; the course's keeps FULL (2), and
    so does a scratch database that is not in WAL mode."""
    monkeypatch.setattr(common, "jsonschema", common.jsonschema)
    monkeypatch.setattr(nbgrader_api, "create_engine", nbgrader_api.create_engine)
    scratch, course, rollback = (tmp_path / f"{n}.db" for n in ("scratch", "course", "rollback"))
    for db in (scratch, course, rollback):
        sqlite3.connect(db).close()
    with sqlite3.connect(scratch) as con:
        con.execute("PRAGMA journal_mode=WAL")
    con.close()
    speedups.install(scratch=[f"sqlite:///{scratch}", f"sqlite:///{rollback}"])
    modes = {}
    for db in (scratch, course, rollback):
        with nbgrader_api.Gradebook(f"sqlite:///{db}", "course") as gb:
            modes[db.stem] = gb.db.execute(sqlalchemy_text("PRAGMA synchronous")).scalar()
    assert modes == {"scratch": 1, "course": 2, "rollback": 2}
