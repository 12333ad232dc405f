"""The grading package's own contracts: importable without path hacks, typed messages that refuse
what their dataclass does not declare, plain data checked before it is allocated, limits written
once, a sandboxed runner that imports almost nothing (issue 17 item 7)."""
import ast
import base64
from pathlib import Path

import numpy as np
import pytest

import tinyml_course_grading
from tinyml_course_grading import messages, plain_data
from tinyml_course_grading.limits import SANDBOX, PlainLimits
from tinyml_course_grading.messages import (CallResult, CellResult, MessageError, RunAnswer,
                                            RunRequest, WorkerAnswer)

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(tinyml_course_grading.__file__).parent
RUNNER_MAY_IMPORT = {"argparse", "importlib", "os", "signal", "sys", "types", "IPython",
                     "traitlets", "base64", "binascii", "enum", "json", "typing", "dataclasses",
                     "math", "numpy", "ast", "select", "time", "resource"}


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.module


def test_no_path_hacks():
    """Does nothing of the grader, its command or the course config touch sys.path?"""
    files = [*PACKAGE.glob("*.py"), REPO / "tools" / "autograde_class.py",
             REPO / "assignments" / "nbgrader_config.py"]
    hacks = ("sys.path.insert", "sys.path.append", "sys.path[", "__package__ =")
    offenders = [str(p) for p in files if any(h in p.read_text() for h in hacks)]
    assert not offenders, offenders


def test_the_course_package_never_imports_the_grader():
    offenders = [str(p) for p in (REPO / "tinyml_course").rglob("*.py")
                 if any(m and m.split(".")[0] == "tinyml_course_grading" for m in _imports(p))]
    assert not offenders, offenders


def test_the_runner_and_its_messages_import_almost_nothing():
    """Do the modules that run inside the sandbox import only the standard library, IPython and
    each other (no nbgrader, no grader module that holds checks or verdicts)?"""
    runner_side = {"student_runner", "conversation", "messages", "plain_data", "case_harness"}
    for name in sorted(runner_side):
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        relative = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level
                    and n.module}
        relative |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level
                     and n.module is None for a in n.names}
        assert relative <= (runner_side | {"limits"}) - {name}, (name, relative)
        top = {m.split(".")[0] for m in _imports(PACKAGE / f"{name}.py") if m}
        assert top <= RUNNER_MAY_IMPORT, (name, top - RUNNER_MAY_IMPORT)


def test_modules_stay_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 400, sizes


def test_limits_are_the_defaults_everywhere():
    """Do SandboxedExecute's traits and the command's options default to limits.SANDBOX?"""
    from tinyml_course_grading import grade_command
    from tinyml_course_grading.nbgrader_execute import SandboxedExecute

    ex = SandboxedExecute()
    assert ex.limits() == SANDBOX
    args = grade_command.parse_args(["a"])
    assert (args.memory_mb, args.fsize_mb, args.nproc) == (SANDBOX.memory_mb, SANDBOX.fsize_mb,
                                                           SANDBOX.nproc)
    assert args.timeout - SANDBOX.run_seconds == pytest.approx(5.0)
    assert args.sandbox == ex.sandbox == "required"


@pytest.mark.parametrize("cls, data, why", [
    (RunAnswer, {"cells": [], "calls": {"c": {"ok": "yes"}}}, "ok: expected bool"),
    (RunAnswer, {"cells": [{"index": 0}], "extra": 1}, "unexpected field 'extra'"),
    (RunAnswer, {"cells": [{"index": True}]}, "index: expected int"),
    (RunRequest, {"calls": []}, "missing field 'cells'"),
    (WorkerAnswer, {"student": "a", "failure": {"kind": "bored", "detail": ""}}, "is not one of"),
    (CallResult, [], "expected an object"),
])
def test_a_message_that_does_not_fit_its_dataclass_is_refused(cls, data, why):
    with pytest.raises(MessageError, match=why):
        messages.load(cls, data)


def test_messages_round_trip():
    answer = RunAnswer((CellResult(3, ({"output_type": "stream", "name": "stdout",
                                        "text": "hi"},), 1),),
                       {"c#0": CallResult(True, plain_data.plain(np.arange(3)))})
    assert messages.loads(RunAnswer, messages.dumps(answer)) == answer


def test_only_outputs_a_browser_cannot_run_are_kept():
    """Is HTML, SVG or JavaScript in a cell's output dropped, text and a real PNG kept?"""
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n....").decode()
    cell = CellResult(0, ({"output_type": "display_data", "data": {
        "text/html": "<script>alert(1)</script>", "image/svg+xml": "<svg onload=x>",
        "application/javascript": "alert(1)", "text/plain": "ok", "image/png": png}},
        {"output_type": "display_data", "data": {"text/html": "<img src=x onerror=y>"}},
        {"output_type": "display_data", "data": {"image/png": "<script>"}}))
    assert [o["data"] for o in cell.outputs] == [{"text/plain": "ok", "image/png": png}]


@pytest.mark.parametrize("forged, why", [
    ({"__ndarray__": "AAAA", "dtype": "(16000,16000)f8", "shape": [1]}, "dtype"),
    ({"__ndarray__": "AAAA", "dtype": "float64", "shape": [10**9]}, "elements"),
    ({"__ndarray__": "AAAA", "dtype": "float64", "shape": [3]}, "is not 3 x float64"),
    ({"__ndarray__": "AAAA", "dtype": "float64", "shape": "3"}, "shape"),
    ("x" * 100, "characters"),
    ([[[[[1]]]]], "deeper"),
    (list(range(50)), "items"),
])
def test_forged_plain_data_is_refused_before_it_is_allocated(forged, why):
    limits = PlainLimits(depth=3, array_elements=1000, items=40, string_chars=50)
    with pytest.raises(plain_data.PlainDataError, match=why):
        plain_data.restore(forged, limits)


def test_arrays_cross_the_wall_exactly():
    for a in [np.arange(12, dtype=np.int8).reshape(3, 4), np.linspace(0, 1, 7),
              np.array([np.nan, np.inf], np.float32), np.zeros((0, 3))]:
        back = plain_data.restore(plain_data.loads(plain_data.dumps(plain_data.plain(a))))
        assert back.dtype == a.dtype and back.shape == a.shape
        np.testing.assert_array_equal(back, a)
