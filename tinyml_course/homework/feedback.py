"""Feedback sentences for the visible tests of the homework (no hidden code, no tracebacks to read).

Every check raises :class:`AssertionError` (nbgrader's "failed") whose message is one sentence:
``"tensor_bytes((3, 4, 5), 'float32'): expected 240, got 60"``, or, for an exercise the student
has not started (its stub untouched, :func:`require_answered`), ``"tensor_bytes is not answered
yet: ..."`` (:class:`NotAnswered`). An answered function that returns None or a constant is an
answer: it fails with the values it gave.

Values are compared by :func:`same`: a list and a tuple with equal items are the same answer,
numpy integers and floats equal their Python values, arrays compare element-wise.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np

NOT_ANSWERED = ("is not answered yet: replace `# YOUR CODE HERE` and the `...` under it by your "
                "code, then run the cell")


RETURNED_NONE = "got None (does the function end with `return`?)"


class NotAnswered(AssertionError):
    """An exercise still holds the stub it was handed out with."""


def _stub():
    ...


def _stub_with_docstring():
    """A docstring."""
    ...


_STUB_CODES = {_stub.__code__.co_code, _stub_with_docstring.__code__.co_code}


def is_stub(fn):
    """True when ``fn`` is a function whose body is only a docstring, ``...`` or ``pass``.

    Compares bytecode with stubs compiled by this interpreter, so it holds across Python versions,
    and the constants it returns: ``return 0`` compiles to the stub's bytecode with another
    constant, and is an answer (a wrong one), not a stub.
    """
    code = getattr(fn, "__code__", None)
    if code is None or code.co_code not in _STUB_CODES:
        return False
    return all(const is None or const == fn.__doc__ for const in code.co_consts)


def _names_used(code):
    """Global names a code object (and the functions and lambdas nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_used(const)
    return names


def stubs_used(fn, _seen=None):
    """Names of the stub functions ``fn`` calls through its globals, directly or through other
    functions of the same notebook: the unanswered exercises an answer relies on."""
    seen = _seen if _seen is not None else {id(fn)}
    code, namespace = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    found = []
    for name in sorted(_names_used(code)) if code else []:
        other = namespace.get(name)
        if other is None or id(other) in seen or getattr(other, "__globals__", None) is not namespace:
            continue
        seen.add(id(other))
        found += [name] if is_stub(other) else stubs_used(other, seen)
    return found


def require_answered(*functions):
    """Raise NotAnswered naming every function of ``functions`` that is still a stub, or else
    the stubs an answered one relies on (it would fail with a TypeError on their None)."""
    missing = [getattr(fn, "__name__", repr(fn)) for fn in functions if is_stub(fn)]
    if missing:
        names = ", ".join(missing)
        raise NotAnswered(f"{names} {NOT_ANSWERED}")
    for fn in functions:
        used = stubs_used(fn)
        if used:
            verb = "is" if len(used) == 1 else "are"
            rest = NOT_ANSWERED[len("is "):]
            raise NotAnswered(f"{fn.__name__} uses {', '.join(used)}, which {verb} {rest}")


def _plain(value):
    """numpy scalars -> Python numbers; anything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def same(got, expected, tol=0.0):
    """Whether ``got`` equals ``expected``: sequences (list, tuple, 1-D array) item by item,
    mappings key by key, numbers within ``tol`` (absolute), anything else with ``==``."""
    got, expected = _plain(got), _plain(expected)
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        try:
            a, b = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        except (TypeError, ValueError):
            return False
        return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))
    if isinstance(expected, Mapping):
        return isinstance(got, Mapping) and list(got) == list(expected) and all(
            same(got[k], expected[k], tol) for k in expected)
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        return (isinstance(got, (Sequence, np.ndarray)) and not isinstance(got, str)
                and len(got) == len(expected)
                and all(same(g, e, tol) for g, e in zip(got, expected)))
    if isinstance(expected, bool) or isinstance(got, bool):
        return got is expected if isinstance(got, bool) else False
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        if math.isnan(expected) or math.isnan(got):
            return False
        return abs(got - expected) <= tol
    return got == expected


def _show(value, limit=200):
    text = repr(_plain(value))
    return text if len(text) <= limit else text[:limit] + " ..."


def expect_equal(what, got, expected, tol=0.0, why=""):
    """Fail with "what: expected E, got G" unless ``same(got, expected, tol)``.

    what: the call or quantity in words, e.g. "tensor_bytes((3, 4, 5), 'float32')"; why: an
    optional clause added to the sentence (the property at stake). A ``got`` of None says that
    the function returned nothing. Returns None, as every ``expect_*`` does: a graded cell that
    ends in a check must show no value, since nbgrader reads a number there as the cell's
    partial credit.
    """
    if got is None and expected is not None:
        raise AssertionError(f"{what}: expected {_show(expected)}, {RETURNED_NONE}")
    if not same(got, expected, tol):
        extra = f" ({why})" if why else ""
        raise AssertionError(f"{what}: expected {_show(expected)}, got {_show(got)}{extra}")


def expect_mapping(what, got, expected, unit=""):
    """Dicts keyed in order (op name -> bytes, say): the same keys in the same order, then each
    value, failing on the first difference with "what[key] (unit): expected E, got G"."""
    if got is None:
        raise AssertionError(f"{what}: expected a dict, {RETURNED_NONE}")
    if not isinstance(got, dict):
        raise AssertionError(f"{what}: expected a dict, got {type(got).__name__}")
    expect_equal(f"the keys of {what}", list(got), list(expected), why="one entry each, in order")
    for key, value in expected.items():
        expect_equal(f"{what}[{key!r}]" + (f" ({unit})" if unit else ""), got[key], value)


def expect_close(what, got, expected, tol, why=""):
    """Arrays: fail with the largest difference (and where) unless |got - expected| <= tol."""
    if got is None:
        raise AssertionError(f"{what}: expected an array, {RETURNED_NONE}")
    expected = np.asarray(expected)
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected an array of shape {expected.shape}, "
                             f"got {_show(got)}") from None
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: expected shape {expected.shape}, got shape {got.shape}")
    diff = np.abs(got - expected)
    worst = float(diff.max()) if diff.size else 0.0
    if not worst <= tol:  # also catches NaN
        worst_at = np.argmax(np.where(np.isnan(diff), np.inf, diff)) if diff.size else 0
        where = np.unravel_index(int(worst_at), diff.shape) if diff.size else ()
        extra = f" ({why})" if why else ""
        raise AssertionError(
            f"{what}: expected values within {tol:g}, got a difference of {worst:.3g} at index "
            f"{tuple(int(i) for i in where)} (expected {float(expected[where]):.6g}, got "
            f"{float(got[where]):.6g}){extra}")


def expect_true(condition, sentence):
    """Fail with ``sentence`` (a property in words: "the output lives at the input's address")."""
    if not condition:
        raise AssertionError(sentence)


MAX_SHOWN = 3  # failing cases named in one feedback sentence


def expect_all(what, cases):
    """Run every case and fail once, naming each failing case (up to MAX_SHOWN) and its sentence.

    cases: (name, check) pairs, ``check`` a zero-argument function that raises AssertionError
    (an ``expect_*``) when the case fails; any other exception (the answer crashed on it) is
    that case's failure, named in one line. A stub (NotAnswered) stops at once. The message reads
    "what fails 2 of 3 cases: <name>: <sentence>; <name>: <sentence>", so a student sees every
    rule their answer breaks, not only the first.
    """
    failed = []
    for name, check in cases:
        try:
            check()
        except NotAnswered:
            raise
        except AssertionError as err:
            failed.append(f"{name}: {err}")
        except Exception as err:  # the answer crashed on this case: say how, in one line
            text = str(err).splitlines()[0][:200] if str(err) else ""
            failed.append(f"{name}: raised {type(err).__name__}" + (f": {text}" if text else ""))
    if failed:
        more = f"; and {len(failed) - MAX_SHOWN} more" if len(failed) > MAX_SHOWN else ""
        raise AssertionError(f"{what} fails {len(failed)} of {len(cases)} cases: "
                             + "; ".join(failed[:MAX_SHOWN]) + more)
