"""What a figure shows once drawn: its visible texts, where they land, which ones collide.

    from harness.figures import clipped_texts, collisions, small_texts

A text counts only where a person sees it: a tick label only when its tick lies inside the axis'
view (matplotlib also keeps labels for ticks outside it, never drawn), a rotated tick label not
at all in ``collisions`` (its axis-aligned box overlaps its neighbours' where the glyphs do not),
and the grey source line under a figure (a citation, not read from the back) is left out of
``small_texts``. Extents are in display pixels at the figure's own dpi.
"""
import itertools

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.text import Text

SOURCE_GREY = to_hex("gray")  # the colour of the 'source: ...' footers (ui/plots/results._source)


def _tick_labels(axis):
    low, high = sorted(axis.get_view_interval())
    labels = []
    for tick in axis.get_major_ticks() + axis.get_minor_ticks():
        if low - 1e-9 * abs(high) <= tick.get_loc() <= high + 1e-9 * abs(high):
            labels += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    return labels


def visible_texts(fig):
    """Every drawn, non-empty Text of ``fig`` (titles, axis labels, tick labels in view, texts
    and annotations, legend entries, figure texts) with its window extent: [(Text, Bbox)]."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    found = list(fig.texts)
    if fig._suptitle is not None:
        found.append(fig._suptitle)
    for ax in fig.axes:
        found += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        found += ax.texts + _tick_labels(ax.xaxis) + _tick_labels(ax.yaxis)
        if ax.get_legend() is not None:
            found += ax.get_legend().get_texts()
    unique = list(dict.fromkeys(found))  # the suptitle is also among fig.texts
    return [(t, t.get_window_extent(renderer)) for t in unique
            if t.get_visible() and t.get_text().strip()]


def legend_boxes(fig):
    """The window extents of the axes' legends: [(Axes, Bbox)]."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [(ax, ax.get_legend().get_window_extent(renderer)) for ax in fig.axes
            if ax.get_legend() is not None]


def collisions(fig):
    """Pairs of visible texts that overlap, and texts under a legend they are not part of:
    a list of (text, text) strings ('legend' for the legend's box); empty when none."""
    texts = [(t, box) for t, box in visible_texts(fig)
             if not (t.get_rotation() % 180 and t in _all_tick_labels(fig))]
    found = [(a.get_text(), b.get_text()) for (a, box_a), (b, box_b)
             in itertools.combinations(texts, 2) if box_a.overlaps(box_b)]
    for ax, box in legend_boxes(fig):
        own = set(ax.get_legend().findobj(Text))
        found += [("legend", t.get_text()) for t, text_box in texts
                  if t not in own and box.overlaps(text_box)]
    return found


def _all_tick_labels(fig):
    return {t for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for t in _tick_labels(axis)}


def clipped_texts(fig):
    """Visible texts that run past the figure's edge: [text]. Cut off in a PNG rendered at
    the figure's size (a dashboard's); an inline display crops to the tight bounding box
    instead, so there such a text shows, and the image grows."""
    texts = visible_texts(fig)  # draws on an Agg canvas
    width, height = fig.canvas.get_width_height()
    return [t.get_text() for t, box in texts
            if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5]


def small_texts(fig, points):
    """Visible texts below ``points`` pt, the grey source footers left out: [(size, text)]."""
    return sorted({(t.get_fontsize(), t.get_text()) for t, _ in visible_texts(fig)
                   if t.get_fontsize() < points and to_hex(t.get_color()) != SOURCE_GREY})
