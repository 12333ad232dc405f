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
#
# | exercise | points |
# |---|---|
# | 1. bytes of a tensor | 1 |
# | 2. SRAM per op, input + output rule | 2 |
# | 3. SRAM per op, exact live-set rule | 3 |
# | 4. the peak | 1 |
# | 5. in-place depthwise convolution in an SRAM arena | 3 |

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the network of this homework, and the package pieces you may use
import numpy as np

from tinyml_course import build_network, get_network
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

    TODO: multiply the number of elements by the bytes per element.
    APPROACH: elements = C * H * W (any number of dimensions); bytes = elements * BYTES_PER_ELEMENT[dtype].
    EXAMPLE: tensor_bytes((16, 112, 112), "int8") -> 200704; tensor_bytes((3, 4, 5), "float32") -> 240
    HINT: return a plain Python int (int(...)), not a numpy integer.
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
for shape, dtype, expected in [((16, 112, 112), "int8", 200704), ((3, 4, 5), "float32", 240),
                               ((1, 1, 1), "int8", 1)]:
    got = tensor_bytes(shape, dtype)
    assert got == expected, f"tensor_bytes({shape}, {dtype!r}) = {got!r}, expected {expected}"

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
    APPROACH: first find, for each block with an `add`, the block's input tensor: it is the
        second name in the add's ``inputs`` (op.inputs[1]); its shape is
        ``network.shape_of(name)``. Then loop over the ops: input + output bytes for conv-like ops,
        plus the block input for the dwconv of such a block; 0 for add and pool.
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
def _compare(got, expected):
    assert isinstance(got, dict), f"expected a dict {{op name: bytes}}, got {type(got).__name__}"
    assert list(got) == list(expected), f"op names {list(got)}, expected {list(expected)}"
    for name in expected:
        assert got[name] == expected[name], f"op {name}: got {got[name]} bytes, expected {expected[name]}"


_compare(io_rule_sram(net, "int8"), {
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
    APPROACH: last = network.last_use(). Keep a list of produced tensor names, starting with
        ["input"]. At op i: live = [t for t in produced if last[t] >= i] + [op i's output];
        sum their bytes (shape: network.shape_of(t)); then append op.name to produced.
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
def _compare(got, expected):
    assert isinstance(got, dict), f"expected a dict {{op name: bytes}}, got {type(got).__name__}"
    assert list(got) == list(expected), f"op names {list(got)}, expected {list(expected)}"
    for name in expected:
        assert got[name] == expected[name], f"op {name}: got {got[name]} bytes, expected {expected[name]}"


_compare(live_set_sram(net, "int8"), {
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

    TODO: find the maximum of a dict {op name: bytes} and its key.
    APPROACH: one pass over the items, keeping the best so far (replace it only when strictly larger).
    EXAMPLE: peak_sram({"a": 5, "b": 9, "c": 9}) -> ("b", 9)
    HINT: max(d.items(), key=...) returns the first maximum.
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
got = peak_sram({"a": 5, "b": 9, "c": 9})
assert tuple(got) == ("b", 9), f"peak_sram(...) = {got!r}, expected ('b', 9)"

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
# Where output channel *c* goes: store the output compactly at the start of the input's memory,
# channel *c* at flat elements `[c*Ho*Wo, (c+1)*Ho*Wo)`. Those elements lie inside input channels
# 0..c, which are all consumed by then, so this also works at stride 2.

# %% nbgrader={"grade": false, "grade_id": "depthwise-inplace", "locked": false, "schema_version": 3, "solution": true, "task": false}
def depthwise_inplace(arena, buf, weight, bias=None, stride=1, padding=0):
    """Run a depthwise conv over arena buffer ``buf`` IN PLACE; return ``buf`` holding the output.

    buf: a float32 Buffer of shape (C, H, W), allocated in ``arena``; weight: (C, k, k) float32;
    bias: (C,) or None. Mutates buf's memory: on return buf has shape (C, Ho, Wo) with
    Ho = (H + 2*padding - k) // stride + 1 (same for Wo) and holds what
    depthwise_conv2d(x, weight, bias, stride, padding) gives. Allocates exactly one temporary
    (Ho, Wo) buffer in the arena, and frees it.

    TODO: compute the output channel by channel through one temporary buffer.
    APPROACH: temp = arena.alloc("scratch", (Ho, Wo), np.float32); x = buf.array (C, H, W);
        flat = x.reshape(-1); for each channel c: compute output channel c into temp.array
        (depthwise_conv2d on x[c:c+1] with weight[c:c+1], bias[c:c+1], out=temp.array[None]),
        then flat[c*Ho*Wo:(c+1)*Ho*Wo] = temp.array.reshape(-1). Finally arena.free(temp) and
        return arena.shrink(buf, (C, Ho, Wo)).
    EXAMPLE: C, H, W = 8, 10, 10, k = 3, stride 1, padding 1, float32: the arena's peak is
        (8*10*10 + 10*10) * 4 = 3600 bytes (a standard layer: 6400).
    HINT: never allocate a (C, Ho, Wo) output; x.reshape(-1) of a contiguous view is a view.
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
# **Expected:** for (8, 10, 10), k = 3, stride 1, padding 1: peak 3600 bytes.

# %% nbgrader={"grade": true, "grade_id": "test-depthwise-inplace", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: in-place depthwise, measured in the arena (the grader also tries stride 2, k = 5 and 7)
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
    where = f"C,H,W={c},{h},{w} k={k} stride={stride} padding={padding}"
    assert out is not None, f"{where}: depthwise_inplace returned None"
    assert out.shape == expected.shape, f"{where}: output shape {out.shape}, expected {expected.shape}"
    assert out.offset == offset, f"{where}: output at byte {out.offset}, expected the input's {offset}"
    err = float(np.max(np.abs(out.array - expected)))
    assert err < 1e-4, f"{where}: output differs from depthwise_conv2d by {err}"
    assert arena.peak_bytes == expected_peak, \
        f"{where}: measured peak {arena.peak_bytes} bytes, expected {expected_peak}"
    assert arena.live_bytes == out.array.nbytes, \
        f"{where}: {arena.live_bytes} bytes still live, expected {out.array.nbytes} (free the scratch)"


_check_inplace(8, 10, 10, 3, 1, 1, seed=0, expected_peak=3600)  # (8*10*10 + 10*10) * 4 bytes

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Summary
#
# - Exercise 2's rule reproduces the published peaks; exercise 3's live set is what must really fit,
#   and a run in an SRAM arena measures exactly that.
# - An in-place depthwise layer needs one channel of extra memory instead of a whole output tensor.
