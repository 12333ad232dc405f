"""The compression dashboard: sliders for sparsity, bit width and channel pruning (thin widgets).

The logic is in :class:`CompressionState` (the three slider values, checked and rounded so they
can key a cache), :class:`CompressionLab` (the trained model, the held-out images and the device;
``memory(state)`` is ``compress.quick_memory``, cached per state; ``accuracy(state)`` runs the
compressed model once per state; ``result(state)`` is both, ``quick_compress``'s dict) and
:func:`dashboard_figures` (state -> the bars and histogram Figures, updated in place when given the
previous ones). The widget (a ``base.Dashboard``) only maps controls to ``state.with_changes(...)``
and shows the figures as PNGs (``plots.compression.PngRenderer``: the axes, ticks and labels are
drawn once, a redraw draws only the bars, lines, counts and titles that change), so tests drive
everything without a browser. Sliders report on release (``continuous_update=False``).

Digits model: a redraw is one ``quick_compress`` (about 0.1 s) plus two artist updates and two
partial Agg renders (about 0.02 s). The model at stake (``nas.stakes``, 11 M MACs) needs about a
second per accuracy: its redraw shows Flash, SRAM, the fit and the histogram at once (about 0.1 s),
the accuracy as "measuring..." until an :class:`AccuracyWorker` thread has measured it, and that
thread then measures the states one slider step away (``neighbours``), so the next move usually
finds its accuracy ready (benchmarks/bench_dashboard_redraw.py prints the times).
"""

import html
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import ipywidgets as widgets

from ...compression.compress import DEFAULT_DEVICE, quick_accuracy, quick_memory
from ...errors import SpecError
from ...model.devices import get_device
from ...model.units import KIB
from ...validation import check_scalar
from ..plots.compression import PENDING, PngRenderer, compression_bars, weight_histogram
from ..plots.png import PngCache
from .base import Dashboard

SPARSITY_MAX, SPARSITY_STEP = 0.95, 0.05  # global sparsity slider (share of 1x1 + linear weights)
BITS = (2, 3, 4, 5, 6, 7, 8, 32)  # weight bit widths; 32 = float32 weights and activations
RATIO_MAX, RATIO_STEP = 0.75, 0.125  # share of the expanded channels cut
PNG_DPI = 120  # the dashboard's PNGs: 960 px wide, fonts large enough for a projector
RESULT_CACHE = 64  # quick_memory results (compressed weights: 1.1 MiB for the model at stake) kept
SYNC_ACCURACY_S = 0.25  # slower accuracies are measured in the background, the figures drawn first


def fit_line(result, device=DEFAULT_DEVICE):
    """'fits on the Arduino Nano 33 BLE Sense? yes/no' with the figures against its limits (an
    accuracy of None, not measured yet, reads PENDING)."""
    d = get_device(device)
    acc = PENDING if result["accuracy"] is None else f"{100 * result['accuracy']:.1f}%"
    return (f"accuracy {acc}, Flash {result['flash_bytes'] / KIB:.1f} KiB "
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
            value = check_scalar(getattr(self, field), field, float, min_val=0, max_val=high)
            object.__setattr__(self, field, round(value, 6))
        if self.bits not in BITS or isinstance(self.bits, bool):
            raise SpecError(f"bits must be one of {', '.join(map(str, BITS))}, got {self.bits!r}")
        object.__setattr__(self, "bits", int(self.bits))

    def with_changes(self, **changes):
        return replace(self, **changes)

    @property
    def label(self):
        """The histogram's 'after' title: '4-bit, 50% sparse, 25% channels cut'."""
        return (f"{self.bits}-bit, {100 * self.sparsity:g}% sparse"  # 12.5%, not 12% or 0.13
                + (f", {100 * self.channel_ratio:g}% channels cut" if self.channel_ratio else ""))


class CompressionLab:
    """The trained model, the held-out images and the device of one dashboard.

    ``memory(state)`` is ``compress.quick_memory`` (compressed weights, Flash, peak SRAM, fits;
    no forward pass), cached for the last RESULT_CACHE states; ``accuracy(state)`` runs the
    compressed model on the held-out images (``compress.quick_accuracy``) once per state, one
    measurement at a time (any thread); ``result(state)`` is both, ``quick_compress``'s dict.
    ``baseline`` is the uncompressed model's result; ``accuracy_s`` the last measurement's time (s);
    ``classes`` the classifier's outputs (chance = 1 / classes).
    sync_accuracy_s: above it the lab is ``slow`` (0: always, for tests).
    """

    def __init__(self, network, weights, x_test, y_test, device=DEFAULT_DEVICE,
                 sync_accuracy_s=SYNC_ACCURACY_S):
        self.network, self.weights, self.x_test, self.y_test = network, weights, x_test, y_test
        self.device, self.sync_accuracy_s = get_device(device), sync_accuracy_s
        self.classes = network.ops[-1].out_shape[0]  # (C, 1, 1) of the last op, the classifier
        self._memory = lru_cache(maxsize=RESULT_CACHE)(self._compute_memory)
        self._accuracies = {}  # state -> accuracy (0..1)
        self._measuring = threading.Lock()
        self.accuracy_s = None
        self.baseline = self.result(CompressionState())

    def _compute_memory(self, state):
        return quick_memory(self.network, self.weights, state.sparsity, state.bits,
                            state.channel_ratio, self.device.name)

    def memory(self, state):
        """quick_memory of ``state`` (a CompressionState), cached."""
        return self._memory(state)

    def accuracy(self, state, measure=True, before_batch=None):
        """Held-out accuracy (0..1) of ``state``'s compressed model: measured on the first call,
        then remembered; None when not measured yet and ``measure`` is False, or when
        ``before_batch`` (see ``quick_accuracy``) abandoned the measurement."""
        if state not in self._accuracies and measure:
            with self._measuring:  # one measurement per state, whichever thread asks first
                if state not in self._accuracies:
                    compressed = self.memory(state)
                    start = time.perf_counter()
                    accuracy = quick_accuracy(compressed["network"], compressed["weights"],
                                              self.x_test, self.y_test, before_batch=before_batch)
                    if accuracy is not None:
                        self._accuracies[state] = accuracy
                        self.accuracy_s = time.perf_counter() - start
        return self._accuracies.get(state)

    def result(self, state, measure=True):
        """quick_compress's dict of ``state``; 'accuracy' None if not measured and not ``measure``."""
        return {**self.memory(state), "accuracy": self.accuracy(state, measure)}

    @property
    def slow(self):
        """Does measuring an accuracy take longer than ``sync_accuracy_s`` (then a dashboard shows
        the memory figures first and the accuracy when the background measurement is done)?"""
        return self.accuracy_s is not None and self.accuracy_s > self.sync_accuracy_s

    def cache_info(self):
        return self._memory.cache_info()


def neighbours(state):
    """The states one slider step from ``state`` (each slider one step up, then down), in the
    order a lecture moves them: sparsity, bits, channels cut."""
    out = []
    for field, step, high in (("sparsity", SPARSITY_STEP, SPARSITY_MAX), ("bits", None, None),
                              ("channel_ratio", RATIO_STEP, RATIO_MAX)):
        value = getattr(state, field)
        if step is None:
            i = BITS.index(value)
            options = [BITS[j] for j in (i - 1, i + 1) if 0 <= j < len(BITS)]
        else:
            options = [round(v, 6) for v in (value + step, value - step) if -1e-9 <= v <= high + 1e-9]
        out += [state.with_changes(**{field: abs(v) if step else v}) for v in options]
    return out


class AccuracyWorker:
    """One daemon thread measuring a lab's accuracies in the background, in the order asked.

    ``schedule(states)`` replaces the waiting list (states already measured are dropped); a
    measurement under way is abandoned at its next batch unless its state heads the new list
    (it stays in the list if listed). Before each batch the thread waits for ``idle`` (an Event,
    cleared while the dashboard redraws), so a redraw has the CPU to itself.
    ``on_measured(state)`` is called from the thread after each measurement. ``wait()`` blocks
    until the list is done and re-raises an error of the thread.
    """

    def __init__(self, lab, on_measured, idle=None):
        self.lab, self.on_measured, self.idle = lab, on_measured, idle
        self._todo, self._busy, self._error, self._thread = [], False, None, None
        self._generation = 0  # schedule() calls so far
        self._cond = threading.Condition()

    def schedule(self, states):
        with self._cond:
            self._generation += 1
            self._todo = [s for s in states if self.lab.accuracy(s, measure=False) is None]
            if self._todo and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="compression-accuracy",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self):
        while True:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
                self._cond.wait_for(lambda: self._todo)
                state, self._busy, generation = self._todo.pop(0), True, self._generation
            try:
                superseded = lambda: self._superseded(state, generation)  # noqa: E731
                if self.lab.accuracy(state, before_batch=superseded) is not None:
                    self.on_measured(state)
            except Exception as err:  # kept for wait(); the thread serves the next request
                self._error = err

    def _superseded(self, state, generation):
        """Before a batch: wait while the dashboard redraws; has a new list displaced ``state``?"""
        if self.idle is not None:
            self.idle.wait()
        with self._cond:
            return self._generation != generation and self._todo[:1] != [state]

    def wait(self, timeout=None):
        """Block until every scheduled state is measured (or ``timeout`` s); True when done."""
        with self._cond:
            done = self._cond.wait_for(lambda: not self._todo and not self._busy, timeout)
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return done


def dashboard_figures(lab, state, figures=None, result=None):
    """(bars, histogram) Figures of ``state``: new ones, or ``figures`` (made here) redrawn in place.
    result: ``lab.result(state, ...)`` when already at hand (its accuracy None shows as pending)."""
    result = result or lab.result(state)
    bars_fig, hist_fig = figures or (None, None)
    bars_fig = compression_bars(lab.baseline, result, lab.device.sram_bytes, lab.device.flash_bytes,
                                fig=bars_fig, examples=len(lab.y_test), chance=1 / lab.classes)
    hist_fig = weight_histogram(lab.weights, result["weights"], state.label, fig=hist_fig)
    return bars_fig, hist_fig


def summary_html(lab, state, result=None):
    """The fit line of ``state`` (yes in green, no in red; the accuracy as measured so far).
    result: the ``lab.result`` the figures show, when at hand."""
    result = result or lab.result(state, measure=False)
    color = "green" if result["fits"] else "red"
    return f"<span style='color:{color}'>{html.escape(fit_line(result, lab.device.name))}</span>"


class CompressionDashboard(Dashboard):
    """The widget: three sliders, the fit line, the bars and the histogram (PNGs).

    ``controls`` maps a CompressionState field to its widget; setting a control's ``value`` (by
    hand or in a test) updates ``state`` and redraws. ``last_redraw_s``: the last redraw's time (s).

    For a lab whose accuracy is slow (``lab.slow``: the model at stake, about a second) a redraw
    shows the memory figures and the fit at once, the accuracy as PENDING, and the accuracy
    when ``worker`` (an AccuracyWorker) has measured it; the worker then measures the states one
    slider step away (``prefetch``), so the next move usually finds its accuracy measured.
    ``wait()`` blocks until the worker is done (tests, benchmarks).
    """

    def __init__(self, lab, state=None, prefetch=True, **kwargs):
        self.lab, self.renderers, self.prefetch = lab, [], prefetch
        self._lock = threading.RLock()  # the kernel's thread and the worker both redraw
        self._idle = threading.Event()  # cleared while a move redraws: the worker pauses
        self._idle.set()
        self.worker = AccuracyWorker(lab, self._measured, self._idle)
        self.pending, self.moved_at, self.accuracy_shown_s = False, time.perf_counter(), None
        self.shown = None  # the lab.result on screen
        self.background = lab.slow  # does a redraw leave the accuracy to the worker?
        self._pngs = PngCache(RESULT_CACHE)
        super().__init__(state or CompressionState(), **kwargs)

    def make_controls(self, s):
        FULL_LABEL = {"description_width": "initial"}  # "channels cut" in full, not "channels …"
        return {
            "sparsity": widgets.FloatSlider(s.sparsity, min=0.0, max=SPARSITY_MAX, step=SPARSITY_STEP,
                                            description="sparsity", continuous_update=False,
                                            readout_format=".1%", style=FULL_LABEL),
            "bits": widgets.SelectionSlider(options=BITS, value=s.bits, description="bits",
                                            continuous_update=False, style=FULL_LABEL),
            "channel_ratio": widgets.FloatSlider(s.channel_ratio, min=0.0, max=RATIO_MAX,
                                                 step=RATIO_STEP, description="channels cut",
                                                 readout_format=".1%", continuous_update=False,
                                                 style=FULL_LABEL),
        }

    def arrange(self):
        for image in self.images:  # two side by side, each at most half the width
            image.layout.max_width = "49%"
        return [widgets.HBox(list(self.controls.values())), self.summary, widgets.HBox(self.images),
                self.timing]

    def set(self, **changes):
        """Change the state and redraw; with a slow lab the worker pauses meanwhile."""
        self.background = self.lab.slow  # decided once per move (the worker may change lab.slow)
        if self.background:  # (a quick lab's redraw measures, and may wait for the worker)
            self._idle.clear()
        try:
            with self._lock:
                self.moved_at = time.perf_counter()
                super().set(**changes)
        finally:
            self._idle.set()

    def redraw(self):
        """Base redraw under the lock; the timing line says whether the accuracy is pending and,
        once shown, how long after the move it came (``accuracy_shown_s``)."""
        with self._lock:
            seconds = super().redraw()
            if self.pending:
                self.accuracy_shown_s = None
                self.timing.value += f"<span style='color:gray;font-size:0.85em'>; accuracy {PENDING}</span>"
            else:
                self.accuracy_shown_s = time.perf_counter() - self.moved_at
            return seconds

    def draw(self, state, figures):
        self.shown = result = self.lab.result(state, measure=not self.background)
        self.pending = result["accuracy"] is None
        figures = dashboard_figures(self.lab, state, figures, result)
        self.worker.schedule(([state] if self.pending else [])
                             + (neighbours(state) if self.prefetch else []))
        return figures

    def _measured(self, state):
        """The worker measured ``state``: show its accuracy if it is on screen, pending."""
        with self._lock:
            if self.pending and state == self.state:
                self.redraw()
                self.timing.value += (f"<span style='color:gray;font-size:0.85em'>; accuracy "
                                      f"{1000 * self.accuracy_shown_s:.0f} ms after the move</span>")

    def wait(self, timeout=None):
        """Block until the background measurements are done; True when they are."""
        return self.worker.wait(timeout)

    def summary_html(self, state):
        return summary_html(self.lab, state, self.shown)

    def png(self, index, figure):
        """PngRenderer: the static layer is drawn once, a redraw draws what changes; a state shown
        before with its accuracy comes from the PNG cache."""
        if len(self.renderers) <= index:
            self.renderers.append(PngRenderer(figure, PNG_DPI))
        if self.pending:
            return self.renderers[index].png()
        key = (self.state, index)
        return self._pngs.get(key) or self._pngs.put(key, self.renderers[index].png())


def compression_dashboard(network, weights, x_test, y_test, device=DEFAULT_DEVICE, prefetch=True):
    """Sliders (global sparsity, weight bits, channel pruning ratio) over the trained model."""
    return CompressionDashboard(CompressionLab(network, weights, x_test, y_test, device),
                                prefetch=prefetch)
