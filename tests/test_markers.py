"""The test suite's own rules: markers registered once (pyproject.toml), every long-running test
marked slow (so the fast loop `-m "not slow"` skips it), no test module inside tests/harness/."""

import ast
import re
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
LONG_RUNNING = {"remeasure", "hub"}  # marks that say "minutes": each must come with slow


# pytest's own marks, registered by pytest itself
PYTEST_BUILTIN_MARKS = ("parametrize", "usefixtures", "skip", "skipif", "xfail", "filterwarnings")


def _registered():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    return {line.split(":")[0].strip() for line in config["markers"]}


def _marks(node):
    """Names of the pytest.mark.X decorators (or pytestmark values) under ``node``."""
    return {n.attr for n in ast.walk(node)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute)
            and n.value.attr == "mark" and n.attr not in PYTEST_BUILTIN_MARKS}


def _tests():
    """(module path, {test name: marks, its module's pytestmark included})."""
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        module = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark"
                                                    for t in node.targets):
                module |= _marks(node)
        yield path, {node.name: module | set().union(*(_marks(d) for d in node.decorator_list))
                     for node in tree.body if isinstance(node, ast.FunctionDef)
                     and node.name.startswith("test_")}


def test_markers_are_registered_once_in_pyproject():
    """Does pyproject.toml register every mark the tests use, and no conftest register them again?"""
    used = set().union(*(m for _, tests in _tests() for m in tests.values()))
    assert used <= _registered(), used - _registered()
    conftests = [p for p in TESTS.rglob("conftest.py")
                 if re.search(r"addinivalue_line\(\s*['\"]markers", p.read_text())]
    assert not conftests, conftests


def test_long_running_marks_come_with_slow():
    """Is every remeasure or hub test also slow (a `-m "not slow"` replaces the default -m)?"""
    missing = [f"{path.name}::{name}" for path, tests in _tests() for name, marks in tests.items()
               if marks & LONG_RUNNING and "slow" not in marks]
    assert not missing, missing


def test_no_test_module_hides_in_the_harness():
    assert not list((TESTS / "harness").glob("test_*.py"))
