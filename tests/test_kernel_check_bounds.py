"""Issue 19, finding 11 (the C side): a student's C kernel compiled and run by the grader
within kernel_check's limits: compile bombs end at the compiler's memory and output limits,
reads outside Flash and SRAM fault, and what a kernel can read holds no expected output.
"""
import resource
import time

import pytest

# --- 11: a student's C, compiled and run by the grader -------------------------------------------

KERNEL_HEAD = ("void student_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, "
               "const tm_quant *q) {")


def _macro_bomb(levels):
    """C whose one initializer expands to 2^levels tokens (30 lines of source)."""
    lines = ["#define A0 1"] + [f"#define A{i} A{i - 1},A{i - 1}" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nconst int8_t tm_bomb[] = {{A{levels}}};\n" + \
        KERNEL_HEAD + " x[0] = tm_bomb[(uint8_t)x[1]]; }\n"


@pytest.mark.parametrize("what, source, reason", [
    ("a macro expanding to 2^26 tokens", _macro_bomb(26), "the compiler ran out of its 1024 MiB"),
    ("a 300 MB initialized array", "const int8_t tm_big[300000000] = {1};\n" + KERNEL_HEAD +
     " x[0] = tm_big[(uint8_t)x[1]]; }\n", "the compiler's output grew past 16 MiB"),
])
def test_compile_bombs_stop_at_the_compilers_limits(what, source, reason, monkeypatch):
    """A few lines of C that would take the grader's compiler minutes and gigabytes (or a
    gigabyte of object file on its disk) end at kernel_check's limits, as the check's error.
    Seen failing with those limits off (COMPILE_MB = COMPILE_OUTPUT_MB = None): the macro bomb
    ran into the 10 s wall clock instead, and the array wrote a 300 MB object before the linker
    refused it (Flash overflowed by 298,953,860 bytes). The wall clock is widened here so that
    the limit under test is the one that fires: at load 13 on two cores the macro bomb's
    compiler held only 331 MB when the 10 s clock stopped it (the grader's limits held, but not
    the one this test is about)."""
    from tinyml_course.deploy import kernel_check as kc
    monkeypatch.setattr(kc, "COMPILE_SECONDS", 120)
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    got = kc.check_inplace_depthwise(source)
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{what}: {got.error!r} after {seconds:.1f} s wall, compiler peak RSS "
          f"{max(peak, before) / 1024:.0f} MB (limits: {kc.COMPILE_SECONDS} s, "
          f"{kc.COMPILE_MB} MiB, files {kc.COMPILE_OUTPUT_MB} MiB)")
    assert got.error and got.error.startswith(reason), got.error
    assert not got.bit_exact


@pytest.mark.parametrize("body, fault", [
    ("volatile int8_t *p = (volatile int8_t *)0x60000000; x[0] = *p;", "0x60000000"),
    ("x[0] = x[-4000000];", "0x1f"),
    ("volatile int8_t *p = (volatile int8_t *)0x08000000; int s = 0;"
     " for (int i = 0; i < (2 << 20); i++) s += p[i]; x[0] = s;", "0x08100000"),
])
def test_out_of_bounds_reads_fault(body, fault):
    """Reads outside the device's Flash and SRAM are memory faults: the check's error, no
    output, nothing raised."""
    from tinyml_course.deploy.kernel_check import check_inplace_depthwise
    got = check_inplace_depthwise(f"{KERNEL_HEAD} {body} }}\n")
    assert got.error and got.error.startswith("memory fault: read from unmapped address " + fault), \
        got.error
    assert not got.bit_exact


def test_what_a_kernel_can_read_holds_no_expected_output(tmp_path):
    """A kernel may read all of Flash and SRAM; the image the grader builds holds the case's
    input and weights but never its expected output (computed outside, in numpy), so reading
    everything learns nothing that decides a point."""
    from tinyml_course.deploy.kernel_check import check_inplace_depthwise, depthwise_case
    case = depthwise_case(3, 9, 3, 2, 1)  # deploy_kernel's first held-out case
    scan = (f"{KERNEL_HEAD} volatile int8_t *p = (volatile int8_t *)0x20000000; int s = 0;"
            f" for (int i = 0; i < 320 * 1024; i++) s += p[i]; x[0] = (int8_t)s; }}\n")
    got = check_inplace_depthwise(scan, case, workdir=tmp_path)
    assert got.error is None and not got.bit_exact
    image = (tmp_path / "kernel.elf").read_bytes()
    assert case.x.tobytes() in image and case.expected.tobytes() not in image
