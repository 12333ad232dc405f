"""The SRAM figures: bars are the profile's bytes, the limits are the device's, updates are in place."""
import io

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from PIL import Image

from tinyml_course.model.devices import get_device
from tinyml_course.memory.accounting import profile
from tinyml_course.ui.plots.comparison import comparison_figure, schedule_comparison_figure
from tinyml_course.ui.plots.memory import OVER_COLOR, group_ticks, sram_artists, sram_figure, sram_png, update_sram_figure
from tinyml_course.ui.plots.png import figure_png
from tinyml_course.model.units import KIB
from tinyml_course.model.zoo import get_network


@pytest.fixture(scope="module")
def mbv2():
    return get_network("mobilenetv2", 96)


@pytest.fixture(scope="module")
def in2():
    return get_network("mcunet-in2", 96)


def bar_heights(fig):
    """Heights (KiB) of the SRAM bars, from the drawn rectangles."""
    return np.array([path.vertices[:, 1].max() for path in sram_artists(fig)["bars"].get_paths()])


def test_bars_are_the_profile_in_kib(mbv2):
    """Is there one bar per op, as tall as its SRAM bytes / 1024?"""
    prof = profile(mbv2, "in-place", "exact")
    fig = sram_figure(prof, "stm32f746")
    assert isinstance(fig, Figure)
    expected = np.array([layer.sram_bytes for layer in prof.layers]) / KIB
    got = bar_heights(fig)
    assert len(got) == len(prof.layers), f"{len(got)} bars, expected {len(prof.layers)}"
    np.testing.assert_allclose(got, expected)


def test_peak_marked_and_limits_drawn(mbv2):
    """Is the peak marked at its op, and are the device's SRAM and Flash lines where they belong?"""
    prof = profile(mbv2, "per-layer", "mcunet")
    device = get_device("stm32f412")
    a = sram_artists(sram_figure(prof, device))
    x, y = a["peak_mark"].get_data()
    assert (list(x), list(y)) == ([prof.layers.index(prof.peak_layer)], [prof.peak_sram_bytes / KIB])
    assert prof.peak_layer.name in a["peak_text"].get_text()
    assert list(a["limit_line"].get_ydata()) == [device.sram_bytes / KIB] * 2
    assert list(a["flash_line"].get_ydata()) == [device.flash_bytes / KIB] * 2
    assert a["flash_bar"].get_height() == pytest.approx(prof.flash_bytes / KIB)


def test_bars_over_the_limit_have_red_edges(mbv2):
    """Do exactly the ops above the device's SRAM get a red edge?"""
    prof = profile(mbv2, "per-layer", "exact")
    device = get_device("stm32f412")
    bars = sram_artists(sram_figure(prof, device))["bars"]
    red = np.all(np.isclose(bars.get_edgecolors(), to_rgba(OVER_COLOR)), axis=1)
    over = np.array([layer.sram_bytes > device.sram_bytes for layer in prof.layers])
    assert over.any() and not over.all()
    np.testing.assert_array_equal(red, over)


def test_flash_bar_red_when_it_misses():
    """Is the Flash bar red for MobileNetV2-1.0 (3.4 MiB of weights) on a 1 MiB device?"""
    prof = profile(get_network("mobilenetv2", 64), "in-place", "exact")
    a = sram_artists(sram_figure(prof, "stm32f746"))
    assert prof.flash_bytes > get_device("stm32f746").flash_bytes
    assert np.allclose(a["flash_bar"].get_facecolor(), to_rgba(OVER_COLOR))


def test_update_redraws_in_place(mbv2, in2):
    """Does update_sram_figure reuse the figure, with the new network's bars and title?"""
    fig = sram_figure(profile(mbv2, "in-place", "exact"), "stm32f746")
    ax = sram_artists(fig)["ax"]
    prof = profile(in2, "per-layer", "mcunet")
    same = update_sram_figure(fig, prof, "stm32f412")
    assert same is fig and sram_artists(fig)["ax"] is ax
    np.testing.assert_allclose(bar_heights(fig), [l.sram_bytes / KIB for l in prof.layers])
    title = sram_artists(fig)["title"].get_text()
    assert "mcunet-in2" in title and "schedule per-layer, convention mcunet" in title
    assert ax.get_ylim()[1] >= prof.peak_sram_bytes / KIB


def test_no_device_hides_the_limits(mbv2):
    """Without a device, are the limit lines hidden (and the figure still drawn)?"""
    fig = sram_figure(profile(mbv2, "in-place", "exact"))
    a = sram_artists(fig)
    assert not a["limit_line"].get_visible() and not a["flash_line"].get_visible()
    assert figure_png(fig).startswith(b"\x89PNG")


def pixels(png):
    """(H, W, 3) int array of a PNG's RGB pixels."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


@pytest.mark.slow
def test_blitted_png_is_the_whole_figure_drawn(mbv2, in2):
    """After in-place updates (another device, schedule, dtype, network, no device), is the
    blitted PNG pixel for pixel a fresh figure of the same profile drawn whole?"""
    steps = [(mbv2, "in-place", "exact", "int8", "stm32f746"),
             (mbv2, "in-place", "exact", "int8", "stm32f412"),
             (mbv2, "per-layer", "mcunet", "float32", "stm32f412"),
             (in2, "in-place", "tinyengine", "int8", "stm32f746"),  # another op list
             (in2, "in-place", "tinyengine", "int8", None),  # limit lines hidden
             (mbv2, "per-layer", "exact", "int8", "stm32h743")]  # back to the first op list
    fig = sram_figure(profile(*steps[0][:4]), steps[0][4])
    for net, schedule, convention, dtype, device in steps:
        prof = profile(net, schedule, convention, dtype)
        update_sram_figure(fig, prof, device)
        want = pixels(figure_png(sram_figure(prof, device)))
        np.testing.assert_array_equal(pixels(sram_png(fig)), want,
                                      err_msg=f"{prof.network} {schedule} {device}")


def test_blitting_keeps_one_background_per_op_list(mbv2, in2):
    """Does a device or schedule change reuse the background, and a new network or a convention
    that draws other kinds (its legend: mcunet leaves the adds out) add one?"""
    fig = sram_figure(profile(mbv2, "in-place", "exact"), "stm32f746")
    backgrounds = sram_artists(fig)["backgrounds"]
    sram_png(fig)
    for schedule, device in (("per-layer", "stm32f412"), ("in-place", "stm32h743")):
        sram_png(update_sram_figure(fig, profile(mbv2, schedule, "exact"), device))
    assert len(backgrounds) == 1
    sram_png(update_sram_figure(fig, profile(in2, "in-place", "exact"), "stm32f746"))
    assert len(backgrounds) == 2
    sram_png(update_sram_figure(fig, profile(in2, "in-place", "mcunet"), "stm32f746"))
    assert len(backgrounds) == 3


def test_update_refuses_a_foreign_figure(mbv2):
    """Is a figure not made by sram_figure refused with a clear error?"""
    with pytest.raises(ValueError, match="sram_figure"):
        update_sram_figure(Figure(), profile(mbv2))


def test_group_ticks():
    """Is there one tick per block plus the stem and the tail ops?"""
    names = ["stem", "block0.dw", "block0.project", "block1.expand", "block1.dw", "pool",
             "classifier"]
    assert group_ticks(names) == ([0, 1, 3, 5, 6], ["stem", "b0", "b1", "pool", "fc"])


def _curves(ax):
    return [line for line in ax.get_lines() if line.get_drawstyle().startswith("steps")]


def test_comparison_shows_each_profile_and_its_peak(mbv2):
    """Does the comparison draw one panel with one curve and one peak bar per (schedule,
    convention), every panel on the same y-axis from zero?"""
    pairs = (("per-layer", "mcunet"), ("in-place", "mcunet"), ("in-place", "exact"))
    fig = schedule_comparison_figure(mbv2, pairs, device="stm32f746")
    *panels, bax = fig.axes
    assert len(panels) == len(pairs) and all(len(_curves(ax)) == 1 for ax in panels)
    assert len({ax.get_ylim() for ax in panels}) == 1 and panels[0].get_ylim()[0] == 0
    peaks = [profile(mbv2, s, c).peak_sram_bytes / KIB for s, c in pairs]
    np.testing.assert_allclose([p.get_width() for p in bax.patches], peaks)
    exact = [l.sram_bytes / KIB for l in profile(mbv2, *pairs[2]).layers]
    np.testing.assert_allclose(_curves(panels[2])[0].get_ydata(), exact)


def test_comparison_labels(mbv2):
    """Are custom labels used in the panels?"""
    fig = comparison_figure([profile(mbv2, "per-layer"), profile(mbv2, "in-place")],
                            labels=["A", "B"])
    texts = [t.get_text() for ax in fig.axes[:2] for t in ax.texts]
    assert texts[0].startswith("A: peak") and texts[1].startswith("B: peak")


def test_default_comparison_one_curve_per_panel(mbv2):
    """Issue 20 item 16: is each profile in its own panel (no curve hides another, no legend on
    the peak), is tinyengine never labelled per-layer, does a curve equal to an earlier one say
    so, are ops the mcunet rule does not count gaps (not 0 KiB), and are the block labels
    unrotated at 12 pt?"""
    fig = schedule_comparison_figure(mbv2)
    *panels, _ = fig.axes
    assert len(panels) == 5 and all(ax.get_legend() is None for ax in fig.axes)
    texts = [t.get_text() for ax in panels for t in ax.texts]
    assert not any("per-layer / tinyengine" in t for t in texts)
    same = [t for t in texts if t.endswith(", = in-place / mcunet")]
    assert len(same) == 1 and same[0].startswith("tinyengine (dw always in place)")
    mcunet = _curves(panels[0])[0].get_ydata()
    adds = [i for i, l in enumerate(profile(mbv2, "per-layer", "mcunet").layers) if l.op == "add"]
    assert adds and np.isnan(mcunet[adds]).all() and not np.any(mcunet == 0)
    labels = panels[-1].get_xticklabels()
    assert 3 <= len(labels) <= 11 and all(t.get_rotation() == 0 and t.get_fontsize() >= 12
                                          for t in labels)


def test_uncounted_ops_are_marked_not_drawn_at_zero():
    """Issue 20 item 12: ResNet-18's max pool holds 64x112x112 + 64x56x56 bytes, but the mcunet
    rule does not count pools; is it marked 'not counted' (an x) instead of a silent 0 KiB bar,
    and does the x label no longer call ResNet's blocks MBConv blocks, with block labels
    unrotated at 12 pt?"""
    prof = profile(get_network("resnet18"), "per-layer", "mcunet")
    fig = sram_figure(prof, "nano33")
    a = sram_artists(fig)
    pool = next(i for i, layer in enumerate(prof.layers) if layer.op == "maxpool")
    assert pool in list(a["uncounted"].get_xdata())
    assert "MBConv" not in a["ax"].get_xlabel()
    legend = [t.get_text() for t in a["ax"].get_legend().get_texts()]
    assert "not counted" in legend
    ticks = a["ax"].get_xticklabels()
    assert all(t.get_rotation() == 0 and t.get_fontsize() >= 12 for t in ticks)


@pytest.mark.parametrize("model, convention, expected", [
    ("resnet18", "mcunet", ("conv", "linear", "not counted")),  # adds and pools left out
    ("resnet18", "exact", ("conv", "residual add", "pool", "linear")),
    ("mobilenetv2", "tinyengine", ("conv", "depthwise", "1x1 conv", "linear", "not counted")),
])
def test_legend_lists_the_kinds_drawn(model, convention, expected):
    """Issue 20 item 12: the legend listed every kind (depthwise and 1x1 on ResNet-18, residual
    add and pool under mcunet, which draws them as an x). Does it list the kinds drawn as bars,
    then 'not counted' when an op is an x, also after the figure is redrawn for another
    profile, and does the fast PNG match a full render after the legend changed?"""
    prof = profile(get_network(model), "per-layer", convention)
    fig = sram_figure(prof, "nano33")
    assert tuple(t.get_text() for t in sram_artists(fig)["ax"].get_legend().get_texts()) == expected
    drawn = {layer.op for layer in prof.layers if layer.sram_bytes > 0}
    assert ("not counted" in expected) == any(layer.sram_bytes == 0 for layer in prof.layers)
    assert len(expected) - ("not counted" in expected) == len(drawn - {"maxpool"} if "pool" in drawn else drawn)
    other = profile(get_network("mcunet-in1"), "per-layer", "exact")
    update_sram_figure(fig, other, "nano33")
    legend = tuple(t.get_text() for t in sram_artists(fig)["ax"].get_legend().get_texts())
    assert "not counted" not in legend and "depthwise" in legend
    np.testing.assert_array_equal(pixels(sram_png(fig)), pixels(figure_png(sram_figure(other, "nano33"))))
