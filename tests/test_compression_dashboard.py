"""The compression dashboard without a browser: quick_compress, the state, the cache, that every
control changes the figures (updated in place, rendered like a full savefig), the accuracy measured
in the background for a slow model, and the model at stake whose fit flips as the sliders move.

Redraw time is printed by benchmarks/bench_compression.py, not asserted here (it depends on the machine).
"""
from tinyml_course.runtime import batched
import io
import threading

import numpy as np
import pytest
from PIL import Image

from tinyml_course.runtime import kernels
from tinyml_course.runtime.backend import FloatBackend
from tinyml_course.compression import compress, trained
from tinyml_course.compression.data import load_digits
from tinyml_course.errors import SpecError
from tinyml_course.ui.plots.compression import PENDING, PngRenderer, all_weights, bars_artists, compression_bars, histogram_artists, weight_histogram
from tinyml_course.ui.plots.png import figure_png
from tinyml_course.ui.widgets.compression import (AccuracyWorker, CompressionDashboard, CompressionLab,
                                                  CompressionState, compression_dashboard,
                                                  dashboard_figures, neighbours)

N_TEST = 120  # held-out digits used here: enough for accuracy to move, quick to run
CHANGES = [("sparsity", 0.5), ("bits", 4), ("channel_ratio", 0.25)]


@pytest.fixture(scope="module")
def model():
    _, _, x_test, y_test = load_digits()
    network, weights = trained.load_trained()
    return network, weights, x_test[:N_TEST], y_test[:N_TEST]


@pytest.fixture(scope="module")
def lab(model):
    return CompressionLab(*model)


def fingerprint(figures):
    """Everything the two figures show, as comparable values."""
    bars, hist = bars_artists(figures[0]), histogram_artists(figures[1])
    heights = tuple(round(bar.get_height(), 6) for pair in bars["bars"] for bar in pair)
    labels = tuple(label.get_text() for pair in bars["labels"] for label in pair)
    lines = tuple(line.get_visible() for line in bars["limits"] if line is not None)
    counts = tuple(hist["steps"][1].get_data().values)
    return heights, labels, lines, counts, hist["axes"][1].get_title()


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=int)


def test_quick_accuracy_is_train_accuracy(model):
    """Does the batched quick accuracy (convs side by side, batches of 32) equal batched.accuracy?"""
    network, weights, x, y = model
    net, w = compress.prune.channel_prune(network, weights, 0.25)
    for n, wt in ((network, weights), (net, w)):
        assert compress.quick_accuracy(n, wt, x, y) == batched.accuracy(n, wt, x, y)


def test_conv_batched_matches_one_call_per_image(model):
    """Is the side-by-side full conv of batched.forward exactly the per-image kernel call, for
    stride 1 and 2 and an odd width (the fallback)?"""
    network, weights, x, _ = model
    stem = network.ops[0]
    assert stem.kind == "conv"
    wt, b = weights[stem.name]
    for stride, images in ((1, x[:7]), (2, x[:7]), (2, x[:3, :, :, :15])):
        op = type(stem)(**{**stem.__dict__, "stride": stride})
        per_image = np.stack([kernels.conv2d(xi, wt, b, stride, op.padding, op.act) for xi in images])
        side_by_side = batched.side_by_side(FloatBackend({op.name: (wt, b)}), op, images)
        np.testing.assert_allclose(side_by_side, per_image, rtol=1e-6, atol=1e-6)


def test_state_checks_and_rounds():
    """Are slider values rounded (one cache key) and bad ones refused?"""
    assert CompressionState(0.15000000000000002) == CompressionState(0.15)
    assert CompressionState(bits=4).label == "4-bit, 0% sparse"
    assert "25% channels cut" in CompressionState(channel_ratio=0.25).label
    for bad in (dict(sparsity=1.0), dict(sparsity=-0.1), dict(bits=9), dict(channel_ratio=0.9),
                dict(sparsity="0.5"), dict(bits=True)):
        with pytest.raises(SpecError):
            CompressionState(**bad)


def test_lab_caches_quick_compress(lab, model):
    """Is a state computed once, and is the result quick_compress's?"""
    state = CompressionState(0.3, 6, 0.125)
    first = lab.result(state)
    hits = lab.cache_info().hits
    again = lab.result(CompressionState(0.30000000000000004, 6, 0.125))
    assert again["weights"] is first["weights"] and again["accuracy"] == first["accuracy"]
    assert lab.cache_info().hits == hits + 1
    expected = compress.quick_compress(*model, 0.3, 6, 0.125)
    for key in ("accuracy", "flash_bytes", "peak_sram_bytes", "activation_dtype", "fits"):
        assert first[key] == expected[key]


@pytest.mark.parametrize("field,value", CHANGES)
def test_each_control_changes_the_figures(lab, field, value):
    """Does each slider, from the opening state, change the figures it should?"""
    start = CompressionState()
    figures = dashboard_figures(lab, start)
    before = fingerprint(figures)
    same = dashboard_figures(lab, start.with_changes(**{field: value}), figures)
    assert same[0] is figures[0] and same[1] is figures[1]  # updated in place
    after = fingerprint(figures)
    assert after[0] != before[0]  # the 'after' bars move
    assert after[4] != before[4]  # the histogram's title names the setting
    if field != "channel_ratio":  # channel cuts keep the surviving weights' values
        assert after[3] != before[3]


def test_in_place_update_equals_a_fresh_figure(lab):
    """After a few updates, does the reused figure show what a fresh one shows?"""
    figures = dashboard_figures(lab, CompressionState())
    for state in (CompressionState(0.5), CompressionState(0.5, 4), CompressionState(0.2, 3, 0.5)):
        dashboard_figures(lab, state, figures)
    assert fingerprint(figures) == fingerprint(dashboard_figures(lab, state))


def test_histogram_counts_are_the_weights(model):
    """Are the 'after' counts np.histogram of the compressed weights over the fixed bins?"""
    _, weights, _, _ = model
    pruned, _ = compress.prune.prune_global(weights, 0.5)
    fig = weight_histogram(weights, weights)
    weight_histogram(weights, pruned, "50% pruned", fig=fig)
    a = histogram_artists(fig)
    expected = np.histogram(all_weights(pruned), bins=a["edges"])[0]
    np.testing.assert_array_equal(a["steps"][1].get_data().values, expected)
    assert a["steps"][1].get_data().values.sum() == all_weights(pruned).size
    zeros = (all_weights(pruned) == 0).mean()  # 50% of the 1x1 + linear weights only
    distinct = np.unique(all_weights(pruned)).size
    assert a["axes"][1].get_title() == f"50% pruned\n{distinct} distinct values, {zeros:.0%} zeros"


def test_bars_show_the_device_line_only_in_view():
    """Is the SRAM line shown when the bars come near it, and hidden when far below?"""
    small = {"accuracy": 0.9, "flash_bytes": 1000, "peak_sram_bytes": 1000}
    near = {"accuracy": 0.9, "flash_bytes": 1000, "peak_sram_bytes": 90_000}
    fig = compression_bars(small, small, 256 * 1024, 1024 * 1024, examples=N_TEST)
    assert not bars_artists(fig)["limits"][2].get_visible()
    assert compression_bars(near, near, 256 * 1024, 1024 * 1024, fig=fig, examples=N_TEST) is fig
    assert bars_artists(fig)["limits"][2].get_visible()
    assert fig.axes[2].get_ylim()[1] > 256


def test_partial_render_matches_a_full_render(lab):
    """Does PngRenderer (static layer kept, changed artists redrawn) give savefig's pixels?"""
    figures = dashboard_figures(lab, CompressionState())
    renderers = [PngRenderer(fig, 80) for fig in figures]
    for r in renderers:
        r.png()
    state = CompressionState(0.6, 3, 0.25)
    dashboard_figures(lab, state, figures)
    for r, fresh in zip(renderers, dashboard_figures(lab, state)):
        got, want = pixels(r.png()), pixels(figure_png(fresh, 80))
        assert got.shape == want.shape
        assert (np.abs(got - want).max(-1) > 16).mean() < 1e-3  # equal but for antialiasing


def test_dashboard_controls_redraw(model):
    """Does setting each control update the state, the figures and the PNGs (one redraw each)?"""
    dash = compression_dashboard(*model)
    assert isinstance(dash, CompressionDashboard)
    pngs = [image.value for image in dash.images]
    for field, value in CHANGES:
        before = fingerprint(dash.figures)
        dash.controls[field].value = value
        assert getattr(dash.state, field) == value
        assert fingerprint(dash.figures) != before
        assert dash.last_redraw_s is not None
        new = [image.value for image in dash.images]
        assert new[0] != pngs[0] and new[1] != pngs[1]
        pngs = new
    assert "fits on the Arduino Nano 33 BLE Sense" in dash.summary.value
    dash.set(sparsity=0.0, bits=32, channel_ratio=0.0)  # programmatic: the sliders follow
    assert [c.value for c in dash.controls.values()] == [0.0, 32, 0.0]
    assert dash.lab.baseline["weights"] is dash.lab.result(dash.state)["weights"]
    assert dash.wait(timeout=60)  # the background measurements of the neighbouring states


def test_neighbours_are_one_slider_step_away():
    """From the opening state only up-steps exist (bits down from 32); from the far corner only
    down-steps; in the middle two per slider."""
    assert neighbours(CompressionState()) == [CompressionState(0.05), CompressionState(bits=8),
                                              CompressionState(channel_ratio=0.125)]
    assert neighbours(CompressionState(0.95, 2, 0.75)) == [
        CompressionState(0.9, 2, 0.75), CompressionState(0.95, 3, 0.75), CompressionState(0.95, 2, 0.625)]
    middle = neighbours(CompressionState(0.5, 4, 0.25))
    assert [(s.sparsity, s.bits, s.channel_ratio) for s in middle] == [
        (0.55, 4, 0.25), (0.45, 4, 0.25), (0.5, 3, 0.25), (0.5, 5, 0.25), (0.5, 4, 0.375), (0.5, 4, 0.125)]


def test_a_slow_lab_shows_memory_first_then_the_measured_accuracy(model):
    """With accuracies measured in the background (sync_accuracy_s=0), does a move show the new
    Flash/SRAM bars and 'measuring...' at once, then the accuracy quick_compress measures, and
    are the neighbouring states measured ahead (the next move needs no measurement)?"""
    dash = CompressionDashboard(CompressionLab(*model, sync_accuracy_s=0.0))
    assert dash.lab.slow and dash.wait(timeout=60)  # the opening state's neighbours, measured
    with dash.lab._measuring:  # the worker cannot measure until the checks below are done
        dash.controls["channel_ratio"].value = 0.5  # not a neighbour of the opening state
        bars = bars_artists(dash.figures[0])
        assert dash.pending and bars["labels"][0][1].get_text() == PENDING
        assert "accuracy measuring..." in dash.summary.value and "measuring" in dash.timing.value
    expected = compress.quick_compress(*model, channel_ratio=0.5)
    assert bars["bars"][2][1].get_height() == pytest.approx(expected["peak_sram_bytes"] / 1024)
    assert dash.wait(timeout=60) and not dash.pending
    assert bars["bars"][0][1].get_height() == pytest.approx(100 * expected["accuracy"])
    assert f"accuracy {100 * expected['accuracy']:.1f}%" in dash.summary.value
    assert "after the move" in dash.timing.value
    dash.controls["bits"].value = 8  # a neighbour: measured while the test waited
    assert not dash.pending
    assert bars["bars"][0][1].get_height() == pytest.approx(
        100 * compress.quick_compress(*model, 0.0, 8, 0.5)["accuracy"])


def test_the_worker_reports_its_error():
    """Does an exception in the background thread come back from wait(), not vanish?"""
    class Broken:
        def accuracy(self, state, measure=True, before_batch=None):
            if measure:
                raise RuntimeError("boom-7")

    worker = AccuracyWorker(Broken(), lambda state: None)
    worker.schedule([CompressionState()])
    with pytest.raises(RuntimeError, match="boom-7"):
        worker.wait(timeout=10)


class ThreeBatches:
    """A lab whose measurement is three batches; the first waits for ``go`` (after ``started``)."""

    def __init__(self):
        self.measured, self.log = {}, []
        self.started, self.go = threading.Event(), threading.Event()

    def accuracy(self, state, measure=True, before_batch=None):
        if not measure or state in self.measured:
            return self.measured.get(state)
        for batch in range(3):
            if before_batch is not None and before_batch():
                self.log.append(("abandoned", state))
                return None
            if batch == 0:
                self.started.set()
                self.go.wait(10)
        self.measured[state] = 0.5
        self.log.append(("measured", state))
        return 0.5


A, B, C = CompressionState(0.05), CompressionState(0.1), CompressionState(0.15)


@pytest.mark.parametrize("new_list,log", [
    ([C, B], [("abandoned", A), ("measured", C), ("measured", B)]),  # A displaced: dropped
    ([A, B], [("measured", A), ("measured", B)]),  # A still first: finished, not measured twice
    ([C, A], [("abandoned", A), ("measured", C), ("measured", A)]),  # A listed later: measured then
])
def test_a_new_list_displaces_the_measurement_under_way(new_list, log):
    """Is a measurement abandoned at its next batch when a new list no longer starts with it?"""
    lab = ThreeBatches()
    worker = AccuracyWorker(lab, lambda state: None)
    worker.schedule([A])
    assert lab.started.wait(10)
    worker.schedule(new_list)
    lab.go.set()
    assert worker.wait(timeout=10)
    assert lab.log == log


@pytest.fixture(scope="module")
def at_stake():
    from tinyml_course.nas import stakes, task
    net, weights = stakes.stakes_subnet()
    x, y = task.load_split("val", stakes.STAKES_ARCH.resolution, 24)
    return net, weights, x, y


@pytest.mark.slow
def test_the_model_at_stake_fits_once_quantized_and_pruned(at_stake):
    """On the model at stake and the nRF52832: float32 no, 8 bits still no (SRAM), 12.5% of the
    channels cut as well: yes; does each move change the image, and the fit line flip?"""
    net, weights, x, y = at_stake
    dash = compression_dashboard(net, weights, x, y, device="nrf52832")
    assert "fits on the nRF52832" in dash.summary.value and dash.summary.value.endswith("? no</span>")
    verdicts, pngs = [], [dash.images[0].value]
    for field, value in (("bits", 8), ("channel_ratio", 0.125)):
        dash.controls[field].value = value
        verdicts.append(dash.summary.value.endswith("? yes</span>"))
        pngs.append(dash.images[0].value)
        expected = compress.quick_memory(net, weights, 0.0, dash.state.bits, dash.state.channel_ratio,
                                         "nrf52832")
        assert dash.lab.result(dash.state, measure=False)["fits"] == expected["fits"]
    assert verdicts == [False, True]
    assert pngs[0] != pngs[1] != pngs[2]
    int8 = compress.quick_memory(net, weights, bits=8, device="nrf52832")
    assert int8["peak_sram_bytes"] - 64 * 1024 == 3584  # 3.5 KiB over, as the lecture says
    assert dash.wait(timeout=300)


def test_stakes_figure_draws_each_version_against_the_limits():
    """One bar per version and panel (length = the value; green when it fits, red when not), the
    Flash and SRAM limits as vertical lines, the labels top to bottom?"""
    from matplotlib.colors import to_hex

    from tinyml_course.ui.plots.compression import FIT_COLOR, MISS_COLOR, stakes_figure
    rows = [("big", {"accuracy": 0.5, "flash_bytes": 800 * 1024, "peak_sram_bytes": 200 * 1024, "fits": False}),
            ("small", {"accuracy": 0.3, "flash_bytes": 200 * 1024, "peak_sram_bytes": 50 * 1024, "fits": True})]
    fig = stakes_figure(rows, 64 * 1024, 512 * 1024, "nrf52832", examples=500)
    acc, flash, sram = fig.axes
    for ax, values in ((acc, [50, 30]), (flash, [800, 200]), (sram, [200, 50])):
        assert [round(p.get_width(), 6) for p in ax.patches] == values
        assert [to_hex(p.get_facecolor()) for p in ax.patches] == [to_hex(MISS_COLOR), to_hex(FIT_COLOR)]
    assert [line.get_xdata()[0] for line in flash.lines] == [512]
    assert [line.get_xdata()[0] for line in sram.lines] == [64]
    assert not [line for line in acc.lines if line.get_linestyle() == "--"]  # no device limit
    at = dict(zip(acc.get_yticks(), (t.get_text() for t in acc.get_yticklabels())))
    assert [at[y] for y in sorted(at, reverse=True)] == ["big", "small"]  # top to bottom


def test_one_cut_reads_the_same_on_the_slider_and_the_histogram():
    """Issue 20 item 17: 30 showed one cut as 0.13 (slider), 12% and 12.5%. For every step of the
    channels and sparsity sliders, is the slider's readout (its readout_format, which Python and
    the front end's d3-format write alike) the percent the histogram's title gives?"""
    from tinyml_course.ui.widgets.compression import CompressionDashboard, CompressionState
    controls = CompressionDashboard.make_controls(None, CompressionState())
    for field in ("channel_ratio", "sparsity"):
        slider = controls[field]
        for k in range(1, round((slider.max - slider.min) / slider.step) + 1):
            value = round(slider.min + k * slider.step, 10)
            readout = format(value, slider.readout_format).replace(".0%", "%")  # '12.5%', '50%'
            label = CompressionState(**{field: value}).label
            assert f" {readout} " in f" {label} ".replace(",", " "), (field, readout, label)
