"""Measured accuracies are drawn with their uncertainty (issue 20: noisy figures with error bars,
bars on an axis from zero, the chance line): the compression dashboard's accuracy panel and the
stakes figure of notebook 30, both from ``stats.standard_error``."""
import numpy as np
import pytest

from tinyml_course.stats import ERROR_BAR_SE, standard_error
from tinyml_course.ui.plots.compression import (LIMIT_COLOR, bars_artists, compression_bars,
                                                 stakes_figure)

SRAM, FLASH = 64 * 1024, 512 * 1024


def two_se_pct(p, n):
    return 100 * 2 * np.sqrt(p * (1 - p) / n)


def test_standard_error_is_the_binomial_one():
    """sqrt(p (1 - p) / n) for scalars and arrays; no examples is refused?"""
    assert standard_error(0.5, 100) == pytest.approx(0.05)
    np.testing.assert_allclose(standard_error([0.1, 0.9], 400), [0.015, 0.015])
    assert ERROR_BAR_SE == 2
    with pytest.raises(ValueError, match="at least one example"):
        standard_error(0.5, 0)


def test_dashboard_bars_show_two_standard_errors_and_chance():
    """Does the accuracy panel draw p +- 2 SE for before and after, hide the bar of an accuracy
    not measured yet, keep its axis from zero and draw the chance line?"""
    before = {"accuracy": 0.9, "flash_bytes": 9000, "peak_sram_bytes": 9000}
    after = {"accuracy": 0.145, "flash_bytes": 3000, "peak_sram_bytes": 3000}
    fig = compression_bars(before, after, SRAM, FLASH, examples=200, chance=0.125)
    a = bars_artists(fig)
    for line, p in zip(a["errors"], (0.9, 0.145)):
        lo, hi = line.get_ydata()
        err = two_se_pct(p, 200)
        assert (lo, hi) == pytest.approx((100 * p - err, 100 * p + err))
        assert line.get_visible()
    assert a["chance"].get_ydata()[0] == pytest.approx(12.5)
    assert fig.axes[0].get_ylim()[0] == 0
    assert "2 SE" in fig.axes[0].get_title()
    compression_bars(before, {**after, "accuracy": None}, SRAM, FLASH, fig=fig, examples=200)
    assert a["errors"][0].get_visible() and not a["errors"][1].get_visible()


def test_the_dashboard_passes_its_examples_and_classes():
    """Does the dashboard's figure take its error bars from its held-out images and its chance
    line from the classifier's outputs (10 digits: 10%)?"""
    from tinyml_course.compression import trained
    from tinyml_course.compression.data import load_digits
    from tinyml_course.ui.widgets.compression import (CompressionLab, CompressionState,
                                                      dashboard_figures)
    _, _, x_test, y_test = load_digits()
    lab = CompressionLab(*trained.load_trained(), x_test[:60], y_test[:60])
    bars, _ = dashboard_figures(lab, CompressionState())
    a = bars_artists(bars)
    p = lab.baseline["accuracy"]
    lo, hi = a["errors"][0].get_ydata()
    assert hi - lo == pytest.approx(2 * two_se_pct(p, 60)) and lab.classes == 10
    assert a["chance"].get_ydata()[0] == pytest.approx(10)


def test_stakes_figure_shows_two_standard_errors_and_chance():
    """Does each accuracy bar of the stakes figure carry +- 2 SE of its examples, on an axis from
    zero, with a dotted chance line and no device limit on the accuracy panel?"""
    rows = [("big", {"accuracy": 0.5, "flash_bytes": 800 * 1024, "peak_sram_bytes": 200 * 1024,
                     "fits": False}),
            ("small", {"accuracy": 0.12, "flash_bytes": 200 * 1024, "peak_sram_bytes": 50 * 1024,
                       "fits": True})]
    fig = stakes_figure(rows, SRAM, FLASH, "nrf52832", examples=500, chance=0.125)
    acc = fig.axes[0]
    (container,) = [c for c in acc.containers if hasattr(c, "errorbar") and c.errorbar]
    segments = container.errorbar.lines[2][0].get_segments()
    for seg, p in zip(segments, (0.5, 0.12)):
        assert (seg[0][0], seg[1][0]) == pytest.approx((100 * p - two_se_pct(p, 500),
                                                        100 * p + two_se_pct(p, 500)))
    assert acc.get_xlim()[0] == 0
    dotted = [line for line in acc.lines if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in dotted] == [pytest.approx(12.5)]
    assert not [line for line in acc.lines if line.get_color() == LIMIT_COLOR]
