"""The patch dashboard: pick a model, a split, a grid and one patch; see its windows and the SRAM.

Thin over ``tinyml_course.plots.patch``: every redraw is ``patch_figures(state)``, which tests call
without a browser. Sliders report on release (``continuous_update=False``).
"""

from dataclasses import dataclass, replace

import ipywidgets as widgets
from IPython.display import display

from ...model.zoo import ZOO_NAMES, get_network
from ..plots.patch import memory_figure, windows_figure

DEFAULT = ("mobilenetv2", "block3", 4)  # MCUNetV2 Table 1: 4x4 patches up to the 28x28x32 stage
MAX_GRID = 8  # largest n on the slider


@dataclass(frozen=True)
class PatchState:
    """What the dashboard shows: model, split block, n (n x n grid), the focused patch, device."""

    model: str = DEFAULT[0]
    split: str = DEFAULT[1]
    patches: int = DEFAULT[2]
    focus: int = 0  # row-major index of the highlighted patch
    device: str = "stm32f746"
    convention: str = "mcunet"

    def with_changes(self, **changes):
        state = replace(self, **changes)
        return replace(state, focus=min(state.focus, state.patches ** 2 - 1))


def split_options(model):
    """Block names a patch stage may end at: blocks whose output map is at least 2x2."""
    net = get_network(model)
    return [f"block{b}" for b, ops in net.blocks().items() if ops[-1].out_shape[1] >= 2]


def patch_figures(state):
    """(windows figure, memory figure) of ``state``."""
    net = get_network(state.model)
    focus = divmod(state.focus, state.patches)
    return (windows_figure(net, state.split, state.patches, focus=focus),
            memory_figure(net, state.split, state.patches, state.convention, device=state.device))


def patch_dashboard(state=PatchState()):
    """The widget: dropdowns for model and split, sliders for n and the focused patch."""
    model = widgets.Dropdown(options=ZOO_NAMES, value=state.model, description="model")
    split = widgets.Dropdown(options=split_options(state.model), value=state.split,
                             description="split")
    grid = widgets.IntSlider(value=state.patches, min=1, max=MAX_GRID, description="n x n",
                             continuous_update=False)
    focus = widgets.IntSlider(value=state.focus, min=0, max=state.patches ** 2 - 1,
                              description="patch", continuous_update=False)
    out = widgets.Output()
    current = {"state": state}

    def redraw(change=None):
        if change is not None and change["owner"] is model:
            split.options = split_options(model.value)
        new = current["state"].with_changes(model=model.value, split=split.value,
                                            patches=grid.value, focus=focus.value)
        focus.max = new.patches ** 2 - 1
        current["state"] = new
        out.clear_output(wait=True)
        with out:
            try:
                for fig in patch_figures(new):
                    display(fig)
            except ValueError as err:  # e.g. more patches than the stage output has pixels
                print(f"cannot show this choice: {err}")

    for control in (model, split, grid, focus):
        control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([model, split]), widgets.HBox([grid, focus]), out])
    box.state = current  # for tests: the state the figures show
    return box
