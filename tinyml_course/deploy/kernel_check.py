"""Build, run and score ONE int8 kernel written in C (the homework's in-place depthwise).

``check_inplace_depthwise(source)`` links the C in ``source`` (it must define
``void student_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q)``,
see ``kernels_c/tinyml.h``) with a generated harness and only ``requant.c`` and ``runtime.c`` (the
package's own depthwise kernels are not linked), runs it in the emulator and compares the output
with the package's numpy kernel (``runtime.int8_kernels.depthwise_conv2d_int8``), computed outside the C.
Hostile C costs only its own check: an endless loop ends at the instruction budget or the time
limit, a stray access is a memory fault, a huge array fails at link time, bad C fails to compile,
a compile bomb ends at the compiler's limits (COMPILE_SECONDS, COMPILE_MB, COMPILE_OUTPUT_MB);
each comes back as ``KernelCheck.error`` (one line), never as an exception.

The figures come from the emulator and the linker, never from anything the kernel's C can call or
undo: instructions are the run's total (the native block counter) minus the same harness's total
around an empty kernel (so ``tm_layer`` calls in the kernel change nothing); SRAM is every section
the linker put in SRAM plus the lowest address written below them (the emulator watches the
stores, so memory used outside the arena and painted back with the stack's 0xA5 still counts).
"""

import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TinyMLError
from ..model.devices import get_device
from ..runtime.fixedpoint import Requant, quantize_multiplier
from ..runtime.int8_kernels import depthwise_conv2d_int8
from . import emulator
from .codegen import ARENA_SYMBOL, c_array
from .elf import read_elf
from .structs import Geom, Quant, c_initializer
from .toolchain import RAM_ORIGIN, build

STUDENT_FUNCTION = "student_dwconv_inplace"
REFERENCE_FUNCTION = "tm_dwconv_inplace_ref"  # the package's plain-loop kernel, for comparison
HARNESS_SOURCES = ("requant.c", "runtime.c")  # what a student's kernel is linked with
CHECK_BUDGET = 5_000_000  # instructions: ~7x the plain-loop kernel on the default case
CHECK_TIMEOUT_S = 10  # wall-clock limit of one emulated run
# one compile-and-link of a student's kernel (an honest one: under 1 s, about 150 MB): a macro
# that expands to millions of tokens or an array of a gigabyte stops here, not in the grader's RAM
COMPILE_SECONDS = 10  # wall clock
COMPILE_MB = 1024  # address space of the compiler and what it starts (MiB)
COMPILE_OUTPUT_MB = 16  # largest file it may write (MiB): the image is at most 1 MiB of Flash
MAX_SOURCE_CHARS = 200_000  # a kernel is a few hundred lines; more is refused before compiling
# the grader compiles a student's C on its own machine: nothing in it may make the compiler read
# another file (a directive's error line would show it) or embed one (.incbin)
DIRECTIVES = ("define", "undef", "if", "ifdef", "ifndef", "elif", "else", "endif", "")
FORBIDDEN = {"_Pragma": "_Pragma", "__has_include": "__has_include",
             "__has_embed": "__has_embed", "##": "token pasting (##)", "asm": "inline assembly",
             "__asm": "inline assembly", "__asm__": "inline assembly", "incbin": ".incbin"}
_TRIGRAPH = re.compile(r"\?\?[=/'()!<>\-]")
_RAW_STRING = re.compile(r'(?<![A-Za-z0-9_])(?:L|u8|u|U)?R"')  # clang accepts them in C too
_COMMENT_OR_LITERAL = re.compile(
    r"//[^\n]*|/\*.*?(\*/|\Z)|\"(\\.|[^\"\\\n])*\"?|'(\\.|[^'\\\n])*'?", re.S)
_DIRECTIVE = re.compile(r"^[ \t\f\v]*(?:#|%:)[ \t\f\v]*([A-Za-z_]*)", re.M)
_WORDS = re.compile(r"##|[A-Za-z_][A-Za-z_0-9]*")


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
    sram_bytes: int | None = None  # every section in SRAM + what was written below the stack top
    arena_bytes: int | None = None  # the harness's arena: C*H*W + Ho*Wo
    instructions: int | None = None  # executed beyond the harness around an empty kernel
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
    quant = Quant("w", "b", "m", "s", "0", "0", case.x_zp, case.y_zp, case.act_min, case.act_max)
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


def source_problem(source):
    """One sentence saying why the grader will not compile the C ``source``, or None.

    Macros and conditionals are fine; what would make the compiler read or embed a file is not:
    ``#include`` (the harness includes tinyml.h for you), ``#embed``, ``#pragma``, ``#line``,
    ``_Pragma``, ``__has_include``, token pasting, inline assembly, trigraphs.
    """
    if not isinstance(source, str):
        return "KERNEL_C is not a string of C"
    if len(source) > MAX_SOURCE_CHARS:
        return f"KERNEL_C has {len(source):,} characters; the grader compiles at most " \
               f"{MAX_SOURCE_CHARS:,}"
    if _TRIGRAPH.search(source):
        return "KERNEL_C uses a trigraph (??=, ??/, ...), which the grader does not compile"
    lines = source.replace("\r\n", "\n").replace("\r", "\n")  # a lone CR ends a line too
    joined = re.sub(r"\\[ \t]*\n", "", lines)  # line continuations first, as the compiler does
    if _RAW_STRING.search(joined):
        return "KERNEL_C uses a raw string literal (R\"...\"), which the grader does not compile"
    code = _COMMENT_OR_LITERAL.sub(  # a comment keeps its line breaks: '/*\n*/ #x' is checked
        lambda m: ("\n" * m.group(0).count("\n") or " ") if m.group(0)[0] == "/" else '""', joined)
    for match in _DIRECTIVE.finditer(code):
        if match.group(1) not in DIRECTIVES:
            return (f"KERNEL_C uses #{match.group(1)}: the grader compiles only #define, #undef "
                    f"and #if/#ifdef/#ifndef/#elif/#else/#endif (tinyml.h is included for you)")
    for word in _WORDS.findall(code):
        if word in FORBIDDEN or (word.startswith("__has_") and "include" in word):
            return (f"KERNEL_C uses {FORBIDDEN.get(word, word)}, which the grader does not "
                    f"compile: write the kernel in plain C (clang's __builtin_arm_* intrinsics "
                    f"are fine)")
    if "incbin" in joined:
        return "KERNEL_C mentions .incbin, which the grader does not compile"
    return None


def _build_and_run(source, case, device, function, budget, timeout_s, workdir):
    """(ElfInfo, RunResult, output shape) of the harness around ``source``, or (error line,)."""
    with tempfile.TemporaryDirectory(prefix="tinyml-kernel-") as scratch:
        project = Path(workdir) if workdir else Path(scratch)  # a scratch project is removed
        project.mkdir(parents=True, exist_ok=True)
        main, out_shape = harness_c(case, function)
        (project / "main.c").write_text(main)
        (project / "kernel.c").write_text('#include "tinyml.h"\n' + source)
        extra = ("dwconv.c",) if function == REFERENCE_FUNCTION else ()
        try:
            info = read_elf(build(project, device, ("main.c", "kernel.c"), "kernel.elf",
                                  HARNESS_SOURCES + extra, timeout_s=COMPILE_SECONDS,
                                  memory_mb=COMPILE_MB, file_mb=COMPILE_OUTPUT_MB))
        except TinyMLError as err:
            return (str(err).replace(str(project) + "/", ""),)
    try:
        run = emulator.run(info, device, labels=3, budget=budget, timeout_s=timeout_s,
                           watch_writes=True)
    except TinyMLError as err:
        return (str(err),)
    return info, run, out_shape


EMPTY_KERNEL = (f"void {STUDENT_FUNCTION}(int8_t *x, int8_t *scratch, const tm_geom *g, "
                "const tm_quant *q) { }\n")
_HARNESS_INSTRUCTIONS = {}  # (main.c digest, device) -> instructions of the harness alone


def harness_instructions(case, device="stm32f746"):
    """Instructions the harness executes around an empty kernel on ``case`` (measured once)."""
    key = (hashlib.sha256(harness_c(case, STUDENT_FUNCTION)[0].encode()).hexdigest(), device)
    if key not in _HARNESS_INSTRUCTIONS:
        built = _build_and_run(EMPTY_KERNEL, case, device, STUDENT_FUNCTION, CHECK_BUDGET,
                               None, None)
        if len(built) == 1:
            raise TinyMLError(f"the kernel harness itself failed: {built[0]}")
        _HARNESS_INSTRUCTIONS[key] = built[1].instructions
    return _HARNESS_INSTRUCTIONS[key]


def sram_section_bytes(info, device):
    """Bytes of every section the linker placed in ``device``'s SRAM (.data, .bss and any other
    section a kernel names)."""
    top = RAM_ORIGIN + get_device(device).sram_bytes
    return sum(size for address, size in info.sections.values() if RAM_ORIGIN <= address < top)


def check_inplace_depthwise(source, case=None, device="stm32f746", function=STUDENT_FUNCTION,
                            budget=CHECK_BUDGET, timeout_s=CHECK_TIMEOUT_S, workdir=None):
    """KernelCheck of the C ``source`` defining ``function`` on ``case`` (default depthwise_case()).

    Never raises for a bad kernel: a source the grader does not compile (``source_problem``),
    build errors, link overflows, faults, budget and time limits come back in ``error``.
    workdir: where the C project goes (a temporary directory if None).
    """
    case = case or depthwise_case()
    problem = source_problem(source) if function == STUDENT_FUNCTION else None
    if problem:
        return KernelCheck(error=problem)
    built = _build_and_run(source, case, device, function, budget, timeout_s, workdir)
    if len(built) == 1:
        return KernelCheck(error=built[0])
    info, run, out_shape = built
    address, arena_bytes = info.symbols[ARENA_SYMBOL]
    output = np.frombuffer(run.read(address, int(np.prod(out_shape))), np.int8).reshape(out_shape)
    return KernelCheck(None, bool(np.array_equal(output, case.expected)), info.flash_bytes,
                       sram_section_bytes(info, device) + run.stack_bytes, int(arena_bytes),
                       max(0, run.instructions - harness_instructions(case, device)),
                       output.copy())


def reference_check(case=None, device="stm32f746"):
    """KernelCheck of the package's own plain-loop in-place kernel (the figures to compare with)."""
    return check_inplace_depthwise("", case, device, function=REFERENCE_FUNCTION)
