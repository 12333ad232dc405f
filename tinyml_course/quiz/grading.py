"""Helpers for graded notebooks: a visible format check and a grader per kind of answer.

``check_*`` print how an answer was read (or what is wrong with it) and return None; they
never raise, so a student's notebook runs top to bottom whatever is in the answer cells.
``grade_*`` print the points earned (never the correct answer) and return them as a float,
which nbgrader reads as the partial credit of an autograder cell; a malformed answer earns 0
with the reason, and nothing a student writes makes them raise.
"""

from __future__ import annotations

from .answers import (
    AnswerFormatError,
    format_letters,
    parse_answer,
    parse_bool,
    parse_number,
)
from .questions import TAKEAWAY_QUESTIONS, Question, get_question
from .scoring import DEFAULT_POLICY, Score, get_policy, score, score_bool, score_number
from .state import OptionFeedback


def _question(question) -> Question:
    return question if isinstance(question, Question) else get_question(question, TAKEAWAY_QUESTIONS)


def _check(name: str, read, value, show) -> None:
    try:
        got = read(value)
    except AnswerFormatError as err:
        print(f"{name}: {err} -- this answer scores 0 until it is fixed")
        return None
    except Exception as err:  # a student's odd object must not stop the notebook
        print(f"{name}: could not read {value!r} ({type(err).__name__}) -- scores 0 until fixed")
        return None
    print(f"{name}: read as {show(got)}; format OK")
    return None


def check_choice(question, answer) -> None:
    """Print how a multiple-choice answer to ``question`` (an id such as "q1") was read."""
    q = _question(question)
    _check(q.id, lambda v: parse_answer(v, q), answer, format_letters)


def check_number(name: str, answer, unit: str = "") -> None:
    """Print how a numeric answer was read (``unit`` is shown, e.g. "bytes")."""
    _check(name, parse_number, answer, lambda x: f"{x:,} {unit}".rstrip())


def check_bool(name: str, answer) -> None:
    """Print how a yes/no answer was read."""
    _check(name, parse_bool, answer, lambda x: "yes (True)" if x else "no (False)")


def _report(name: str, result: Score) -> float:
    print(f"{name}: {result.message}")
    return float(result.earned)


def _safe(name: str, points: float, scorer) -> float:
    try:
        result = scorer()
    except (TypeError, ValueError, AttributeError, OverflowError) as err:
        result = Score(0.0, float(points), None, f"could not read the answer ({type(err).__name__})")
    return _report(name, result)


def choice_explanation(question, answer, key, explanation: str = "") -> str:
    """Every option of ``question`` with its verdict for ``answer`` (right or wrong, chosen or
    left out) and its text, one per line, then ``explanation``: the feedback read after the
    deadline. An answer that cannot be read counts as no option chosen.
    """
    q = _question(question)
    try:
        chosen = parse_answer(answer, q)
    except Exception:  # a malformed answer: judged as if nothing was chosen
        chosen = frozenset()
    correct = {str(letter).upper() for letter in key}
    lines = []
    for letter in q.letters:
        option = OptionFeedback(letter, q.options[letter], letter in chosen, letter in correct)
        lines.append(f"  ({letter}) {option.verdict}. {option.text}")
    if explanation:
        lines.append(f"  Why: {explanation}")
    return "\n".join(lines)


def explain_choice(question, answer, key, explanation: str = "") -> None:
    """Print ``choice_explanation``."""
    print(choice_explanation(question, answer, key, explanation))


def grade_choice(question, answer, key, points: float = 1.0, policy=DEFAULT_POLICY,
                 explanation: str | None = None) -> float:
    """Score a multiple-choice answer against ``key`` under ``policy``; print and return points.

    The key and policy are checked first, so a mistake by the instructor still raises. With an
    ``explanation`` (the instructor's, from the key), each option is explained after the score
    (explain_choice): graders call this in hidden tests, so students see it in their feedback.
    """
    q = _question(question)
    pol = get_policy(policy)
    score("".join(q.letters[:1]), key, points, pol, q)  # raises on a bad key or points
    earned = _safe(q.id, points, lambda: score(answer, key, points, pol, q))
    if explanation is not None:
        explain_choice(q, answer, key, explanation)
    return earned


def grade_number(name: str, answer, expected, points: float = 1.0, rel_tol: float = 0.0,
                 abs_tol: float = 0.0) -> float:
    """Score a numeric answer against ``expected`` (exact unless a tolerance is given)."""
    return _safe(name, points, lambda: score_number(answer, expected, points, rel_tol, abs_tol))


def grade_bool(name: str, answer, expected: bool, points: float = 1.0) -> float:
    """Score a yes/no answer against ``expected``."""
    return _safe(name, points, lambda: score_bool(answer, expected, points))
