"""The lecture notebook 30_compression runs top to bottom, quickly, and is committed clean."""
import os
import time

import nbformat
import pytest

from harness.notebooks import execute_notebook

NOTEBOOK = "notebooks/30_compression.ipynb"


@pytest.fixture(scope="module")
def executed(repo_root):
    with pytest.MonkeyPatch.context() as mp:  # the kernel imports this checkout's package
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(repo_root),
                                                              os.environ.get("PYTHONPATH")])))
        start = time.perf_counter()
        nb = execute_notebook(repo_root / NOTEBOOK, timeout=120)
        return nb, time.perf_counter() - start


def _text(nb):
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream")


def test_committed_without_outputs(repo_root):
    """Is the notebook in git free of outputs and execution counts?"""
    nb = nbformat.read(repo_root / NOTEBOOK, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} has outputs"


def test_code_cells_open_with_a_step_comment(repo_root):
    """Does every code cell begin with a lowercase comment naming its step?"""
    nb = nbformat.read(repo_root / NOTEBOOK, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            first = cell.source.splitlines()[0]
            assert first.startswith("# ") and first[2].islower(), f"cell {i} starts {first!r}"


def test_runs_top_to_bottom_and_shows_the_figures(executed):
    """Does it run in seconds and print int8 accuracy, the measured = analytic peak, the fit line?"""
    nb, seconds = executed
    assert seconds < 30, f"the notebook took {seconds:.0f} s"  # ~9 s on an idle 2-core machine
    text = _text(nb)
    assert "equal: True" in text
    assert "fits on the Arduino Nano 33 BLE Sense (nRF52840)? yes" in text
    assert "int8" in text and "50% channels" in text


def test_histograms_and_dashboard_displayed(executed):
    """Are the weight histograms shown as images and the last cell's output the dashboard?"""
    nb, _ = executed
    cell = next(c for c in nb.cells if c.cell_type == "code" and "weight histogram" in c.source)
    figures = [o for o in cell.outputs if o.output_type == "display_data"]
    assert len(figures) == 2, [o.output_type for o in cell.outputs]
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in last.outputs)
