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
# # Takeaway quiz: TinyML basics and MCUNet
#
# Two parts: the seven takeaway questions of the lecture, then computed questions about
# memory and compute on a microcontroller.
#
# **How to answer.** Each answer goes in its own cell, replacing `None`:
#
# - *multiple choice* (one or more options may be correct): the letters of **every** correct
#   option, in any form: `"AC"`, `"a, c"`, `"A C"`, `{"A", "C"}` or `["a", "c"]`;
# - *numbers*: a plain integer in the unit asked for (bytes, MACs), e.g. `12544`;
# - *yes/no*: `True` or `False`.
#
# The cell under each answer checks its **format** and tells you how it was read; it does not
# grade. An answer that cannot be read (or is left as `None`) scores 0. Run all cells before you
# submit: nothing here raises an error, whatever you write.
#
# **Scoring.** The scoring policy of the multiple-choice questions is `POLICY`, set in the next
# cell. With `"partial"`, each of the `n` options of a question is *right* when you chose it and
# it is correct, or left it out and it is incorrect; a question scores
# `points * max(0, (right - wrong) / n)`, never below zero. With `"all-or-nothing"`, a question
# scores its points only if you chose exactly the correct options. Computed answers must be
# exact.
#

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# setup: quiz helpers and the scoring policy of the multiple-choice questions
from tinyml_course.quiz import (check_bool, check_choice, check_number, grade_bool,
                                grade_choice, grade_number)
POLICY = "partial"  # "partial" or "all-or-nothing" (set by the instructor)
print(f"multiple-choice scoring policy: {POLICY}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "part-1", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 1: takeaway questions
#
# One or more options may be correct.

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-q1", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **q1.** What are advantages of TinyML?
#
# - (A) Low latency
# - (B) Low cost
# - (C) Good privacy

# %% nbgrader={"grade": false, "grade_id": "answer-q1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# q1: your letters, in any form of 'How to answer' above
answer_q1 = None
### BEGIN SOLUTION
answer_q1 = "ABC"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-q1", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of q1: how your answer was read (it is graded later)
check_choice("q1", answer_q1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **q2.** What are challenges of TinyML on MCUs?
#
# - (A) Memory size of MCUs is too small to hold DNNs
# - (B) Slow CPU processing speed
# - (C) Sparse input activations

# %% nbgrader={"grade": false, "grade_id": "answer-q2", "locked": false, "schema_version": 3, "solution": true, "task": false}
# q2: your letters, in any form of 'How to answer' above
answer_q2 = None
### BEGIN SOLUTION
answer_q2 = "AB"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-q2", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of q2: how your answer was read (it is graded later)
check_choice("q2", answer_q2)

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **q3.** What are possible ways to reduce model size?
#
# - (A) Data augmentation
# - (B) Model pruning
# - (C) Quantization

# %% nbgrader={"grade": false, "grade_id": "answer-q3", "locked": false, "schema_version": 3, "solution": true, "task": false}
# q3: your letters, in any form of 'How to answer' above
answer_q3 = None
### BEGIN SOLUTION
answer_q3 = "BC"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-q3", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of q3: how your answer was read (it is graded later)
check_choice("q3", answer_q3)

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-q4", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **q4.** Why does TinyML put input/output activations on SRAM memory?
#
# - (A) Low latency
# - (B) The speed of data written on SRAM is higher than Flash
# - (C) The SRAM memory density is high

# %% nbgrader={"grade": false, "grade_id": "answer-q4", "locked": false, "schema_version": 3, "solution": true, "task": false}
# q4: your letters, in any form of 'How to answer' above
answer_q4 = None
### BEGIN SOLUTION
answer_q4 = "AB"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-q4", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of q4: how your answer was read (it is graded later)
check_choice("q4", answer_q4)

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-q5", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **q5.** What are advantages of depth-wise separable convolution?
#
# - (A) Reduce the size of input/output activation
# - (B) Decrease the number of layers
# - (C) Shrink the model size

# %% nbgrader={"grade": false, "grade_id": "answer-q5", "locked": false, "schema_version": 3, "solution": true, "task": false}
# q5: your letters, in any form of 'How to answer' above
answer_q5 = None
### BEGIN SOLUTION
answer_q5 = "C"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-q5", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of q5: how your answer was read (it is graded later)
check_choice("q5", answer_q5)

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-q6", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **q6.** Which are correct descriptions of MCUNet-v1?
#
# - (A) Using in-place depthwise convolution to reduce peak memory usage
# - (B) Small peak memory contributes the speedup
# - (C) Store activations on a temp buffer

# %% nbgrader={"grade": false, "grade_id": "answer-q6", "locked": false, "schema_version": 3, "solution": true, "task": false}
# q6: your letters, in any form of 'How to answer' above
answer_q6 = None
### BEGIN SOLUTION
answer_q6 = "AC"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-q6", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of q6: how your answer was read (it is graded later)
check_choice("q6", answer_q6)

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-q7", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **q7.** How does MCUNet-v2 save peak SRAM memory usage?
#
# - (A) Only store the small patches on SRAM memory
# - (B) Overlapping patch computation
# - (C) Regularization

# %% nbgrader={"grade": false, "grade_id": "answer-q7", "locked": false, "schema_version": 3, "solution": true, "task": false}
# q7: your letters, in any form of 'How to answer' above
answer_q7 = None
### BEGIN SOLUTION
answer_q7 = "A"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-q7", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of q7: how your answer was read (it is graded later)
check_choice("q7", answer_q7)

# %% [markdown] nbgrader={"grade": false, "grade_id": "part-2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part 2: computed questions, your own numbers
#
# All memory is in **bytes**, activations and weights in **int8** (1 byte per element), biases in
# **int32** (4 bytes), as in the lecture. Every student has their own layer and network: the
# numbers depend on your student id. Put it in the next cell (on the course's hub it is found for
# you), run the cell after it, and work your numbers out by hand from what it prints; you may then
# check yourself with `tinyml_course`. The grader computes the expected values for the id your
# submission is graded under, so answers copied from someone else do not fit yours.
#

# %% nbgrader={"grade": false, "grade_id": "student-id", "locked": false, "schema_version": 3, "solution": true, "task": false}
# your student id: the name your submission is graded under (your course login), e.g. "jdoe"
STUDENT_ID = None
### BEGIN SOLUTION
STUDENT_ID = None  # the instructor's notebook takes the id the grader or the hub gives
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "computed-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# your layer and network for the computed questions (given; do not edit)
from tinyml_course.homework.quiz_variant import student_variant

variant = student_variant(STUDENT_ID)  # prints your parameters, or what to fix
if variant is not None:
    dw_layer, dw_net, quiz_net = variant.dw_layer(), variant.dw_net(), variant.quiz_net()
    for op in quiz_net:
        print(f"{op.name:15s} {op.kind:7s} in {op.in_shape} -> out {op.out_shape} "
              f"kernel {op.kernel} stride {op.stride} padding {op.padding}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-c1", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **c1.** Your depthwise layer `dw_layer` (printed above) runs alone. How many bytes of SRAM does it need at its peak **(a)** run the standard way, the output in a buffer of its own beside the input; **(b)** run in place (MCUNet-v1): each output channel is computed into one temporary channel buffer and then written over the input's memory? Count every tensor alive while it runs (the `exact` convention).

# %% nbgrader={"grade": false, "grade_id": "answer-c1-standard", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c1_standard: (a) bytes, standard
answer_c1_standard = None
### BEGIN SOLUTION
C, H, W = dw_layer.in_shape
_, Ho, Wo = dw_layer.out_shape
answer_c1_standard = C * H * W + C * Ho * Wo
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c1-standard", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c1_standard (it is graded later)
check_number("c1_standard", answer_c1_standard, unit="bytes")

# %% nbgrader={"grade": false, "grade_id": "answer-c1-inplace", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c1_inplace: (b) bytes, in place
answer_c1_inplace = None
### BEGIN SOLUTION
C, H, W = dw_layer.in_shape
_, Ho, Wo = dw_layer.out_shape
answer_c1_inplace = C * H * W + Ho * Wo
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c1-inplace", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c1_inplace (it is graded later)
check_number("c1_inplace", answer_c1_inplace, unit="bytes")

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-c2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **c2.** Patch-based inference (MCUNetV2) runs the ops of `quiz_net` up to and including block 0 (`stem`, `block0.*`) on your grid of patches of block 0's output (printed above: n x n, tile t of a size-S axis covering [t*S // n, (t+1)*S // n)), one patch at a time. Which rows of the input image does your patch (grid row i, column i) read? Give the half-open range [r0, r1), cut to the image (the zero padding is never stored): **(a)** r0; **(b)** r1. The columns are the same, by symmetry.

# %% nbgrader={"grade": false, "grade_id": "answer-c2-r0", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c2_r0: (a) first input row read, r0
answer_c2_r0 = None
### BEGIN SOLUTION
ops = {op.name: op for op in quiz_net}
S = ops["block0.dw"].in_shape[1]  # rows of the stem output = of block 0
a, b = variant.patch * S // variant.grid, (variant.patch + 1) * S // variant.grid
p = ops["block0.dw"].padding  # block0.dw: k x k, stride 1 (project, add: 1x1)
a, b = max(0, a - p), min(S, b + p)  # rows of the stem output the patch needs
answer_c2_r0 = max(0, 2 * a - 1)  # the stem: 3 x 3, stride 2, padding 1
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c2-r0", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c2_r0 (it is graded later)
check_number("c2_r0", answer_c2_r0, unit="")

# %% nbgrader={"grade": false, "grade_id": "answer-c2-r1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c2_r1: (b) one past the last input row read, r1
answer_c2_r1 = None
### BEGIN SOLUTION
ops = {op.name: op for op in quiz_net}
S = ops["block0.dw"].in_shape[1]  # rows of the stem output = of block 0
a, b = variant.patch * S // variant.grid, (variant.patch + 1) * S // variant.grid
p = ops["block0.dw"].padding  # block0.dw: k x k, stride 1 (project, add: 1x1)
a, b = max(0, a - p), min(S, b + p)  # rows of the stem output the patch needs
R = quiz_net.ops[0].in_shape[1]
answer_c2_r1 = min(R, 2 * b)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c2-r1", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c2_r1 (it is graded later)
check_number("c2_r1", answer_c2_r1, unit="")

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-c3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **c3.** How many bytes of Flash do the weights and biases of `quiz_net` take? Every conv and linear op has int8 weights and one int32 bias per output channel.

# %% nbgrader={"grade": false, "grade_id": "answer-c3", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c3: bytes of Flash
answer_c3 = None
### BEGIN SOLUTION
answer_c3 = 0
for op in quiz_net:
    c_out, c_in = op.out_shape[0], op.in_shape[0]
    if op.kind in ("conv", "pwconv", "linear"):
        answer_c3 += c_out * c_in * op.kernel ** 2 + 4 * c_out
    elif op.kind == "dwconv":
        answer_c3 += c_out * op.kernel ** 2 + 4 * c_out
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c3", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c3 (it is graded later)
check_number("c3", answer_c3, unit="bytes")

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-c4", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **c4.** How many multiply-accumulates (MACs) does block 1 of `quiz_net` (the ops named `block1.*`) take for one inference?

# %% nbgrader={"grade": false, "grade_id": "answer-c4", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c4: MACs
answer_c4 = None
### BEGIN SOLUTION
answer_c4 = 0
for op in quiz_net:
    if op.name.startswith("block1."):
        per_output = op.kernel ** 2 * (1 if op.kind == "dwconv" else op.in_shape[0])
        answer_c4 += op.out_shape[0] * op.out_shape[1] * op.out_shape[2] * per_output
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c4", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c4 (it is graded later)
check_number("c4", answer_c4, unit="MACs")

# %% [markdown] nbgrader={"grade": false, "grade_id": "question-c5", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **c5.** Does your zoo network (printed above; int8, `exact` convention) fit your device (its SRAM and Flash printed above) **(a)** run per layer; **(b)** with in-place depthwise convolution?

# %% nbgrader={"grade": false, "grade_id": "answer-c5-per-layer", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c5_per_layer: (a) True or False
answer_c5_per_layer = None
### BEGIN SOLUTION
from tinyml_course import get_network, memory
from tinyml_course.model.devices import get_device
device = get_device(variant.fit_device)
prof = memory.profile(get_network(variant.fit_network), "per-layer", "exact", "int8")
answer_c5_per_layer = (prof.peak_sram_bytes <= device.sram_bytes
                       and prof.flash_bytes <= device.flash_bytes)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c5-per-layer", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c5_per_layer (it is graded later)
check_bool("c5_per_layer", answer_c5_per_layer)

# %% nbgrader={"grade": false, "grade_id": "answer-c5-inplace", "locked": false, "schema_version": 3, "solution": true, "task": false}
# c5_inplace: (b) True or False
answer_c5_inplace = None
### BEGIN SOLUTION
from tinyml_course import get_network, memory
from tinyml_course.model.devices import get_device
device = get_device(variant.fit_device)
prof = memory.profile(get_network(variant.fit_network), "in-place", "exact", "int8")
answer_c5_inplace = (prof.peak_sram_bytes <= device.sram_bytes
                     and prof.flash_bytes <= device.flash_bytes)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check-c5-inplace", "locked": true, "schema_version": 3, "solution": false, "task": false, "points": 1}
# format check of c5_inplace (it is graded later)
check_bool("c5_inplace", answer_c5_inplace)
