"""Patch figures and the patch dashboard, without a browser."""
from matplotlib.figure import Figure

from tinyml_course import get_network
from tinyml_course.ui.plots.patch import memory_figure, overhead_figure, redistribution_figure, search_figure, windows_figure
from tinyml_course.nas.redistribution import compare
from tinyml_course.nas.search import search
from tinyml_course.ui.widgets.patch import PatchState, patch_dashboard, patch_figures
from tinyml_course.model.zoo import get_spec


def test_figures_are_figures():
    """Does every plot function return a Figure with the numbers the lecture quotes?"""
    net = get_network("mobilenetv2")
    fig = windows_figure(net, "block3", 4, focus=(1, 1))
    assert isinstance(fig, Figure) and "75x75" in fig.axes[0].get_title()
    fig = memory_figure(net, "block3", 4, device="f746")
    assert "171.5 KiB" in " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    small = get_network("mcunet-in1")
    assert isinstance(overhead_figure(small, "block4", grids=(1, 2, 3)), Figure)
    assert isinstance(redistribution_figure(compare(get_spec("mobilenetv2"), 3)), Figure)
    assert isinstance(search_figure(search("f412", candidates=30, seed=0)), Figure)


def test_dashboard_follows_its_controls():
    """Do the sliders change the state, and does the focus stay inside a smaller grid?"""
    box = patch_dashboard(PatchState(model="mcunet-in1", split="block4", patches=3, focus=8))
    grid = box.children[1].children[0]
    grid.value = 2
    assert box.state["state"].patches == 2 and box.state["state"].focus == 3
    windows, memory = patch_figures(box.state["state"])
    assert "(1, 1)" in windows.axes[0].get_title()
