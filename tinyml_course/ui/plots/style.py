"""Figure style for a projector: large fonts, wide figures. Apply while building a figure:

    with projector():
        fig = Figure(figsize=WIDE)

Fonts are read from rcParams when an artist is made, so figures built inside the block keep
them, and nothing global changes.
"""

from contextlib import contextmanager

import matplotlib

WIDE = (12, 5.2)  # inches; at 100 dpi a 1200 px image, readable at the back of a room
PROJECTOR_RC = {"font.size": 14, "axes.titlesize": 15, "axes.labelsize": 14,
                "xtick.labelsize": 12, "ytick.labelsize": 12, "legend.fontsize": 12,
                "figure.dpi": 100}


@contextmanager
def projector():
    """rcParams for projector-readable figures, restored afterwards."""
    with matplotlib.rc_context(PROJECTOR_RC):
        yield
