"""Read a student's answer in whatever reasonable form it comes, or say exactly what is wrong.

Multiple choice: ``"AC"``, ``"a, c"``, ``"A C"``, ``"c,a"``, ``"(A) (C)"``, ``{"A", "C"}``,
``["a", "c"]`` all read as ``frozenset({"A", "C"})``. Numbers: ``1234``, ``"1,234"``,
``"1_234"``, ``1234.0``. Yes/no: ``True``, ``"yes"``, ``"fits"``. Anything else raises
:class:`AnswerFormatError` with a message a student can act on.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable

# characters that may separate option letters: spaces, commas, semicolons, slashes, plus, ampersand
_SEPARATORS = re.compile(r"[\s,;/+&|]+")
# decoration around a single token that we ignore: "(A)", "A.", "A)", "[A]", quotes
_DECORATION = "()[]{}.:'\"`"


class AnswerFormatError(ValueError):
    """An answer that cannot be read; ``reason`` is a short code, ``str(err)`` says what to fix.

    Reasons: ``"unanswered"`` (None), ``"empty"``, ``"unknown-letter"``, ``"wrong-type"``,
    ``"not-a-number"``, ``"not-yes-no"``.
    """

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def _letters_of(options) -> tuple[str, ...]:
    """Option letters from a Question, a mapping letter->text, or an iterable/str of letters."""
    if hasattr(options, "letters"):
        return tuple(options.letters)
    return tuple(str(x).upper() for x in options)


def _known(letters) -> str:
    return ", ".join(letters)


def _read_token(token: str, letters: tuple[str, ...]) -> list[str]:
    tok = token.strip(_DECORATION)
    if not tok:
        return []
    if not tok.isalpha():
        raise AnswerFormatError(
            f"could not read {token!r}: write option letters such as \"AC\" "
            f"(options are {_known(letters)})", "unknown-letter")
    found = []
    for ch in tok.upper():
        if ch not in letters:
            where = "" if len(tok) == 1 else f" in {token!r}"
            raise AnswerFormatError(
                f"unknown option {ch!r}{where}: options are {_known(letters)}", "unknown-letter")
        found.append(ch)
    return found


def parse_answer(value, options) -> frozenset[str]:
    """Read a multiple-choice answer as a frozenset of upper-case option letters.

    ``value`` is a string of letters (any case, any order, separated by nothing, spaces,
    commas, semicolons, slashes or ``+``; ``"(A)"`` and ``"A."`` are fine) or a set, list or
    tuple of such strings. ``options`` is a :class:`Question`, a mapping letter->text or an
    iterable of letters. Repeated letters count once. Does not mutate ``value``.

    Raises :class:`AnswerFormatError` for None (unanswered), an empty answer, a letter that
    is not an option, or a value of another type (numbers, dicts, booleans, ...).
    """
    letters = _letters_of(options)
    if value is None:
        raise AnswerFormatError(
            "unanswered: replace None with the letters you choose, as a string or a list",
            "unanswered")
    if isinstance(value, str):
        parts = [value]
    elif isinstance(value, (set, frozenset, list, tuple)):
        parts = list(value)
        for part in parts:
            if not isinstance(part, str):
                raise AnswerFormatError(
                    f"wrong type: the {type(value).__name__} holds {part!r} "
                    f"({type(part).__name__}); use letters as strings, e.g. {{\"A\", \"C\"}}",
                    "wrong-type")
    else:
        raise AnswerFormatError(
            f"wrong type: got {value!r} ({type(value).__name__}); write a string of option "
            f"letters such as \"AC\" or a set such as {{\"A\", \"C\"}}", "wrong-type")
    chosen = []
    for part in parts:
        for token in _SEPARATORS.split(part):
            chosen += _read_token(token, letters)
    if not chosen:
        raise AnswerFormatError(
            f"empty answer: choose at least one option (options are {_known(letters)})", "empty")
    return frozenset(chosen)


def format_letters(letters: Iterable[str]) -> str:
    """Letters in alphabetical order joined by ', ' (``{"C", "A"}`` -> ``"A, C"``)."""
    return ", ".join(sorted(letters))


def parse_number(value) -> float | int:
    """Read a numeric answer: int, integral-or-not float, numpy scalar or a string of digits.

    Strings may use ``,`` or ``_`` or spaces as thousands separators (``"1,234"``). Returns an
    int when the value is integral, else a float. Raises :class:`AnswerFormatError` for None,
    booleans, NaN/inf and anything that is not a number; units are not accepted (answer in
    the unit the question asks for, bytes for memory).
    """
    if value is None:
        raise AnswerFormatError("unanswered: replace None with a number", "unanswered")
    if isinstance(value, bool):
        raise AnswerFormatError(f"wrong type: got {value!r}; expected a number", "wrong-type")
    if isinstance(value, str):
        text = re.sub(r"[\s,_]", "", value)
        try:
            num = float(text) if text else math.nan
        except ValueError:
            raise AnswerFormatError(
                f"not a number: {value!r}; write digits only, in the unit the question asks "
                f"for (e.g. 12544, not \"12.25 kB\")", "not-a-number") from None
        if not text:
            raise AnswerFormatError("empty answer: write a number", "empty")
    elif isinstance(value, numbers.Real):
        num = float(value)
    else:
        raise AnswerFormatError(
            f"wrong type: got {value!r} ({type(value).__name__}); expected a number", "wrong-type")
    if not math.isfinite(num):
        raise AnswerFormatError(f"not a number: {value!r} is not finite", "not-a-number")
    return int(num) if num.is_integer() and abs(num) < 2**53 else num


_YES = {"yes", "y", "true", "t", "1", "fits", "fit"}
_NO = {"no", "n", "false", "f", "0", "does not fit", "doesn't fit", "no fit"}


def parse_bool(value) -> bool:
    """Read a yes/no answer: True/False, 1/0 or a string such as "yes", "no", "fits"."""
    if value is None:
        raise AnswerFormatError("unanswered: replace None with True or False", "unanswered")
    if isinstance(value, bool):
        return value
    if getattr(getattr(value, "dtype", None), "kind", "") == "b":  # numpy bool
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = " ".join(value.lower().split())
        if text in _YES:
            return True
        if text in _NO:
            return False
    raise AnswerFormatError(
        f"not yes/no: got {value!r}; write True or False", "not-yes-no")
