"""The lecture notebook 20_patch_inference runs top to bottom, quickly, and is committed clean."""
import os
import time

import nbformat
import pytest

from harness.notebooks import execute_notebook

NOTEBOOK = "notebooks/20_patch_inference.ipynb"


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


def test_committed_clean_with_step_comments(repo_root):
    """No outputs or execution counts in git, and every code cell opens with a step comment?"""
    nb = nbformat.read(repo_root / NOTEBOOK, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} has outputs"
            first = cell.source.splitlines()[0]
            assert first.startswith("# ") and first[2].islower(), f"cell {i} starts {first!r}"


def test_runs_and_quotes_the_published_figures(executed):
    """Does it run in seconds and print 1372 kB, 75x75, 171.5 kB, 129.5M vs 91.3M, equal: True?"""
    nb, seconds = executed
    assert seconds < 90, f"the notebook took {seconds:.0f} s"
    text = _text(nb)
    for quoted in ("per-layer peak: 1372.0 kB", "(75x75)", "patch-based peak: 171.5 kB",
                   "91.3M MACs once, 129.5M naive (+42%)", "equal: True", "best:"):
        assert quoted in text, quoted
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in last.outputs)
