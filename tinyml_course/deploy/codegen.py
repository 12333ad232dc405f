"""C source of a deployed network: weights as ``const`` data in Flash, one static arena, and a
``_start`` that runs one inference as the Program's steps (``program.py``).

``write_project(dir, model, program, image, kernels)`` writes ``model.c`` (structs, arena, steps),
``weights.bin`` (every constant array, 4-byte aligned, little-endian) and ``weights.S`` (which
``.incbin``s the blob into .rodata as ``tm_blob``: clang parses a megabyte of array initialisers
slowly, an assembler copies bytes). The kernels live in ``kernels_c/`` (``KERNEL_SOURCES``), which
``toolchain`` compiles beside them; which one a step calls is ``kernels.kernel_for``'s answer, its
C call is ``c_call``'s (one function per step kind), its structs' initialisers come from
``structs``. The input image (int8, (C, H, W)) is a ``const`` array in Flash, standing in for the
camera.
"""

from functools import singledispatch
from pathlib import Path

import numpy as np

from ..errors import SpecError
from .kernels import DEFAULT_KERNELS, TRIP_NAMES, check_kernels, kernel_for
from .layouts import op_constants
from .program import Add, Camera, Copy, InplaceDepthwise, Mark, Move, OpCall, Pool
from .structs import AddQuant, Quant, c_initializer

KERNEL_DIR = Path(__file__).parent / "kernels_c"
KERNEL_SOURCES = ("requant.c", "conv.c", "dwconv.c", "pwconv.c", "elementwise.c", "runtime.c")
KERNEL_HEADERS = ("tinyml.h", "simd.h", "pwconv_te.h", "dwconv_te.h", "conv_te.h")
ARENA_SYMBOL = "tm_arena"  # the static arena (its ELF symbol size is the arena's bytes)
CAMERA_SYMBOL = "tm_camera"  # the input image in Flash
BLOB_SYMBOL = "tm_blob"  # every constant array of the model, in Flash
TRIPS_SYMBOL = "tm_trips"  # the counted blocks' trips, per label (a -DTM_COUNT_TRIPS build)
TRIPS_HEADER = "tm_trips.h"  # the counted blocks' indices (written into the project)
COUNT_TRIPS_DEFINE = "TM_COUNT_TRIPS"
LAYER_FUNCTION = "tm_layer"  # called with a label index at the start of every step group
HALT_FUNCTION = "tm_halt"  # the end of the inference: an endless loop the emulator stops at


def c_array(ctype, name, values, per_line=24):
    """A ``static const`` C array definition of the integers ``values`` (flattened)."""
    flat = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    rows = [", ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    body = ",\n    ".join(rows)
    return f"static const {ctype} {name}[{max(len(flat), 1)}] = {{\n    {body or '0'}\n}};\n"


class _Blob:
    """Constant arrays packed into one little-endian byte string, each 4-byte aligned."""

    def __init__(self):
        self.data = bytearray()

    def add(self, values, dtype):
        """Append ``values`` as ``dtype``; return a C expression pointing at them."""
        while len(self.data) % 4:
            self.data.append(0)
        offset = len(self.data)
        self.data += np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
        # int16 arrays are tinyengine weights: the tm_quant weight field's type, read as words
        ctype = {"int8": "int8_t", "int16": "int8_t", "int32": "int32_t"}[np.dtype(dtype).name]
        return f"(const {ctype} *)(tm_blob + {offset})"


def _quant_defs(model, op, index, blob, layout):
    """Definition of op ``index``'s tm_quant / tm_addq struct (arrays into ``blob``, laid out
    for its kernel: ``layouts.op_constants``); its name."""
    q = model.ops[op.name]
    if op.kind == "add":
        a = q.add
        value = AddQuant(a.a_zp, a.a_m0, a.a_shift, a.b_zp, a.b_m0, a.b_shift, a.out.m0,
                         a.out.shift, a.out.y_zp, a.out.act_min, a.out.act_max)
        return f"static const tm_addq q{index} = {c_initializer(value)};\n", f"q{index}"
    if q.weight is None:
        return "", None
    rq = q.requant
    x_zp = model.qparams[op.inputs[0]].zero_point
    arrays = op_constants(layout, q, x_zp)
    ptr = {name: blob.add(values, np.asarray(values).dtype.name if name == "weight" else "int32")
           for name, values in arrays.items()}
    none = "(const int32_t *)0"  # a field the op's kernel does not read
    value = Quant(ptr["weight"], *(ptr.get(f, none) for f in ("bias", "m0", "shift", "wsum", "chan")),
                  x_zp, rq.y_zp, rq.act_min, rq.act_max)
    return f"static const tm_quant q{index} = {c_initializer(value)};\n", f"q{index}"


class _Context:
    """What a step's C call refers to: the quant struct of each op, the geometries so far."""

    def __init__(self, quant):
        self.quant = quant  # op name -> C name of its tm_quant / tm_addq
        self.geoms = {}  # Geom -> C name

    def geom(self, geom):
        if geom not in self.geoms:
            self.geoms[geom] = f"g{len(self.geoms)}"
        return self.geoms[geom]


def _strided(base, region):
    return f"{base} + {region.offset}, {region.cstride}, {region.rstride}"


@singledispatch
def c_call(step, function, ctx):
    """The C statement of program step ``step`` calling ``function`` (one per step kind)."""
    raise SpecError(f"no C for program step {step!r}")


@c_call.register
def _(step: Mark, function, ctx):
    return f"{function}({step.label});"


@c_call.register
def _(step: Camera, function, ctx):
    return (f"{function}({_strided(CAMERA_SYMBOL, step.src)}, {_strided('A', step.dst)}, "
            f"{step.c}, {step.h}, {step.w});")


@c_call.register
def _(step: Copy, function, ctx):
    return (f"{function}({_strided('A', step.src)}, {_strided('A', step.dst)}, {step.c}, "
            f"{step.h}, {step.w});")


@c_call.register
def _(step: Move, function, ctx):
    return f"{function}(A + {step.dst}, A + {step.src}, {step.nbytes});"


@c_call.register
def _(step: Add, function, ctx):
    return (f"{function}({_strided('A', step.a)}, {_strided('A', step.b)}, "
            f"{_strided('A', step.y)}, {step.c}, {step.h}, {step.w}, &{ctx.quant[step.op.name]});")


@c_call.register
def _(step: Pool, function, ctx):
    return f"{function}(A + {step.x}, A + {step.y}, {step.c}, {step.h}, {step.w});"


@c_call.register
def _(step: OpCall, function, ctx):
    return (f"{function}(A + {step.x}, A + {step.y}, &{ctx.geom(step.geom)}, "
            f"&{ctx.quant[step.op.name]});")


@c_call.register
def _(step: InplaceDepthwise, function, ctx):
    return (f"{function}(A + {step.x}, A + {step.scratch}, &{ctx.geom(step.geom)}, "
            f"&{ctx.quant[step.op.name]});")


def step_kernel(step, model, kernels):
    """The Kernel of program step ``step`` in set ``kernels``, knowing the op's constants (a
    tinyengine kernel whose fused requantization does not apply gives way: kernels.kernel_for)."""
    op = getattr(step, "op", None)
    return kernel_for(step, kernels, model.ops.get(op.name) if op is not None else None)


def te_instance(kernel, op, index, model):
    """(name, C definition) of the instance of a tinyengine body ``kernel.function`` for op
    ``index``: a function of the kernels' signature calling the body with the op's channel
    counts, output zero point and clamp as literals, so the compiler specialises it."""
    rq = model.ops[op.name].requant
    name = f"{kernel.function}_{index}"
    args, names = [op.in_shape[0], op.out_shape[0], rq.y_zp, rq.act_min, rq.act_max], \
        "cin, cout, y_zp, act_min, act_max"
    if kernel.layout == "te_dwconv":  # the kernel size and stride too: each its own loop nest
        args, names = args + [op.kernel, op.stride], names + ", K, S"
    if kernel.layout == "te_conv":  # kernel rows x columns (10 x 4: MLPerf KWS) and stride
        args, names = args + [*op.kernel_hw, op.stride], names + ", KH, KW, S"
    signature = "int8_t *x, int8_t *scratch" if "inplace" in kernel.function else \
        "const int8_t *x, int8_t *y"
    call = "x, scratch" if "inplace" in kernel.function else "x, y"
    return name, (f"static void {name}({signature}, const tm_geom *g, const tm_quant *q) "
                  f"{{  /* {op.name} */\n    {kernel.function}({call}, g, q, "
                  f"{', '.join(str(int(a)) for a in args)});  /* {names} */\n}}\n")


def trips_header():
    """Text of tm_trips.h: TM_TRIPS and the index of every counted block (kernels.TRIP_NAMES)."""
    lines = [f"#define TM_TRIP_{name} {i}" for i, name in enumerate(TRIP_NAMES)]
    return "/* generated by tinyml_course.deploy.codegen: do not edit */\n" + \
        f"#define TM_TRIPS {len(TRIP_NAMES)}\n" + "\n".join(lines) + "\n"


def generate_c(model, program, image, kernels=DEFAULT_KERNELS, count_trips=False):
    """(text of model.c, bytes of weights.bin): structs, arena, ``_start`` running ``program``.

    model: a QuantizedModel (runtime.int8_backend) of program.network; image: int8 (C, H, W).
    count_trips: also define ``tm_trips`` (int32 (labels, TM_TRIPS)) for a -DTM_COUNT_TRIPS build.
    """
    kernels = check_kernels(kernels)  # an alias becomes its tier
    network = program.network
    image = np.asarray(image, np.int8)
    parts = ['/* generated by tinyml_course.deploy.codegen: do not edit */\n#include "tinyml.h"\n'
             '#include "pwconv_te.h"  /* the tinyengine bodies, instantiated below per op */\n'
             '#include "dwconv_te.h"\n#include "conv_te.h"\n\n',
             f"/* {network.name}: schedule {program.schedule}, kernels {kernels} */\n",
             f"#define ARENA_BYTES {program.arena_bytes}\n",
             f"int8_t {ARENA_SYMBOL}[ARENA_BYTES] __attribute__((aligned(4)));\n",
             f"extern const uint8_t {BLOB_SYMBOL}[];  /* weights.bin, in Flash (weights.S) */\n",
             c_array("int8_t", CAMERA_SYMBOL, image).replace("static const", "const", 1)]
    if count_trips:
        parts.append(f"int32_t {TRIPS_SYMBOL}[{len(program.labels)} * TM_TRIPS];\n")
    chosen = [step_kernel(step, model, kernels) for step in program.steps]  # before the layout
    layout = {step.op.name: k.layout for step, k in zip(program.steps, chosen) if hasattr(step, "op")}
    quant, blob, instances = {}, _Blob(), {}
    for index, op in enumerate(network.ops):
        text, name = _quant_defs(model, op, index, blob, layout.get(op.name, "plain"))
        parts.append(text)
        quant[op.name] = name
    calls = []
    for step, kernel in zip(program.steps, chosen):
        function = kernel.function
        if kernel.baked:  # an inline body: one instance per op, its constants baked in
            function, text = te_instance(kernel, step.op, network.ops.index(step.op), model)
            instances.setdefault(function, text)
        calls.append((step, function))
    parts.extend(instances.values())
    ctx = _Context(quant)
    body = [f"    {c_call(step, function, ctx)}" for step, function in calls]
    for geom, name in ctx.geoms.items():
        parts.append(f"static const tm_geom {name} = {c_initializer(geom)};\n")
    parts.append("\nvoid *memmove(void *dst, const void *src, unsigned int n);\n"
                 f"__attribute__((noinline, noreturn)) void {HALT_FUNCTION}(void) {{ for (;;) {{ }} }}\n\n"
                 "void _start(void) {\n"
                 f"    int8_t *A = {ARENA_SYMBOL};\n" + "\n".join(body) + "\n"
                 f"    {HALT_FUNCTION}();\n}}\n")
    return "".join(parts), bytes(blob.data)


def write_project(project_dir, model, program, image, kernels=DEFAULT_KERNELS, count_trips=False):
    """Write model.c, weights.bin and weights.S (and with count_trips tm_trips.h) into
    ``project_dir``; return the sources to build."""
    text, blob = generate_c(model, program, image, kernels, count_trips)
    project = Path(project_dir)
    (project / "model.c").write_text(text)
    if count_trips:
        (project / TRIPS_HEADER).write_text(trips_header())
    (project / "weights.bin").write_bytes(blob)
    (project / "weights.S").write_text(
        f'    .section .rodata.{BLOB_SYMBOL}, "a"\n    .global {BLOB_SYMBOL}\n    .balign 4\n'
        f'    .type {BLOB_SYMBOL}, %object\n{BLOB_SYMBOL}:\n    .incbin "weights.bin"\n'
        f"    .size {BLOB_SYMBOL}, {len(blob)}\n")
    return ("model.c", "weights.S")
