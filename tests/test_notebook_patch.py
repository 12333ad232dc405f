"""The lecture notebook 20_patch_inference runs top to bottom and quotes the MCUNetV2 figures.

(Committed without outputs, with step comments: tools/check_course.py's gates. Its run time:
benchmarks/bench_notebooks.py.)
"""
import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, shows_widget, stream_text

pytestmark = pytest.mark.slow  # executes the notebook: tens of seconds


@pytest.fixture(scope="module")
def executed():
    return execute_notebook(REPO / "notebooks" / "20_patch_inference.ipynb")


def test_quotes_the_published_figures_and_shows_the_widget(executed):
    """Does it print 1372 kB, 75x75, 171.5 kB, 129.5M vs 91.3M, equal: True, a search result?"""
    text = stream_text(executed)
    for quoted in ("per-layer peak (depthwise in place): 1372.0 KiB", "(75x75)", "patch-based peak: 171.5 KiB",
                   "91.3M MACs once, 129.5M naive (+42%)", "equal: True", "best:"):
        assert quoted in text, quoted
    assert shows_widget(code_cells(executed)[-1])
