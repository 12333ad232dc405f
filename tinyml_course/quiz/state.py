"""The state of an interactive quiz, with no widgets: what the widget shows is computed here.

One question at a time; several options may be selected; :meth:`QuizState.check` judges each
option and reveals the explanation; next/previous move between questions and keep selections.
The key is passed in by the caller (the lecture notebook loads it from outside the package).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .answers import AnswerFormatError, format_letters, parse_answer
from .keys import KeyEntry
from .questions import TAKEAWAY_QUESTIONS, Question
from .scoring import DEFAULT_POLICY, Score, get_policy, score

# how an option is judged after checking: (chosen, correct) -> verdict
VERDICTS = {
    (True, True): "right: correct and chosen",
    (False, False): "right: wrong and left out",
    (True, False): "wrong: chosen but not correct",
    (False, True): "wrong: correct but missed",
}


@dataclass(frozen=True)
class OptionFeedback:
    """One option after checking: was it chosen, is it correct, and the verdict in words."""

    letter: str
    text: str
    chosen: bool
    correct: bool

    @property
    def right(self) -> bool:
        """True when the option was judged right (chosen iff correct)."""
        return self.chosen == self.correct

    @property
    def verdict(self) -> str:
        return VERDICTS[(self.chosen, self.correct)]


@dataclass(frozen=True)
class CheckResult:
    """What "check" reveals for one question; ``options`` is empty when nothing can be judged."""

    question_id: str
    options: tuple[OptionFeedback, ...] = ()
    explanation: str = ""
    score: Score | None = None
    message: str = ""

    @property
    def revealed(self) -> bool:
        return bool(self.options)


def _normalise_key(key, questions) -> dict[str, KeyEntry]:
    by_id = {q.id: q for q in questions}
    out = {}
    for qid, entry in (key or {}).items():
        if qid not in by_id:
            raise ValueError(f"key names unknown question {qid!r}")
        if not isinstance(entry, KeyEntry):
            entry = KeyEntry(parse_answer(entry, by_id[qid]))
        out[qid] = entry
    return out


class QuizState:
    """Selections, position and check results of a quiz over ``questions``.

    ``key`` maps question id -> :class:`KeyEntry` (or plain letters such as ``"AC"``); None
    means no key is loaded: questions can be browsed and answered, but not checked.
    """

    def __init__(self, questions=TAKEAWAY_QUESTIONS, key: Mapping | None = None,
                 policy=DEFAULT_POLICY, points: float = 1.0):
        self.questions: tuple[Question, ...] = tuple(questions)
        if not self.questions:
            raise ValueError("a quiz needs at least one question")
        self.key = _normalise_key(key, self.questions)
        self.policy = get_policy(policy)
        self.points = float(points)
        self.index = 0
        self._selected: dict[str, frozenset] = {q.id: frozenset() for q in self.questions}
        self._results: dict[str, CheckResult] = {}

    def __repr__(self):
        return (f"QuizState(question {self.index + 1}/{len(self.questions)}, "
                f"key={'loaded' if self.key else 'none'}, policy={self.policy.name!r})")

    # position
    @property
    def current(self) -> Question:
        return self.questions[self.index]

    @property
    def at_first(self) -> bool:
        return self.index == 0

    @property
    def at_last(self) -> bool:
        return self.index == len(self.questions) - 1

    def go(self, index: int) -> Question:
        """Move to question ``index`` (0-based, clamped to the valid range)."""
        self.index = max(0, min(len(self.questions) - 1, int(index)))
        return self.current

    def next(self) -> Question:
        return self.go(self.index + 1)

    def previous(self) -> Question:
        return self.go(self.index - 1)

    # selection
    @property
    def selection(self) -> frozenset:
        """The letters selected for the current question."""
        return self._selected[self.current.id]

    def select(self, letter: str, on: bool = True) -> frozenset:
        """Select (or with ``on=False`` unselect) one option; clears a previous check."""
        letter = letter.upper()
        if letter not in self.current.options:
            raise ValueError(f"{self.current.id} has no option {letter!r}")
        sel = set(self.selection)
        (sel.add if on else sel.discard)(letter)
        return self._set(frozenset(sel))

    def toggle(self, letter: str) -> frozenset:
        return self.select(letter, letter.upper() not in self.selection)

    def set_selection(self, letters) -> frozenset:
        """Replace the current selection; ``letters`` in any form parse_answer reads, or empty."""
        if letters is None or (not isinstance(letters, str) and len(letters) == 0) or letters == "":
            return self._set(frozenset())
        return self._set(parse_answer(letters, self.current))

    def _set(self, sel: frozenset) -> frozenset:
        qid = self.current.id
        if sel != self._selected[qid]:
            self._results.pop(qid, None)  # a check of another selection is stale
        self._selected[qid] = sel
        return sel

    # checking
    @property
    def has_key(self) -> bool:
        return bool(self.key)

    def result(self, question_id: str | None = None) -> CheckResult | None:
        """The last check of a question (default: the current one), or None if not checked."""
        return self._results.get(question_id or self.current.id)

    def check(self) -> CheckResult:
        """Judge every option of the current question and reveal the explanation."""
        q = self.current
        entry = self.key.get(q.id)
        if entry is None:
            msg = ("no answer key loaded, so answers cannot be checked"
                   if not self.key else f"the answer key has no entry for {q.id}")
            return CheckResult(q.id, message=msg)
        try:
            chosen = parse_answer(self.selection, q)
        except AnswerFormatError as err:  # e.g. nothing ticked: say so (issue 20 item 17)
            result = CheckResult(q.id, message=f"{err}: tick one or more options, then Check")
            self._results[q.id] = result
            return result
        feedback = tuple(OptionFeedback(x, q.options[x], x in chosen, x in entry.correct)
                         for x in q.letters)
        sc = score(chosen, entry.correct, self.points, self.policy, q)
        n_right = sum(f.right for f in feedback)
        verdict = "all options right" if n_right == len(feedback) else \
            f"{n_right} of {len(feedback)} options right"
        how = ""
        if self.policy.name == "partial":  # why 1 of 3 right can earn 0 (issue 20 item 17)
            n, wrong = len(feedback), len(feedback) - n_right
            how = (f": (right - wrong) / options = ({n_right} - {wrong}) / {n}"
                   + (", never below 0" if n_right < wrong else ""))
        result = CheckResult(q.id, feedback, entry.explanation, sc,
                             f"{verdict}; you chose {format_letters(chosen)}; {sc.message}{how}")
        self._results[q.id] = result
        return result

    def total(self) -> tuple[float, float]:
        """(points earned over checked questions, points possible over all questions)."""
        earned = sum(r.score.earned for r in self._results.values() if r.score is not None)
        return earned, self.points * len(self.questions)
