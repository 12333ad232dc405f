"""The lecture notebook 10_sram_dashboard runs top to bottom, quickly, and is committed clean."""
import os
import time

import nbformat
import pytest

from harness.notebooks import execute_notebook

NOTEBOOK = "notebooks/10_sram_dashboard.ipynb"


@pytest.fixture(scope="module")
def executed(repo_root):
    with pytest.MonkeyPatch.context() as mp:  # the kernel imports this checkout's package
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(repo_root),
                                                              os.environ.get("PYTHONPATH")])))
        start = time.perf_counter()
        nb = execute_notebook(repo_root / NOTEBOOK, timeout=120)
        return nb, time.perf_counter() - start


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


def test_runs_top_to_bottom(executed):
    """Does it run without error (its own cells assert the published figures)?"""
    nb, seconds = executed
    assert seconds < 90, f"the notebook took {seconds:.0f} s"


def test_published_figures_shown(executed):
    """Does the output show the published peaks, each computed from the package?"""
    nb, _ = executed
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream")
    for figure in ("1470", "1372", "325", "200", "400"):
        assert figure in text, f"{figure} KiB not in the notebook's output"
    assert "every op matches: True" in text
    assert "same output: True" in text


def test_dashboard_is_displayed(executed):
    """Is the last code cell's output the dashboard widget?"""
    nb, _ = executed
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    data = last.outputs[-1].get("data", {})
    assert "application/vnd.jupyter.widget-view+json" in data


def test_figures_render_as_images(executed):
    """Do the two figure cells show PNG images (not a bare '<Figure ...>' text)?"""
    nb, _ = executed
    images = [c for c in nb.cells if c.cell_type == "code"
              and any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(images) == 2, f"{len(images)} cells show an image, expected 2"
