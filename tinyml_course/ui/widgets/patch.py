"""The patch dashboard: pick a model, a split, a grid and one patch; see its windows and the SRAM.

Thin over ``tinyml_course.ui.plots.patch``: every redraw is ``patch_figures(state)``, which tests
call without a browser; the widget is a ``base.Dashboard``. Sliders report on release
(``continuous_update=False``). A grid with more patches than the stage output has pixels is
refused by the package (SpecError) and shown as one line.
"""

from dataclasses import dataclass, replace

import ipywidgets as widgets

from ...memory.accounting import profile
from ...memory.patch_accounting import mac_overhead
from ...model.units import KIB
from ...model.zoo import ZOO_NAMES, get_network
from ..plots.patch import memory_figure, windows_figure
from .base import Dashboard

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
        """A new state; a new model without a split starts at its first split option, and the
        focused patch stays inside the grid."""
        if changes.get("model", self.model) != self.model and "split" not in changes:
            changes["split"] = split_options(changes["model"])[0]
        state = replace(self, **changes)
        return replace(state, focus=min(state.focus, state.patches ** 2 - 1))


def split_options(model):
    """Block names a patch stage may end at: blocks whose output map is at least 2x2."""
    net = get_network(model)
    return [f"block{b}" for b, ops in net.blocks().items() if ops[-1].out_shape[1] >= 2]


FIGSIZES = ((5.4, 4.2), (6.4, 4.2))  # inches: the two figures side by side on one slide


def patch_figures(state):
    """(windows figure, memory figure) of ``state``, sized to sit side by side."""
    net = get_network(state.model)
    focus = divmod(state.focus, state.patches)
    return (windows_figure(net, state.split, state.patches, focus=focus, figsize=FIGSIZES[0]),
            memory_figure(net, state.split, state.patches, state.convention, device=state.device,
                          figsize=FIGSIZES[1]))


def summary_html(state):
    """The readouts the notes ask the room to watch: the peak against per-layer, and the MACs the
    overlap repeats (issue 20 item 14); and why a patch peak can exceed the per-layer one."""
    net = get_network(state.model)
    before = profile(net, "in-place", state.convention).peak_sram_bytes
    after = profile(net, "patch", state.convention, patches=state.patches, split=state.split)
    cost = mac_overhead(net, state.split, state.patches)
    n = state.patches
    lines = [f"<b>{n}x{n} patches</b> up to {state.split}: peak SRAM <b>{after.peak_sram_bytes / KIB:.1f}"
             f" KiB</b> (per layer, in place: {before / KIB:.1f} KiB)",
             f"MACs <b>{cost.network_macs_clipped / 1e6:.1f}M</b>: +{cost.network_overhead:.1%} over "
             f"per layer ({cost.network_macs / 1e6:.1f}M), the patch stage +{cost.stage_overhead:.0%}"
             " (overlapping windows computed again)"]
    names = [op.name for op in net]
    if names.index(after.peak_layer.name) > names.index(after.patch.split):  # issue 20 item 14
        lines.append(f"<i>the peak is at {after.peak_layer.name}, after the patch stage: more "
                     "patches cannot lower it, they only add MACs</i>")
    if after.peak_sram_bytes > before:
        c, h, w = net.shape_of(after.patch.split)
        lines.append(f"<i>above per layer: the patch schedule also holds the assembled stage output "
                     f"({c}x{h}x{w} = {c * h * w / KIB:.1f} KiB); with {n}x{n} patches the windows "
                     "save less than that</i>")
    return "<br>".join(lines)


class PatchDashboard(Dashboard):
    """The widget: dropdowns for model and split, sliders for n and the focused patch, and the
    windows and memory figures (PNGs)."""

    def make_controls(self, state):
        return {
            "model": widgets.Dropdown(options=ZOO_NAMES, value=state.model, description="model"),
            "split": widgets.Dropdown(options=split_options(state.model), value=state.split,
                                      description="split"),
            "patches": widgets.IntSlider(value=state.patches, min=1, max=MAX_GRID,
                                         description="n x n", continuous_update=False),
            "focus": widgets.IntSlider(value=state.focus, min=0, max=state.patches ** 2 - 1,
                                       description="patch", continuous_update=False),
        }

    def arrange(self):
        c = self.controls
        return [widgets.HBox([c["model"], c["split"], c["patches"], c["focus"]],
                             layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox(self.images), self.summary, self.timing]

    def summary_html(self, state):
        return summary_html(state)

    def sync_controls(self, state):
        options = tuple(split_options(state.model))
        if tuple(self.controls["split"].options) != options:
            self.controls["split"].options = options
        self.controls["focus"].max = state.patches ** 2 - 1

    def draw(self, state, figures):
        return list(patch_figures(state))


def patch_dashboard(state=PatchState()):
    """The patch dashboard starting at ``state``."""
    return PatchDashboard(state)
