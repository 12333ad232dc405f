"""What nbgrader redoes for every student, done once in a long-lived worker (worker.py).

`install()` is called once when a worker starts; plain `nbgrader autograde` never calls it. Each
change keeps nbgrader's behaviour (the same errors, the same rows), only the repeated setup
goes: about half of nbgrader's own CPU time per student (benchmarks/bench_grading_worker.py).

- nbgrader checks the metadata of every cell with `jsonschema.validate(metadata, schema)`,
  which first validates the *schema* against its meta-schema, on every cell of every notebook,
  twice per student (CheckCellMetadata runs before and after the sanitizing): about a third of
  nbgrader's own time per student. Here the schema is checked once and its validator kept;
  `best_match` of the same errors is raised as before.
- nbgrader opens `Gradebook(db_url)` about ten times per student, and each open builds a new
  SQLAlchemy engine (dialect, pool, first-connect queries). Here one engine per URL is kept for
  the worker's life; `Gradebook.close()` still disposes its pool (closes the connections), and
  a disposed engine opens new ones when next used, so no connection outlives a Gradebook.
- nbgrader commits after almost every row (about 50 commits a student for the quiz), and a
  commit waits for the disk. The worker's gradebook is its own scratch copy in WAL mode, whose
  rows the tool merges into the course's gradebook (one durable commit a student): its
  connections use `synchronous=NORMAL`, with which a WAL commit does not wait for the disk and
  the file stays consistent (a crash can only lose the last commits, and a crashed worker's
  student is recorded as failed anyway). Only that database: the course's keeps SQLite's default.
"""
import json
import types

_VALIDATORS = {}
_ENGINES = {}


def cached_validate(instance, schema, cls=None, *args, **kwargs):
    """`jsonschema.validate` with the schema checked (and its validator built) once per schema:
    raises the same `jsonschema.ValidationError` (the best match) when `instance` is invalid,
    `jsonschema.SchemaError` when the schema itself is."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

    key = (json.dumps(schema, sort_keys=True), cls, args, tuple(sorted(kwargs.items())))
    validator = _VALIDATORS.get(key)
    if validator is None:
        kind = cls if cls is not None else validator_for(schema)
        kind.check_schema(schema)
        validator = _VALIDATORS[key] = kind(schema, *args, **kwargs)
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def _scratch_connection(dbapi_connection, _record):
    """On connecting to a scratch gradebook: commits need not wait for the disk (WAL only)."""
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode and str(mode[0]).lower() == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def shared_engine(real_create_engine, scratch=()):
    """A `create_engine` that returns the engine it made before for the same URL and options;
    the engines of the URLs in `scratch` connect with _scratch_connection."""
    from sqlalchemy import event

    def create_engine(url, *args, **kwargs):
        key = (str(url), args, tuple(sorted(kwargs.items())))
        if key not in _ENGINES:
            engine = real_create_engine(url, *args, **kwargs)
            if str(url) in scratch:
                event.listen(engine, "connect", _scratch_connection)
            _ENGINES[key] = engine
        return _ENGINES[key]
    create_engine.wrapped = real_create_engine
    return create_engine


def install(scratch=()):
    """Patch this process's nbgrader (call once, before grading). scratch: the URLs of
    gradebooks that are a worker's own WAL copy (`sqlite:///PATH`)."""
    from nbgrader import api
    from nbgrader.nbgraderformat import common

    if not getattr(common.jsonschema, "cached", False):
        common.jsonschema = types.SimpleNamespace(validate=cached_validate, cached=True)
    if not hasattr(api.create_engine, "wrapped"):
        api.create_engine = shared_engine(api.create_engine, tuple(scratch))
