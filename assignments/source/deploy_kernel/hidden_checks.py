"""Hidden checks of deploy_kernel (instructor only: never released, hidden in the sandbox).

The sandbox returns only the student's C source, `KERNEL_C` (a string, size-checked); the grader
compiles, links and runs it here, in the emulator, on held-out cases (none is the notebook's
8 x 16 x 16, 3x3, stride 1), and compares the output byte for byte with the package's numpy kernel
and its SRAM and instruction count with the package's plain-loop kernel on the same case. So
what the student's notebook runs or prints (`check`, a redefined `check_inplace_depthwise`)
decides nothing, and the figures are the emulator's and the linker's (kernel_check: total
instructions minus the harness's, every SRAM section plus the lowest address written), which no
C the kernel runs can change. C that could make the compiler read another file is refused before
compiling (`kernel_check.source_problem`). A kernel that does not compile, faults, loops or
overflows the memory costs only its own points (`KernelCheck.error`, one line); one that does
not build is built once, not once per case.
"""
import hashlib

from tinyml_course_grading.check_declarations import Case, Check

from tinyml_course.deploy.kernel_check import (check_inplace_depthwise, depthwise_case,
                                               reference_check, source_problem)

SRAM_SLACK_BYTES = 256  # the notebook's rule: SRAM within 256 bytes of the reference's
INSTRUCTION_FACTOR = 1.25  # the notebook's rule: at most 1.25x the reference's instructions
# held-out (channels, size, kernel, stride, seed): odd sizes, stride 2, k = 5 and 7
BIT_EXACT_CASES = [(3, 9, 3, 2, 1), (2, 7, 5, 1, 2), (5, 11, 7, 2, 3), (4, 10, 3, 1, 4)]
BUDGET_CASE = (6, 12, 3, 1, 5)  # SRAM and instructions: a case like the notebook's, held out

HELPERS = '''
def _grader_source(source):
    """The student's KERNEL_C, if it is a string (the grader compiles it, outside)."""
    return source if isinstance(source, str) else None
'''

_RUNS = {}  # (source digest, case) -> KernelCheck, shared by the three checks of a student


def _run(source, case):
    digest = hashlib.sha256(source.encode()).hexdigest()
    key = (digest, case)
    if key not in _RUNS:
        built = _RUNS.get((digest, "build error"))  # the same source fails to build everywhere
        _RUNS[key] = built or check_inplace_depthwise(source, depthwise_case(*case))
        if _RUNS[key].error and ("did not build" in _RUNS[key].error
                                 or "compiling took longer" in _RUNS[key].error):
            _RUNS[(digest, "build error")] = _RUNS[key]
    return _RUNS[key]


def _reference(case):
    key = ("reference", case)
    if key not in _RUNS:
        _RUNS[key] = reference_check(depthwise_case(*case))
    return _RUNS[key]


def _what(case):
    c, size, k, stride, _ = case
    return f"C,H,W={c},{size},{size} k={k} stride={stride}"


def _bit_exact_grade(got, expected):
    """Fraction of the held-out cases whose emulated output equals the package's, byte for byte."""
    problem = source_problem(got)
    if problem:
        return 0.0, problem
    failed = []
    for case in BIT_EXACT_CASES:
        run = _run(got, case)
        if run.error or not run.bit_exact:
            why = run.error or (f"{int((run.output != depthwise_case(*case).expected).sum())} "
                                f"output bytes differ from the package's kernel")
            failed.append(f"{_what(case)}: {why}")
    total = len(BIT_EXACT_CASES)
    if not failed:
        return 1.0, (f"your kernel, compiled and run by the grader: bit-exact on all {total} "
                     f"held-out cases.")
    return ((total - len(failed)) / total,
            f"your kernel, compiled and run by the grader, fails {len(failed)} of {total} "
            f"held-out cases: " + "; ".join(failed[:3]))


def _budget_grade(kind):
    def grade(got, expected):
        problem = source_problem(got)
        if problem:
            return 0.0, problem
        run, ref = _run(got, BUDGET_CASE), _reference(BUDGET_CASE)
        where = f"on the held-out case {_what(BUDGET_CASE)}"
        if run.error or not run.bit_exact:
            return 0.0, f"{where}: first make the kernel bit-exact ({run.error or 'wrong output'})"
        if kind == "sram":
            limit = ref.sram_bytes + SRAM_SLACK_BYTES
            ok = run.sram_bytes <= limit
            text = (f"{where}: SRAM {run.sram_bytes:,} bytes (.data + .bss + stack), at most "
                    f"{limit:,}" + ("" if ok else " (in place: no second tensor)"))
        else:
            limit = INSTRUCTION_FACTOR * ref.instructions
            ok = run.instructions <= limit
            text = (f"{where}: {run.instructions:,} instructions, at most {limit:,.0f} "
                    f"({INSTRUCTION_FACTOR}x the package's plain loop)")
        return (1.0 if ok else 0.0), text
    return grade


_CASE = Case("your KERNEL_C, compiled and run by the grader on held-out cases",
             "_grader_source(KERNEL_C)", None, timeout=30)
CHECKS = [
    Check("test-bit-exact", "KERNEL_C", solution="kernel-c", grade=_bit_exact_grade,
          property="the output equals the package's int8 depthwise kernel, byte for byte",
          cases=[_CASE]),
    Check("test-sram", "KERNEL_C", solution="kernel-c", grade=_budget_grade("sram"),
          property="in place: SRAM within 256 bytes of the package's kernel", cases=[_CASE]),
    Check("test-instructions", "KERNEL_C", solution="kernel-c", grade=_budget_grade("instructions"),
          property="at most 1.25x the package's plain-loop instructions", cases=[_CASE]),
]
