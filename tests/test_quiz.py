"""tinyml_course.quiz: answer parsing, scoring policies, grading helpers, quiz state, widget."""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinyml_course.quiz import TAKEAWAY_QUESTIONS, AnswerFormatError, KeyEntry, QuizState, QuizWidget, check_choice, get_policy, get_question, grade_bool, grade_choice, grade_number, parse_answer, parse_bool, parse_number, score

ABC = "ABC"


# --- parse_answer ------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["AC", "a, c", "A C", {"A", "C"}, ["a", "c"], "c,a", "ca",
                                   ("C", "A"), frozenset("AC"), " a;c ", "(A) (C)", "A. C.",
                                   "A+C", "a/c", "AAC", ["AC"]])
def test_forgiving_forms_read_the_same(value):
    """Do all the forgiving forms of "A and C" read as {A, C}?"""
    assert parse_answer(value, ABC) == frozenset({"A", "C"})


@pytest.mark.parametrize("value, reason, fragment", [
    (None, "unanswered", "unanswered"),
    ("", "empty", "empty answer"),
    ("  , ", "empty", "empty answer"),
    (set(), "empty", "empty answer"),
    ("D", "unknown-letter", "'D'"),
    ("AD", "unknown-letter", "'D'"),
    ("A, 2", "unknown-letter", "'2'"),
    (3, "wrong-type", "int"),
    (True, "wrong-type", "bool"),
    ({"A": 1}, "wrong-type", "dict"),
    (["A", 1], "wrong-type", "holds 1"),
])
def test_malformed_answers_name_the_problem(value, reason, fragment):
    """Does a malformed answer raise AnswerFormatError (a ValueError) saying what is wrong?"""
    with pytest.raises(AnswerFormatError) as err:
        parse_answer(value, ABC)
    assert isinstance(err.value, ValueError)
    assert err.value.reason == reason
    assert fragment in str(err.value), str(err.value)


def test_unknown_letter_message_lists_options():
    """Does the message for an unknown letter list the valid options?"""
    with pytest.raises(AnswerFormatError, match=r"unknown option 'D': options are A, B, C"):
        parse_answer("D", get_question("q1"))


letters = st.sets(st.sampled_from("ABC"), min_size=1)


@given(letters, st.sampled_from([", ", " ", "", ";", "/"]), st.booleans(), st.randoms())
def test_any_order_case_and_separator(chosen, sep, lower, rnd):
    """Is the reading independent of order, case and separator?"""
    order = sorted(chosen)
    rnd.shuffle(order)
    text = sep.join(x.lower() if lower else x for x in order)
    assert parse_answer(text, ABC) == frozenset(chosen)
    assert parse_answer(list(order), ABC) == frozenset(chosen)


@given(st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=8),
                 st.lists(st.text(max_size=3), max_size=3), st.dictionaries(st.text(), st.text())))
def test_parser_only_raises_answer_format_error(value):
    """Does anything a student may write either parse to a subset of A..C or raise AnswerFormatError?"""
    try:
        got = parse_answer(value, ABC)
    except AnswerFormatError as err:
        assert str(err)
    else:
        assert got and got <= set(ABC)


def test_numbers_and_booleans():
    """Are numbers and yes/no answers read forgivingly, and garbage rejected with a reason?"""
    assert parse_number("1,234") == 1234 and parse_number("1_234") == 1234
    assert parse_number(76800.0) == 76800 and isinstance(parse_number(76800.0), int)
    assert parse_number("2.5") == 2.5
    for bad, reason in [(None, "unanswered"), ("12 kB", "not-a-number"), (True, "wrong-type"),
                        (float("nan"), "not-a-number"), ("", "empty"), ([1], "wrong-type")]:
        with pytest.raises(AnswerFormatError) as err:
            parse_number(bad)
        assert err.value.reason == reason, bad
    assert parse_bool("Yes") is True and parse_bool("no") is False and parse_bool(0) is False
    with pytest.raises(AnswerFormatError):
        parse_bool("maybe")


# --- scoring policies ----------------------------------------------------------------------

# (answer, key, all-or-nothing, partial) with 3 options and 1 point; partial worked by hand:
# right = options chosen-and-correct or left-out-and-incorrect, partial = max(0, (r - w) / 3)
CASES = [
    ("AB", "AB", 1, 1),          # r=3 w=0
    ("A", "AB", 0, 1 / 3),       # A right, C right, B wrong: (2-1)/3
    ("ABC", "AB", 0, 1 / 3),     # A, B right, C wrong
    ("C", "AB", 0, 0),           # r=0 w=3 -> -1, clamped to 0
    ("BC", "AB", 0, 0),          # B right, A and C wrong -> -1/3 -> 0
    ("C", "C", 1, 1),
    ("ABC", "C", 0, 0),          # C right, A and B wrong
    ("AC", "C", 0, 1 / 3),       # B, C right, A wrong
    ("A", "ABC", 0, 0),          # A right, B and C wrong
    ("AB", "ABC", 0, 1 / 3),
]


@pytest.mark.parametrize("answer, key, aon, partial", CASES)
def test_policies_match_hand_computed_scores(answer, key, aon, partial):
    """Do both policies give the hand-computed score of each case?"""
    assert score(answer, key, 1, "all-or-nothing", ABC).earned == aon
    assert score(answer, key, 1, "partial", ABC).earned == pytest.approx(partial)
    assert score(answer, key, 2.5, "partial", ABC).earned == pytest.approx(2.5 * partial)


def test_partial_with_four_options():
    """Does partial credit divide by the number of options (here 4)?"""
    # key AB, answer A over ABCD: A, C, D right, B wrong -> (3 - 1) / 4
    assert score("A", "AB", 4, "partial", "ABCD").earned == pytest.approx(2)


@given(st.sets(st.sampled_from("ABCD"), min_size=1), st.sets(st.sampled_from("ABCD"), min_size=1))
def test_scores_stay_between_zero_and_points(answer, key):
    """Is every score in [0, points], full only for the exact key, under both policies?"""
    for name in ("partial", "all-or-nothing"):
        got = score(answer, key, 3, name, "ABCD").earned
        assert 0 <= got <= 3
        assert (got == 3) == (answer == key)


@pytest.mark.parametrize("bad", [None, "", "D", 7, ["A", None]])
def test_malformed_answer_scores_zero_with_message(bad):
    """Does a malformed answer score 0 with its reason instead of raising?"""
    for name in ("partial", "all-or-nothing"):
        result = score(bad, "AB", 1, name, ABC)
        assert result.earned == 0 and result.answer is None and result.error
        assert result.error in result.message


def test_policy_lookup_and_errors():
    """Are policies found by forgiving name, and are bad policy/key/options loud?"""
    assert get_policy("All_Or_Nothing").name == "all-or-nothing"
    assert get_policy(get_policy("partial")) is get_policy("partial")
    with pytest.raises(ValueError, match="unknown scoring policy"):
        get_policy("generous")
    with pytest.raises(ValueError, match="bad answer key"):
        score("A", "AD", 1, "partial", ABC)
    with pytest.raises(TypeError, match="needs options"):
        score("A", "A", 1, "partial")


def test_score_message_never_reveals_key():
    """Does the message of a score say the points, not the correct letters?"""
    msg = score("A", "BC", 1, "partial", ABC).message
    assert "B" not in msg.replace("(partial)", "") and "0 of 1" in msg


# --- notebook grading helpers -----------------------------------------------------------------

def test_grade_helpers_print_and_return_points(capsys):
    """Do the grade helpers return a float, print the points and never raise on bad input?"""
    assert grade_choice("q1", "a,b", ["A", "B", "C"], points=1, policy="partial") == \
        pytest.approx(1 / 3)
    assert grade_choice("q1", "AB", "ABC", points=1, policy="all-or-nothing") == 0
    assert grade_choice("q1", object(), "ABC") == 0
    assert grade_number("c1", "76,800", 76800) == 1.0
    assert grade_number("c1", "76.8 kB", 76800) == 0.0
    assert grade_number("c1", 76799, 76800) == 0.0
    assert grade_bool("c5", "no", False) == 1.0 and grade_bool("c5", None, False) == 0.0
    out = capsys.readouterr().out
    assert "q1: 0.3333 of 1 point(s) (partial)" in out and "not a number" in out
    with pytest.raises(ValueError):  # the instructor's key is checked, loudly
        grade_choice("q1", "A", "AZ")


@pytest.mark.parametrize("value, expected", [
    ("AC", "q1: read as A, C; format OK"), (None, "q1: unanswered"),
    ("AD", "q1: unknown option 'D' in 'AD'"), (12, "q1: wrong type")])
def test_check_choice_prints_how_answer_was_read(capsys, value, expected):
    """Does the visible format check print a clear line and return None, never raising?"""
    assert check_choice("q1", value) is None
    assert capsys.readouterr().out.startswith(expected)


# --- questions ------------------------------------------------------------------------------

def test_takeaway_questions_are_the_lectures():
    """Are there seven questions q1..q7 with options A, B, C, as the lecture has them?"""
    assert [q.id for q in TAKEAWAY_QUESTIONS] == [f"q{i}" for i in range(1, 8)]
    assert all(q.letters == ("A", "B", "C") for q in TAKEAWAY_QUESTIONS)
    assert get_question("q7").options["C"] == "Regularization"
    with pytest.raises(TypeError):
        get_question("q1").options["D"] = "x"  # shared questions are read-only
    with pytest.raises(KeyError, match="q1, q2"):
        get_question("q9")


# --- quiz state (the logic under the widget) ---------------------------------------------

KEY = {"q1": KeyEntry(frozenset("ABC"), "all three"), "q2": KeyEntry(frozenset("AB"), "why q2")}


def test_state_navigation_keeps_selections():
    """Do next/previous clamp at the ends and keep each question's selection?"""
    s = QuizState(TAKEAWAY_QUESTIONS, KEY)
    assert s.at_first and s.previous().id == "q1"
    s.toggle("a")
    s.next()
    assert s.current.id == "q2" and s.selection == frozenset()
    s.set_selection("b, c")
    s.previous()
    assert s.selection == {"A"}
    s.go(100)
    assert s.at_last and s.current.id == "q7"
    with pytest.raises(ValueError, match="no option 'D'"):
        s.select("D")


def test_state_check_judges_each_option():
    """Does check reveal a verdict per option, the explanation and the policy's score?"""
    s = QuizState(TAKEAWAY_QUESTIONS, KEY, policy="partial")
    s.next()  # q2, key AB
    s.set_selection("AC")
    result = s.check()
    assert [(f.letter, f.chosen, f.correct, f.right) for f in result.options] == [
        ("A", True, True, True), ("B", False, True, False), ("C", True, False, False)]
    assert result.options[1].verdict == "wrong: correct but missed"
    assert result.explanation == "why q2" and result.score.earned == 0  # (1 - 2) / 3 -> 0
    assert s.result() is result
    s.toggle("C")  # now "A": (2 - 1) / 3
    assert s.result() is None, "a check of another selection must not be shown"
    assert s.check().score.earned == pytest.approx(1 / 3)
    assert s.total() == (pytest.approx(1 / 3), 7.0)


def test_state_without_key_or_selection():
    """Without a key, or with nothing selected, does check explain instead of revealing?"""
    s = QuizState(TAKEAWAY_QUESTIONS, key=None)
    assert not s.has_key and "no answer key" in s.check().message and not s.check().revealed
    s = QuizState(TAKEAWAY_QUESTIONS, KEY)
    assert "empty answer" in s.check().message
    s.go(2)
    assert "no entry for q3" in s.check().message
    assert QuizState(TAKEAWAY_QUESTIONS, {"q1": "abc"}).key["q1"].correct == {"A", "B", "C"}


# --- the widget, driven without a browser ------------------------------------------------------

def test_widget_click_through():
    """Do checkbox and button events go through the state and redraw the feedback?"""
    w = QuizWidget(TAKEAWAY_QUESTIONS, key=KEY, policy="all-or-nothing")
    assert "Question 1 of 7" in w.question_html.value and w.previous_button.disabled
    for letter in "ABC":
        w.checkboxes[letter].value = True
    w.check_button.click()
    assert "all three" in w.feedback_html.value and "1 of 1 point" in w.feedback_html.value
    w.checkboxes["C"].value = False
    assert w.feedback_html.value == "", "changing a choice hides the stale check"
    w.next_button.click()
    assert "Question 2 of 7" in w.question_html.value and not any(
        b.value for b in w.checkboxes.values())
    w.previous_button.click()
    assert [b.value for b in w.checkboxes.values()] == [True, True, False]


def test_widget_without_key_disables_check():
    """Is Check disabled, with a tooltip, when no key is passed?"""
    w = QuizWidget(TAKEAWAY_QUESTIONS)
    assert w.check_button.disabled and "no answer key" in w.check_button.tooltip
    w.next_button.click()
    assert "Question 2 of 7" in w.question_html.value


def test_nan_points_rejected():
    """Are nonsense points refused (a grading cell must never be worth NaN)?"""
    with pytest.raises(ValueError):
        score("A", "A", math.nan, "partial", ABC)


def test_grade_choice_explains_every_option(capsys):
    """With an explanation, does grading print each option's verdict and the reason, also for a
    malformed answer (judged as nothing chosen), and still return the points?"""
    q = TAKEAWAY_QUESTIONS[0]
    letters = q.letters
    earned = grade_choice(q.id, letters[0], key=[letters[0], letters[1]], points=1.0,
                          policy="all-or-nothing", explanation="because.")
    out = capsys.readouterr().out
    assert earned == 0.0
    assert f"({letters[0]}) right: correct and chosen. {q.options[letters[0]]}" in out
    assert f"({letters[1]}) wrong: correct but missed. {q.options[letters[1]]}" in out
    assert out.rstrip().endswith("Why: because.")
    grade_choice(q.id, 42, key=[letters[0]], explanation="x")
    out = capsys.readouterr().out
    assert f"({letters[0]}) wrong: correct but missed." in out
    grade_choice(q.id, letters[0], key=[letters[0]])
    assert "Why:" not in capsys.readouterr().out  # no explanation given: none printed


def test_check_with_nothing_ticked_says_so():
    """Issue 20 item 17: does Check with no option ticked show a message (it showed nothing)?"""
    from tinyml_course.quiz import QuizWidget
    quiz = QuizWidget(TAKEAWAY_QUESTIONS, key=KEY)
    quiz.check_button.click()
    assert "tick one or more options" in quiz.feedback_html.value


def test_partial_check_shows_why_one_of_three_right_earns_nothing():
    """Issue 20 item 17: 'partial' gave 0 for 1 of 3 options right with no word why. On q2
    (key AB) does the message show the policy's arithmetic: 'A, C' (1 right, 2 wrong) earns 0,
    'A' (2 right, 1 wrong) earns 1/3? Seen failing: it ended at '0 of 1 point(s) (partial)'."""
    s = QuizState(TAKEAWAY_QUESTIONS, KEY, policy="partial")
    s.next()  # q2, key AB
    s.set_selection("AC")  # A right, B missed, C wrong: 1 right, 2 wrong
    assert s.check().message.endswith(
        "0 of 1 point(s) (partial): (right - wrong) / options = (1 - 2) / 3, never below 0")
    s.set_selection("A")  # A right, B missed, C rightly left out: 2 right, 1 wrong
    assert s.check().message.endswith("(partial): (right - wrong) / options = (2 - 1) / 3")
    aon = QuizState(TAKEAWAY_QUESTIONS, KEY, policy="all-or-nothing")
    aon.next()
    aon.set_selection("A")
    assert aon.check().message.endswith("0 of 1 point(s) (all-or-nothing)")
