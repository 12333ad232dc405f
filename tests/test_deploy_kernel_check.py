"""One C kernel built, emulated and scored (the homework's grader), hostile C included; the
emulator's stack measurement; the Thumb instruction classes of the cycle estimate."""

from pathlib import Path

import numpy as np
import pytest

from tinyml_course.deploy.cost import classify, decode_block, is_32bit
from tinyml_course.deploy.kernel_check import (
    check_inplace_depthwise,
    depthwise_case,
    reference_check,
)
from tinyml_course.runtime.fixedpoint import Requant
from tinyml_course.runtime.int8_kernels import depthwise_conv2d_int8

SIGNATURE = "void student_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q)"


def test_reference_kernel_is_bit_exact_in_the_in_place_budget():
    case = depthwise_case(channels=4, size=8)
    check = reference_check(case)
    c, h, w = case.x.shape
    assert check.error is None and check.bit_exact
    assert check.arena_bytes == c * h * w + h * w  # C*H*W + one output channel (stride 1)
    # an independent oracle of the case's expected output: a plain loop over the numpy kernel
    expected = np.stack([depthwise_conv2d_int8(case.x[i:i + 1], case.x_zp, case.weight[i:i + 1],
                                               case.bias[i:i + 1],
                                               Requant(case.m0[i:i + 1], case.shift[i:i + 1],
                                                       case.y_zp, case.act_min, case.act_max),
                                               1, 1)[0] for i in range(c)])
    assert np.array_equal(check.output, expected)
    assert check.sram_bytes > check.arena_bytes and check.instructions > c * h * w * 9


@pytest.mark.parametrize("body,message", [
    ("{ for (;;) { } }", "instruction budget"),
    ("{ x[-0x100000] = 1; }", "memory fault: write to unmapped address"),
    ("{ ((int8_t *)q->weight)[0] = 1; }", "memory fault: write to read-only Flash"),
    ("{ big[g->cin] = 1; x[0] = big[3]; }", "overflowed by"),
    ("{ tm_dwconv_inplace_ref(x, scratch, g, q); }", "undefined symbol"),
    ("{ this is not C }", "did not build"),
])
def test_hostile_c_costs_only_its_own_check(body, message, tmp_path):
    source = f"static int8_t big[1 << 20];\n{SIGNATURE} {body}\n" if "big" in body else \
        f"{SIGNATURE} {body}\n"
    check = check_inplace_depthwise(source, depthwise_case(channels=2, size=8), budget=200_000,
                                    timeout_s=10, workdir=tmp_path)
    assert check.error and message in check.error, check.error
    assert not check.bit_exact and len(check.error.splitlines()) == 1


def test_a_wrong_kernel_runs_but_is_not_bit_exact(tmp_path):
    check = check_inplace_depthwise(f"{SIGNATURE} {{ x[0] = 0; }}\n", depthwise_case(2, 8),
                                    workdir=tmp_path)
    assert check.error is None and not check.bit_exact and check.instructions < 50


def test_stack_high_water_mark_sees_a_local_buffer(tmp_path):
    # a kernel that fills a 1000-byte local array: the painted stack must show >= 1000 bytes more
    body = ("{ volatile int8_t buf[1000]; for (int i = 0; i < 1000; i++) buf[i] = (int8_t)i; "
            "x[0] = buf[999]; }")
    small = check_inplace_depthwise(f"{SIGNATURE} {{ x[0] = 0; }}\n", depthwise_case(2, 8),
                                    workdir=tmp_path / "a")
    big = check_inplace_depthwise(f"{SIGNATURE} {body}\n", depthwise_case(2, 8), workdir=tmp_path / "b")
    grown = big.sram_bytes - small.sram_bytes
    assert 1000 <= grown < 1100, grown


# encodings from the ARMv7-M Architecture Reference Manual
@pytest.mark.parametrize("hw1,hw2,cls", [
    (0x6808, 0, "load"),  # LDR r0, [r1]
    (0x6008, 0, "store"),  # STR r0, [r1]
    (0x5608, 0, "load"),  # LDRSB r0, [r1, r0]
    (0xe7fe, 0, "branch"),  # B .
    (0xd1fd, 0, "branch"),  # BNE
    (0x4770, 0, "branch"),  # BX lr
    (0x1840, 0, "alu"),  # ADDS r0, r0, r1
    (0x4348, 0, "mul"),  # MULS r0, r1, r0
    (0xfb21, 0x0002, "mul"),  # SMLAD r0, r1, r2, r0
    (0xfb91, 0xf0f2, "div"),  # SDIV r0, r1, r2
    (0xf891, 0x0000, "load"),  # LDRB.W r0, [r1]
    (0xf881, 0x0000, "store"),  # STRB.W r0, [r1]
    (0xfa2f, 0xf081, "alu"),  # SXTB16 r0, r1
    (0xf000, 0xf800, "branch"),  # BL
])
def test_instruction_classes(hw1, hw2, cls):
    assert classify(hw1, hw2)[0] == cls


def test_push_pop_count_registers_and_blocks_decode_by_length():
    assert classify(0xb510) == ("multi", 2)  # PUSH {r4, lr}
    assert classify(0xe92d, 0x41f0) == ("multi", 6)  # PUSH.W {r4-r8, lr}
    assert is_32bit(0xf891) and not is_32bit(0x6808)
    # LDR r0,[r1]; SMLAD; B . -> three instructions from 8 bytes
    code = bytes([0x08, 0x68, 0x21, 0xfb, 0x02, 0x00, 0xfe, 0xe7])
    assert [c for c, _ in decode_block(code)] == ["load", "mul", "branch"]


# --- measurements a kernel's own C cannot change (issue 18 item 2, issue 19 item 5) ------------

NOTEBOOK = Path(__file__).resolve().parents[1] / "assignments" / "source" / "deploy_kernel" / \
    "deploy_kernel.py"
COPY_BACK = "for (int i = 0; i < ho * wo; i++) x[c * ho * wo + i] = scratch[i];"


def _kernel(out="scratch", copy=COPY_BACK, first="", last=""):
    """The notebook's solution kernel, its output buffer, copy-back, first and last statements
    changed as given."""
    text = NOTEBOOK.read_text()
    body = text[text.index("### BEGIN SOLUTION"):text.index("### END SOLUTION")]
    body = body[body.index('r"""') + 4:body.rindex('"""')]
    assert COPY_BACK in body and "scratch[oy * wo + ox] =" in body
    body = body.replace("scratch[oy * wo + ox] =", f"{out}[oy * wo + ox] =")
    body = body.replace(COPY_BACK, copy)
    return f"{SIGNATURE} {{\n    {first}\n{body}    {last}\n}}\n"


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """The notebook's solution kernel on a small case: the figures an honest kernel gets."""
    case = depthwise_case(3, 9, 3, 1, seed=7)
    return case, check_inplace_depthwise(_kernel(), case,
                                         workdir=tmp_path_factory.mktemp("honest"))


def test_the_honest_kernel_counts_what_it_executes(honest):
    """Does the solution kernel count its own work: bit-exact, and about as many instructions as
    the package's plain loop in the same harness (the rule allows 1.25x)?"""
    case, check = honest
    ref = reference_check(case)
    assert check.error is None and check.bit_exact
    assert 0.5 * ref.instructions < check.instructions < 1.25 * ref.instructions, \
        (check.instructions, ref.instructions)


def test_tm_layer_calls_do_not_hide_instructions(honest, tmp_path):
    """Is a kernel that switches the emulator's label (`tm_layer(0)` first, `tm_layer(1)` last,
    so its loops ran under the harness's label) counted with every instruction it executed?
    (Before: "32 instructions" against 2,429,797 of a slow kernel: +3 points.)"""
    case, check = honest
    faked = check_inplace_depthwise(_kernel(first="tm_layer(0);", last="tm_layer(1);"), case,
                                    workdir=tmp_path)
    assert faked.error is None and faked.bit_exact
    assert faked.instructions >= check.instructions, (faked.instructions, check.instructions)


def test_undeclared_sram_repainted_is_still_counted(honest, tmp_path):
    """Is an out-of-place kernel that computes every output channel into free SRAM below the
    stack (undeclared, not in .bss), copies it back and repaints it with the emulator's 0xA5,
    charged for that memory? (Before: it measured as in place: +2 points.)"""
    case, check = honest
    c, h, w = case.x.shape
    size = c * h * w  # >= C*Ho*Wo: a whole second tensor
    hidden = _kernel(out="(full + c * ho * wo)", copy="",
                     first="int8_t *full = (int8_t *)0x20010000;",
                     last=f"for (int i = 0; i < g->cout * ho * wo; i++) x[i] = full[i];\n"
                          f"    for (int i = 0; i < {size}; i++) full[i] = (int8_t)0xA5;")
    sneaky = check_inplace_depthwise(hidden, case, workdir=tmp_path)
    assert sneaky.error is None and sneaky.bit_exact
    assert sneaky.sram_bytes >= check.sram_bytes + c * (h - 2) * (w - 2), \
        (sneaky.sram_bytes, check.sram_bytes)


def test_a_buffer_in_a_section_of_its_own_is_counted(honest, tmp_path):
    """Is a second tensor in a section the linker script does not name (not .data or .bss)
    charged as SRAM (the linker still puts it in SRAM)?"""
    case, check = honest
    c, h, w = case.x.shape
    named = f"static int8_t full[{c * h * w}] __attribute__((section(\".sneak\")));\n" + _kernel(
        out="(full + c * ho * wo)", copy="",
        last="for (int i = 0; i < g->cout * ho * wo; i++) x[i] = full[i];")
    sneaky = check_inplace_depthwise(named, case, workdir=tmp_path)
    assert sneaky.error is None and sneaky.bit_exact, sneaky.error
    assert sneaky.sram_bytes >= check.sram_bytes + c * (h - 2) * (w - 2), \
        (sneaky.sram_bytes, check.sram_bytes)


@pytest.mark.parametrize("source", [
    '#include "/etc/hostname"\n',
    '/* a comment */ #include "/etc/hostname"\n',
    '  %:  include "/etc/hostname"\n',  # a digraph
    '#\\\ninclude "/etc/hostname"\n',  # a line continuation
    'int a;\r#include "/etc/hostname"\n',  # a lone CR ends a line
    '#embed "/etc/hostname"\n',
    '#pragma GCC dependency "/etc/hostname"\n',
    '#define P(x) _Pragma(#x)\n',
    '#define J(a, b) a ## b\n',
    '#if __has_include("/etc/hostname")\n#endif\n',
    'const char *s = R"x(\n/*\n)x";\n#include "/etc/hostname"\n',  # a raw string, then
    '??=include "/etc/hostname"\n',
    '__asm__(".incbin \\"/etc/hostname\\"");\n',
    'void f(void) { asm("nop"); }\n',
])
def test_c_that_would_read_another_file_is_not_compiled(source, tmp_path):
    """Is C that could make the grader's compiler read or embed a file (whose text an error line
    would show, or a measurement leak) refused with one sentence, before compiling?"""
    check = check_inplace_depthwise(source + f"{SIGNATURE} {{ }}\n", depthwise_case(2, 8),
                                    workdir=tmp_path)
    assert check.error and check.error.startswith("KERNEL_C ") and "grader" in check.error, \
        check.error
    assert not (tmp_path / "kernel.c").exists()  # refused before anything was compiled


def test_macros_conditionals_and_comments_are_fine(honest, tmp_path):
    """Does an honest kernel with macros, conditionals, comments and strings that mention
    '#include' still compile and run bit-exact?"""
    case, _ = honest
    source = ('#define TAP(c, y, x) xc[(y) * w + (x)]  /* #include in a comment */\n'
              '#ifndef UNUSED\n#define UNUSED 0\n#endif\n'
              'static const char *note = "#include is done for you";\n'
              + _kernel().replace("xc[iy * w + ix]", "TAP(c, iy, ix)"))
    check = check_inplace_depthwise(source, case, workdir=tmp_path)
    assert check.error is None and check.bit_exact, check.error
