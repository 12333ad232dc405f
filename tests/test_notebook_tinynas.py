"""The lecture notebook 60_tinynas runs top to bottom on the shipped supernet and shows the
co-design result: a searched model more accurate than the scaled baselines at no more SRAM.

(Committed without outputs, with step comments: tools/check_course.py's gates. Its run time:
benchmarks/bench_notebooks.py.)
"""
import re

import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, images, stream_text

pytestmark = pytest.mark.slow  # executes the notebook: tens of seconds


@pytest.fixture(scope="module")
def executed():
    return execute_notebook(REPO / "notebooks" / "60_tinynas.ipynb")


def test_live_accuracies_agree_with_the_shipped_cache(executed):
    """Does each live get_valid_acc print the same percentage as the shipped cache?"""
    lines = [l for l in stream_text(executed).splitlines() if " live " in l and " cache " in l]
    assert len(lines) == 2
    for line in lines:
        live, cached = re.findall(r"live ([\d.]+)%  cache ([\d.]+)%", line)[0]
        assert live == cached, line


def test_searched_models_beat_the_baselines_at_no_more_sram(executed):
    """On both devices: more accurate than the best scaled baseline, SRAM equal or lower?"""
    verdicts = re.findall(r"^-> searched (.*?)SRAM (equal or lower|higher)", stream_text(executed),
                          re.S | re.M)  # one verdict per device, wrapped over lines
    assert len(verdicts) == 2
    for text, sram in verdicts:
        gain = float(re.findall(r"([+-][\d.]+) points", text)[0])
        assert gain > 0 and sram == "equal or lower", text


def test_every_figure_is_an_image(executed):
    """Do the figure cells show PNG images (samples, curves, evolution, spaces, 2 result plots)?"""
    counts = [len(images(c)) for c in code_cells(executed)]
    assert sum(counts) == 6, counts
