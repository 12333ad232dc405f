"""The C kernels, described once: which function a program step calls, in each kernel set, and how
often each counted block of that function runs.

Every loop body and branch of a kernel that costs instructions is marked ``TM_TRIP(name)`` in its
C source (``kernels_c/*.c``). A ``Kernel`` here names the C function, lists those blocks (its
``loops``) and gives their trip counts for one call as a function of the step's shapes alone
(``trips``). Those trip counts ARE the latency model's features (``latency.py``: instructions =
sum of fitted instructions per trip), and a build with ``-DTM_COUNT_TRIPS`` counts the same blocks
in the emulator (``trip_check.py``), so a kernel whose loops change without its description here
fails a test. Adding a kernel: write the C with its TM_TRIP marks, describe it here, put it in a
``Tier``.

``kernel_for(step, kernels)`` is the one dispatch from a program step to its Kernel, by the step's
``family`` (most specific first, e.g. ``('dwconv_k3', 'dwconv')``).
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError, UnknownNameError
from . import kernels_te as te
from .layouts import fused_requant_applies


@dataclass(frozen=True)
class Kernel:
    """One C function and its counted blocks.

    name: the latency table's key; function: the C function; loops: the TM_TRIP names in the C,
    in feature order; trips(step) -> {loop: runs in one call}; layout: how the code generator
    lays out the op's constants for it ('plain': as the package holds them; 'te_pwconv': the
    tinyengine 1x1's reordered weights and per-channel records, see pwconv_te.h). A kernel
    with a tinyengine layout is an inline body that codegen instantiates once per op with the
    op's constants (``codegen.te_instance``); ``function`` names the body.
    """

    name: str
    function: str
    loops: tuple
    trips: Callable
    layout: str = "plain"
    baked: bool = False  # an inline body codegen instantiates per op (codegen.te_instance)
    variant: Callable | None = None  # step -> which specialisation the compiler makes of a baked
    # body (e.g. 'k5s2'); the latency model fits each one its own instructions per trip

    def key(self, step):
        """The latency table's key of this kernel on ``step``: its name, or name/variant."""
        return self.name if self.variant is None else f"{self.name}/{self.variant(step)}"

    def features(self, step):
        """Trip counts of one call, in ``loops`` order (int tuple). Raises SpecError if the
        description's formulas name other blocks than ``loops``."""
        counts = self.trips(step)
        if set(counts) != set(self.loops):
            raise SpecError(f"kernel {self.name}: trips give {sorted(counts)}, loops are "
                            f"{sorted(self.loops)}")
        return tuple(int(counts[name]) for name in self.loops)


def _axis(out0, n, stride, pad, size, k):
    """(valid taps per output position, whether the whole window is inside) along one axis."""
    start = (out0 + np.arange(n)) * stride - pad
    valid = np.clip(np.minimum(k, size - start) - np.maximum(0, -start), 0, None)
    return valid, (start >= 0) & (start + k <= size)


@dataclass(frozen=True)
class Window:
    """How a k x kw window meets the image over the output region of a tm_geom (one channel).

    pixels: output pixels; interior: pixels whose window is wholly inside; rows / taps: valid
    window rows / taps summed over all pixels; border_rows / border_taps: over the other pixels.
    """

    pixels: int
    interior: int
    rows: int
    taps: int
    border_rows: int
    border_taps: int

    @classmethod
    def of(cls, g):
        vr, ir = _axis(g.out_r0, g.out_h, g.stride, g.pad, g.in_h, g.k)  # rows: k, pad above
        vc, ic = _axis(g.out_c0, g.out_w, g.stride, g.pad_l, g.in_w, g.kw)  # columns: kw, left
        border = ~np.outer(ir, ic)
        return cls(len(vr) * len(vc), int(ir.sum() * ic.sum()), int(vr.sum() * len(vc)),
                   int(vr.sum() * vc.sum()), int((vr[:, None] * border).sum()),
                   int((np.outer(vr, vc) * border).sum()))


def _plain_taps(prefix, w, kh, kw, times):
    """Trips of plain-loop taps over every pixel: ky (all kh), ky_in (valid), kx (all kw of a
    valid row), tap (valid)."""
    return {f"{prefix}_ky": times * w.pixels * kh, f"{prefix}_ky_in": times * w.rows,
            f"{prefix}_kx": times * w.rows * kw, f"{prefix}_tap": times * w.taps}


def _conv_ref(step):
    g = step.geom
    w = Window.of(g)
    return {"conv_ref_call": 1, "conv_ref_channel": g.cout, "conv_ref_row": g.cout * g.out_h,
            "conv_ref_pixel": g.cout * w.pixels, "conv_ref_cin": g.cout * w.pixels * g.cin,
            **_plain_taps("conv_ref", w, g.k, g.kw, g.cout * g.cin)}


_CONV_REF_LOOPS = ("conv_ref_call", "conv_ref_channel", "conv_ref_row", "conv_ref_pixel",
                   "conv_ref_cin", "conv_ref_ky", "conv_ref_ky_in", "conv_ref_kx", "conv_ref_tap")


def _dw_ref_channels(g):
    w = Window.of(g)
    c = g.cout
    return {"dw_ref_channel": c, "dw_ref_row": c * g.out_h, "dw_ref_pixel": c * w.pixels,
            **_plain_taps("dw_ref", w, g.k, g.k, c)}


def _dw_opt_channels(g):
    w = Window.of(g)
    c = g.cout
    interior = w.interior if g.k == 3 else 0  # only 3x3 has the unrolled interior path
    border = w.pixels - interior
    rows = w.border_rows if g.k == 3 else w.rows
    taps = w.border_taps if g.k == 3 else w.taps
    return {"dw_opt_channel": c, "dw_opt_row": c * g.out_h, "dw_opt_pixel": c * w.pixels,
            "dw_opt_interior": c * interior, "dw_opt_border": c * border,
            "dw_opt_ky": c * border * g.k, "dw_opt_ky_in": c * rows, "dw_opt_kx": c * rows * g.k,
            "dw_opt_tap": c * taps}


def _pwconv_ref(step):
    g = step.geom
    pixels = g.out_h * g.out_w
    return {"pwconv_ref_call": 1, "pwconv_ref_channel": g.cout, "pwconv_ref_row": g.cout * g.out_h,
            "pwconv_ref_pixel": g.cout * pixels, "pwconv_ref_cin": g.cout * pixels * g.cin}


def _elementwise(prefix):
    """Trips of a (c, h, w) loop nest: add and copy."""
    return lambda s: {f"{prefix}_call": 1, f"{prefix}_channel": s.c, f"{prefix}_row": s.c * s.h,
                      f"{prefix}_element": s.c * s.h * s.w}


def _kernel(name, function, trips, loops, layout="plain", baked=False, variant=None):
    return Kernel(name, function, tuple(loops), trips, layout, baked, variant)


_DW_REF = ("dw_ref_channel", "dw_ref_row", "dw_ref_pixel", "dw_ref_ky", "dw_ref_ky_in",
           "dw_ref_kx", "dw_ref_tap")
_DW_OPT = ("dw_opt_channel", "dw_opt_row", "dw_opt_pixel", "dw_opt_interior", "dw_opt_border",
           "dw_opt_ky", "dw_opt_ky_in", "dw_opt_kx", "dw_opt_tap")

COMMON = {  # the same code in every kernel set
    "mark": _kernel("mark", "tm_layer", lambda s: {"mark_call": 1}, ("mark_call",)),
    "copy": _kernel("copy", "tm_copy", _elementwise("copy"),
                    ("copy_call", "copy_channel", "copy_row", "copy_element")),
    "move": _kernel("move", "memmove", lambda s: {"move_call": 1, "move_byte": s.nbytes},
                    ("move_call", "move_byte")),
    "add": _kernel("add", "tm_add", _elementwise("add"),
                   ("add_call", "add_channel", "add_row", "add_element")),
    "pool": _kernel("pool", "tm_avgpool",
                    lambda s: {"pool_call": 1, "pool_channel": s.c, "pool_element": s.c * s.h * s.w},
                    ("pool_call", "pool_channel", "pool_element")),
}

REFERENCE = {
    "conv": _kernel("conv_ref", "tm_conv_ref", _conv_ref, _CONV_REF_LOOPS),
    "dwconv": _kernel("dwconv_ref", "tm_dwconv_ref",
                      lambda s: {"dwconv_ref_call": 1, **_dw_ref_channels(s.geom)},
                      ("dwconv_ref_call",) + _DW_REF),
    "dwconv_inplace": _kernel(
        "dwconv_inplace_ref", "tm_dwconv_inplace_ref",
        lambda s: {"dwconv_inplace_ref_call": 1, **_dw_ref_channels(s.geom),
                   "dw_inplace_ref_byte": s.geom.cout * s.geom.out_h * s.geom.out_w},
        ("dwconv_inplace_ref_call",) + _DW_REF + ("dw_inplace_ref_byte",)),
    "pwconv": _kernel("pwconv_ref", "tm_pwconv_ref", _pwconv_ref,
                      ("pwconv_ref_call", "pwconv_ref_channel", "pwconv_ref_row",
                       "pwconv_ref_pixel", "pwconv_ref_cin")),
}


def _inplace_opt(s):
    g = s.geom
    pixels = g.out_h * g.out_w
    return {"dwconv_inplace_opt_call": 1, **_dw_opt_channels(g),
            "dw_inplace_opt_word": g.cout * (pixels // 4),
            "dw_inplace_opt_byte": g.cout * (pixels % 4)}


# the depthwise kernels with a 3x3 interior unrolled (dwconv.c): the cmsis and tinyengine tiers'
# fallback for the kernel sizes they do not specialise (theirs: 3, 5 and 7)
FALLBACK = {
    "dwconv": _kernel("dwconv_opt", "tm_dwconv_opt",
                      lambda s: {"dwconv_opt_call": 1, **_dw_opt_channels(s.geom)},
                      ("dwconv_opt_call",) + _DW_OPT),
    "dwconv_inplace": _kernel("dwconv_inplace_opt", "tm_dwconv_inplace_opt", _inplace_opt,
                              ("dwconv_inplace_opt_call",) + _DW_OPT +
                              ("dw_inplace_opt_word", "dw_inplace_opt_byte")),
}

_TE_DW = _kernel("dwconv_te", "te_dwconv", te.dwconv_te, te.DW_TE_LOOPS, "te_dwconv", baked=True,
                 variant=te.dw_variant)
_TE_DW_INPLACE = _kernel("dwconv_inplace_te", "te_dwconv_inplace", te.dwconv_te, te.DW_TE_LOOPS,
                         "te_dwconv", baked=True, variant=te.dw_variant)
TINYENGINE = {  # depthwise k = 3, 5, 7 (te_dwconv's rows[7]); other k: FALLBACK
    **{f"dwconv_k{k}": _TE_DW for k in (3, 5, 7)},
    **{f"dwconv_inplace_k{k}": _TE_DW_INPLACE for k in (3, 5, 7)},
    "conv": _kernel("conv_te", "te_conv", te.conv_te, te.CONV_TE_LOOPS, "te_conv", baked=True),
    "pwconv": _kernel("pwconv_te", "te_pwconv", te.pwconv_te, te.PWCONV_TE_LOOPS, "te_pwconv",
                      baked=True, variant=te.pw_variant),
}

# cmsis: the same bodies as generic functions (constants at run time, no per-shape code)
_GENERIC = {"conv": "tm_conv_cmsis", "pwconv": "tm_pwconv_cmsis", "dwconv_k3": "tm_dwconv_cmsis",
            "dwconv_inplace_k3": "tm_dwconv_inplace_cmsis"}
CMSIS = {family: dataclasses.replace(TINYENGINE[family], name=TINYENGINE[family].name.replace(
    "_te", "_cmsis"), function=function, baked=False, variant=None)
    for family, function in _GENERIC.items()}
CMSIS.update({f"dwconv_k{k}": CMSIS["dwconv_k3"] for k in (5, 7)})
CMSIS.update({f"dwconv_inplace_k{k}": CMSIS["dwconv_inplace_k3"] for k in (5, 7)})

# kernel set name -> {step family -> Kernel}: the tiers, cheapest last; DEFAULT_KERNELS is what
# deploy, codegen, the latency model and the search use unless told otherwise
KERNEL_SETS = {"reference": {**COMMON, **REFERENCE}, "cmsis": {**COMMON, **FALLBACK, **CMSIS},
               "tinyengine": {**COMMON, **FALLBACK, **TINYENGINE}}
KERNEL_ALIASES = {"optimized": "tinyengine"}  # the earlier name of the fastest tier, still accepted
DEFAULT_KERNELS = "tinyengine"
KERNEL_FLAVOURS = tuple(KERNEL_SETS)
KERNEL_CHOICES = KERNEL_FLAVOURS + tuple(KERNEL_ALIASES)  # what --kernels accepts
ALL_KERNELS = {k.name: k for kernels in KERNEL_SETS.values() for k in kernels.values()}
TRIP_NAMES = tuple(dict.fromkeys(loop for k in ALL_KERNELS.values() for loop in k.loops))


def check_kernels(kernels):
    """The tier ``kernels`` names (str, a KERNEL_FLAVOURS entry): itself, or the tier an alias
    stands for (KERNEL_ALIASES: 'optimized' -> 'tinyengine'). Raises UnknownNameError naming the
    accepted names otherwise."""
    name = KERNEL_ALIASES.get(kernels, kernels)
    if name not in KERNEL_SETS:
        raise UnknownNameError(f"unknown kernels {kernels!r}; use one of {', '.join(KERNEL_FLAVOURS)}"
                               f" ({', '.join(f'{a} = {b}' for a, b in KERNEL_ALIASES.items())})")
    return name


def kernel_for(step, kernels, quant=None):
    """The Kernel that program step ``step`` calls in kernel set ``kernels``: the first of the
    step's ``family`` keys the set has. quant: the op's constants (an int8_backend op quant,
    None: assume the usual ones); a kernel with a tinyengine layout whose fused requantization
    does not apply to them (``layouts.fused_requant_applies``: a multiplier >= 0.5, or
    accumulators that could reach 2^30) gives way to the reference kernel. Raises SpecError
    when the set has none."""
    table = KERNEL_SETS[check_kernels(kernels)]
    for key in step.family:
        if key in table:
            kernel = table[key]
            if kernel.layout != "plain" and quant is not None and quant.requant is not None \
                    and not fused_requant_applies(quant):
                return kernel_for(step, "reference")
            return kernel
    raise SpecError(f"the {kernels} kernels have none for {type(step).__name__} "
                    f"(families {', '.join(step.family)})")
