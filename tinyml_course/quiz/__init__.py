"""Quizzes: questions, forgiving answer parsing, scoring policies, grading helpers, a widget.

This subpackage holds no answer key. The lecture notebook and the instructor's nbgrader source
load or embed the key (``instructor/takeaway_key.json``) and pass it in.

The widget (:class:`QuizWidget`, needs ipywidgets) is imported lazily, so grading code does not
pull in ipywidgets.
"""

from .answers import (
    AnswerFormatError,
    format_letters,
    parse_answer,
    parse_bool,
    parse_number,
)
from .grading import (
    check_bool,
    check_choice,
    check_number,
    explain_choice,
    grade_bool,
    grade_choice,
    grade_number,
)
from .keys import KEY_ENV_VAR, KEY_RELPATH, KeyEntry, find_key_file, load_key, parse_key
from .questions import TAKEAWAY_QUESTIONS, Question, get_question
from .scoring import (
    ALL_OR_NOTHING,
    DEFAULT_POLICY,
    PARTIAL,
    POLICIES,
    Score,
    ScoringPolicy,
    get_policy,
    score,
    score_bool,
    score_number,
)
from .state import CheckResult, OptionFeedback, QuizState

__all__ = [
    "Question", "TAKEAWAY_QUESTIONS", "get_question",
    "AnswerFormatError", "parse_answer", "parse_number", "parse_bool", "format_letters",
    "ScoringPolicy", "ALL_OR_NOTHING", "PARTIAL", "POLICIES", "DEFAULT_POLICY", "get_policy",
    "Score", "score", "score_number", "score_bool",
    "check_choice", "grade_choice", "explain_choice", "check_number", "grade_number", "check_bool", "grade_bool",
    "KeyEntry", "load_key", "parse_key", "find_key_file", "KEY_RELPATH", "KEY_ENV_VAR",
    "QuizState", "CheckResult", "OptionFeedback", "QuizWidget",
]


def __getattr__(name):
    if name == "QuizWidget":
        from .widget import QuizWidget
        return QuizWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
