"""The visible tests a student runs (Validate) catch the common wrong answers, and say why.

Each test takes the locked test cell of an assignment's source notebook, as the student's kernel
runs it, after the setup cell and a student's answer: the reference solution passes; a wrong
answer fails with the rule it breaks; an answered function (a constant, a missing `return`) is
never "not answered yet".
"""
import re

import nbformat
import pytest

from assignment_cases import sram_accounting as sram_case
from conftest import REPO
from tinyml_course.homework import NotAnswered


def _cells(assignment):
    nb = nbformat.read(REPO / "assignments" / "source" / assignment / f"{assignment}.ipynb",
                       as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


def _strip(source):
    """A solution cell as the reference wrote it (markers removed)."""
    return re.sub(r"\s*### (BEGIN|END) SOLUTION", "", source)


def run_visible(assignment, test_id, answers, given=()):
    """Run the setup cell, ``answers`` (grade_id -> source, the reference's where absent) for
    every solution cell before the test, and the given cells ``given`` (grade_ids) in their
    place, then the test cell; the namespace."""
    cells = _cells(assignment)
    ns = {}
    exec(cells["setup"], ns)
    for gid, source in cells.items():
        if gid == test_id:
            break
        if "### BEGIN SOLUTION" in source and not source.lstrip().startswith("#"):
            exec(answers.get(gid, _strip(source)), ns)
        elif gid in given:
            exec(source, ns)
    exec(cells[test_id], ns)
    return ns


def test_reference_passes_the_in_place_test():
    """Does the reference in-place kernel pass all three visible cases?"""
    run_visible("sram_accounting", "test-depthwise-inplace", {})


def test_an_h_by_w_scratch_fails_with_the_rule():
    """Does an in-place kernel with an H x W scratch buffer (the slide's (C+1)HW read literally)
    fail Validate at stride 2 and without padding, each case with the rule it breaks? (It passed
    the one visible case at stride 1, padding 1, and lost all 3 points at grading: issue 18.)"""
    with pytest.raises(AssertionError) as err:
        run_visible("sram_accounting", "test-depthwise-inplace",
                    {"depthwise-inplace": sram_case.WRONG_INPLACE})
    message = str(err.value)
    assert message.startswith("depthwise_inplace fails 2 of 3 cases: C,H,W=6,9,11 k=3 stride=2 "
                              "padding=1: "), message
    assert "C,H,W=3,8,8 k=3 stride=1 padding=0: " in message


H_BY_W_SCRATCH = '''
def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    # the right output, through an H x W scratch (one input channel's size)
    c, h, w = buf.shape
    k = weight.shape[-1]
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    temp = arena.alloc("scratch", (h, w), np.float32)
    flat = buf.array.reshape(-1)
    for ch in range(c):
        b = None if bias is None else bias[ch:ch + 1]
        out = temp.array.reshape(-1)[:ho * wo].reshape(1, ho, wo)
        depthwise_conv2d(buf.array[ch:ch + 1], weight[ch:ch + 1], b, stride, padding, out=out)
        flat[ch * ho * wo:(ch + 1) * ho * wo] = out.reshape(-1)
    arena.free(temp)
    return arena.shrink(buf, (c, ho, wo))
'''


def test_a_right_output_through_an_h_by_w_scratch_is_told_its_scratch():
    """Is a kernel whose output is right but whose scratch is H x W told exactly that?"""
    with pytest.raises(AssertionError) as err:
        run_visible("sram_accounting", "test-depthwise-inplace",
                    {"depthwise-inplace": H_BY_W_SCRATCH})
    message = str(err.value)
    assert ("C,H,W=6,9,11 k=3 stride=2 padding=1: the measured peak (bytes): expected 2496, got "
            "2772 (your scratch buffer is H*W = 99 elements; after a stride-2 depthwise only "
            "Ho*Wo = 30 are needed)") in message, message
    assert ("C,H,W=3,8,8 k=3 stride=1 padding=0: the measured peak (bytes): expected 912, got "
            "1024 (your scratch buffer is H*W = 64 elements; after padding 0 with a 3x3 kernel "
            "only Ho*Wo = 36 are needed)") in message, message


def test_a_constant_answer_fails_its_cases_not_answered():
    """Does a function returning a constant fail with its value, not "not answered yet"?"""
    with pytest.raises(AssertionError) as err:
        run_visible("sram_accounting", "test-tensor-bytes", {"tensor-bytes": (
            'BYTES_PER_ELEMENT = {"int8": 1, "float32": 4}\n\n\n'
            'def tensor_bytes(shape, dtype="int8"):\n    """Constant."""\n    return 240\n')})
    assert not isinstance(err.value, NotAnswered)
    assert "expected 200704, got 240" in str(err.value)


def test_tiles_that_assume_n_divides_h_fail_visibly():
    """Does a patch_forward whose tiles are H // n wide (right only when n divides H) fail the
    visible test on its 3x3 grid? (The visible grids were 1, 2 and 4 only: it passed Validate.)"""
    from assignment_cases import patch_inference as patch_case
    cells = _cells("patch_inference")
    sloppy = _strip(cells["patch-forward"]).replace(patch_case.TILES, patch_case.SLOPPY_TILES)
    assert sloppy != _strip(cells["patch-forward"])
    with pytest.raises(AssertionError) as err:
        run_visible("patch_inference", "test-patch-forward", {"patch-forward": sloppy})
    assert str(err.value).startswith("patch_forward fails 1 of 4 cases: 3x3 patches: expected the "
                                     "per-layer output"), err.value
    run_visible("patch_inference", "test-patch-forward", {})  # the reference passes


def test_tinynas_visible_tests_pass_the_reference_and_catch_a_forgotten_flash():
    """Do the reference answers pass tinynas's visible tests (literal values, no package
    reference), and does a can_fit_memory that forgets Flash fail visibly?"""
    from assignment_cases import tinynas as tinynas_case
    run_visible("tinynas", "test-can-fit-memory", {})
    run_visible("tinynas", "test-search-loop", {})
    with pytest.raises(AssertionError) as err:
        run_visible("tinynas", "test-can-fit-memory", {"can-fit-memory": tinynas_case.SRAM_ONLY})
    assert ("can_fit_memory fails 1 of 11 cases: smallest(), per-layer, 7 KiB of Flash: "
            "can_fit_memory: expected False, got True (SRAM and Flash must both fit)") == str(err.value)


# --- stride 2 in the other exercises that take a stride ---------------------------------------
# 2026-12-07: compression's int8_conv2d and deploy_kernel's C kernel were tested visibly at
# stride 1 only (the grader's held-out cases have stride 2): a convolution whose window does not
# move by the stride, or a C kernel that stores output channel c at x + c*H*W (right only while
# Ho = H), passed Validate and lost its points at grading.

def _int8_conv_variant(old, new):
    source = _strip(_cells("compression")["int8-conv"])
    assert old in source
    return source.replace(old, new)


def test_an_int8_conv_whose_window_ignores_the_stride_fails_visibly():
    """Does an int8_conv2d whose window moves one pixel at any stride fail Validate, naming the
    stride-2 case? (The reference passes.)"""
    run_visible("compression", "test-int8-conv", {})
    wrong = _int8_conv_variant("xp[:, r * stride:r * stride + k, s * stride:s * stride + k]",
                               "xp[:, r:r + k, s:s + k]")
    with pytest.raises(AssertionError) as err:
        run_visible("compression", "test-int8-conv", {"int8-conv": wrong})
    assert str(err.value).startswith("int8_conv2d on a 5x5 kernel at stride 2 (Cin=2, 7x7, "
                                     "padding 2, x_zp 4, y_zp -7)"), err.value


DEPLOY_GIVEN = ("run-kernel",)


def _kernel_variant(old, new):
    source = _strip(_cells("deploy_kernel")["kernel-c"])
    assert old in source
    return source.replace(old, new)


@pytest.mark.parametrize("old, new", [
    ("x[c * ho * wo + i] = scratch[i]", "x[c * h * w + i] = scratch[i]"),     # H x W layout
    ("int iy = oy * g->stride - g->pad + ky", "int iy = oy - g->pad + ky"),   # the stride ignored
])
def test_a_c_kernel_right_only_at_stride_1_fails_visibly(old, new):
    """Does a C kernel that is bit-exact on the notebook's stride-1 case but wrong at stride 2
    fail Validate's bit-exact test on the stride-2 case? (The reference passes.)"""
    wrong = _kernel_variant(old, new)
    with pytest.raises(AssertionError) as err:
        run_visible("deploy_kernel", "test-bit-exact", {"kernel-c": wrong}, DEPLOY_GIVEN)
    assert str(err.value).startswith("at stride 2 (4 channels of 9x9, 3x3) the output differs "
                                     "from the package's kernel in "), err.value


def test_the_reference_c_kernel_passes_both_visible_cases():
    ns = run_visible("deploy_kernel", "test-bit-exact", {}, DEPLOY_GIVEN)
    assert ns["check"].bit_exact and ns["check_stride2"].bit_exact
