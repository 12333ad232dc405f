"""The lecture notebook 40_deploy runs top to bottom and shows what the lecture claims: bit-exact
outputs, arena = planned peak, fewer instructions with optimised kernels, a link-time failure
that pruning fixes, and its two figures as images."""
import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, images, stream_text

pytestmark = pytest.mark.slow  # executes the notebook (cross-compiles and emulates): about a minute


@pytest.fixture(scope="module")
def executed():
    return execute_notebook(REPO / "notebooks" / "40_deploy.ipynb")


def test_prints_the_measured_claims(executed):
    """Are outputs bit-exact, the arena the planned peak, and the link failure then success shown?"""
    text = stream_text(executed)
    assert "equal: True" in text and "bit-exact: False" not in text
    assert "bit-exact: reference True, tinyengine True" in text
    assert "before: does not fit stm32f746: linker region FLASH" in text
    assert "after 65% channel pruning" in text and "fewer instructions" in text


def test_figures_are_images(executed):
    """Are the instruction bars and the memory map displayed as images?"""
    bars = next(c for c in code_cells(executed) if "instructions per layer, reference vs tinyengine" in c.source)
    mmap = next(c for c in code_cells(executed) if "memory map of mcunet-in1" in c.source)
    assert len(images(bars)) == 1 and len(images(mmap)) == 1


def test_three_tiers_beside_the_readme(executed):
    """Does the tier cell show each tier's instructions and ratio to tinyengine (from the shipped
    record) beside TinyEngine's measured 1227 / 103 / 56 ms and their ratios?"""
    from tinyml_course.deploy import validation
    text = stream_text(executed)
    tiers = {t["kernels"]: t for t in validation.load_record()["tiers"]}
    te = tiers["tinyengine"]["instructions"]
    for name, anchor, ms, ratio in (("reference", "TF-Lite Micro", 1227, "21.91x"),
                                    ("cmsis", "CMSIS-NN", 103, "1.84x"),
                                    ("tinyengine", "TinyEngine", 56, "1.00x")):
        line = next(l for l in text.splitlines() if l.startswith(f"{name} ") and anchor in l)
        assert f"{tiers[name]['instructions'] / te:.2f}x" in line and f"{ms}" in line
        assert line.endswith(ratio), line
