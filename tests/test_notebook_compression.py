"""The lecture notebook 30_compression runs top to bottom and shows what the lecture quotes.

(Committed without outputs, with step comments: tools/check_course.py's gates. Its run time:
benchmarks/bench_notebooks.py.)
"""
import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, images, shows_widget, stream_text


@pytest.fixture(scope="module")
def executed():
    return execute_notebook(REPO / "notebooks" / "30_compression.ipynb")


def test_prints_int8_accuracy_measured_peak_and_the_fit_line(executed):
    """Does it print int8 results, the measured = analytic peak and the Nano 33 fit line?"""
    text = stream_text(executed)
    assert "equal: True" in text
    assert "fits on the Arduino Nano 33 BLE Sense (nRF52840)? yes" in text
    assert "int8" in text and "50% channels" in text


def test_histograms_and_dashboard_displayed(executed):
    """Are the weight histograms shown as two images and the last cell's output the dashboard?"""
    cell = next(c for c in code_cells(executed) if "weight histogram" in c.source)
    assert len(images(cell)) == 2, [o.output_type for o in cell.outputs]
    assert shows_widget(code_cells(executed)[-1])
