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
# # Homework: SRAM accounting and in-place depthwise convolution
#
# In the lecture you saw the peak SRAM of MobileNetV2 computed by the `tinyml_course` package. Here
# you compute it yourself, for a small network, under two stated rules, and then implement the trick
# that saves the most memory in MCUNet: the **in-place depthwise convolution**.
#
# Rules of the game:
#
# - Memory is counted in **bytes** (int8: 1 byte per element, float32: 4). 1 KiB = 1024 bytes.
# - Tensors have the layout **(C, H, W)**, batch 1. SRAM holds activations; weights are in Flash and
#   are *not* counted here.
# - Replace every `# YOUR CODE HERE` (and the `...` under it) with your code. Do not call or import
#   the package's own accounting (`tinyml_course.memory`) or in-place kernel
#   (`tinyml_course.runtime.inplace`) in your answers: an exercise answered with the package's
#   reference earns no credit. The visible tests below compare with literal values; the grader
#   also runs hidden checks, outside your notebook, on other networks and shapes.
#   Press **Validate** before you submit.
# - A failed test tells you what it expected and what it got; an exercise you have not started
#   says "not answered yet".
#
# | exercise | points |
# |---|---|
# | 1. bytes of a tensor | 1 |
# | 2. SRAM per op, input + output rule | 2 |
# | 3. SRAM per op, exact live-set rule | 3 |
# | 4. the peak | 1 |
# | 5. in-place depthwise convolution in an SRAM arena | 3 |
# | 6. challenge: beat the paper (measured, partial credit) | 4 |
# | 7. written analysis (graded by a TA) | 4 |
#
# Plan for 4 to 8 hours: exercises 1 to 5 take about half of it, the challenge and the written
# analysis the rest.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the network of this homework, and the package pieces you may use
import numpy as np

from tinyml_course import build_network, get_network
from tinyml_course.homework import (expect_all, expect_equal, expect_mapping, expect_true,
                                    require_answered)
from tinyml_course.memory.arena import Arena
from tinyml_course.runtime.kernels import depthwise_conv2d

SPEC = {"name": "tiny-mbconv", "resolution": 32, "input_channels": 3,
        "stem": {"kernel": 3, "stride": 2, "out": 8},
        "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1},
                   {"kernel": 3, "expand": 4, "out": 16, "stride": 2},
                   {"kernel": 5, "expand": 3, "out": 16, "stride": 1}],
        "feature_mix": None, "classes": 10}
net = build_network(SPEC)

print(f"{'i':>2}  {'op':<16}{'kind':<8}{'block':>5}  {'reads':<32}{'input (C,H,W)':<15}output (C,H,W)")
for i, op in enumerate(net.ops):
    print(f"{i:>2}  {op.name:<16}{op.kind:<8}{str(op.block):>5}  {', '.join(op.inputs):<32}"
          f"{str(op.in_shape):<15}{op.out_shape}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "network-notes", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Each op of `net.ops` is an `Op` with `name`, `kind` (`conv`, `dwconv`, `pwconv`, `add`, `pool`,
# `linear`), `inputs` (names of the tensors it reads: `"input"` is the image, any other name is the
# output of the op with that name), `in_shape`, `out_shape` (C, H, W), and `block` (the MBConv block
# it belongs to, or `None`). A block whose stride is 1 and whose input and output channels agree ends
# with an `add` that reads the block's output **and the block's input**: that input must stay in SRAM
# through the whole block. `net.last_use()` maps every tensor name to the index of the last op that
# reads it (the network's output: `len(net.ops)`).
#
# ## Exercise 1: bytes of a tensor

# %% nbgrader={"grade": false, "grade_id": "tensor-bytes", "locked": false, "schema_version": 3, "solution": true, "task": false}
BYTES_PER_ELEMENT = {"int8": 1, "float32": 4}


def tensor_bytes(shape, dtype="int8"):
    """Return the bytes a tensor of ``shape`` takes in SRAM at ``dtype`` ('int8' or 'float32').

    TODO: return how many bytes the tensor occupies.
    APPROACH: what decides how many elements a box of shape (C, H, W) holds, and what decides
        how large each element is? Your code should work for any number of dimensions.
    EXAMPLE: tensor_bytes((16, 112, 112), "int8") -> 200704; tensor_bytes((3, 4, 5), "float32") -> 240
    HINT: check yourself on (1, 1, 1) and on a shape with a zero in it; return a plain Python int.
    """
    ### BEGIN SOLUTION
    elements = 1
    for dim in shape:
        elements *= int(dim)
    return elements * BYTES_PER_ELEMENT[dtype]
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "tensor-bytes-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** `tensor_bytes` on a few shapes and both dtypes.
# **Why it matters:** every memory figure of the course is a sum of these.
# **Expected:** `tensor_bytes((16, 112, 112), "int8") == 200704` (196 KiB).

# %% nbgrader={"grade": true, "grade_id": "test-tensor-bytes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: bytes of a tensor (the grader also tries 20 random shapes)
require_answered(tensor_bytes)
for shape, dtype, expected in [((16, 112, 112), "int8", 200704), ((3, 4, 5), "float32", 240),
                               ((1, 1, 1), "int8", 1)]:
    got = tensor_bytes(shape, dtype)
    expect_equal(f"tensor_bytes({shape}, {dtype!r})", got, expected)

# %% [markdown] nbgrader={"grade": false, "grade_id": "io-rule-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 2: SRAM per op, the input + output rule
#
# The mcunet repository counts the SRAM of each op with a simple rule (its
# `count_peak_activation_size`), and MCUNetV2's Table 1 uses it for MobileNetV2 (1470 KiB at 224):
#
# - a `conv`, `dwconv`, `pwconv` or `linear` op costs **its input + its output**;
# - the `dwconv` of a block **that has a residual add** also counts **the block's input** (the
#   tensor the add will read), because it must still be in SRAM while the depthwise runs;
# - `add` and `pool` ops cost **0** (the rule does not count them).
#
# Each op reads one input of shape `op.in_shape`, except `add`, which reads two.

# %% nbgrader={"grade": false, "grade_id": "io-rule-sram", "locked": false, "schema_version": 3, "solution": true, "task": false}
def io_rule_sram(network, dtype="int8"):
    """Return {op name: SRAM bytes while it runs} by the input + output rule, in op order.

    TODO: apply the three rules above to every op of ``network.ops``.
    APPROACH: the only non-local fact is "which tensor will the block's add read later"; know
        it before you reach the block's depthwise. Everything else is one op at a time.
    EXAMPLE: for `net` above, the stem (3, 32, 32) -> (8, 16, 16) in int8 costs
        3*32*32 + 8*16*16 = 5120 bytes; block0.dw costs 2048 + 2048 + 2048 (its block's input)
        = 6144 bytes.
    HINT: use your tensor_bytes; op.block is the block index (None outside blocks).
    """
    ### BEGIN SOLUTION
    block_input = {op.block: op.inputs[1] for op in network.ops if op.kind == "add"}
    sram = {}
    for op in network.ops:
        if op.kind in ("conv", "dwconv", "pwconv", "linear"):
            nbytes = tensor_bytes(op.in_shape, dtype) + tensor_bytes(op.out_shape, dtype)
            if op.kind == "dwconv" and op.block in block_input:
                nbytes += tensor_bytes(network.shape_of(block_input[op.block]), dtype)
        else:
            nbytes = 0
        sram[op.name] = nbytes
    return sram
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "io-rule-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** every op's bytes on `net` (the values of the package's `mcunet` convention).
# **Why it matters:** this is the rule behind the published 1470 KiB and 325 KiB figures.
# **Expected:** `io_rule_sram(net)["stem"] == 5120`, `io_rule_sram(net)["block0.dw"] == 6144`.

# %% nbgrader={"grade": true, "grade_id": "test-io-rule-sram", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# test: the input + output rule on `net` in int8 (the grader also tries float32 and two zoo networks)
require_answered(io_rule_sram)
expect_mapping('io_rule_sram(net, "int8")', io_rule_sram(net, "int8"), unit="bytes", expected={
    "stem": 5120, "block0.dw": 6144, "block0.project": 4096, "block0.add": 0,
    "block1.expand": 10240, "block1.dw": 10240, "block1.project": 3072, "block2.expand": 4096,
    "block2.dw": 7168, "block2.project": 4096, "block2.add": 0, "pool": 0, "classifier": 26,
})

# %% [markdown] nbgrader={"grade": false, "grade_id": "live-set-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 3: SRAM per op, the exact live-set rule
#
# The input + output rule is a convention. What a runtime really holds while op *i* runs is its
# **live set**: every tensor already produced (the image `"input"` included) that some op at
# index ≥ *i* still reads, plus op *i*'s output. A tensor is freed right after its last reader.
# This is what the course's SRAM arena measures, to the byte, when it runs the network per layer.
#
# Differences from exercise 2: an `add` costs its two inputs and its output; a block's input stays
# alive through *every* op of its block, not only the depthwise; `pool` and the classifier count too.

# %% nbgrader={"grade": false, "grade_id": "live-set-sram", "locked": false, "schema_version": 3, "solution": true, "task": false}
def live_set_sram(network, dtype="int8"):
    """Return {op name: bytes live while it runs} by the exact live-set rule, in op order.

    TODO: for each op index i, sum the bytes of the tensors alive while op i runs.
    APPROACH: a tensor is alive from the op that produces it to the last op that reads it.
        Walk the ops in order and keep track of what has been produced; ``network.last_use()``
        tells you when each one dies.
    EXAMPLE: for `net` above in int8 the stem holds its input (3*32*32 = 3072) and its output
        (8*16*16 = 2048): 5120 bytes; block0.project holds the stem's output (kept for the add),
        block0.dw's output and its own output: 3 * 2048 = 6144 bytes.
    HINT: the network's last output has last[name] == len(network.ops): it is never freed.
    """
    ### BEGIN SOLUTION
    last = network.last_use()
    produced = ["input"]
    sram = {}
    for i, op in enumerate(network.ops):
        live = [t for t in produced if last[t] >= i] + [op.name]
        sram[op.name] = sum(tensor_bytes(network.shape_of(t), dtype) for t in live)
        produced.append(op.name)
    return sram
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "live-set-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** every op's bytes (the values of the package's `exact` convention, per-layer
# schedule, which the arena executor's measured high-water marks agree with).
# **Why it matters:** the published rules leave tensors out; the live set is what must really fit.
# **Expected:** `live_set_sram(net)["block0.project"] == 6144`.

# %% nbgrader={"grade": true, "grade_id": "test-live-set-sram", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: the exact live-set rule on `net` in int8 (the grader also tries float32 and two zoo networks)
require_answered(live_set_sram)
expect_mapping('live_set_sram(net, "int8")', live_set_sram(net, "int8"), unit="bytes", expected={
    "stem": 5120, "block0.dw": 4096, "block0.project": 6144, "block0.add": 6144,
    "block1.expand": 10240, "block1.dw": 10240, "block1.project": 3072, "block2.expand": 4096,
    "block2.dw": 7168, "block2.project": 5120, "block2.add": 3072, "pool": 1040,
    "classifier": 26,
})

# %% [markdown] nbgrader={"grade": false, "grade_id": "peak-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 4: the peak
#
# The network's peak SRAM is the largest per-op figure, and the op that holds it is where a
# designer must act (lower the resolution there, run it in place, or split it into patches).

# %% nbgrader={"grade": false, "grade_id": "peak-sram", "locked": false, "schema_version": 3, "solution": true, "task": false}
def peak_sram(sram_by_op):
    """Return (op name, bytes) of the largest entry of ``sram_by_op``; the first one if tied.

    TODO: find the largest entry of a dict {op name: bytes} and the op that holds it.
    APPROACH: the op matters as much as the bytes (it is where a designer acts); think about what
        "first one if tied" means in op order.
    EXAMPLE: peak_sram({"a": 5, "b": 9, "c": 9}) -> ("b", 9)
    HINT: return a tuple; try your function on a tie before you run the test.
    """
    ### BEGIN SOLUTION
    return max(sram_by_op.items(), key=lambda item: item[1])
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "peak-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the peak of small dicts and of the package's profile of MobileNetV2-224
# (1372 KiB at `block1.expand`, in place).
# **Expected:** `peak_sram({"a": 5, "b": 9, "c": 9}) == ("b", 9)`.

# %% nbgrader={"grade": true, "grade_id": "test-peak-sram", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: the peak and where it is (the grader also tries MobileNetV2-224's profiles)
require_answered(peak_sram)
got = peak_sram({"a": 5, "b": 9, "c": 9})
expect_equal('peak_sram({"a": 5, "b": 9, "c": 9})', got, ("b", 9), why="the first of two equal peaks")

# %% [markdown] nbgrader={"grade": false, "grade_id": "inplace-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 5: in-place depthwise convolution in an SRAM arena
#
# A standard depthwise layer holds its input and its output: 2·C·H·W elements at stride 1.
# But output channel *c* depends on input channel *c* only. So: compute channel *c* into **one
# temporary buffer** of Ho×Wo elements, copy it over the input's memory, and go to the next channel.
# Peak: C·H·W + Ho·Wo elements, that is (C + 1)·H·W at stride 1 (MCUNet-v1).
#
# You work inside the course's simulated SRAM, an `Arena`:
#
# - `arena.alloc(name, shape, dtype)` returns a `Buffer`; `buffer.array` is a numpy view of its
#   bytes (take it again after each `alloc`); `arena.free(buffer)` releases it;
# - `arena.shrink(buffer, shape)` keeps only the first bytes of a buffer as a smaller tensor;
# - `arena.peak_bytes` is the high-water mark: the measured peak SRAM.
#
# Where the output goes: on return, the (C, Ho, Wo) output is stored compactly at the start of
# the input's memory (its first C·Ho·Wo elements, channel after channel). Before you write a
# channel there, ask which input channels those bytes belong to, and whether any of them will
# still be read; that is what makes the method work at stride 2 too.

# %% nbgrader={"grade": false, "grade_id": "depthwise-inplace", "locked": false, "schema_version": 3, "solution": true, "task": false}
def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    """Run a depthwise conv over arena buffer ``buf`` IN PLACE; return ``buf`` holding the output.

    buf: a float32 Buffer of shape (C, H, W), allocated in ``arena``; weight: (C, k, k) float32;
    bias: (C,) or None. Mutates buf's memory: on return buf has shape (C, Ho, Wo) with
    Ho = ⌊(H + 2·padding − k) / stride⌋ + 1 (same for Wo) and holds what
    depthwise_conv2d(x, weight, bias, stride, padding) gives. Allocates exactly one temporary
    (Ho, Wo) buffer in the arena, and frees it.

    TODO: compute the output channel by channel through one temporary buffer.
    APPROACH: a depthwise output channel depends on one input channel only; which memory does
        each channel need while it is computed, and which is free once it is? The given
        depthwise_conv2d works on any number of channels and can write into an ``out=`` array.
    EXAMPLE: C, H, W = 8, 10, 10, k = 3, stride 1, padding 1, float32: the arena's peak is
        (8*10*10 + 10*10) * 4 = 3600 bytes (a standard layer: 6400).
    HINT: print arena.peak_bytes after the call, and compare with C*H*W + Ho*Wo elements at
        stride 2 as well as at stride 1.
    """
    ### BEGIN SOLUTION
    c, h, w = buf.shape
    k = weight.shape[-1]
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    temp = arena.alloc("scratch", (ho, wo), np.float32)
    x = buf.array  # (C, H, W) view of the arena
    flat = x.reshape(-1)  # the same bytes
    scratch = temp.array  # (Ho, Wo)
    for ch in range(c):
        b = None if bias is None else bias[ch:ch + 1]
        depthwise_conv2d(x[ch:ch + 1], weight[ch:ch + 1], b, stride, padding,
                         out=scratch[np.newaxis])
        flat[ch * ho * wo:(ch + 1) * ho * wo] = scratch.reshape(-1)
    arena.free(temp)
    return arena.shrink(buf, (c, ho, wo))
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "inplace-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the output equals the standard depthwise conv; the arena's measured peak
# is C·H·W + Ho·Wo elements (4 bytes each), exactly what the package's own in-place kernel measures;
# the output lives at the input's address.
# **Why it matters:** this is how MCUNet fits MobileNetV2's depthwise layers in a few hundred KiB.
# **Expected:** for (8, 10, 10), k = 3, stride 1, padding 1: peak 3600 bytes; for (6, 9, 11) at
# stride 2 (odd sizes, Ho x Wo = 5 x 6): 2496 bytes; for (3, 8, 8) without padding: 912 bytes.

# %% nbgrader={"grade": true, "grade_id": "test-depthwise-inplace", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: in-place depthwise, measured in the arena, on three cases (the grader tries other shapes)
from tinyml_course.homework.rules import inplace_scratch_rule


def _check_inplace(c, h, w, k, stride, padding, seed, expected_peak):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    weight = rng.standard_normal((c, k, k)).astype(np.float32)
    bias = rng.standard_normal(c).astype(np.float32)
    expected = depthwise_conv2d(x, weight, bias, stride, padding)
    arena = Arena(1 << 22)
    buf = arena.alloc("x", (c, h, w), np.float32)
    buf.array[...] = x
    offset = buf.offset
    out = depthwise_inplace(arena, buf, weight, bias, stride, padding)
    expect_equal("the output's shape", None if out is None else tuple(out.shape), expected.shape)
    expect_equal("the output's byte offset", out.offset, offset,
                 why="the output must live at the input's address")
    err = float(np.max(np.abs(out.array - expected)))
    expect_true(err < 1e-4, f"expected the values of depthwise_conv2d, got values that differ by "
                            f"up to {err:.3g}")
    rule = inplace_scratch_rule((c, h, w), expected.shape, arena.peak_bytes, 4, stride, padding, k)
    expect_equal("the measured peak (bytes)", arena.peak_bytes, expected_peak,
                 why=rule or "C*H*W + Ho*Wo elements: one channel of scratch")
    expect_equal("bytes still live after the call", arena.live_bytes, out.array.nbytes,
                 why="free the scratch")


require_answered(depthwise_inplace)
expect_all("depthwise_inplace", [
    ("C,H,W=8,10,10 k=3 stride=1 padding=1",  # (8*10*10 + 10*10) * 4 bytes
     lambda: _check_inplace(8, 10, 10, 3, 1, 1, seed=0, expected_peak=3600)),
    ("C,H,W=6,9,11 k=3 stride=2 padding=1",  # Ho, Wo = 5, 6: (6*9*11 + 5*6) * 4 bytes
     lambda: _check_inplace(6, 9, 11, 3, 2, 1, seed=1, expected_peak=2496)),
    ("C,H,W=3,8,8 k=3 stride=1 padding=0",  # Ho, Wo = 6, 6: (3*8*8 + 6*6) * 4 bytes
     lambda: _check_inplace(3, 8, 8, 3, 1, 0, seed=4, expected_peak=912)),
])

# %% [markdown] nbgrader={"grade": false, "grade_id": "challenge-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 6, challenge: beat the paper (4 points, graded by measurement)
#
# Exercise 5 holds C·H·W + H·W elements at stride 1: a whole channel of scratch. MCUNet's figure
# stops there. But look at *which* input rows one output row of a k x k depthwise conv needs, and at
# *when* an input row is needed for the last time. The less you hold at once, the better; about
# C·H·W + (k//2 + 1)·W elements is reachable.
#
# Write `depthwise_streaming(arena, buf, weight, bias)`: stride 1, padding k//2 (the output has the
# input's shape), float32, output at the input's address, every byte of scratch in the arena.
#
# **How it is measured.** The grader runs your solution cell *alone* (with `np`, `Arena` and
# `depthwise_conv2d` defined, as in this notebook's first cell; it may import numpy and the
# standard modules `math`, `itertools`, `functools`, `collections`, `operator`, `array`,
# `tracemalloc` and `mmap`, nothing else) in a fresh process per hidden shape (C = 2, H·W about
# 6 million elements: a channel is 24 MiB; k in 3, 5, 7), and the operating system reports that
# process's peak memory. `extra` = that peak less the same process without your kernel, in
# 4-byte elements: every byte your call touches counts, in the arena or not, and the figures your
# code can see (`arena.peak_bytes`) decide nothing. Your kernel may not start processes or
# threads, nor open files, pipes or sockets there.
#
# **Scale:** the next cell prints it from the grader's own constants: per shape, a wrong output
# scores 0 and a right one more the less extra memory it needs, exercise 5's whole channel of
# scratch the least; the mean over the shapes counts. Your measured figures go on the class
# leaderboard in the grading report.
#
# *Hint (the idea, not the code):* think of a conveyor belt. An output row can be written back only
# where nothing will be read again; how many finished rows must wait on the belt until that
# happens?

# %% nbgrader={"grade": false, "grade_id": "challenge-scale", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the published scale (given): the text the grader's scorer is made from
from tinyml_course.homework.challenges.streaming_depthwise import STREAMING_SCALE

print(STREAMING_SCALE.text())

# %% nbgrader={"grade": false, "grade_id": "depthwise-streaming", "locked": false, "schema_version": 3, "solution": true, "task": false}
def depthwise_streaming(arena, buf, weight, bias=None):
    """Depthwise conv, stride 1, padding k//2, IN PLACE over arena buffer ``buf``; return ``buf``.

    buf: float32 Buffer (C, H, W) in ``arena``; weight: (C, k, k) float32, k odd; bias: (C,) or
    None. On return buf holds depthwise_conv2d(x, weight, bias, 1, k // 2) at the same address,
    and everything you allocated in the arena is freed.

    TODO: use as little memory beyond C*H*W elements as you can (see the scale above).
    APPROACH: draw one channel as rows: which input rows does an output row read, and after
        which output row is an input row never read again?
    EXAMPLE: for C, H, W = 4, 64, 64 and k = 3, exercise 5 holds 4096 extra elements; streaming
        rows reaches 128.
    HINT: print arena.peak_bytes as you go, and check the output on a small channel against
        depthwise_conv2d first.
    """
    ### BEGIN SOLUTION
    c, h, w = buf.shape
    k = weight.shape[-1]
    p = k // 2
    ring = arena.alloc("rows", (p + 1, w), np.float32)  # finished output rows waiting
    x, rows = buf.array, ring.array
    for ch in range(c):
        plane = x[ch]
        for r in range(h + p):
            if r < h:  # output row r into ring slot r % (p + 1)
                acc = rows[r % (p + 1)]
                acc[...] = 0 if bias is None else bias[ch]
                for i in range(k):
                    src = r + i - p
                    if not 0 <= src < h:
                        continue  # a zero-padding row
                    line = plane[src]
                    for j in range(k):
                        d = j - p  # acc[col] += weight * line[col + d]
                        lo, hi = max(0, -d), min(w, w - d)
                        acc[lo:hi] += weight[ch, i, j] * line[lo + d:hi + d]
            done = r - p  # input row `done` is read by no later output row
            if done >= 0:
                plane[done] = rows[done % (p + 1)]
    arena.free(ring)
    return buf
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "challenge-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** visibly, one small shape: right values at the input's address, nothing
# left allocated, and your measured extra memory printed. Hidden: the score on the scale above.
# **Why it matters:** the first layers of MobileNetV2 are depthwise; their extra memory is SRAM a
# microcontroller does not have.
# **Expected:** a right output; the lower `extra`, the more points.

# %% nbgrader={"grade": true, "grade_id": "test-depthwise-streaming", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# test: the challenge, measured (partial credit on the published scale)
# one small shape here, measured in this process (the arena and tracemalloc: your own feedback,
# not the grade); the grader measures your function on the hidden shapes outside and scores it
from tinyml_course.homework.challenges.streaming_depthwise import measure_streaming_depthwise

require_answered(depthwise_streaming)
_run = measure_streaming_depthwise(depthwise_streaming, 3, 12, 10, 3, seed=5)
expect_true(_run["correct"], f"C,H,W=3,12,10 k=3: expected a right in-place output, got one where "
                             f"{_run['problem']}")
print(f"C,H,W=3,12,10 k=3: {_run['extra_elements']:.0f} extra elements in this process "
      f"(exercise 5: {12 * 10}, target: {2 * 10})")

# %% [markdown] nbgrader={"grade": false, "grade_id": "written-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 7: written analysis (4 points, graded by a TA)
#
# Answer in the cells below, a paragraph each, with numbers from your own code. The TA grades
# with a published rubric: a correct mechanism, a figure that supports it, a conclusion a
# deployment engineer could act on.
#
# **7a (2 points).** For MobileNetV2 at 224 (`get_network("mobilenetv2", 224)`), exercise 2's rule
# and exercise 3's live set agree on the peak (1470 KiB at `block1.dw`) but not op by op. Which
# ops differ, and which tensors does the input + output rule leave out there? Is the rule a safe
# basis for deciding that a network fits a device? Describe a network (or a layer) where it would
# under-count the peak, and what would happen on a device whose SRAM lies between the two figures.

# %% [markdown] nbgrader={"grade": true, "grade_id": "written-rules-differ", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# The ops that differ are the ones inside residual blocks other than the depthwise (expand and
# project also hold the block's input, kept for the add), the adds (the rule counts 0; they hold
# two inputs and an output) and pool/classifier. The rule leaves out tensors alive across an op
# that are neither its input nor its output. For MobileNetV2-224 the peak sits at a depthwise op,
# where the rule does count the block input, so the peaks agree; that is luck, not a guarantee. A
# network whose largest op is a residual block's expansion or projection (for example a wide
# expansion at high resolution) is under-counted by the size of the block input. On a device
# whose SRAM lies between the two figures, the paper's check says "fits" and the arena overruns
# at run time; the deployment check must use the live set.

# %% [markdown] nbgrader={"grade": false, "grade_id": "written-streaming-q", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **7b (2 points).** Why can your streaming depthwise not go much below (k//2 + 1)·W extra
# elements in this design, and what changes at stride 2? MobileNetV2-224's in-place peak is at
# `block1.expand`, a pointwise layer: does making the depthwise layers stream lower the network's
# peak? Argue with figures.

# %% [markdown] nbgrader={"grade": true, "grade_id": "written-streaming", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Input row r is read by output rows r - k//2 .. r + k//2; it can only be overwritten once output
# row r + k//2 is computed, so k//2 finished rows wait plus the one being computed: (k//2 + 1)·W.
# Going lower means keeping copies of input rows instead of output rows: the same count. At stride
# 2 the output is smaller (Ho·Wo), output rows fall behind the input rows they free, and the
# output can be packed at the start of the channel, so even less waits. It does not lower
# MobileNetV2-224's peak: the peak is at block1.expand (a pointwise layer holding its input and its
# 6x expanded output), so streaming depthwise only lowers ops that are not the peak; the peak
# falls only when the pointwise stage is split (patches) or the network is changed.

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Summary
#
# - Exercise 2's rule reproduces the published peaks; exercise 3's live set is what must really fit,
#   and a run in an SRAM arena measures exactly that.
# - An in-place depthwise layer needs one channel of extra memory instead of a whole output tensor;
#   streaming rows needs only a few rows.
