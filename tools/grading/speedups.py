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


def shared_engine(real_create_engine):
    """A `create_engine` that returns the engine it made before for the same URL and options."""
    def create_engine(url, *args, **kwargs):
        key = (str(url), args, tuple(sorted(kwargs.items())))
        if key not in _ENGINES:
            _ENGINES[key] = real_create_engine(url, *args, **kwargs)
        return _ENGINES[key]
    create_engine.wrapped = real_create_engine
    return create_engine


def install():
    """Patch this process's nbgrader (call once, in a worker, before grading)."""
    from nbgrader import api
    from nbgrader.nbgraderformat import common

    if not getattr(common.jsonschema, "cached", False):
        common.jsonschema = types.SimpleNamespace(validate=cached_validate, cached=True)
    if not hasattr(api.create_engine, "wrapped"):
        api.create_engine = shared_engine(api.create_engine)
