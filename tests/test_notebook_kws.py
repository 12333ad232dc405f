"""The lecture notebook 55_keyword_spotting runs top to bottom: the front end on a synthetic
signal made in the notebook, a held-out utterance entering as its shipped MFCCs, the DS-CNN under
the Nano 33's limits, the emulated MCU's answer bit-exact with the package, and the
held-out-speaker accuracy with its standard error."""
import re

import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, stream_text

from tinyml_course.kws.model import load_card


@pytest.fixture(scope="module")
def executed():
    return execute_notebook(REPO / "notebooks" / "55_keyword_spotting.ipynb")


def test_the_mcu_answers_bit_exact(executed):
    """Does the deployed program's output equal the package's, and is its answer printed?"""
    text = stream_text(executed)
    assert "bit-exact with the package's int8 path: True" in text
    assert re.search(r"the MCU hears '\w+' \(said: 'seven'\)", text)
    assert "= planned peak: True" in text


def test_synthetic_front_end_utterance_and_accuracy(executed):
    """Is the synthetic signal framed 1 + n // 200, the utterance the held-out speaker's shipped
    recording 7_yweweler_0, and the card's accuracy shown with its standard error?"""
    text = stream_text(executed)
    n, frames = map(int, re.search(r"synthetic signal: (\d+) samples .*MFCCs (\d+) frames", text)
                    .groups())
    assert frames == 1 + n // 200 and f"1 + {n} // 200 = {frames}" in text
    assert "7_yweweler_0 (row 2850 of the corpus): 'seven' by yweweler, held out: True" in text
    int8 = load_card()["int8"]
    assert (f"int8: {100 * int8['accuracy']:.1f}% +- {100 * int8['standard_error']:.1f} "
            f"(standard error, 500 utterances of yweweler)") in text


def test_figures_are_images(executed):
    """Are the synthetic signal (waveform + MFCCs), the utterance's MFCCs and the answer bars
    displayed as images?"""
    for marker in ("utterance_figure(", "mfcc_figure(", "answer_bars("):
        cell = next(c for c in code_cells(executed) if marker in c.source)
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), marker
