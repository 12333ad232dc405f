"""Scoring policies for multiple-choice answers, and scoring of numeric and yes/no answers.

A policy is a named, documented object; pick one by name: ``get_policy("partial")``.

``all-or-nothing``
    ``points`` if the chosen set equals the correct set exactly, else 0.

``partial``
    Every option is judged on its own: it is *right* when it is chosen and correct, or left
    out and incorrect; otherwise it is *wrong*. With ``n`` options, ``r`` right and
    ``w = n - r`` wrong::

        score = points * max(0, (r - w) / n)

    so each right option earns ``points / n``, each wrong one costs ``points / n``, and a
    question never scores below 0 (one question cannot take points from another). Example
    with options A, B, C and key {A, B}: "AB" -> 1, "A" -> 1/3 (A, C right; B wrong),
    "ABC" -> 1/3, "C" -> 0 (clamped from -1).

Under both policies an answer that cannot be read (None, empty, unknown letter, wrong type)
scores 0, and :func:`score` returns that 0 with the reason instead of raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..validation import check_scalar
from .answers import (
    AnswerFormatError,
    format_letters,
    parse_answer,
    parse_bool,
    parse_number,
)


@dataclass(frozen=True)
class ScoringPolicy:
    """A named rule turning (chosen letters, correct letters, all letters) into a fraction in [0, 1]."""

    name: str
    description: str
    fraction: Callable[[frozenset, frozenset, tuple], float]

    def __repr__(self):
        return f"ScoringPolicy({self.name!r})"


def _all_or_nothing(chosen: frozenset, correct: frozenset, letters: tuple) -> float:
    return 1.0 if chosen == correct else 0.0


def _partial(chosen: frozenset, correct: frozenset, letters: tuple) -> float:
    n = len(letters)
    right = sum((x in chosen) == (x in correct) for x in letters)
    wrong = n - right
    return max(0.0, (right - wrong) / n)


ALL_OR_NOTHING = ScoringPolicy(
    "all-or-nothing",
    "full points if the chosen options are exactly the correct ones, else 0",
    _all_or_nothing)
PARTIAL = ScoringPolicy(
    "partial",
    "points * max(0, (right - wrong) / n): each of the n options is right when chosen and "
    "correct or left out and incorrect; the question never scores below 0",
    _partial)

POLICIES: dict[str, ScoringPolicy] = {p.name: p for p in (ALL_OR_NOTHING, PARTIAL)}
DEFAULT_POLICY = "partial"


def get_policy(policy: str | ScoringPolicy = DEFAULT_POLICY) -> ScoringPolicy:
    """Return the policy named ``policy`` ("partial", "all-or-nothing"; case and _/- ignored)."""
    if isinstance(policy, ScoringPolicy):
        return policy
    name = str(policy).strip().lower().replace("_", "-").replace(" ", "-")
    if name not in POLICIES:
        raise ValueError(f"unknown scoring policy {policy!r}; known: {', '.join(POLICIES)}")
    return POLICIES[name]


@dataclass(frozen=True)
class Score:
    """The result of scoring one answer: ``earned`` of ``possible`` points and why.

    ``answer`` is what was read (a frozenset of letters, a number, a bool) or None when the
    answer could not be read; then ``error`` holds the :class:`AnswerFormatError` message.
    ``message`` never reveals the correct answer.
    """

    earned: float
    possible: float
    answer: object = None
    error: str | None = None
    policy: str = ""

    def __float__(self):
        return float(self.earned)

    @property
    def message(self) -> str:
        got = f"{_fmt(self.earned)} of {_fmt(self.possible)} point(s)"
        if self.error is not None:
            return f"{got}: {self.error}"
        how = f" ({self.policy})" if self.policy else ""
        return f"{got}{how}"


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _check_points(points) -> float:
    return check_scalar(points, "points", float, min_val=0, error=ValueError)


def score(answer, key, points: float = 1.0, policy: str | ScoringPolicy = DEFAULT_POLICY,
          options=None) -> Score:
    """Score a multiple-choice ``answer`` (any form :func:`parse_answer` reads) against ``key``.

    ``key`` is the correct letters (``"AB"``, ``{"A", "B"}``); ``options`` the question's
    options (a :class:`Question`, a mapping letter->text or the letters ``"ABC"``), required
    because the partial policy depends on how many options there are. A malformed answer
    scores 0 with the reason in ``Score.error``; only a bad key, policy, points or options
    raises.
    """
    pol = get_policy(policy)
    points = _check_points(points)
    if options is None:
        raise TypeError("score() needs options: the question, its option mapping or letters "
                        "such as \"ABC\" (partial credit depends on their number)")
    letters = tuple(options.letters) if hasattr(options, "letters") else \
        tuple(str(x).upper() for x in options)
    try:
        correct = parse_answer(key, letters)
    except AnswerFormatError as err:
        raise ValueError(f"bad answer key {key!r}: {err}") from None
    try:
        chosen = parse_answer(answer, letters)
    except AnswerFormatError as err:
        return Score(0.0, points, None, str(err), pol.name)
    fraction = pol.fraction(chosen, correct, letters)
    return Score(round(points * fraction, 10), points, chosen, None, pol.name)


def score_number(answer, expected, points: float = 1.0, rel_tol: float = 0.0,
                 abs_tol: float = 0.0) -> Score:
    """Score a numeric answer: full ``points`` if it equals ``expected`` within the tolerances.

    Counts in bytes or MACs are integers, so the default is an exact match. Malformed -> 0.
    """
    points = _check_points(points)
    try:
        got = parse_number(answer)
    except AnswerFormatError as err:
        return Score(0.0, points, None, str(err), "exact" if not (rel_tol or abs_tol) else "tolerance")
    ok = math.isclose(got, float(expected), rel_tol=rel_tol, abs_tol=abs_tol) or got == expected
    return Score(points if ok else 0.0, points, got, None, "exact" if not (rel_tol or abs_tol) else "tolerance")


def score_bool(answer, expected: bool, points: float = 1.0) -> Score:
    """Score a yes/no answer: full ``points`` if it equals ``expected``. Malformed -> 0."""
    points = _check_points(points)
    try:
        got = parse_bool(answer)
    except AnswerFormatError as err:
        return Score(0.0, points, None, str(err), "exact")
    return Score(points if got == bool(expected) else 0.0, points, got, None, "exact")


__all__ = ["ScoringPolicy", "ALL_OR_NOTHING", "PARTIAL", "POLICIES", "DEFAULT_POLICY",
           "get_policy", "Score", "score", "score_number", "score_bool", "format_letters"]
