"""The typed messages between the grader, its workers and the sandboxed runner, checked when read.

Three boundaries, one message type each way, all dataclasses:

- grader -> runner: `RunRequest` (the cells, the helpers, the calls); runner -> grader:
  `RunAnswer` (each cell's outputs, each call's plain value or error). The answer comes from the
  process that ran the student's code, so `load` checks every field's type and `CellResult`
  keeps only outputs a browser cannot run (text, and PNG images that are base64).
- SandboxedExecute -> report: `GradingRecord` (the notebook's metadata "tinyml_grading": how it
  ran and each check's `Verdict`).
- class scheduler -> worker: `WorkerTask`; worker -> scheduler: `WorkerAnswer`, whose `failure`
  is a typed `Failure` (a `FailureKind` and one line), never a reason read out of a log.

`load(cls, data)` builds a message from plain data (JSON), raising `MessageError` that names the
field; `dump(message)` is its inverse. Stand-alone (standard library only): the runner imports it.
"""
import base64
import binascii
import enum
import json
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass


class MessageError(ValueError):
    """A message that does not have the fields and types its dataclass declares."""


def _check(kind, value, where):
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is typing.Any or kind is object:
        return value
    if origin is typing.Union:  # Optional[X]
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _check(inner, value, where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise MessageError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_check(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise MessageError(f"{where}: expected an object with string keys")
        return {k: _check(args[1], v, f"{where}[{k!r}]") for k, v in value.items()}
    if is_dataclass(kind):
        return load(kind, value, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise MessageError(f"{where}: {value!r} is not one of "
                               f"{[m.value for m in kind]}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in (int, float) and isinstance(value, bool) or not isinstance(value, kind):
        raise MessageError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def load(cls, data, where=None):
    """The `cls` message of plain data ``data``; MessageError names the first wrong field."""
    where = where or cls.__name__
    if not isinstance(data, dict):
        raise MessageError(f"{where}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise MessageError(f"{where}: unexpected field {unknown[0]!r}")
    values = {}
    for f in fields(cls):
        if f.name in data:
            values[f.name] = _check(hints[f.name], data[f.name], f"{where}.{f.name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            raise MessageError(f"{where}: missing field {f.name!r}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise MessageError(f"{where}: {exc}") from None


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def dump(message):
    """Plain data (JSON-safe) of a message."""
    return _plain(asdict(message))


def dumps(message):
    return json.dumps(dump(message), allow_nan=False, separators=(",", ":"))


def loads(cls, text):
    """`load(cls, ...)` of JSON text; MessageError when it is not JSON either."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MessageError(f"{cls.__name__}: not JSON ({exc})") from None
    return load(cls, data)


# --- grader -> runner -> grader ------------------------------------------------------------

@dataclass(frozen=True)
class CellSource:
    index: int                      # the cell's position in the notebook
    source: str


@dataclass(frozen=True)
class CallRequest:
    id: str                         # "<grade_id>#<case>"
    expr: str                       # evaluated in the student's namespace plus the helpers'
    seconds: float = 30.0
    block: typing.Tuple[str, ...] = ()  # "module:qualname" tripwired for the length of the call


@dataclass(frozen=True)
class RunRequest:
    cells: typing.Tuple[CellSource, ...]
    helpers: str = ""               # run after the cells, before the calls (builds inputs)
    calls: typing.Tuple[CallRequest, ...] = ()
    cell_seconds: float = 30.0
    output_chars: int = 20000       # text kept per cell
    cwd: str = "."
    environ: typing.Tuple[str, ...] = ()  # "NAME=value" for the student's code (its graded id)


STREAMS = ("stdout", "stderr")
SAFE_DATA = ("text/plain", "image/png")  # what feedback and Formgrader may show of an output


def _png(text):
    try:
        return base64.b64decode(text, validate=True).startswith(b"\x89PNG")
    except (binascii.Error, ValueError):
        return False


def safe_output(o):
    """An nbformat output a browser cannot run, from the runner's untrusted dict (None when
    malformed or when nothing safe is left): streams, errors, and of a result or display only
    its text and its PNG image (HTML, SVG, JavaScript, Markdown are dropped)."""
    if not isinstance(o, dict):
        return None
    kind = o.get("output_type")
    if kind == "stream" and o.get("name") in STREAMS and isinstance(o.get("text"), str):
        return {"output_type": "stream", "name": o["name"], "text": o["text"]}
    if kind == "error":
        tb = o.get("traceback")
        tb = [t for t in tb if isinstance(t, str)] if isinstance(tb, list) else []
        return {"output_type": "error", "ename": str(o.get("ename", "Error"))[:200],
                "evalue": str(o.get("evalue", ""))[:2000], "traceback": tb[-20:]}
    if kind in ("execute_result", "display_data") and isinstance(o.get("data"), dict):
        data = {k: v for k, v in o["data"].items() if k in SAFE_DATA and isinstance(v, str)
                and (k != "image/png" or _png(v))}
        if not data:
            return None
        out = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            count = o.get("execution_count")
            out["execution_count"] = count if isinstance(count, int) else None
        return out
    return None


@dataclass(frozen=True)
class CellResult:
    index: int
    outputs: typing.Tuple[typing.Any, ...] = ()
    execution_count: typing.Optional[int] = None

    def __post_init__(self):
        object.__setattr__(self, "outputs",
                           tuple(o for o in map(safe_output, self.outputs) if o is not None))


@dataclass(frozen=True)
class CallResult:
    ok: bool
    value: typing.Any = None        # plain data (plain_data.plain) when ok
    error: str = ""                 # "<ExceptionName>: message" when not ok
    error_type: str = ""            # the exception's class name
    used: typing.Tuple[str, ...] = ()   # blocked references the call reached (tripwires)


@dataclass(frozen=True)
class RunAnswer:
    cells: typing.Tuple[CellResult, ...] = ()
    calls: typing.Dict[str, CallResult] = field(default_factory=dict)
    helper_error: str = ""          # the grader's helpers failed: nothing can be checked


# --- SandboxedExecute -> report --------------------------------------------------------------

@dataclass
class Verdict:
    grade_id: str
    fraction: float                 # of the cell's points
    message: str                    # one line for the student
    passed: int = 0
    total: int = 0
    integrity: str = ""             # the sentence, when the reference was used
    similarity: typing.Optional[float] = None
    flagged: bool = False
    challenge: typing.Optional[str] = None
    points: typing.Optional[float] = None   # fraction x the cell's points (the grader)
    record: typing.Optional[typing.Dict[str, typing.Any]] = None  # a challenge's figures


@dataclass
class GradingRecord:
    sandboxed: bool
    sandbox: str = "required"       # the mode: "required", or "off" (the instructor's choice)
    memory_cgroup: bool = False
    notes: typing.Tuple[str, ...] = ()
    seconds: float = 0.0
    similarity_threshold: typing.Optional[float] = None
    checks: typing.Dict[str, Verdict] = field(default_factory=dict)


# --- class scheduler <-> worker ------------------------------------------------------------

class FailureKind(enum.Enum):
    """Why a student could not be graded (the label is what the TA reads)."""
    NO_NOTEBOOK = "no notebook"
    INVALID_SUBMISSION = "invalid submission"
    INVALID_NOTEBOOK = "invalid notebook"
    KERNEL_DIED = "kernel died"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    SANDBOX = "sandbox failed"
    ERROR = "error"


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    detail: str


@dataclass(frozen=True)
class WorkerTask:
    student: str


@dataclass(frozen=True)
class WorkerAnswer:
    student: str
    failure: typing.Optional[Failure] = None
    records: typing.Dict[str, GradingRecord] = field(default_factory=dict)  # per notebook file
