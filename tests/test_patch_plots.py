"""Patch figures and the patch dashboard, without a browser."""
import numpy as np

from tinyml_course import get_network
from tinyml_course.memory.patch_accounting import mac_overhead
from tinyml_course.model.units import KIB
from tinyml_course.ui.plots.patch import memory_figure, overhead_figure, redistribution_figure, search_figure, windows_figure
from tinyml_course.nas.redistribution import compare
from tinyml_course.nas.search import search
from tinyml_course.ui.widgets.patch import PatchState, patch_dashboard, patch_figures, split_options
from tinyml_course.model.zoo import get_spec


def test_figures_are_figures():
    """Does every plot function draw the numbers the lecture quotes and the package computes?"""
    net = get_network("mobilenetv2")
    fig = windows_figure(net, "block3", 4, focus=(1, 1))
    assert "75x75" in fig.axes[0].get_title()
    fig = memory_figure(net, "block3", 4, device="f746")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "patch 4x4 up to block3.project: peak 171.5 KiB" in legend
    small = get_network("mcunet-in1")
    lines = overhead_figure(small, "block4", grids=(1, 2, 3)).axes[0].get_lines()
    clipped = [100 * mac_overhead(small, "block4", n).stage_overhead for n in (1, 2, 3)]
    assert list(lines[1].get_xdata()) == [1, 2, 3]
    np.testing.assert_allclose(lines[1].get_ydata(), clipped)
    costs = compare(get_spec("mobilenetv2"), 3)
    right = redistribution_figure(costs).axes[1]
    heights = [bar.get_height() for bar in right.patches]
    np.testing.assert_allclose(heights, [c.peak_sram_bytes / KIB for c in costs]
                               + [c.stage_peak_bytes / KIB for c in costs])
    result = search("f412", candidates=30, seed=0)
    ax = search_figure(result).axes[0]
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == len(result.candidates) + 1  # every candidate, and the best as a star
    assert ax.collections[-1].get_offsets()[0][0] == result.best.macs / 1e6


def test_dashboard_follows_its_controls():
    """Do the sliders change the state, and does the focus stay inside a smaller grid?"""
    box = patch_dashboard(PatchState(model="mcunet-in1", split="block4", patches=3, focus=8))
    grid = box.children[0].children[2]  # the n x n slider, as laid out
    grid.value = 2
    assert box.state.patches == 2 and box.state.focus == 3
    assert box.controls["focus"].value == 3 and box.controls["focus"].max == 3
    windows, memory = patch_figures(box.state)
    assert "(1, 1)" in windows.axes[0].get_title()


def test_dashboard_shows_a_refused_choice_as_one_line_and_recovers():
    """Is a grid with more patches than the stage output has pixels (the package's SpecError)
    shown as one line with the figures hidden, and does a valid choice bring them back?"""
    box = patch_dashboard(PatchState(model="mcunet-in1", split="block10", patches=3))
    pngs = [image.value for image in box.images]
    assert len(pngs) == 2 and all(pngs)
    box.controls["patches"].value = 4  # block10's output is 3x3
    assert box.summary.value.startswith("cannot show this choice: a 4x4 grid has more patches")
    assert all(image.layout.display == "none" for image in box.images)
    box.controls["patches"].value = 2
    assert box.summary.value.startswith("<b>2x2 patches</b>")
    assert all(image.layout.display is None for image in box.images)
    assert [image.value for image in box.images] != pngs  # 2x2 now, not 3x3


def test_dashboard_model_change_resets_the_split_options():
    """Does a new model get its own split options, starting at the first (as the dropdown does)?"""
    box = patch_dashboard(PatchState(model="mcunet-in1", split="block10", patches=2))
    box.controls["model"].value = "mobilenetv2"
    assert box.state.model == "mobilenetv2" and box.state.split == "block0"
    assert tuple(box.controls["split"].options) == tuple(split_options("mobilenetv2"))
    assert box.controls["split"].value == "block0"


def test_dashboard_shows_the_macs_beside_the_peak_and_explains_1x1():
    """Issue 20 item 14: the notes say 'watch the peak fall while the repeated MACs grow'; does
    the readout give both for every n, the MACs growing as the peak falls from 2x2 to 8x8, and
    does 1x1 (peak above per-layer) say why (the assembled 28x28x32 stage output it holds)?"""
    box = patch_dashboard()
    readings = []
    for n in range(1, 9):
        box.controls["patches"].value = n
        text = box.summary.value
        peak = float(text.split("peak SRAM <b>")[1].split(" KiB")[0])
        macs = float(text.split("MACs <b>")[1].split("M</b>")[0])
        readings.append((n, peak, macs))
    assert all(b[1] <= a[1] and b[2] >= a[2] for a, b in zip(readings[1:], readings[2:])), readings
    box.controls["patches"].value = 1
    assert readings[0][1] == 1396.5 and "32x28x28 = 24.5 KiB" in box.summary.value


def test_readout_says_when_more_patches_cannot_lower_the_peak():
    """Issue 20 item 14: from 4x4 on, MobileNetV2's patch peak stays at 171.5 KiB (block4.expand,
    after the stage up to block3) while the MACs grow. Does the readout say so from the first
    such n on, and not before; and do 20's speaker notes name that n and that peak? Seen
    failing: the readout gave the flat peak with no word why, the notes said 'from 1 to 8 ...
    watch the peak fall'."""
    import jupytext

    from conftest import REPO
    from tinyml_course.memory.accounting import profile
    from tinyml_course.model.zoo import get_network
    from tinyml_course.ui.widgets.patch import PatchState, summary_html
    net = get_network("mobilenetv2")
    names = [op.name for op in net]
    after_stage = []
    for n in range(1, 9):
        prof = profile(net, "patch", "mcunet", patches=n, split="block3")
        beyond = names.index(prof.peak_layer.name) > names.index("block3.project")
        said = "after the patch stage: more patches cannot lower it" in summary_html(PatchState(patches=n))
        assert said == beyond, n
        if beyond:
            after_stage.append((n, prof.peak_sram_bytes / 1024, prof.peak_layer.name))
    first, peak, layer = after_stage[0]
    assert (first, peak, layer) == (4, 171.5, "block4.expand")
    assert all(p == peak for _, p, _ in after_stage)
    nb = jupytext.read(REPO / "notebooks" / "20_patch_inference.py")
    notes = " ".join(c.source.replace("\n", " ") for c in nb.cells
                     if c.source.startswith("Speaker notes"))
    assert f"From {first} on the peak stays at {peak:.1f} KiB" in notes and layer in notes
