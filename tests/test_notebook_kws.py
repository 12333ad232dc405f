"""The lecture notebook 55_keyword_spotting runs top to bottom: a held-out utterance's MFCCs
(equal to the shipped ones), the DS-CNN under the Nano 33's limits, the emulated MCU's answer
bit-exact with the package, and the held-out-speaker accuracy with its standard error."""
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


def test_mfcc_agrees_and_accuracy_has_its_standard_error(executed):
    """Is the front end within float rounding of the shipped MFCCs, and the card's accuracy shown?"""
    text = stream_text(executed)
    diff = float(re.search(r"largest difference to the shipped MFCCs: (\S+) dB", text).group(1))
    assert diff < 2e-3
    int8 = load_card()["int8"]
    assert (f"int8: {100 * int8['accuracy']:.1f}% +- {100 * int8['standard_error']:.1f} "
            f"(standard error, 500 utterances of yweweler)") in text


def test_figures_are_images(executed):
    """Are the utterance (waveform + MFCCs) and the answer bars displayed as images?"""
    for marker in ("utterance_figure(", "answer_bars("):
        cell = next(c for c in code_cells(executed) if marker in c.source)
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), marker
