"""The dashboards' PNG encoder: any PNG reader gets the same pixels back; bad input is refused."""
import io

import numpy as np
import pytest
from PIL import Image

from tinyml_course.ui.plots.png import encode_png


@pytest.mark.parametrize("channels,mode", [(4, "RGBA"), (3, "RGB")])
def test_pillow_reads_back_the_same_pixels(channels, mode):
    """Does Pillow decode encode_png's bytes to the very pixels (random, odd sizes), in the mode?"""
    pixels = np.random.default_rng(channels).integers(0, 256, (7, 13, channels), dtype=np.uint8)
    image = Image.open(io.BytesIO(encode_png(pixels)))
    assert image.mode == mode and image.size == (13, 7)
    np.testing.assert_array_equal(np.asarray(image), pixels)


def test_a_figure_canvas_encodes_like_pillow():
    """Is an Agg canvas's buffer (what the dashboards send) the same image as Pillow's PNG of it?"""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1, 4])
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    buf = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="png")
    ours = np.asarray(Image.open(io.BytesIO(encode_png(canvas.buffer_rgba()))))
    np.testing.assert_array_equal(ours, np.asarray(Image.open(io.BytesIO(buf.getvalue()))))


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 2), np.uint8),
                                 np.zeros((4, 4, 4), np.float32)])
def test_bad_pixels_are_refused(bad):
    with pytest.raises(ValueError, match="expected uint8 pixels"):
        encode_png(bad)
