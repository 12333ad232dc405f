"""The one dashboard design: controls -> a new state -> one package call -> the figures redrawn.

A dashboard is a frozen state dataclass with ``with_changes(**fields)`` (checks and derived
fields live there, so tests drive everything without a browser) plus a :class:`Dashboard`
subclass that says which control edits which field (``make_controls``), how to lay them out
(``arrange``) and what one redraw shows (``draw``: state -> Figures, the one package call, and
``summary_html``). The base class wires each control to ``set``, keeps the controls in step with
the state without redrawing twice, turns the figures into PNG images and times each redraw. A
choice the package refuses (a TinyMLError, e.g. more patches than the map has pixels) is shown as
one line instead of the figures; nothing else is caught.
"""

import html
import time

import ipywidgets as widgets

from ...errors import TinyMLError
from ..plots.png import figure_png


class Dashboard(widgets.VBox):
    """Base of the course's dashboards; subclasses define the hooks below.

    ``state``: the state shown; ``controls``: field name -> widget; ``images``: one PNG image per
    figure; ``summary``: an HTML line (or the refusal); ``last_redraw_s``: the last redraw (s).
    """

    def __init__(self, state, **kwargs):
        self.state = state
        self.controls = self.make_controls(state)
        self._syncing = False
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_change(name, change["new"]), "value")
        self.figures = None
        self.images = []
        self.summary = widgets.HTML()
        self.summary.add_class("tinyml-readout")  # notebooks/rise.css: compact lines on a slide
        self.timing = widgets.HTML()
        self.timing.add_class("tinyml-timing")  # the redraw time: hidden on a slide (rise.css)
        self.last_redraw_s = None
        self._built = False
        self._sync_controls()
        self.redraw()
        super().__init__(self.arrange(), **kwargs)
        self._built = True

    # -- hooks --------------------------------------------------------------------------------
    def make_controls(self, state):
        """Field name -> widget, each starting at the state's value."""
        raise NotImplementedError

    def arrange(self):
        """The dashboard's children: rows of ``controls``, then ``images``, ``summary``, ``timing``."""
        return [widgets.HBox(list(self.controls.values())), *self.images, self.summary, self.timing]

    def draw(self, state, figures):
        """The Figures of ``state``: new ones, or ``figures`` (made here before) redrawn in place."""
        raise NotImplementedError

    def summary_html(self, state):
        """The HTML line under the figures ('' for none)."""
        return ""

    def sync_controls(self, state):
        """Adjust controls beyond their values (options, ranges, enabled) to ``state``."""

    def png(self, index, figure):
        """PNG bytes of figure ``index`` (override to cache what does not change)."""
        return figure_png(figure)

    # -- the wiring -----------------------------------------------------------------------------
    def _on_change(self, name, value):
        if not self._syncing:
            self.set(**{name: value})

    def set(self, **changes):
        """Change the state (its field names), sync the controls and redraw."""
        self.state = self.state.with_changes(**changes)
        self._sync_controls()
        self.redraw()

    def _sync_controls(self):
        self._syncing = True  # programmatic updates of the controls must not redraw again
        try:
            self.sync_controls(self.state)
            for name, control in self.controls.items():
                value = getattr(self.state, name)
                if control.value != value:
                    control.value = value
        finally:
            self._syncing = False

    def redraw(self):
        """Update the figures, PNGs and summary from ``state``; return the time it took (s)."""
        start = time.perf_counter()
        try:
            self.figures = self.draw(self.state, self.figures)
        except TinyMLError as err:
            self.summary.value = f"cannot show this choice: {html.escape(str(err))}"
            for image in self.images:
                image.layout.display = "none"
        else:
            if not self.images:  # the first figures (the start state may have had none)
                self.images = [widgets.Image(format="png") for _ in self.figures]
                if self._built:
                    self.children = tuple(self.arrange())
            for index, (image, figure) in enumerate(zip(self.images, self.figures)):
                image.value = self.png(index, figure)
                image.layout.display = None
            self.summary.value = self.summary_html(self.state)
        self.last_redraw_s = time.perf_counter() - start
        self.timing.value = (f"<span style='color:gray;font-size:0.85em'>redrawn in "
                             f"{1000 * self.last_redraw_s:.0f} ms</span>")
        return self.last_redraw_s
