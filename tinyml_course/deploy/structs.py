"""The C structs the generated program hands its kernels, described once, in Python.

Each struct is a frozen dataclass whose fields carry their C type and comment (``c_field``).
From that one description come both the ``typedef`` in ``kernels_c/tinyml.h`` (``c_typedefs``:
the header's block between the GENERATED markers is this text, and a test checks it) and every
initialiser the code generator writes (``c_initializer``: designated, ``{.cin = 3, ...}``, so a
field the header does not have fails to compile rather than landing in the wrong place).

* ``Geom`` (``tm_geom``): where a kernel reads and writes: the full input, the window of it held
  in the input buffer, the output region computed and the output layout (see tinyml.h);
* ``Quant`` (``tm_quant``): the constants of a conv/dwconv/pwconv/linear op;
* ``AddQuant`` (``tm_addq``): the multipliers of a residual add.

Pointer fields hold C expressions (str), number fields ints.
"""

from dataclasses import dataclass, field, fields

from ..errors import SpecError

GENERATED_BEGIN = "/* BEGIN GENERATED STRUCTS (tinyml_course/deploy/structs.py): do not edit */"
GENERATED_END = "/* END GENERATED STRUCTS */"
_INT_RANGE = {"int16_t": (-(2 ** 15), 2 ** 15 - 1), "int32_t": (-(2 ** 31), 2 ** 31 - 1)}


def c_field(ctype, comment="", **options):
    """A dataclass field of C type ``ctype``; ``comment`` ends its line in the header (a group of
    consecutive fields of one type shares the line of the last field that has a comment);
    ``options`` go to ``dataclasses.field`` (a default)."""
    return field(metadata={"ctype": ctype, "comment": comment}, **options)


@dataclass(frozen=True)
class Geom:
    """tm_geom: one kernel call on a window (patch-based inference; per-layer: the whole tensor).

    Rows/cols [out_r0, out_r0 + out_h) x [out_c0, out_c0 + out_w) of the FULL op's output are
    computed from an input buffer holding rows/cols [win_r0, win_r0 + win_h) x [win_c0, ...) of
    the full (cin, in_h, in_w) input. Sizes in elements (int8: bytes). A full conv's kernel may
    be k x kw with padding pad above and pad_l on the left (MLPerf KWS's 10x4 stem); the padding
    below and on the right is implied: a tap outside the full input reads the zero point.
    """

    cin: int = c_field("int16_t")
    in_h: int = c_field("int16_t")
    in_w: int = c_field("int16_t", "the full input tensor (C, H, W)")
    win_r0: int = c_field("int16_t")
    win_c0: int = c_field("int16_t")
    win_h: int = c_field("int16_t")
    win_w: int = c_field("int16_t", "the window of it held in the input buffer")
    cout: int = c_field("int16_t")
    k: int = c_field("int16_t")
    stride: int = c_field("int16_t")
    pad: int = c_field("int16_t", "kernel size (rows), stride, padding (above; square: all sides)")
    out_r0: int = c_field("int16_t")
    out_c0: int = c_field("int16_t")
    out_h: int = c_field("int16_t")
    out_w: int = c_field("int16_t", "the region of the full output computed")
    y_cstride: int = c_field("int32_t")
    y_rstride: int = c_field("int32_t", "output layout in elements (channel, row)")
    kw: int = c_field("int16_t", default=None)
    pad_l: int = c_field("int16_t", "a full conv's kernel columns and left padding; "
                                    "square: k and pad", default=None)

    def __post_init__(self):
        """A square kernel: kw = k and pad_l = pad unless given."""
        if self.kw is None:
            object.__setattr__(self, "kw", self.k)
        if self.pad_l is None:
            object.__setattr__(self, "pad_l", self.pad)


@dataclass(frozen=True)
class Quant:
    """tm_quant: the int8 constants of one conv, dwconv, pwconv or linear op."""

    weight: str = c_field("const int8_t *", "conv (Cout, Cin, k, k); dwconv (C, k, k); "
                                            "pwconv (Cout, Cin); tinyengine: as its kernel reads them")
    bias: str = c_field("const int32_t *", "(Cout,) int32")
    m0: str = c_field("const int32_t *", "(Cout,) Q31 mantissas")
    shift: str = c_field("const int32_t *", "(Cout,) power-of-two exponents")
    wsum: str = c_field("const int32_t *", "(Cout,) sum of each output channel's weights "
                                           "(the depthwise fallback, dwconv.c)")
    chan: str = c_field("const int32_t *", "(Cout, 4) tinyengine: {bias - x_zp * sum(w), m0, "
                                           "2^(r-1), r = -shift}; else 0")
    x_zp: int = c_field("int32_t")
    y_zp: int = c_field("int32_t")
    act_min: int = c_field("int32_t")
    act_max: int = c_field("int32_t")


@dataclass(frozen=True)
class AddQuant:
    """tm_addq: a residual add's constants (``runtime.fixedpoint.AddRequant``)."""

    a_zp: int = c_field("int32_t")
    a_m0: int = c_field("int32_t")
    a_shift: int = c_field("int32_t")
    b_zp: int = c_field("int32_t")
    b_m0: int = c_field("int32_t")
    b_shift: int = c_field("int32_t")
    out_m0: int = c_field("int32_t")
    out_shift: int = c_field("int32_t")
    y_zp: int = c_field("int32_t")
    act_min: int = c_field("int32_t")
    act_max: int = c_field("int32_t")


# struct description -> (C type name, comment on the typedef line)
STRUCTS = {Geom: ("tm_geom", ""), Quant: ("tm_quant", ""),
           AddQuant: ("tm_addq", "residual add: multipliers of add_multipliers()")}


def c_typedef(cls):
    """The C ``typedef struct {...} name;`` of struct description ``cls``.

    Consecutive fields of one C type share a line, which ends with the group's comment."""
    name, comment = STRUCTS[cls]
    lines, group = [], []

    def flush():
        if not group:
            return
        ctype = group[0].metadata["ctype"]
        names = ", ".join(f.name for f in group)
        note = next((f.metadata["comment"] for f in reversed(group) if f.metadata["comment"]), "")
        decl = f"    {ctype}{'' if ctype.endswith('*') else ' '}{names};"
        lines.append(f"{decl:<39} /* {note} */" if note else decl)
        group.clear()

    for f in fields(cls):
        if group and (f.metadata["ctype"] != group[0].metadata["ctype"] or group[-1].metadata["comment"]):
            flush()
        group.append(f)
    flush()
    head = f"typedef struct {{  /* {comment} */" if comment else "typedef struct {"
    return "\n".join([head, *lines, f"}} {name};"])


def c_typedefs():
    """Every typedef of STRUCTS, between the GENERATED markers: the block of tinyml.h."""
    return "\n\n".join([GENERATED_BEGIN] + [c_typedef(cls) for cls in STRUCTS] + [GENERATED_END])


def c_initializer(value):
    """The designated C initialiser of a struct description instance, e.g. ``{.cin = 3, ...}``.

    Raises SpecError if a number does not fit its C type (an int16_t geometry above 32767)."""
    parts = []
    for f in fields(value):
        v = getattr(value, f.name)
        ctype = f.metadata["ctype"]
        if ctype in _INT_RANGE:
            lo, hi = _INT_RANGE[ctype]
            if not lo <= int(v) <= hi:
                raise SpecError(f"{STRUCTS[type(value)][0]}.{f.name} = {v} does not fit {ctype} "
                                f"[{lo}, {hi}]")
            v = int(v)
        parts.append(f".{f.name} = {v}")
    return "{" + ", ".join(parts) + "}"


def header_block(text):
    """The GENERATED block of a header's ``text`` (markers included); SpecError if absent."""
    try:
        start = text.index(GENERATED_BEGIN)
        end = text.index(GENERATED_END, start) + len(GENERATED_END)
    except ValueError:
        raise SpecError("the header has no GENERATED STRUCTS block") from None
    return text[start:end]
