"""tinynas's hidden checks judged on plain data, without a class to grade (issue 18 item 2): the
grader rebuilds `my_arch` from what the sandbox returns and decides itself; odd answers get one
sentence each, never an exception or a bare assertion.

The grader's figures come from the package's public nas API (space, schedule_space,
get_valid_acc, evolution, baselines), so a new dataset or supernet changes the numbers only.
"""
import importlib.util

import pytest

from conftest import REPO
from tinyml_course import memory
from tinyml_course.nas import space
from tinyml_course.nas.tinynas import schedule_space

PATH = REPO / "assignments" / "source" / "tinynas" / "hidden_checks.py"


@pytest.fixture(scope="module")
def checks():
    spec = importlib.util.spec_from_file_location("tinynas_hidden_checks", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grade(checks, level, got):
    expected = {"instructor": 0.5, "baseline": 0.3}  # the grader's figures, as plain data
    return checks._arch_grade(level)(got, expected)


def _fits_somewhere(arch, device):
    return any(memory.fits(arch.network(), device, schedule=s, dtype="int8").fits
               for s in schedule_space(arch))


@pytest.mark.parametrize("level", ["fits", "baseline", "near", "matches"])
def test_an_arch_that_fits_nowhere_earns_nothing_and_is_not_measured(checks, level, monkeypatch):
    """Does a non-fitting my_arch score 0 on every step, with the sentence why, and without the
    grader spending a measurement on it?"""
    arch = space.largest()  # every choice at its largest: no schedule fits 64 KiB
    assert not _fits_somewhere(arch, checks.SMALL)
    monkeypatch.setattr(checks, "_grader_acc", lambda a: pytest.fail("measured a non-fitting arch"))
    fraction, message, *record = _grade(checks, level, arch.to_json())
    assert fraction == 0.0 and f"fits {checks.SMALL.name} under none of its schedules" in message
    assert record == [None] or record[0]["measured"]["accuracy"] is None


def test_the_grader_measures_a_fitting_arch_itself(checks, monkeypatch):
    """Is a fitting my_arch scored by the grader's own accuracy (not by any figure the student
    sent), the record carrying that measurement for the leaderboard?"""
    arch = space.smallest()
    assert _fits_somewhere(arch, checks.SMALL)
    monkeypatch.setattr(checks, "_grader_acc", lambda a: 0.42)
    data = dict(arch.to_json(), accuracy=0.99)  # an extra field: ignored
    assert _grade(checks, "baseline", data)[0] == 1.0
    fraction, message, record = _grade(checks, "matches", data)
    assert fraction == 0.0 and "measured by the grader: 42.0%" in message
    assert record["measured"]["accuracy"] == 0.42 and record["rank"] == 0.42


@pytest.mark.parametrize("got, says", [
    (None, "set my_arch to an architecture of the space"),
    ({"not_an_arch": "str"}, "my_arch is a str, not an architecture of the space"),
    ({"resolution": 81, "width": 1.0, "depths": [1, 1, 1], "kernels": [3] * 9,
      "expands": [3] * 9}, "my_arch is outside the search space"),
    ({"resolution": 32}, "my_arch is outside the search space"),
])
def test_odd_answers_get_a_sentence(checks, got, says):
    """Does an unset, wrong-typed or out-of-space my_arch score 0 with one sentence?"""
    fraction, message, *_ = _grade(checks, "fits", got)
    assert fraction == 0.0 and says in message, message


@pytest.mark.parametrize("got, says", [
    ({"returned": "0.5"}, "search returned 0.5, expected (best_acc, best_arch, best_schedule)"),
    ({"acc": "'high'", "arch": None, "schedule": None, "evaluated": []}, "best_acc"),
])
def test_a_search_that_returns_the_wrong_shape_is_told_so(checks, got, says):
    """Is a search that does not return (best_acc, best_arch, best_schedule) told what it
    returned instead of raising?"""
    expected = {"acc": 0.1, "arch": "r32", "schedule": "per-layer", "evaluated": ["r32"]}
    assert says in checks._search_compare(got, expected)
