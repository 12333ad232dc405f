"""Trip counts of the tinyengine and cmsis kernels (``kernels_c/*_te.h``), as functions of a
program step's shapes: the counted blocks (``TM_TRIP``) of each inline body, for ``kernels.py``'s
Kernel descriptions. The cmsis functions run the same bodies, so they share these formulas.
"""

import numpy as np


def _te_channel_trips(columns, cin, cout):
    """Trips of te_channels (pwconv_te.h) called ``columns`` times with ``cin`` inputs."""
    groups = (cin + 3) // 4
    return {"pwconv_te_pair": columns * (cout // 2), "pwconv_te_odd": columns * (cout % 2),
            "pwconv_te_mac": columns * ((cout + 1) // 2) * (groups // 2),
            "pwconv_te_mac_tail": columns * ((cout + 1) // 2) * (groups % 2)}


def _te_pixel_runs(g):
    """(runs, pixels per run) of te_pwconv: one run when input and output rows are packed."""
    packed = g.out_w == g.win_w and g.y_rstride == g.out_w
    return (1, g.out_h * g.out_w) if packed else (g.out_h, g.out_w)


def pwconv_te(step):
    """Trips of one te_pwconv call (pwconv_te.h)."""
    g = step.geom
    runs, length = _te_pixel_runs(g)
    pairs, lasts = runs * (length // 2), runs * (length % 2)
    groups = (g.cin + 3) // 4
    columns = pairs + lasts  # te_channels calls
    return {"pwconv_te_call": 1, "pwconv_te_run": runs, "pwconv_te_pixels": pairs,
            "pwconv_te_last": lasts, "pwconv_te_fill": pairs * (g.cin // 4),
            "pwconv_te_fill_tail": pairs * int(g.cin % 4 > 0),
            "pwconv_te_fill_tail_ch": pairs * (g.cin % 4),
            "pwconv_te_fill_one": lasts * groups, "pwconv_te_fill_one_ch": lasts * g.cin,
            **_te_channel_trips(columns, g.cin, g.cout)}


def _dw_te_channel(g):
    """Trips of one channel of te_dwconv (dwconv_te.h): its buffer rows and output pairs."""
    s, k = g.stride, g.k
    n = (g.out_w - 1) * s + k
    r0, c0 = g.out_r0 * s - g.pad, g.out_c0 * s - g.pad
    rows = r0 + np.arange((g.out_h - 1) * s + k)
    image = int(((rows >= 0) & (rows < g.in_h)).sum())
    left, right = min(max(-c0, 0), n), min(g.in_w - c0, n)
    fill = max(0, right - left)
    padded = len(rows) - image
    return {"dw_te_channel": 1, "dw_te_row": g.out_h, "dw_te_pair": g.out_h * -(-g.out_w // 2),
            "dw_te_fill_row": image, "dw_te_fill_elem": image * fill,
            "dw_te_pad_row": padded, "dw_te_pad_elem": padded * n + image * (n - fill)}


def dwconv_te(step):
    """Trips of one te_dwconv call (dwconv_te.h), in place or not."""
    g = step.geom
    return {"dw_te_call": 1, **{name: g.cout * v for name, v in _dw_te_channel(g).items()}}


DW_TE_LOOPS = ("dw_te_call", "dw_te_channel", "dw_te_row", "dw_te_pair", "dw_te_fill_row",
               "dw_te_fill_elem", "dw_te_pad_row", "dw_te_pad_elem")


def conv_te(step):
    """Trips of one te_conv call (conv_te.h): im2col patches, then te_channels."""
    g = step.geom  # a k x kw kernel (rows x columns), padding pad above
    pairs = -(-(g.out_h * g.out_w) // 2)
    rows_in = np.add.outer(np.arange(g.k), (g.out_r0 + np.arange(g.out_h)) * g.stride - g.pad)
    rows_in = ((rows_in >= 0) & (rows_in < g.in_h)).sum(axis=0)  # per output row
    pixel_rows = int(rows_in.sum()) * g.out_w  # inside kernel rows over all pixels
    if g.out_h * g.out_w % 2:  # an odd last pixel's patch is written twice
        pixel_rows += int(rows_in[-1])
    patches = 2 * pairs
    cin, n = g.cin, g.cin * g.k * g.kw
    inside = cin * pixel_rows
    return {"conv_te_call": 1, "conv_te_pixels": pairs, "conv_te_cin": patches * cin,
            "conv_te_row_in": inside, "conv_te_row_pad": patches * cin * g.k - inside,
            "conv_te_tap": inside * g.kw, "conv_te_pack": pairs * ((n + 3) // 4),
            **_te_channel_trips(pairs, n, g.cout)}


CONV_TE_LOOPS = ("conv_te_call", "conv_te_pixels", "conv_te_cin", "conv_te_row_in",
                 "conv_te_row_pad", "conv_te_tap", "conv_te_pack", "pwconv_te_pair",
                 "pwconv_te_odd", "pwconv_te_mac", "pwconv_te_mac_tail")

PWCONV_TE_LOOPS = ("pwconv_te_call", "pwconv_te_run", "pwconv_te_pixels", "pwconv_te_last",
                   "pwconv_te_fill", "pwconv_te_fill_tail", "pwconv_te_fill_tail_ch",
                   "pwconv_te_fill_one", "pwconv_te_fill_one_ch", "pwconv_te_pair",
                   "pwconv_te_odd", "pwconv_te_mac", "pwconv_te_mac_tail")


# Which specialisation of a baked body the compiler makes (kernels.Kernel.variant): the latency
# model fits each its own instructions per trip, since literal constants change the code.
def dw_variant(step):
    """'k<k>s<stride>': te_dwconv's taps are unrolled per kernel size and stride."""
    return f"k{step.geom.k}s{step.geom.stride}"


def pw_variant(step):
    """'g<passes><odd>': te_mac_2x2 over (cin + 3) // 4 groups of 4 input channels runs
    groups // 2 passes of two groups, no loop for 0 or 1 pass (2: a loop), plus one odd group."""
    groups = (step.geom.cin + 3) // 4
    return f"g{min(groups // 2, 2)}{groups % 2}"
