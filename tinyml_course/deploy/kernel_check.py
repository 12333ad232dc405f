"""Build, run and score ONE int8 kernel written in C (the homework's in-place depthwise).

``check_inplace_depthwise(source)`` links the C in ``source`` (it must define
``void student_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q)``,
see ``kernels_c/tinyml.h``) with a generated harness and only ``requant.c`` and ``runtime.c`` (the
package's own depthwise kernels are not linked), runs it in the emulator and compares the output
with the package's numpy kernel (``runtime.int8_kernels.depthwise_conv2d_int8``), computed outside the C.
Hostile C costs only its own check: an endless loop ends at the instruction budget or the time
limit, a stray access is a memory fault, a huge array fails at link time, bad C fails to compile;
each comes back as ``KernelCheck.error`` (one line), never as an exception.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TinyMLError
from ..runtime.fixedpoint import Requant, quantize_multiplier
from ..runtime.int8_kernels import depthwise_conv2d_int8
from . import emulator
from .codegen import ARENA_SYMBOL, c_array
from .elf import read_elf
from .structs import Geom, Quant, c_initializer
from .toolchain import build

STUDENT_FUNCTION = "student_dwconv_inplace"
REFERENCE_FUNCTION = "tm_dwconv_inplace_ref"  # the package's plain-loop kernel, for comparison
HARNESS_SOURCES = ("requant.c", "runtime.c")  # what a student's kernel is linked with
CHECK_BUDGET = 5_000_000  # instructions: ~7x the plain-loop kernel on the default case
CHECK_TIMEOUT_S = 10  # wall-clock limit of one emulated run


@dataclass
class DepthwiseCase:
    """An int8 depthwise op and input: x int8 (C, H, W), weight int8 (C, k, k), per-channel
    bias/m0/shift int32 (C,), zero points, clamp; ``expected`` int8 (C, Ho, Wo) from numpy."""

    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    m0: np.ndarray
    shift: np.ndarray
    x_zp: int
    y_zp: int
    act_min: int
    act_max: int
    stride: int
    padding: int

    @property
    def expected(self):
        rq = Requant(self.m0, self.shift, self.y_zp, self.act_min, self.act_max)
        return depthwise_conv2d_int8(self.x, self.x_zp, self.weight, self.bias, rq, self.stride,
                                     self.padding)


def depthwise_case(channels=8, size=16, kernel=3, stride=1, seed=0):
    """A random DepthwiseCase of (channels, size, size) with padding kernel // 2 and ReLU6-like clamp."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (channels, size, size)).astype(np.int8)
    weight = rng.integers(-127, 128, (channels, kernel, kernel)).astype(np.int8)
    bias = rng.integers(-2000, 2000, channels).astype(np.int32)
    m0, shift = quantize_multiplier(rng.uniform(0.0005, 0.01, channels))
    return DepthwiseCase(x, weight, bias, m0, shift, int(rng.integers(-20, 20)),
                         int(rng.integers(-100, -60)), -100, 60, stride, kernel // 2)


@dataclass
class KernelCheck:
    """The outcome of one kernel: ``error`` (one line) or the measured figures (bytes, counts)."""

    error: str | None = None
    bit_exact: bool = False
    flash_bytes: int | None = None
    sram_bytes: int | None = None  # .data + .bss + stack high-water mark
    arena_bytes: int | None = None  # the harness's arena: C*H*W + Ho*Wo
    instructions: int | None = None  # executed inside the kernel
    output: np.ndarray | None = None

    def describe(self):
        if self.error:
            return f"kernel failed: {self.error}"
        return (f"{'bit-exact' if self.bit_exact else 'WRONG OUTPUT'}; SRAM {self.sram_bytes:,} bytes "
                f"(arena {self.arena_bytes:,}); {self.instructions:,} instructions; "
                f"Flash {self.flash_bytes:,} bytes")


def harness_c(case, function):
    """Text of main.c: the case's constants, an arena of C*H*W + Ho*Wo bytes, a call of
    ``function(arena, arena + C*H*W, &g, &q)`` between two ``tm_layer`` marks."""
    c, h, w = case.x.shape
    k = case.weight.shape[-1]
    ho = (h + 2 * case.padding - k) // case.stride + 1
    wo = (w + 2 * case.padding - k) // case.stride + 1
    geom = Geom(cin=c, in_h=h, in_w=w, win_r0=0, win_c0=0, win_h=h, win_w=w, cout=c, k=k,
                stride=case.stride, pad=case.padding, out_r0=0, out_c0=0, out_h=ho, out_w=wo,
                y_cstride=ho * wo, y_rstride=wo)
    quant = Quant("w", "b", "m", "s", "0", case.x_zp, case.y_zp, case.act_min, case.act_max)
    return ('#include "tinyml.h"\n'
            f"int8_t {ARENA_SYMBOL}[{c * h * w + ho * wo}] __attribute__((aligned(4)));\n"
            + c_array("int8_t", "x_in", case.x) + c_array("int8_t", "w", case.weight)
            + c_array("int32_t", "b", case.bias) + c_array("int32_t", "m", case.m0)
            + c_array("int32_t", "s", case.shift)
            + f"static const tm_geom g = {c_initializer(geom)};\n"
            f"static const tm_quant q = {c_initializer(quant)};\n"
            f"void {function}(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q);\n"
            "__attribute__((noinline, noreturn)) void tm_halt(void) { for (;;) { } }\n"
            "void _start(void) {\n"
            f"    for (int i = 0; i < {c * h * w}; i++) {ARENA_SYMBOL}[i] = x_in[i];\n"
            f"    tm_layer(1);\n    {function}({ARENA_SYMBOL}, {ARENA_SYMBOL} + {c * h * w}, &g, &q);\n"
            "    tm_layer(2);\n    tm_halt();\n}\n"), (c, ho, wo)


def check_inplace_depthwise(source, case=None, device="stm32f746", function=STUDENT_FUNCTION,
                            budget=CHECK_BUDGET, timeout_s=CHECK_TIMEOUT_S, workdir=None):
    """KernelCheck of the C ``source`` defining ``function`` on ``case`` (default depthwise_case()).

    Never raises for a bad kernel: build errors, link overflows, faults, budget and time limits
    come back in ``error``. workdir: where the C project goes (a temporary directory if None).
    """
    case = case or depthwise_case()
    with tempfile.TemporaryDirectory(prefix="tinyml-kernel-") as scratch:
        project = Path(workdir) if workdir else Path(scratch)  # a scratch project is removed
        project.mkdir(parents=True, exist_ok=True)
        main, out_shape = harness_c(case, function)
        (project / "main.c").write_text(main)
        (project / "kernel.c").write_text('#include "tinyml.h"\n' + source)
        extra = ("dwconv.c",) if function == REFERENCE_FUNCTION else ()
        try:
            info = read_elf(build(project, device, ("main.c", "kernel.c"), "kernel.elf",
                                  HARNESS_SOURCES + extra))
        except TinyMLError as err:
            return KernelCheck(error=str(err).replace(str(project) + "/", ""))
    try:
        run = emulator.run(info, device, labels=3, budget=budget, timeout_s=timeout_s)
    except TinyMLError as err:
        return KernelCheck(error=str(err))
    address, arena_bytes = info.symbols[ARENA_SYMBOL]
    output = np.frombuffer(run.read(address, int(np.prod(out_shape))), np.int8).reshape(out_shape)
    return KernelCheck(None, bool(np.array_equal(output, case.expected)), info.flash_bytes,
                       info.static_sram_bytes + run.stack_bytes, int(arena_bytes),
                       run.per_label[1], output.copy())


def reference_check(case=None, device="stm32f746"):
    """KernelCheck of the package's own plain-loop in-place kernel (the figures to compare with)."""
    return check_inplace_depthwise("", case, device, function=REFERENCE_FUNCTION)
