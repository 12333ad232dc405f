"""The compression-with-stakes table that notebook 30 shows (nas/weights/stakes_results.json):
it tells the lecture's story, and it is what ``nas.stakes.measure_stakes()`` measures now."""
import pytest

from tinyml_course.model.devices import get_device
from tinyml_course.nas import stakes
from tinyml_course.nas.evaluate import VAL_IMAGES

NRF = get_device("nrf52832")
FIGURES = ("flash_bytes", "peak_sram_bytes", "measured_peak_sram_bytes", "params", "macs")
# BLAS sums in another order may flip an image or three of compress_model's held-out images
# (the whole 'val' split)
ACCURACY_TOLERANCE = 3 / VAL_IMAGES


@pytest.fixture(scope="module")
def shipped():
    return stakes.shipped_results()


def test_only_pruning_and_int8_together_fit(shipped):
    """float32 no, int8 no (SRAM 3.5 KiB over the 64 KiB), pruned + int8 yes, fine-tuned yes?"""
    assert list(shipped) == list(stakes.ROWS)
    assert [r["fits"]["both"] for r in shipped.values()] == [False, False, True, True]
    int8 = shipped["int8"]
    assert int8["fits"]["flash"] and int8["after"]["peak_sram_bytes"] == 64 * 1024 + 3584
    for r in shipped.values():  # the arena's high-water mark is the accounting's peak
        assert r["after"]["measured_peak_sram_bytes"] == r["after"]["peak_sram_bytes"]
        assert r["device"]["sram_bytes"] == NRF.sram_bytes


def test_fine_tuning_wins_back_accuracy(shipped):
    """Does pruning cost accuracy, and fine-tuning win back at least a third of it?"""
    acc = {label: r["after"]["accuracy"] for label, r in shipped.items()}
    lost = acc["int8"] - acc["pruned + int8"]
    assert lost > 0.2
    assert acc["pruned + int8, fine-tuned"] - acc["pruned + int8"] > lost / 3
    assert shipped["pruned + int8, fine-tuned"]["settings"]["finetune_epochs"] == stakes.FINETUNE_EPOCHS


def assert_measured_again(shipped, labels):
    """Does measure_stakes(labels) give the shipped figures: bytes exactly, accuracies within
    three images?"""
    fresh = stakes.measure_stakes(labels)
    assert list(fresh) == list(labels)
    for label in labels:
        r = shipped[label]
        for side in ("before", "after"):
            for key in FIGURES:
                assert fresh[label][side][key] == r[side][key], (label, side, key)
            assert fresh[label][side]["accuracy"] == pytest.approx(r[side]["accuracy"],
                                                                   abs=ACCURACY_TOLERANCE), (label, side)
        assert fresh[label]["fits"] == r["fits"]


@pytest.mark.slow
def test_the_rows_that_bracket_the_story_are_measured_again(shipped):
    """float32 (does not fit) and pruned + int8 (fits), re-measured in the default run (~30 s)."""
    assert_measured_again(shipped, ["float32", "pruned + int8"])


@pytest.mark.remeasure  # minutes: also slow, so `-m "not slow"` (which replaces the default -m) skips it
@pytest.mark.slow
def test_the_whole_shipped_table_is_measured_again(shipped):
    """Every row, the 4 epochs of fine-tuning included (about 7 min on a quiet 2-core machine):
    ``python3 course.py test -m remeasure tests/test_stakes.py``."""
    assert_measured_again(shipped, list(stakes.ROWS))


def test_measure_stakes_names_an_unknown_row():
    with pytest.raises(ValueError, match="unknown stakes rows"):
        stakes.measure_stakes(["float16"])
