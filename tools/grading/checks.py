"""Hidden checks: what an assignment's `source/<a>/hidden_checks.py` declares, and how a verdict
is reached from the plain data the sandboxed runner sends back.

A hidden_checks module defines

    HELPERS = '''python run in the sandbox before the calls (builds inputs, measures)'''
    CHECKS = [Check("test-live-set-sram", "live_set_sram", solution="live-set-sram",
                    reference=["tinyml_course.memory.conventions:live_tensors", ...],
                    cases=[Case("mcunet-in2 at 64 px, int8",
                                "live_set_sram(get_network('mcunet-in2', 64), 'int8')",
                                expected=lambda: ...)])]
    SIMILARITY_THRESHOLD = 0.8          # optional

Each Check decides one graded test cell (its grade_id) of the notebook. Each Case is one call,
an expression evaluated in the sandbox against the student's namespace; its `expected` (a value,
or a function the grader calls once, outside the sandbox) never enters the sandbox. `compare`
turns (got, expected) into None (right) or a short reason shown in the feedback.

The verdict of a check is all-or-nothing (`scoring="all"`) or the fraction of cases passed
(`scoring="fraction"`, partial credit through nbgrader's numeric cell output). Integrity: a
check whose function calls one of its `reference` functions (recorded by the runner's
tripwires), or whose solution cell imports one, scores 0 with one sentence saying why; the
solution is also scored for similarity with the reference's source and flagged in the grading
report at or above the threshold.
"""
import ast
import difflib
import importlib.util
import inspect
import io
import math
import tokenize
from dataclasses import dataclass, field

from . import wire

SIMILARITY_THRESHOLD = 0.8
NOT_ANSWERED = "not answered yet"


@dataclass
class Case:
    what: str                      # shown in feedback: what this case tries
    expr: str                      # evaluated in the sandbox, in the student's namespace
    expected: object = None        # value, or a zero-argument callable run by the grader
    compare: object = None         # (got, expected) -> None | reason; default `equal`
    timeout: float = 30.0
    per_student: bool = False      # expected is a callable of the student id being graded
                                   #   (the quiz's per-student variants)

    def expected_value(self, student=None):
        cache = self.__dict__.setdefault("_expected", {})
        slot = student if self.per_student else None
        if slot not in cache:
            if self.per_student:
                value = self.expected(student)
            else:
                value = self.expected() if callable(self.expected) else self.expected
            cache[slot] = wire.restore(wire.plain(value))  # the shape the answer has
        return cache[slot]


@dataclass
class Check:
    grade_id: str                  # the graded test cell this check decides
    function: str                  # the student's function it calls (feedback, similarity)
    cases: list = field(default_factory=list)
    solution: str = None           # grade_id of the solution cell (integrity scan)
    reference: list = field(default_factory=list)   # "module:qualname" blocked during calls
    similar_to: list = None        # "module:qualname" to compare the source with (default: reference)
    scoring: str = "all"           # "all" | "fraction"
    property: str = ""             # what the check establishes, for the feedback
    challenge: str = None          # a leaderboard name: the points earned go to the report
    grade: object = None           # (got, expected) -> (fraction, message[, record]): own
                                   #   partial credit for a one-case check (a quiz answer and its
                                   #   policy; a challenge's measurements and its published scale,
                                   #   `record` a plain dict for the report and the leaderboard)


@dataclass
class Verdict:
    grade_id: str
    fraction: float                # of the cell's points
    message: str                   # one line for the student
    passed: int = 0
    total: int = 0
    integrity: str = ""            # the sentence, when the reference was used
    similarity: float = None
    flagged: bool = False
    challenge: str = None
    points: float = None           # filled in by the grader: fraction x the cell's points
    record: dict = None            # a challenge's figures (plain data) from `grade`


# --- comparing -----------------------------------------------------------------------------

def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def equal(got, expected):
    """Exact equality of plain data (tuples and lists alike), with a pointed reason."""
    if isinstance(expected, dict) and isinstance(got, dict):
        if list(got) != list(expected):
            missing = [k for k in expected if k not in got]
            extra = [k for k in got if k not in expected]
            if missing or extra:
                return f"keys differ (missing {_short(missing, 60)}, unexpected {_short(extra, 60)})"
            return f"keys in the wrong order: {_short(list(got), 80)}"
        for key in expected:
            reason = equal(got[key], expected[key])
            if reason:
                return f"[{key!r}]: {reason}"
        return None
    if hasattr(expected, "shape"):  # numpy array
        return close(0, 0)(got, expected)
    if isinstance(expected, list) and isinstance(got, list) and len(got) == len(expected):
        for i, (g, e) in enumerate(zip(got, expected)):
            reason = equal(g, e)
            if reason:
                return f"[{i}]: {reason}"
        return None
    if isinstance(expected, bool) or isinstance(got, bool):
        same = type(got) is type(expected) and got == expected
    else:
        same = got == expected
    return None if same else f"got {_short(got)}, expected {_short(expected)}"


def close(rtol=1e-5, atol=1e-5):
    """Arrays equal in shape and within tolerance."""
    def compare(got, expected):
        import numpy as np
        if not hasattr(got, "shape"):
            return f"got {type(got).__name__}, expected an array of shape {tuple(expected.shape)}"
        if tuple(got.shape) != tuple(expected.shape):
            return f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        if not np.allclose(got, expected, rtol=rtol, atol=atol):
            err = float(np.max(np.abs(np.asarray(got, float) - np.asarray(expected, float))))
            return f"values differ by up to {err:.3g}"
        return None
    return compare


def contains(got, expected):
    """Every key of the expected dict present in the answer and `equal` there (any order, extra
    keys allowed)."""
    if not isinstance(got, dict):
        return f"got {_short(got)}, expected a dict"
    for key, value in expected.items():
        if key not in got:
            return f"no {key!r} in the result"
        reason = equal(got[key], value)
        if reason:
            return f"[{key!r}]: {reason}"
    return None


def fields(**compares):
    """Compare dicts field by field, each with its own compare (default `equal`)."""
    def compare(got, expected):
        if not isinstance(got, dict):
            return f"got {_short(got)}"
        for key, value in expected.items():
            if key not in got:
                return f"no {key!r} in the result"
            reason = (compares.get(key) or equal)(got[key], value)
            if reason:
                return f"{key}: {reason}"
        return None
    return compare


# --- integrity -----------------------------------------------------------------------------

def _leaf(dotted):
    return dotted.partition(":")[2].split(".")[-1]


def imported_reference(source, references):
    """The reference a cell's code imports or reaches by attribute (``memory.profile``), or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    leaves = {_leaf(r): r for r in references}
    package_names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinyml_course"):
            for alias in node.names:
                if alias.name in leaves:
                    return leaves[alias.name]
                package_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tinyml_course"):
                    package_names.add((alias.asname or alias.name).split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in leaves:
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and (root.id in package_names or not package_names):
                return leaves[node.attr]
    return None


def _tokens(source):
    """Code tokens of `source` without comments, docstrings and layout."""
    out, prev = [], None
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in skip:
                prev = tok.type if tok.type in (tokenize.NEWLINE, tokenize.INDENT) else prev
                continue
            if tok.type == tokenize.STRING and prev in (tokenize.NEWLINE, tokenize.INDENT, None):
                prev = tok.type  # a docstring (a string statement)
                continue
            out.append(tok.string)
            prev = tok.type
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def function_source(source, name):
    """Source of the top-level ``def name`` in a cell (the whole cell when absent)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(source, node) or source
    return source


def similarity(student_source, reference_source):
    """0..1: how much of the two token sequences match (difflib ratio), docstrings ignored."""
    a, b = _tokens(student_source), _tokens(reference_source)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def reference_source(dotted):
    module, _, qual = dotted.partition(":")
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return inspect.getsource(obj)


# --- verdicts ------------------------------------------------------------------------------

def _case_reason(check, case, answer, student=None):
    if answer is None:
        return "the grader got no answer for this call"
    if not answer.get("ok"):
        error = answer.get("error", "")
        if error.startswith("NameError") and f"'{check.function}'" in error:
            return NOT_ANSWERED
        return f"{check.function} raised {error}"
    got = wire.restore(answer.get("value"))
    if got is None:
        return NOT_ANSWERED
    if isinstance(got, dict) and wire.UNSUPPORTED in got:
        return f"returned a {got[wire.UNSUPPORTED]}, which the grader cannot check"
    try:
        return (case.compare or equal)(got, case.expected_value(student))
    except Exception as exc:  # a malformed answer must not crash the grader
        return f"the result could not be compared ({type(exc).__name__}: {exc})"


def verdict(check, answers, solution_source=None, threshold=SIMILARITY_THRESHOLD, student=None):
    """Verdict of `check` from {case index: runner answer} and the solution cell's source;
    ``student``: the id being graded (for a case whose expected value is per student)."""
    used = sorted({u for a in answers.values() if a for u in a.get("used", [])})
    imported = imported_reference(solution_source or "", check.reference) if check.reference else None
    sim = None
    targets = check.similar_to if check.similar_to is not None else check.reference
    if solution_source and targets:
        body = function_source(solution_source, check.function)
        scores, sources = [], []
        for target in targets:
            try:
                sources.append(reference_source(target))
            except Exception:
                continue
            scores.append(similarity(body, sources[-1]))
        if len(sources) > 1:  # the whole cell against all of them: a copy of helpers and caller
            scores.append(similarity(solution_source, "\n".join(sources)))
        sim = round(max(scores), 3) if scores else None
    flagged = sim is not None and sim >= threshold
    total = len(check.cases)
    if used or imported:
        name = (used or [imported])[0].replace(":", ".")
        sentence = (f"No credit: {check.function} uses the package's reference {name} for this "
                    f"exercise, which you are asked to write yourself.")
        return Verdict(check.grade_id, 0.0, sentence, 0, total, sentence, sim, flagged)
    if check.grade is not None:
        return _graded(check, answers.get(0), sim, flagged, student)
    reasons = [_case_reason(check, case, answers.get(i), student)
               for i, case in enumerate(check.cases)]
    passed = sum(r is None for r in reasons)
    failed = [(case, r) for case, r in zip(check.cases, reasons) if r is not None]
    if not failed:
        return Verdict(check.grade_id, 1.0, f"{check.function}: all {total} checks passed.",
                       passed, total, "", sim, flagged)
    if all(r == NOT_ANSWERED for _, r in failed) and passed == 0:
        return Verdict(check.grade_id, 0.0, f"{check.function} is {NOT_ANSWERED}.", 0, total,
                       "", sim, flagged)
    case, reason = failed[0]
    what = f" ({check.property})" if check.property else ""
    message = (f"{check.function} fails {len(failed)} of {total} checks{what}; "
               f"first: {case.what}: {reason}")
    fraction = passed / total if check.scoring == "fraction" and total else 0.0
    return Verdict(check.grade_id, fraction if math.isfinite(fraction) else 0.0, message,
                   passed, total, "", sim, flagged)


def _graded(check, answer, sim, flagged, student=None):
    """Verdict of a check with its own `grade` function (one case)."""
    case = check.cases[0]
    reason = _case_reason(check, case, answer, student)
    if answer is None or not answer.get("ok"):
        text = f"{check.function} is {reason}." if reason == NOT_ANSWERED else f"{check.function}: {reason}."
        return Verdict(check.grade_id, 0.0, text, 0, 1, "", sim, flagged)
    if reason == NOT_ANSWERED:  # None: 0 points, and whatever the check explains about it
        try:
            _, message = check.grade(None, case.expected_value(student))
        except Exception:
            message = ""
        text = f"{check.function} is {NOT_ANSWERED}." + (f"\n{message}" if message else "")
        return Verdict(check.grade_id, 0.0, text, 0, 1, "", sim, flagged)
    record = None
    try:
        fraction, message, *rest = check.grade(wire.restore(answer.get("value")),
                                               case.expected_value(student))
        fraction = min(1.0, max(0.0, float(fraction)))
        record = wire.plain(rest[0]) if rest else None
    except Exception as exc:
        fraction, message = 0.0, f"could not read the answer ({type(exc).__name__})"
    if not math.isfinite(fraction):
        fraction = 0.0
    return Verdict(check.grade_id, fraction, message, int(fraction >= 1.0), 1, "", sim, flagged,
                   record=record)


def load(path):
    """Import a hidden_checks.py by path (once per path and modification time)."""
    import os
    key = (str(path), os.stat(path).st_mtime_ns)
    if key not in _LOADED:
        spec = importlib.util.spec_from_file_location(f"hidden_checks_{len(_LOADED)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _LOADED[key] = module
    return _LOADED[key]


_LOADED = {}
