"""What an assignment's `source/<a>/hidden_checks.py` declares, checked when it loads.

A hidden_checks module defines

    HELPERS = '''python run in the sandbox before the student's code (builds inputs)'''
    CHECKS = [Check("test-live-set-sram", "live_set_sram", solution="live-set-sram",
                    reference=["tinyml_course.memory.live_set:live_tensors", ...],
                    cases=[Case("mcunet-in2 at 64 px, int8",
                                "live_set_sram(_GRADER_NETS['mcunet-in2@64'], 'int8')",
                                expected=lambda: ...)])]
    SIMILARITY_THRESHOLD = 0.8          # optional

Each `Check` decides one graded test cell (its grade_id). Each `Case` is one call, an expression
evaluated in the sandbox against the student's namespace; its `expected` (a value, or a function
the grader calls once, outside the sandbox) never enters the sandbox.

Every package name a check refers to (`reference`, `similar_to`: "module:qualname") is resolved
when the Check is made, that is when hidden_checks.py loads: a name that does not resolve, or
that names a re-export instead of the module that defines it, raises `StaleNameError` naming the
check and the name (copy detection and the integrity rule would otherwise be silently off).
`load(path, notebook=None)` returns a `HiddenChecks`; with the assignment's source notebook it
also checks that every check's grade_id is a graded cell and its solution a solution cell.
"""
import importlib
import importlib.util
import inspect
import math
import os
import typing
from dataclasses import dataclass, field

from . import plain_data

SIMILARITY_THRESHOLD = 0.8
SCORINGS = ("all", "fraction")


class StaleNameError(LookupError):
    """A hidden check names a package function that does not exist (any more) where it says."""


class CheckDeclarationError(ValueError):
    """A hidden_checks.py that does not declare what the grader needs, or disagrees with its
    notebook."""


@dataclass(frozen=True)
class PackageName:
    """A resolved "module:qualname": the object, and its source for similarity."""
    dotted: str
    obj: object

    @property
    def source(self):
        return inspect.getsource(self.obj)

    @property
    def shown(self):
        return self.dotted.replace(":", ".")


def resolve(dotted, where="a hidden check"):
    """The PackageName of "module:qualname"; StaleNameError when it does not resolve or is not
    defined in that module (a function or class re-exported elsewhere)."""
    if not isinstance(dotted, str) or dotted.count(":") != 1:
        raise StaleNameError(f"{where}: {dotted!r} is not 'module:qualname'")
    module, _, qual = dotted.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise StaleNameError(f"{where}: {dotted!r} does not resolve ({exc})") from None
    home = getattr(getattr(obj, "__func__", obj), "__module__", module)
    if (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)) \
            and home != module:
        raise StaleNameError(f"{where}: {dotted!r} is defined in {home}: name it "
                             f"'{home}:{qual}'")
    return PackageName(dotted, obj)


@dataclass
class Case:
    what: str                      # shown in feedback: what this case tries
    expr: str                      # evaluated in the sandbox, in the student's namespace
    expected: object = None        # value, or a zero-argument callable run by the grader
    compare: object = None         # (got, expected) -> None | reason; default comparisons.equal
    timeout: float = 30.0          # seconds for this call
    per_student: bool = False      # expected is a callable of the student id being graded
                                   #   (the quiz's per-student variants)

    def __post_init__(self):
        if not isinstance(self.what, str) or not isinstance(self.expr, str):
            raise CheckDeclarationError(f"Case({self.what!r}, {self.expr!r}): what and expr "
                                        "must be strings")
        if self.per_student and not callable(self.expected):
            raise CheckDeclarationError(f"Case {self.what!r}: per_student needs expected to be "
                                        "a function of the student id")
        if self.compare is not None and not callable(self.compare):
            raise CheckDeclarationError(f"Case {self.what!r}: compare must be callable")
        if not (isinstance(self.timeout, (int, float)) and 0 < self.timeout <= 600):
            raise CheckDeclarationError(f"Case {self.what!r}: timeout must be in (0, 600] s")
        compile(self.expr, f"<case {self.what}>", "eval")  # SyntaxError now, not per student

    def expected_value(self, student=None):
        """The expected value (computed once per process, per student for a per_student case),
        in the shape an answer has."""
        cache = self.__dict__.setdefault("_expected", {})
        slot = student if self.per_student else None
        if slot not in cache:
            if self.per_student:
                value = self.expected(student)
            else:
                value = self.expected() if callable(self.expected) else self.expected
            cache[slot] = plain_data.restore(plain_data.plain(value))
        return cache[slot]


@dataclass
class Check:
    grade_id: str                  # the graded test cell this check decides
    function: str                  # the student's function it calls (feedback, similarity)
    cases: list = field(default_factory=list)
    solution: str = None           # grade_id of the solution cell (integrity scan)
    reference: list = field(default_factory=list)   # "module:qualname" blocked during calls
    similar_to: list = None        # "module:qualname" to compare with (default: reference)
    scoring: str = "all"           # "all" | "fraction"
    property: str = ""             # what the check establishes, for the feedback
    challenge: str = None          # a leaderboard name: the points earned go to the report
    grade: object = None           # (got, expected) -> (fraction, message[, record]): own
                                   #   partial credit for a one-case check (a quiz answer and its
                                   #   policy; a challenge's measurements and its published scale,
                                   #   `record` a plain dict for the report and the leaderboard)
    outside: object = None         # (cases) -> plain data: the check's answer measured outside
                                   #   the student's process (case_measurement.OutsideCases of
                                   #   the solution cell), in place of the sandbox's value once
                                   #   the sandbox's call says the function is answered

    def __post_init__(self):
        where = f"hidden check {self.grade_id!r}"
        if not isinstance(self.grade_id, str) or not isinstance(self.function, str):
            raise CheckDeclarationError(f"{where}: grade_id and function must be strings")
        self.cases = list(self.cases)
        if not self.cases or not all(isinstance(c, Case) for c in self.cases):
            raise CheckDeclarationError(f"{where}: cases must be a non-empty list of Case")
        if self.scoring not in SCORINGS:
            raise CheckDeclarationError(f"{where}: scoring {self.scoring!r} is not one of "
                                        f"{SCORINGS}")
        if self.grade is not None and (not callable(self.grade) or len(self.cases) != 1):
            raise CheckDeclarationError(f"{where}: grade= needs a callable and exactly one case")
        if self.outside is not None and (not callable(self.outside) or len(self.cases) != 1
                                         or self.solution is None):
            raise CheckDeclarationError(f"{where}: outside= needs a callable, exactly one case "
                                        "and a solution cell")
        self.reference = list(self.reference)
        self.references = tuple(resolve(n, where) for n in self.reference)
        targets = self.reference if self.similar_to is None else list(self.similar_to)
        self.similar = tuple(resolve(n, where) for n in targets)


@dataclass
class HiddenChecks:
    """An assignment's hidden checks as loaded: helpers, checks by grade_id, the threshold."""
    path: str
    helpers: str
    checks: typing.Dict[str, Check]
    similarity_threshold: float
    module: object = None          # the imported hidden_checks module itself


def _validate(module, path):
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, list) or not all(isinstance(c, Check) for c in checks):
        raise CheckDeclarationError(f"{path}: CHECKS must be a list of Check")
    ids = [c.grade_id for c in checks]
    twice = sorted({g for g in ids if ids.count(g) > 1})
    if twice:
        raise CheckDeclarationError(f"{path}: more than one check for {twice}")
    helpers = getattr(module, "HELPERS", "")
    if not isinstance(helpers, str):
        raise CheckDeclarationError(f"{path}: HELPERS must be a string of Python")
    compile(helpers, f"{path}:HELPERS", "exec")
    threshold = getattr(module, "SIMILARITY_THRESHOLD", SIMILARITY_THRESHOLD)
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1 \
            or not math.isfinite(threshold):
        raise CheckDeclarationError(f"{path}: SIMILARITY_THRESHOLD must be in (0, 1]")
    return HiddenChecks(str(path), helpers, {c.grade_id: c for c in checks}, float(threshold),
                        module)


def check_notebook(hidden, notebook):
    """CheckDeclarationError unless every check's grade_id is a graded cell of ``notebook`` (an
    nbformat notebook) and its solution a solution cell."""
    meta = [c.get("metadata", {}).get("nbgrader", {}) for c in notebook.cells]
    graded = {m.get("grade_id") for m in meta if m.get("grade")}
    solutions = {m.get("grade_id") for m in meta if m.get("solution")}
    for check in hidden.checks.values():
        if check.grade_id not in graded:
            raise CheckDeclarationError(f"{hidden.path}: {check.grade_id!r} is not a graded "
                                        "cell of the notebook")
        if check.solution is not None and check.solution not in solutions:
            raise CheckDeclarationError(f"{hidden.path}: check {check.grade_id!r} names the "
                                        f"solution cell {check.solution!r}, which the notebook "
                                        "does not have")


_LOADED = {}


def load(path, notebook=None):
    """The HiddenChecks of a hidden_checks.py (imported once per path and modification time);
    StaleNameError or CheckDeclarationError when it declares something the grader cannot use,
    checked against ``notebook`` (nbformat) too when given."""
    key = (str(path), os.stat(path).st_mtime_ns)
    if key not in _LOADED:
        spec = importlib.util.spec_from_file_location(f"hidden_checks_{len(_LOADED)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _LOADED[key] = _validate(module, path)
    hidden = _LOADED[key]
    if notebook is not None:
        check_notebook(hidden, notebook)
    return hidden
