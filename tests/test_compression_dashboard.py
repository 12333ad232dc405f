"""The compression dashboard without a browser: quick_compress, the state, the cache, and that every
control changes the figures (updated in place, rendered like a full savefig).

Redraw time is printed by benchmarks/bench_compression.py, not asserted here (it depends on the machine).
"""
from tinyml_course.runtime import batched
import io

import numpy as np
import pytest
from PIL import Image

from tinyml_course.runtime import kernels
from tinyml_course.runtime.backend import FloatBackend
from tinyml_course.compression import compress, trained
from tinyml_course.compression.data import load_digits
from tinyml_course.errors import SpecError
from tinyml_course.ui.plots.compression import PngRenderer, all_weights, bars_artists, compression_bars, histogram_artists, weight_histogram
from tinyml_course.ui.plots.memory import figure_png
from tinyml_course.ui.widgets.compression import CompressionDashboard, CompressionLab, CompressionState, compression_dashboard, dashboard_figures

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
        assert compress._quick_accuracy(n, wt, x, y) == batched.accuracy(n, wt, x, y)


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
    assert lab.result(CompressionState(0.30000000000000004, 6, 0.125)) is first
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
    fig = compression_bars(small, small, 256 * 1024, 1024 * 1024)
    assert not bars_artists(fig)["limits"][2].get_visible()
    assert compression_bars(near, near, 256 * 1024, 1024 * 1024, fig=fig) is fig
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
    assert dash.lab.baseline is dash.lab.result(dash.state)
