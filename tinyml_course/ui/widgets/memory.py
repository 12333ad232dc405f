"""The SRAM dashboard: pick a model, resolution, width, schedule, convention and device; see SRAM.

The logic is in :class:`DashboardState` (what is chosen; builds the network, profile and fit report)
and :func:`dashboard_figure` (state -> Figure, updated in place when given the previous one). The
widget (a ``base.Dashboard``) only maps controls to ``state.with_changes(...)`` and shows the
figure as a PNG, so tests drive everything without a browser. Networks and profiles are cached
(functools.lru_cache), the sliders report on release (``continuous_update=False``), and the figure
is redrawn in place and blitted (``plots.memory.sram_png``: a cached background per network, only
the changing artists drawn; benchmarks/bench_dashboard_redraw.py prints the time); a state shown
before comes back from a PNG cache.
"""

import html
from dataclasses import dataclass, replace
from functools import lru_cache

import ipywidgets as widgets

from ...errors import UnknownNameError
from ...memory.accounting import FitReport, profile
from ...memory.conventions import CONVENTIONS
from ...model.devices import DEVICES, get_device
from ...model.units import KIB
from ...model.zoo import ZOO_NAMES, check_resolution, get_network, get_spec
from ..plots.memory import sram_figure, sram_png, update_sram_figure
from ..plots.png import PngCache
from .base import Dashboard

SCHEDULES = ("per-layer", "in-place")  # the dashboard's schedules (patch-based comes later)
DTYPES = ("int8", "float32")  # activation/weight dtypes
RESOLUTION_MIN, RESOLUTION_MAX, RESOLUTION_STEP = 48, 320, 16  # pixels, the slider's range
WIDTHS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)  # MobileNetV2 width multipliers on the slider


def default_resolution(model):
    """The resolution (pixels) the zoo model is published at: 224 for mobilenetv2, 160 for in2, ..."""
    return get_spec(model)["resolution"]


@lru_cache(maxsize=64)
def cached_network(model, resolution, width=None):
    """get_network, cached: ``width`` only for mobilenetv2 (None otherwise)."""
    return get_network(model, resolution, width)


@lru_cache(maxsize=512)
def cached_profile(model, resolution, width, schedule, convention, dtype):
    """memory.profile of a zoo network, cached (arguments as in DashboardState)."""
    return profile(cached_network(model, resolution, width), schedule, convention, dtype)


@dataclass(frozen=True)
class DashboardState:
    """What the dashboard shows. ``width`` applies to mobilenetv2 only (see ``width_enabled``).

    resolution: input pixels (H = W); device: a catalogue name; every name is checked on creation
    (UnknownNameError / SpecError).
    """

    model: str = "mobilenetv2"
    resolution: int = 224
    width: float = 1.0
    schedule: str = "per-layer"  # with mcunet: 1470 KiB; in-place: 1372 KiB (MCUNet-v1's saving)
    convention: str = "mcunet"
    device: str = "stm32f746"
    dtype: str = "int8"

    def __post_init__(self):
        for field, value, allowed in [("model", self.model, ZOO_NAMES),
                                      ("schedule", self.schedule, SCHEDULES),
                                      ("convention", self.convention, tuple(CONVENTIONS)),
                                      ("dtype", self.dtype, DTYPES)]:
            if value not in allowed:
                raise UnknownNameError(f"unknown {field} {value!r}; use one of {', '.join(allowed)}")
        get_device(self.device)
        check_resolution(self.resolution)

    @property
    def width_enabled(self):
        """Whether the width multiplier means anything for this model (mobilenetv2 only)."""
        return self.model == "mobilenetv2"

    @property
    def effective_width(self):
        """The width passed to the zoo: ``width`` for mobilenetv2, None for the fixed models."""
        return self.width if self.width_enabled else None

    def with_changes(self, **changes):
        """A new state with ``changes``; a new model without a resolution gets its default one."""
        if "model" in changes and changes["model"] != self.model and "resolution" not in changes:
            changes["resolution"] = default_resolution(changes["model"])
        return replace(self, **changes)

    def network(self):
        return cached_network(self.model, self.resolution, self.effective_width)

    def profile(self):
        """The MemoryProfile shown (cached)."""
        return cached_profile(self.model, self.resolution, self.effective_width, self.schedule,
                              self.convention, self.dtype)

    def fit(self):
        """FitReport of the profile against the device (bytes)."""
        prof, device = self.profile(), get_device(self.device)
        return FitReport(device.name, prof.peak_sram_bytes, device.sram_bytes, prof.flash_bytes,
                         device.flash_bytes)


def dashboard_figure(state, fig=None):
    """The figure of ``state``: a new ``sram_figure``, or ``fig`` (one made here) redrawn in place."""
    if fig is None:
        return sram_figure(state.profile(), state.device)
    return update_sram_figure(fig, state.profile(), state.device)


def summary_html(state):
    """Two lines under the figure: the peak and where it is, and whether SRAM and Flash fit."""
    prof, report = state.profile(), state.fit()
    net = prof.network
    lines = [f"<b>{html.escape(net)}</b> at {state.resolution}x{state.resolution}"
             + (f", width {state.width:g}" if state.width_enabled else "")
             + f": {prof.macs / 1e6:.1f}M MACs, {prof.params / 1e6:.2f}M params",
             f"schedule {prof.schedule}, convention {prof.convention}, {prof.dtype}: peak SRAM "
             f"<b>{prof.peak_sram_bytes / KIB:.1f} KiB</b> at <code>{prof.peak_layer.name}</code>"]
    if state.convention == "tinyengine":  # issue 20 item 13: a click that changes nothing
        lines.append("<i>tinyengine runs every depthwise in place: the schedule buttons change "
                     "nothing under it; pick mcunet or exact to see in-place's saving</i>")
    lines += [html.escape(line) for line in report.describe().splitlines()]
    return "<br>".join(lines)


class SramDashboard(Dashboard):
    """The widget: controls on top, the figure (PNG) and a summary below.

    ``controls`` maps a DashboardState field to its widget; setting a control's ``value`` (by
    hand or in a test) updates ``state`` and redraws. ``last_redraw_s`` is the time of the last
    redraw (profile lookup + figure update + PNG), in seconds.
    """

    def make_controls(self, s):
        narrow = widgets.Layout(width="260px")
        controls = {
            "model": widgets.Dropdown(options=ZOO_NAMES, value=s.model, description="model",
                                      layout=narrow),
            "resolution": widgets.IntSlider(value=s.resolution, min=RESOLUTION_MIN,
                                            max=max(RESOLUTION_MAX, s.resolution),
                                            step=RESOLUTION_STEP, description="resolution",
                                            continuous_update=False),
            "width": widgets.SelectionSlider(options=WIDTHS, value=s.width, description="width",
                                             continuous_update=False, disabled=not s.width_enabled),
            "schedule": widgets.ToggleButtons(options=SCHEDULES, value=s.schedule),
            "convention": widgets.ToggleButtons(options=tuple(CONVENTIONS), value=s.convention),
            "device": widgets.Dropdown(options=tuple(DEVICES), value=s.device, description="device",
                                       layout=widgets.Layout(width="360px")),
            "dtype": widgets.ToggleButtons(options=DTYPES, value=s.dtype),
        }
        for style in ("schedule", "convention", "dtype"):
            controls[style].style.button_width = "auto"  # wide enough at a projector's font
            controls[style].layout.width = "auto"  # label and buttons on one line
        for control in controls.values():  # a label as wide as its text: one row per HBox
            control.style.description_width = "initial"
        return controls

    def arrange(self):
        c = self.controls
        # a ToggleButtons' own description sits above its buttons: a Label beside them instead
        label = {k: widgets.Label(k, layout=widgets.Layout(margin="0 8px 0 16px"))
                 for k in ("schedule", "convention", "dtype")}
        return [widgets.HBox([c["model"], c["resolution"], c["width"]]),
                widgets.HBox([label["schedule"], c["schedule"], label["convention"],
                              c["convention"]]),
                widgets.HBox([label["dtype"], c["dtype"], c["device"]]),
                *self.images, self.summary, self.timing]

    def sync_controls(self, state):
        if state.resolution > self.controls["resolution"].max:
            self.controls["resolution"].max = state.resolution
        self.controls["width"].disabled = not state.width_enabled

    def draw(self, state, figures):
        return [dashboard_figure(state, figures[0] if figures else None)]

    def summary_html(self, state):
        return summary_html(state)

    @property
    def figure(self):
        """The SRAM figure shown."""
        return self.figures[0]

    @property
    def image(self):
        """Its PNG image widget."""
        return self.images[0]

    def png(self, index, figure):
        """The PNG of the figure (blitted), rendered once per state: a control moved back is
        instant."""
        if not hasattr(self, "_pngs"):
            self._pngs = PngCache()
        return self._pngs.get(self.state) or self._pngs.put(self.state, sram_png(figure))


def sram_dashboard(**state):
    """The dashboard, starting at DashboardState(**state) (e.g. model='mcunet-in2')."""
    start = DashboardState(**state)
    if "model" in state and "resolution" not in state:
        start = replace(start, resolution=default_resolution(start.model))
    return SramDashboard(start)
