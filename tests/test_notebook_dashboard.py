"""The lecture notebook 10_sram_dashboard runs top to bottom and shows what the lecture quotes.

(Committed without outputs, with step comments: tools/check_course.py's gates. Its run time:
benchmarks/bench_notebooks.py.)
"""
import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, images, shows_widget, stream_text

pytestmark = pytest.mark.slow  # executes the notebook: tens of seconds


@pytest.fixture(scope="module")
def executed():
    return execute_notebook(REPO / "notebooks" / "10_sram_dashboard.ipynb")


def test_published_figures_shown(executed):
    """Does the output show the published peaks, each computed from the package (its own cells
    assert them too), and the arena agreeing with the accounting?"""
    text = stream_text(executed)
    for figure in ("1470", "1372", "325", "200", "400"):
        assert figure in text, f"{figure} KiB not in the notebook's output"
    assert "every op matches: True" in text
    assert "same output: True" in text


def test_figures_render_as_images_and_the_dashboard_is_displayed(executed):
    """Do the two figure cells show PNG images (not '<Figure ...>'), the last cell the widget?"""
    assert len([c for c in code_cells(executed) if images(c)]) == 2
    assert shows_widget(code_cells(executed)[-1])
