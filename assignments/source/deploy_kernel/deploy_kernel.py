# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Homework: an in-place int8 depthwise kernel in C, on an emulated Cortex-M7
#
# MCUNet's in-place depthwise convolution writes each output channel over its own input channel,
# through ONE temporary channel buffer, so the layer needs C*H*W + Ho*Wo bytes instead of
# C*H*W + C*Ho*Wo. You write that kernel in C. The grader takes your `KERNEL_C`, cross-compiles
# it for an STM32F746, links it, runs it in an emulator on held-out cases and compares the output
# byte for byte with the package's numpy kernel; the cells below run the same check on one case
# for you, and decide nothing.
#
# 1. a **bit-exact** kernel (5 points),
# 2. that stays in the in-place memory budget: **SRAM** measured by the linker and the stack (2 points),
# 3. and executes no more **instructions** than 1.25x the package's plain-loop kernel (3 points).
#
# A kernel that loops forever, writes outside memory or declares huge arrays is stopped and
# reported (instruction budget, memory fault, link error); it costs only that kernel's points.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the grader's tools and the C header your kernel includes
from tinyml_course.deploy.codegen import KERNEL_DIR
from tinyml_course.deploy.kernel_check import check_inplace_depthwise, depthwise_case, reference_check

header = (KERNEL_DIR / "tinyml.h").read_text()
print(header[header.index("typedef struct {"):header.index("int32_t tm_mbqm")])
print("int8_t tm_requant(int32_t acc, int32_t m0, int32_t shift, const tm_quant *q);"
      "  /* given: requantize one int32 accumulator of output channel c */")

# %% [markdown] nbgrader={"grade": false, "grade_id": "kernel-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise: `student_dwconv_inplace`
#
# `x` holds the input, `(C, H, W)` channel-major, `C = g->cout`, `H = g->in_h`, `W = g->in_w`;
# `scratch` holds `Ho * Wo` bytes (`g->out_h`, `g->out_w`). For each channel `c`:
#
# - compute output channel `c` into `scratch`: for each output pixel `(oy, ox)`, `acc = q->bias[c]`
#   plus, over the `k x k` taps with `iy = oy*stride - pad + ky`, `ix = ox*stride - pad + kx` inside
#   the image, `(x[c][iy][ix] - q->x_zp) * q->weight[(c*k + ky)*k + kx]` (taps outside the image are
#   padding and add nothing); then `tm_requant(acc, q->m0[c], q->shift[c], q)`;
# - copy `scratch` to `x + c * Ho * Wo` (the output is stored compactly from the buffer's start).
#
# Only `tm_requant` and the C header are linked with your code (no C library, no package kernels).

# %% nbgrader={"grade": false, "grade_id": "kernel-c", "locked": false, "schema_version": 3, "solution": true, "task": false}
KERNEL_C = r"""
void student_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q) {
"""
# TODO: append the body of the kernel to KERNEL_C (a C string), then the closing brace is added.
# APPROACH: the method of sram_accounting's exercise 5 in int8: which taps of a border pixel fall
#   outside the image, and what do they add to the sum?
# EXAMPLE: with k = 3, stride = 1, pad = 1, output pixel (0, 0) reads x[c][0..1][0..1] only.
# HINT: a sum of k*k products of int8 values outgrows int8 (and int16) quickly: choose the
#   accumulator's type for the largest sum, not a typical one.
### BEGIN SOLUTION
KERNEL_C += r"""
    int k = g->k, h = g->in_h, w = g->in_w, ho = g->out_h, wo = g->out_w;
    for (int c = 0; c < g->cout; c++) {
        const int8_t *xc = x + c * h * w;
        for (int oy = 0; oy < ho; oy++) {
            for (int ox = 0; ox < wo; ox++) {
                int32_t acc = q->bias[c];
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * g->stride - g->pad + ky;
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ox * g->stride - g->pad + kx;
                        if (ix < 0 || ix >= w) continue;
                        acc += (xc[iy * w + ix] - q->x_zp) * q->weight[(c * k + ky) * k + kx];
                    }
                }
                scratch[oy * wo + ox] = tm_requant(acc, q->m0[c], q->shift[c], q);
            }
        }
        for (int i = 0; i < ho * wo; i++) x[c * ho * wo + i] = scratch[i];
    }
"""
### END SOLUTION
KERNEL_C += "}\n"

# %% nbgrader={"grade": false, "grade_id": "run-kernel", "locked": true, "schema_version": 3, "solution": false, "task": false}
# build, link and run your kernel in the emulator (8 channels of 16x16, 3x3, stride 1; then 4
# channels of 9x9 at stride 2, where Ho = 5 is not H)
check = check_inplace_depthwise(KERNEL_C)
reference = reference_check()
print("yours:    ", check.describe())
print("reference:", reference.describe())
STRIDE2_CASE = depthwise_case(channels=4, size=9, kernel=3, stride=2, seed=7)
check_stride2 = check_inplace_depthwise(KERNEL_C, STRIDE2_CASE) if check.error is None else check
print("yours at stride 2:", check_stride2.describe())

# %% [markdown] nbgrader={"grade": false, "grade_id": "kernel-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the emulated output against `runtime.int8_kernels.depthwise_conv2d_int8`, on the
# two cases above and (hidden) on other shapes, strides and kernel sizes; then the measured SRAM and
# instruction count against the package's plain-loop kernel in the same harness.
# **Why it matters:** on a board nothing tells you a byte is wrong; and an "in-place" kernel that
# secretly allocates a second tensor saves no SRAM.
# **Expected:** `bit-exact`; SRAM within 256 bytes of the reference's; instructions at most 1.25x.

# %% nbgrader={"grade": true, "grade_id": "test-bit-exact", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# test: bit-exact output on the two cases above (the grader compiles your KERNEL_C itself and
# runs it on held-out shapes, strides and kernel sizes)
from tinyml_course.homework import expect_true

expect_true(check.error is None, f"your kernel did not run: {check.error}")
expect_true(check.bit_exact, f"the output differs from the package's kernel in "
            f"{int((check.output != depthwise_case().expected).sum())} bytes")
expect_true(check_stride2.error is None, f"at stride 2 your kernel did not run: {check_stride2.error}")
expect_true(check_stride2.bit_exact,
            f"at stride 2 (4 channels of 9x9, 3x3) the output differs from the package's kernel in "
            f"{int((check_stride2.output != STRIDE2_CASE.expected).sum())} bytes (does the window "
            f"move by g->stride, and does output channel c start at x + c*Ho*Wo?)")

# %% nbgrader={"grade": true, "grade_id": "test-sram", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# test: SRAM of an in-place kernel (linker .data + .bss + stack high-water mark)
expect_true(check.error is None and check.bit_exact, "first make the kernel bit-exact")
expect_true(check.sram_bytes <= reference.sram_bytes + 256,
            f"SRAM {check.sram_bytes} bytes, expected at most {reference.sram_bytes + 256} "
            f"(in place: no second tensor)")

# %% nbgrader={"grade": true, "grade_id": "test-instructions", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: executed instructions
expect_true(check.error is None and check.bit_exact, "first make the kernel bit-exact")
expect_true(check.instructions <= 1.25 * reference.instructions,
            f"{check.instructions:,} instructions, expected at most "
            f"{1.25 * reference.instructions:,.0f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Going further (not graded)
#
# `tinyml_course/deploy/kernels_c/kernels_opt.c` has a TinyEngine-style version: the zero point
# folded into the bias offline, and an unrolled 3x3 loop with no padding checks inside the image.
# Try `tinyml-course deploy digits --kernels reference` and `--kernels optimized`.
