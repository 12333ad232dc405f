"""A hidden check's verdict, reached outside the sandbox from the runner's plain answers.

The verdict of a check is all-or-nothing (`scoring="all"`) or the fraction of cases passed
(`scoring="fraction"`, partial credit through nbgrader's numeric cell output), or what the
check's own `grade` function says (a quiz answer, a challenge's published scale). Integrity: a
check whose function reached one of its `reference` functions (the runner's tripwires), or whose
solution cell imports one, scores 0 with one sentence saying why; the solution is also scored
for similarity with the reference's source and flagged at or above the threshold (a TA decides).

Bounded: what the grader does with one answer (`compare`, a check's `grade`: a challenge's
model rebuilt and measured) runs under a budget of `limits.GRADER.verdict_seconds` CPU seconds
of the grader's process (`cpu_budget`); past it the check scores 0 with one sentence. The
expected values are computed before the budget starts (they are the grader's own, cached).
"""
import ast
import contextlib
import math
import signal
import threading

from . import plain_data
from .check_declarations import SIMILARITY_THRESHOLD
from .comparisons import equal
from .integrity import function_source, imported_reference, similarity
from .limits import GRADER
from .messages import Verdict

NOT_ANSWERED = "not answered yet"
UNDEFINED = "is not defined when the checks run"  # an answered cell whose definition never ran
RETURNED_NONE = "returned None (does the function end with `return`?)"
MAX_SHOWN = 3  # failing cases named in one feedback sentence


class BudgetExceeded(BaseException):
    """The grader's work on one answer ran past its CPU budget (a BaseException, so that a
    check's own ``except Exception`` cannot swallow it)."""


def over_budget(seconds):
    return (f"the grader's measurement of this answer ran past its budget of {seconds:g} CPU "
            f"seconds (the answer is too costly to check; nothing was measured)")


@contextlib.contextmanager
def cpu_budget(seconds=None):
    """Raise BudgetExceeded in the block once the process has spent ``seconds`` (default
    GRADER.verdict_seconds) of CPU in it (ITIMER_PROF: user + system, all threads). Only in the
    main thread (where nbgrader and the grading worker run checks); elsewhere no limit."""
    seconds = GRADER.verdict_seconds if seconds is None else seconds
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise BudgetExceeded(over_budget(seconds))
    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def is_stub_source(source, name):
    """True when cell ``source`` defines ``def name`` with a body of only a docstring, ``...``,
    ``pass`` (the handed-out stub); False for any other body; None when there is no such def
    (``name`` is a variable, or the cell does not parse)."""
    try:
        tree = ast.parse(source or "")
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return all(isinstance(stmt, ast.Pass) or (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                and (stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)))
                for stmt in node.body)
    return None


def _defines(tree, name):
    """Whether a top-level statement of ``tree`` defines ``name`` (def, class, assignment)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        else:
            targets = []
        if name in targets:
            return True
    return False


def _as_python(source):
    """A cell's source as the kernel runs it: IPython's magics and shell escapes made Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def _is_undefined(check, answer):
    """Whether the runner found no ``check.function`` to call (NameError naming it)."""
    return answer is not None and not answer.ok and answer.error.startswith("NameError") \
        and f"'{check.function}'" in answer.error


def undefined_reason(source, name):
    """Why ``name`` did not exist when the checks ran, read from its solution cell ``source``
    (a str, or None when unknown): NOT_ANSWERED for the handed-out stub, a cell holding no code
    and an unknown cell; else one clause starting with UNDEFINED (the cell does not parse, it
    stopped before defining ``name``, or it defines no ``name``)."""
    if source is None or is_stub_source(source, name):
        return NOT_ANSWERED
    try:
        tree = ast.parse(_as_python(source))
    except SyntaxError as exc:
        return f"{UNDEFINED}: its cell does not run (SyntaxError on line {exc.lineno}: {exc.msg})"
    if not tree.body:
        return NOT_ANSWERED
    if _defines(tree, name):
        return (f"{UNDEFINED}: its cell stopped with an error before it defined {name} (the "
                "cell's output shows the error)")
    return f"{UNDEFINED}: its cell defines no {name} (was it renamed?)"


def _case_reason(check, case, answer, student=None, stub=None, undefined=NOT_ANSWERED):
    """None when the answer is right, else why not (one line); ``stub``: whether the solution
    cell still holds the stub (None: unknown), so that only an untouched stub is "not answered
    yet"; ``undefined``: the reason when the function does not exist (undefined_reason)."""
    if answer is None:
        return "the grader got no answer for this call"
    if not answer.ok:
        if _is_undefined(check, answer):
            return undefined
        return f"{check.function} raised {answer.error}"
    try:
        got = plain_data.restore(answer.value)
    except plain_data.PlainDataError as exc:
        return f"returned data the grader does not accept: {exc}"
    if got is None:
        return RETURNED_NONE if stub is False else NOT_ANSWERED
    if isinstance(got, dict) and plain_data.UNSUPPORTED in got:
        return f"returned a {got[plain_data.UNSUPPORTED]}, which the grader cannot check"
    expected = case.expected_value(student)
    try:
        with cpu_budget():
            return (case.compare or equal)(got, expected)
    except BudgetExceeded as exc:
        return str(exc)
    except Exception as exc:  # a malformed answer must not crash the grader
        return f"the result could not be compared ({type(exc).__name__}: {exc})"


def _similarity(check, solution_source):
    """The solution's highest similarity to the reference sources (0..1), or None: nothing to
    compare, or a source so long that comparing it ran past the grader's CPU budget."""
    if not solution_source or not check.similar:
        return None
    try:
        with cpu_budget():
            body = function_source(solution_source, check.function)
            sources = [name.source for name in check.similar]
            scores = [similarity(body, s) for s in sources]
            if len(sources) > 1:  # the whole cell against all of them: helpers and caller copied
                scores.append(similarity(solution_source, "\n".join(sources)))
    except BudgetExceeded:
        return None
    return round(max(scores), 3)


def verdict(check, answers, solution_source=None, threshold=SIMILARITY_THRESHOLD, student=None):
    """Verdict of `check` from {case index: CallResult or None} and its solution cell's source;
    ``student``: the id being graded (for a case whose expected value is per student)."""
    used = sorted({u for a in answers.values() if a is not None for u in a.used})
    imported = imported_reference(solution_source or "", check.reference) \
        if check.reference else None
    sim = _similarity(check, solution_source)
    flagged = sim is not None and sim >= threshold
    total = len(check.cases)
    base = dict(similarity=sim, flagged=flagged, challenge=check.challenge)
    if used or imported:
        name = (used or [imported])[0].replace(":", ".")
        sentence = (f"No credit: {check.function} uses the package's reference {name} for this "
                    f"exercise, which you are asked to write yourself.")
        return Verdict(check.grade_id, 0.0, sentence, 0, total, sentence, **base)
    undefined = undefined_reason(solution_source, check.function) \
        if any(_is_undefined(check, a) for a in answers.values()) else NOT_ANSWERED
    if check.grade is not None:
        return _graded(check, answers.get(0), base, student, undefined)
    stub = is_stub_source(solution_source, check.function) if solution_source else None
    reasons = [_case_reason(check, case, answers.get(i), student, stub, undefined)
               for i, case in enumerate(check.cases)]
    passed = sum(r is None for r in reasons)
    failed = [(case, r) for case, r in zip(check.cases, reasons) if r is not None]
    if undefined != NOT_ANSWERED and passed == 0 and all(r == undefined for _, r in failed):
        return Verdict(check.grade_id, 0.0, f"{check.function} {undefined}.", 0, total, **base)
    if not failed:
        return Verdict(check.grade_id, 1.0, f"{check.function}: all {total} checks passed.",
                       passed, total, **base)
    if all(r == NOT_ANSWERED for _, r in failed) and passed == 0:
        return Verdict(check.grade_id, 0.0, f"{check.function} is {NOT_ANSWERED}.", 0, total,
                       **base)
    what = f" ({check.property})" if check.property else ""
    shown = "; ".join(f"{case.what}: {reason}" for case, reason in failed[:MAX_SHOWN])
    more = f"; and {len(failed) - MAX_SHOWN} more" if len(failed) > MAX_SHOWN else ""
    message = f"{check.function} fails {len(failed)} of {total} checks{what}: {shown}{more}"
    fraction = passed / total if check.scoring == "fraction" and total else 0.0
    return Verdict(check.grade_id, fraction if math.isfinite(fraction) else 0.0, message,
                   passed, total, **base)


def _graded(check, answer, base, student=None, undefined=NOT_ANSWERED):
    """Verdict of a check with its own `grade` function (one case)."""
    case = check.cases[0]
    reason = _case_reason(check, case, answer, student, undefined=undefined)
    if answer is None or not answer.ok:
        text = f"{check.function} is {reason}." if reason == NOT_ANSWERED \
            else f"{check.function} {reason}." if reason.startswith(UNDEFINED) \
            else f"{check.function}: {reason}."
        return Verdict(check.grade_id, 0.0, text, 0, 1, **base)
    if reason == NOT_ANSWERED:  # None: 0 points, and whatever the check explains about it
        try:
            _, message = check.grade(None, case.expected_value(student))
        except Exception:
            message = ""
        text = f"{check.function} is {NOT_ANSWERED}." + (f"\n{message}" if message else "")
        return Verdict(check.grade_id, 0.0, text, 0, 1, **base)
    record, expected = None, case.expected_value(student)
    try:
        with cpu_budget():
            fraction, message, *rest = check.grade(plain_data.restore(answer.value), expected)
        fraction = min(1.0, max(0.0, float(fraction)))
        record = plain_data.plain(rest[0]) if rest else None
    except BudgetExceeded as exc:
        fraction, message = 0.0, f"{check.function}: {exc}."
    except Exception as exc:  # the student's data broke the check: 0, with the reason
        fraction, message = 0.0, f"could not read the answer ({type(exc).__name__}: {exc})"[:500]
    if not math.isfinite(fraction):
        fraction = 0.0
    return Verdict(check.grade_id, fraction, message, int(fraction >= 1.0), 1,
                   record=record, **base)
