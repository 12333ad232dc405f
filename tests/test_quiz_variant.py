"""The takeaway quiz's per-student computed questions (tinyml_course.homework.quiz_variant and the
grader's expected values in assignments/source/takeaway_quiz/hidden_checks.py).

- the parameters are a pure function of the id (pinned for two ids), spread over the choices;
- the grader's expected values (the package) equal hand-worked numbers for a pinned id, and the
  instructor's hand-worked solution cells for 24 ids: two derivations agree;
- an answer copied from another student does not fit: the ids' numbers differ;
- which id the notebook uses: the grader's, then the hub's login, then STUDENT_ID; the cell
  never raises.
"""
import collections

import pytest

from conftest import REPO
from harness.instructor import hand_worked_answers
from tinyml_course.homework import quiz_variant as qv

SOURCE = REPO / "assignments" / "source" / "takeaway_quiz" / "takeaway_quiz.ipynb"
COMPUTED = ["c1_standard", "c1_inplace", "c2_r0", "c2_r1", "c3", "c4", "c5_per_layer",
            "c5_inplace"]


def _hidden_checks():
    from tinyml_course_grading.check_declarations import load
    return load(SOURCE.with_name("hidden_checks.py")).module


def test_parameters_are_a_pure_function_of_the_id():
    """Does an id always give the same parameters (pinned), ignoring surrounding spaces?"""
    bob = qv.quiz_variant("bob")
    assert (bob.dw_channels, bob.dw_size, bob.dw_kernel, bob.dw_stride) == (64, 14, 3, 2)
    assert (bob.resolution, bob.stem_channels, bob.block0_kernel, bob.block1_expand,
            bob.block1_channels, bob.grid, bob.patch) == (32, 8, 3, 6, 16, 3, 1)
    assert (bob.fit_network, bob.fit_device) == ("mcunet-in4", "stm32h743")
    assert qv.quiz_variant("  bob ") == bob
    with pytest.raises(ValueError, match="non-empty string"):
        qv.quiz_variant("  ")


def test_every_choice_is_drawn():
    """Over 400 ids, is every option of every parameter drawn, none more than twice its share?"""
    variants = [qv.quiz_variant(f"s{i:03d}") for i in range(400)]
    for attr, options in [("dw_channels", qv.DW_CHANNELS), ("dw_size", qv.DW_SIZES),
                          ("dw_stride", qv.DW_STRIDES), ("grid", [g for g, _ in qv.GRIDS]),
                          ("fit_device", {d for _, d in qv.FIT_CASES})]:
        counts = collections.Counter(getattr(v, attr) for v in variants)
        assert set(counts) == set(options), attr
        assert max(counts.values()) <= 2 * 400 * max(
            list(options).count(o) for o in options) / len(options), (attr, counts)


def test_expected_values_match_hand_worked_numbers():
    """For bob (64 x 14 x 14, 3x3, stride 2; quiz_net at 32 px, stem 8, expand 6, 16 out; patch
    (1, 1) of 3 x 3; mcunet-in4 on the STM32H743), are the grader's figures the hand-worked ones?"""
    got = _hidden_checks().expected("bob")
    c, h, ho = 64, 14, 7                     # (14 + 2 - 3) // 2 + 1 = 7
    s = 16                                   # the stem's output: 32 / 2
    a, b = 1 * s // 3, 2 * s // 3            # patch rows 5..10 of block 0's output
    a, b = a - 1, b + 1                      # block0.dw 3x3 padding 1: stem rows 4..11
    e = 8 * 6                                # block 1's expanded channels
    assert got == {
        "c1_standard": c * h * h + c * ho * ho,           # 12544 + 3136
        "c1_inplace": c * h * h + ho * ho,                # one output channel of scratch
        "c2_r0": 2 * a - 1, "c2_r1": 2 * b,               # stem 3x3, stride 2, padding 1
        "c3": (8 * 3 * 9 + 4 * 8) + (8 * 9 + 4 * 8) + (8 * 8 + 4 * 8)      # stem, block 0
              + (e * 8 + 4 * e) + (e * 9 + 4 * e) + (16 * e + 4 * 16)      # block 1
              + (10 * 16 + 4 * 10),                                         # classifier
        "c4": e * 16 * 16 * 8 + e * 8 * 8 * 9 + 16 * 8 * 8 * e,
        "c5_per_layer": True, "c5_inplace": True,         # 412.5 KiB per layer, 400 KiB in place: both within 512 KiB
    }


@pytest.mark.parametrize("student", [f"student-{i}" for i in range(24)])
def test_hand_worked_solutions_agree_with_the_grader(student):
    """Does the instructor's solution, worked out from the shapes, give the grader's figure for
    every computed answer of this id (so a perfect submission scores 8 for any id)?"""
    got = {k[len("answer_"):]: v for k, v in hand_worked_answers(student).items()}
    assert got == _hidden_checks().expected(student)


def test_a_copied_answer_does_not_transfer():
    """Do two students' numeric answers differ (most of them), so a copy earns little?"""
    expected = _hidden_checks().expected
    alice, bob = expected("alice"), expected("bob")
    same = [name for name in COMPUTED[:6] if alice[name] == bob[name]]
    assert len(same) <= 1, same
    ids = [f"s{i}" for i in range(50)]
    firsts = collections.Counter(expected(s)["c1_inplace"] for s in ids)
    assert max(firsts.values()) <= 5, firsts


def test_which_id_the_notebook_uses(monkeypatch, capsys):
    """The grader's id beats the hub's login, which beats STUDENT_ID; no id: a sentence, no error."""
    monkeypatch.delenv(qv.STUDENT_ID_ENV, raising=False)
    monkeypatch.delenv(qv.HUB_USER_ENV, raising=False)
    assert qv.student_variant(None) is None
    assert "set STUDENT_ID to the id your submission is graded under" in capsys.readouterr().out
    assert qv.student_variant(42) is None
    assert qv.student_variant("carol").student_id == "carol"
    monkeypatch.setenv(qv.HUB_USER_ENV, "dave")
    assert qv.student_variant("carol").student_id == "dave"
    monkeypatch.setenv(qv.STUDENT_ID_ENV, "erin")
    assert qv.student_variant("carol").student_id == "erin"
    out = capsys.readouterr().out
    assert "note: STUDENT_ID is 'carol', but the grader says 'erin'" in out
    assert "c1: dw_layer, a" in out and "c5: network" in out
