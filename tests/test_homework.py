"""tinyml_course.homework: feedback sentences (the challenges: test_challenges.py, the records:
test_homework_records.py, plain models: test_plain_model.py)."""
import numpy as np
import pytest

from tinyml_course.homework import (NotAnswered, expect_close, expect_equal, is_stub,
                                    require_answered, same)


# ---------------------------------------------------------------- feedback

def _stub_with_docstring(x):
    """Handed out like this."""
    # YOUR CODE HERE
    ...


def _stub_pass(x):
    pass


def _answered(x):
    """Answered."""
    return x + 1


def test_stubs_are_recognised():
    """Is a handed-out stub (docstring + `...`, or `pass`) told apart from an answer?"""
    assert is_stub(_stub_with_docstring) and is_stub(_stub_pass)
    assert not is_stub(_answered) and not is_stub(len)


def test_require_answered_names_every_stub():
    """Does an unanswered exercise say "not answered yet", naming each stub and no answer?"""
    with pytest.raises(NotAnswered) as err:
        require_answered(_answered, _stub_pass, _stub_with_docstring)
    message = str(err.value)
    assert "_stub_pass, _stub_with_docstring is not answered yet" in message
    assert "_answered" not in message.replace("_stub", "")
    require_answered(_answered)  # no error


def _uses_a_stub(x):
    """Answered, but relies on an unanswered exercise."""
    return [_stub_pass(v) + 1 for v in x]


def _uses_it_indirectly(x):
    return _uses_a_stub(x) + [_answered(x[0])]


def test_require_answered_names_the_stubs_an_answer_uses():
    """Does an answer that calls an unanswered exercise (directly or through another answer, in
    a nested expression) say which one is not answered yet, instead of a TypeError?"""
    with pytest.raises(NotAnswered) as err:
        require_answered(_uses_it_indirectly)
    assert str(err.value).startswith("_uses_it_indirectly uses _stub_pass, which is not answered yet")
    assert not is_stub(_uses_a_stub)
    with pytest.raises(TypeError):  # what the student would have seen
        _uses_it_indirectly([1])


@pytest.mark.parametrize("got, expected", [
    ([3, 8], (3, 8)), ((np.int64(3), np.int32(8)), (3, 8)), (np.array([3, 8]), (3, 8)),
    ({"a": [1, 2]}, {"a": (1, 2)}), (np.float32(0.5), 0.5), ([[1, 2], (3,)], ((1, 2), [3])),
])
def test_same_accepts_equal_values_in_other_containers(got, expected):
    """Is a list where a tuple is natural (or numpy numbers) the same answer?"""
    assert same(got, expected)


@pytest.mark.parametrize("got, expected", [
    ([3, 9], (3, 8)), ([3], (3, 8)), ("38", (3, 8)), (True, 1), (1, True),
    ({"b": 1, "a": 2}, {"a": 2, "b": 1}), (float("nan"), float("nan")), (None, 0),
])
def test_same_rejects_different_answers(got, expected):
    """Are other values, other lengths, strings, bools for ints and reordered dicts rejected?"""
    assert not same(got, expected)


def test_expect_equal_says_expected_and_got():
    """Does a failure read "what: expected E, got G (why)", and None ask for the `return` (an
    answered function is never "not answered yet")?"""
    with pytest.raises(AssertionError) as err:
        expect_equal("f(2)", [3, 9], (3, 8), why="rows are half-open")
    assert str(err.value) == "f(2): expected (3, 8), got [3, 9] (rows are half-open)"
    with pytest.raises(AssertionError) as err:
        expect_equal("f(2)", None, (3, 8))
    assert not isinstance(err.value, NotAnswered)
    assert str(err.value) == ("f(2): expected (3, 8), got None (does the function end with "
                              "`return`?)")
    # a list where a tuple is natural passes, and the check shows no value: a graded cell ending
    # in it would otherwise hand nbgrader a number to read as partial credit (538 > 2 points)
    assert expect_equal("f(2)", [3, 8], (3, 8)) is None
    assert expect_equal("zeros", 538, 538) is None
    expect_equal("x", 0.1 + 0.2, 0.3, tol=1e-12)


def test_expect_close_names_the_worst_element():
    """Does an array failure give the largest difference and where, and catch NaN and shapes?"""
    with pytest.raises(AssertionError, match=r"difference of 0.5 at index \(1, 0\) \(expected 3, got 3.5\)"):
        expect_close("y", [[1.0, 2.0], [3.5, 4.0]], np.array([[1, 2], [3, 4]]), 1e-6)
    with pytest.raises(AssertionError, match="expected shape \\(2,\\), got shape \\(3,\\)"):
        expect_close("y", [1, 2, 3], np.zeros(2), 1e-6)
    with pytest.raises(AssertionError):
        expect_close("y", [float("nan")], np.zeros(1), 1e-6)


def test_expect_mapping_names_the_first_differing_key():
    """Does a dict check fail on the order of the keys, then name the first wrong value?"""
    from tinyml_course.homework import expect_mapping
    want = {"stem": 5120, "block0.dw": 6144}
    assert expect_mapping("f(net)", {"stem": 5120, "block0.dw": 6144}, want) is None  # passes, shows no value
    with pytest.raises(AssertionError, match=r"the keys of f\(net\): expected \['stem', 'block0.dw'\]"):
        expect_mapping("f(net)", {"block0.dw": 6144, "stem": 5120}, want)
    with pytest.raises(AssertionError, match=r"f\(net\)\['block0.dw'\] \(bytes\): expected 6144, got 4096"):
        expect_mapping("f(net)", {"stem": 5120, "block0.dw": 4096}, want, unit="bytes")
    with pytest.raises(AssertionError, match="expected a dict, got list"):
        expect_mapping("f(net)", [5120, 6144], want)


def _returns_a_constant(x):
    """Answered with a constant (wrong, but answered)."""
    return 0


def _returns_none_on_purpose(x):
    """Answered, forgetting the return."""
    x + 1


def test_a_constant_is_an_answer_not_a_stub():
    """Is a function returning a constant (same bytecode shape as the stub) an answer, so that
    Validate reports its wrong values instead of "not answered yet"? (Issue 18, item 5.)"""
    assert not is_stub(_returns_a_constant)
    assert not is_stub(_returns_none_on_purpose)
    require_answered(_returns_a_constant)  # no NotAnswered
