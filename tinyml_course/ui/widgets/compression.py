"""The compression dashboard: sliders for sparsity, bit width and channel pruning (thin widgets).

The logic is in :class:`CompressionState` (the three slider values, checked and rounded so they
can key a cache), :class:`CompressionLab` (the trained model, the held-out digits and the device;
``result(state)`` is ``compress.quick_compress``, cached per state with functools.lru_cache) and
:func:`dashboard_figures` (state -> the bars and histogram Figures, updated in place when given the
previous ones). The widget (a ``base.Dashboard``) only maps controls to ``state.with_changes(...)``
and shows the figures as PNGs (``plots.compression.PngRenderer``: the axes, ticks and labels are drawn once, a redraw
draws only the bars, lines, counts and titles that change), so tests drive everything without a
browser. Sliders report on release (``continuous_update=False``); a redraw is one
``quick_compress`` (about 0.1 s; a cache hit on a revisit) plus two artist updates and two partial
Agg renders (about 0.02 s).
"""

import html
from dataclasses import dataclass, replace
from functools import lru_cache

import ipywidgets as widgets

from ...compression.compress import DEFAULT_DEVICE, quick_compress
from ...errors import SpecError
from ...model.devices import get_device
from ...model.units import KIB
from ..plots.compression import PngRenderer, compression_bars, weight_histogram
from .base import Dashboard

SPARSITY_MAX, SPARSITY_STEP = 0.95, 0.05  # global sparsity slider (share of 1x1 + linear weights)
BITS = (2, 3, 4, 5, 6, 7, 8, 32)  # weight bit widths; 32 = float32 weights and activations
RATIO_MAX, RATIO_STEP = 0.75, 0.125  # share of the expanded channels cut
PNG_DPI = 120  # the dashboard's PNGs: 960 px wide, fonts large enough for a projector
RESULT_CACHE = 256  # quick_compress results kept per CompressionLab


def fit_line(result, device=DEFAULT_DEVICE):
    """'fits on the Arduino Nano 33 BLE Sense? yes/no' with the figures against its limits."""
    d = get_device(device)
    return (f"accuracy {100 * result['accuracy']:.1f}%, Flash {result['flash_bytes'] / KIB:.1f} KiB "
            f"(of {d.flash_bytes // KIB}), peak SRAM {result['peak_sram_bytes'] / KIB:.1f} KiB "
            f"(of {d.sram_bytes // KIB}, {result['activation_dtype']} activations) -> fits on the "
            f"{d.title}? {'yes' if result['fits'] else 'no'}")


@dataclass(frozen=True)
class CompressionState:
    """The slider values: global sparsity (0..0.95), weight bits (BITS), share of channels cut
    (0..0.75). Shares are rounded to 6 decimals, so 0.15000000000000002 and 0.15 are one state."""

    sparsity: float = 0.0
    bits: int = 32
    channel_ratio: float = 0.0

    def __post_init__(self):
        for field, high in (("sparsity", SPARSITY_MAX), ("channel_ratio", RATIO_MAX)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
                raise SpecError(f"{field} must be a number in [0, {high}], got {value!r}")
            object.__setattr__(self, field, round(float(value), 6))
        if self.bits not in BITS or isinstance(self.bits, bool):
            raise SpecError(f"bits must be one of {', '.join(map(str, BITS))}, got {self.bits!r}")
        object.__setattr__(self, "bits", int(self.bits))

    def with_changes(self, **changes):
        return replace(self, **changes)

    @property
    def label(self):
        """The histogram's 'after' title: '4-bit, 50% sparse, 25% channels cut'."""
        return (f"{self.bits}-bit, {self.sparsity:.0%} sparse"
                + (f", {self.channel_ratio:.0%} channels cut" if self.channel_ratio else ""))


class CompressionLab:
    """The trained model, the held-out digits and the device of one dashboard.

    ``baseline`` is the uncompressed model's quick_compress result; ``result(state)`` the
    compressed one, cached (the last RESULT_CACHE states) since the inputs stay fixed.
    """

    def __init__(self, network, weights, x_test, y_test, device=DEFAULT_DEVICE):
        self.network, self.weights, self.x_test, self.y_test = network, weights, x_test, y_test
        self.device = get_device(device)
        self._cached = lru_cache(maxsize=RESULT_CACHE)(self._compute)
        self.baseline = self.result(CompressionState())

    def _compute(self, state):
        return quick_compress(self.network, self.weights, self.x_test, self.y_test, state.sparsity,
                              state.bits, state.channel_ratio, self.device.name)

    def result(self, state):
        """quick_compress of ``state`` (a CompressionState), cached."""
        return self._cached(state)

    def cache_info(self):
        return self._cached.cache_info()


def dashboard_figures(lab, state, figures=None):
    """(bars, histogram) Figures of ``state``: new ones, or ``figures`` (made here) redrawn in place."""
    result = lab.result(state)
    bars_fig, hist_fig = figures or (None, None)
    bars_fig = compression_bars(lab.baseline, result, lab.device.sram_bytes, lab.device.flash_bytes,
                                fig=bars_fig)
    hist_fig = weight_histogram(lab.weights, result["weights"], state.label, fig=hist_fig)
    return bars_fig, hist_fig


def summary_html(lab, state):
    """The fit line of ``state`` (yes in green, no in red)."""
    result = lab.result(state)
    color = "green" if result["fits"] else "red"
    return f"<span style='color:{color}'>{html.escape(fit_line(result, lab.device.name))}</span>"


class CompressionDashboard(Dashboard):
    """The widget: three sliders, the fit line, the bars and the histogram (PNGs).

    ``controls`` maps a CompressionState field to its widget; setting a control's ``value`` (by
    hand or in a test) updates ``state`` and redraws. ``last_redraw_s``: the last redraw's time (s).
    """

    def __init__(self, lab, state=None, **kwargs):
        self.lab, self.renderers = lab, []
        super().__init__(state or CompressionState(), **kwargs)

    def make_controls(self, s):
        FULL_LABEL = {"description_width": "initial"}  # "channels cut" in full, not "channels …"
        return {
            "sparsity": widgets.FloatSlider(s.sparsity, min=0.0, max=SPARSITY_MAX, step=SPARSITY_STEP,
                                            description="sparsity", continuous_update=False,
                                            style=FULL_LABEL),
            "bits": widgets.SelectionSlider(options=BITS, value=s.bits, description="bits",
                                            continuous_update=False, style=FULL_LABEL),
            "channel_ratio": widgets.FloatSlider(s.channel_ratio, min=0.0, max=RATIO_MAX,
                                                 step=RATIO_STEP, description="channels cut",
                                                 continuous_update=False, style=FULL_LABEL),
        }

    def arrange(self):
        return [widgets.HBox(list(self.controls.values())), self.summary, *self.images, self.timing]

    def draw(self, state, figures):
        return dashboard_figures(self.lab, state, figures)

    def summary_html(self, state):
        return summary_html(self.lab, state)

    def png(self, index, figure):
        """PngRenderer: the static layer is drawn once, a redraw draws what changes."""
        if len(self.renderers) <= index:
            self.renderers.append(PngRenderer(figure, PNG_DPI))
        return self.renderers[index].png()


def compression_dashboard(network, weights, x_test, y_test, device=DEFAULT_DEVICE):
    """Sliders (global sparsity, weight bits, channel pruning ratio) over the trained model."""
    return CompressionDashboard(CompressionLab(network, weights, x_test, y_test, device))
