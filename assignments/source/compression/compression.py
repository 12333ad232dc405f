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
# # Homework: pruning and quantization
#
# In the lecture you shrank a trained digits CNN with the `tinyml_course` package. Here you implement
# the four core pieces yourself.
#
# 1. fine-grained **magnitude pruning** to an exact sparsity (2 points),
# 2. the **importance** of channels for channel pruning (2 points),
# 3. **linear quantization**: scale and zero point, asymmetric and symmetric (3 points),
# 4. an **int8 convolution with requantization**, integers only (3 points),
# 5. a **challenge**: compress the model into 4 KiB of Flash and 8 KiB of SRAM with the least
#    accuracy loss (4 points, partial credit by measurement),
# 6. **written analysis** of what your compression cost and saved (4 points, graded by a TA).
#
# Replace every `# YOUR CODE HERE` (and the `...` under it) by your code. Layouts: weights (Cout, ...), activations
# (C, H, W). Use numpy; do not call or import the package's solutions
# (`tinyml_course.compression.prune`, `...quantize`, `tinyml_course.runtime.qscheme`, `...int8`
# kernels) in your answers: an exercise answered with the package's reference earns no credit.
# The visible tests compare with literal values; the grader also runs hidden checks, outside
# your notebook. A failed test says what it expected and what it got; an exercise you have not
# started says "not answered yet". Plan for 4 to 8 hours.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the trained model and the helpers you may use
import numpy as np

from tinyml_course.compression import trained
from tinyml_course.homework import expect_close, expect_equal, expect_true, require_answered
from tinyml_course.runtime.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

network, weights = trained.load_trained()  # {op name: (weight, bias)}, float32
W = weights["block2.expand"][0]  # (48, 16): a 1x1 expansion
print(network)


# %% [markdown] nbgrader={"grade": false, "grade_id": "prune-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 1: magnitude pruning to an exact sparsity
#
# Zero the weights of smallest absolute value so that **exactly** `round(sparsity * w.size)` of them
# are zero. When several weights have the same |w|, remove the one that comes first (flat order).

# %% nbgrader={"grade": false, "grade_id": "magnitude-prune", "locked": false, "schema_version": 3, "solution": true, "task": false}
def magnitude_prune(w, sparsity):
    """Return (pruned copy of w, 0/1 float32 mask of w's shape).

    TODO: keep the largest |w|; zero exactly round(sparsity × w.size) weights (see above).
    APPROACH: rank the weights by magnitude; ties must break by position, so think about which
        sorting algorithms keep equal keys in their original order.
    EXAMPLE: magnitude_prune(np.array([0.1, -3, 0.5, 2]), 0.5) -> ([0, -3, 0, 2], [0, 1, 0, 1])
    HINT: round with Python's int(round(...)); do not modify w in place.
    """
    ### BEGIN SOLUTION
    n_zero = int(round(sparsity * w.size))
    order = np.argsort(np.abs(w).ravel(), kind="stable")
    mask = np.ones(w.size, np.float32)
    mask[order[:n_zero]] = 0
    mask = mask.reshape(w.shape)
    return w * mask, mask
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "prune-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the number of zeros, which weights go, and that `w` is not modified.
# **Why it matters:** a sparsity you asked for is the Flash you budgeted.
# **Expected:** `magnitude_prune(np.array([0.1, -3, 0.5, 2]), 0.5)[1] == [0, 1, 0, 1]`.

# %% nbgrader={"grade": true, "grade_id": "test-magnitude-prune", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# test: magnitude pruning (the grader also tries ties and other sparsities)
require_answered(magnitude_prune)
pruned, mask = magnitude_prune(np.array([0.1, -3, 0.5, 2]), 0.5)
expect_equal("magnitude_prune([0.1, -3, 0.5, 2], 0.5) mask", np.asarray(mask).tolist(), [0, 1, 0, 1])
expect_equal("magnitude_prune([0.1, -3, 0.5, 2], 0.5) weights", np.asarray(pruned).tolist(),
             [0, -3, 0, 2])
before = W.copy()
pruned, mask = magnitude_prune(W, 0.7)
expect_true(np.array_equal(W, before), "expected magnitude_prune to leave its input unchanged, "
                                       "got a modified input")
expect_equal("the zeros of magnitude_prune(W, 0.7)", int((pruned == 0).sum()), round(0.7 * W.size))

# %% [markdown] nbgrader={"grade": false, "grade_id": "importance-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 2: channel importance
#
# Channel pruning removes whole output channels of a layer (and the matching input channels of the
# next). The importance of output channel `c` of a weight `w` (shape (Cout, ...)) is the norm of all
# its weights `w[c]`: the **L1** norm (sum of |w|) or the **L2** norm (square root of the sum of squares).

# %% nbgrader={"grade": false, "grade_id": "channel-importance", "locked": false, "schema_version": 3, "solution": true, "task": false}
def channel_importance(w, norm="l2"):
    """Return the importance of each output channel of w: float64 array (Cout,).

    TODO: compute the L1 or L2 norm of every w[c] (all axes but the first).
    APPROACH: a channel is everything that shares the first index; a norm reduces it to one
        number, whatever the number of the other axes.
    EXAMPLE: channel_importance(np.array([[3., -4.], [1., 1.]]), "l2") -> [5.0, 1.414...]
    HINT: raise ValueError for a norm other than 'l1' or 'l2'.
    """
    ### BEGIN SOLUTION
    flat = np.asarray(w, np.float64).reshape(w.shape[0], -1)
    if norm == "l1":
        return np.abs(flat).sum(axis=1)
    if norm == "l2":
        return np.sqrt((flat ** 2).sum(axis=1))
    raise ValueError(f"unknown norm {norm!r}")
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "importance-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** both norms on a hand example and on the trained expansion layer.
# **Why it matters:** the ranking decides which channels (and which activations) disappear.
# **Expected:** `channel_importance([[3, -4], [1, 1]], "l1") == [7, 2]`.

# %% nbgrader={"grade": true, "grade_id": "test-channel-importance", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# test: channel importance (the grader also tries four trained layers, both norms)
require_answered(channel_importance)
got = channel_importance(np.array([[3.0, -4.0], [1.0, 1.0]]), "l1")
expect_close('channel_importance([[3, -4], [1, 1]], "l1")', got, [7, 2], 1e-9)
got = channel_importance(np.array([[3.0, -4.0], [1.0, 1.0]]), "l2")
expect_close('channel_importance([[3, -4], [1, 1]], "l2")', got, [5, np.sqrt(2)], 1e-9)
expect_equal('channel_importance(W, "l2").shape', np.shape(channel_importance(W, "l2")), (48,))

# %% [markdown] nbgrader={"grade": false, "grade_id": "linear-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 3: linear quantization, scale and zero point
#
# A real value r is stored as a `bits`-bit signed integer q with r ≈ (q − zero_point) · scale.
#
# - **asymmetric**: widen [r_min, r_max] to contain 0; qmin = −2^(bits−1), qmax = 2^(bits−1) − 1;
#   `scale = (r_max − r_min) / (qmax − qmin)`, `zero_point = round(qmin − r_min / scale)`, clamped to
#   [qmin, qmax].
# - **symmetric**: zero_point = 0, qmax = 2^(bits−1) − 1, `scale = max(|r_min|, |r_max|) / qmax`.
#
# Round halves away from zero (`np.sign(x) * np.floor(np.abs(x) + 0.5)`). If the range is all zeros,
# use scale 1.

# %% nbgrader={"grade": false, "grade_id": "linear-qparams", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_qparams(r_min, r_max, bits=8, symmetric=False):
    """Return (scale: float, zero_point: int) for the real range [r_min, r_max] at ``bits`` bits.

    TODO: implement the two formulas above.
    APPROACH: zero must be exactly representable (padding, ReLU), so the range you quantize
        always contains it; the rest is the two formulas, in the order they depend on each other.
    EXAMPLE: linear_qparams(-1.0, 3.0, 8) -> (4/255 = 0.01568..., -64)
             linear_qparams(-0.5, 2.0, 8, symmetric=True) -> (2/127, 0)
    HINT: return Python types: float(scale), int(zero_point).
    """
    ### BEGIN SOLUTION
    r_min, r_max = min(float(r_min), 0.0), max(float(r_max), 0.0)
    qmax = 2 ** (bits - 1) - 1
    if symmetric:
        scale = max(abs(r_min), abs(r_max)) / qmax
        return (scale if scale > 0 else 1.0), 0
    qmin = -qmax - 1
    scale = (r_max - r_min) / (qmax - qmin)
    if scale == 0:
        return 1.0, 0
    x = qmin - r_min / scale
    zp = int(np.sign(x) * np.floor(abs(x) + 0.5))
    return scale, int(min(max(zp, qmin), qmax))
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "linear-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the hand examples, then many random ranges and bit widths 2–8 against the
# package.
# **Why it matters:** every int8 tensor of the MCU model is described by exactly these two numbers.
# **Expected:** `linear_qparams(-1.0, 3.0, 8) == (4 / 255, -64)`.

# %% nbgrader={"grade": true, "grade_id": "test-linear-qparams", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: scale and zero point (the grader also tries random ranges at 2 to 8 bits)
require_answered(linear_qparams)
expect_equal("linear_qparams(-1.0, 3.0, 8)", linear_qparams(-1.0, 3.0, 8), (4 / 255, -64), tol=1e-12)
expect_equal("linear_qparams(-0.5, 2.0, 8, symmetric=True)",
             linear_qparams(-0.5, 2.0, 8, symmetric=True), (2 / 127, 0), tol=1e-12)

# %% [markdown] nbgrader={"grade": false, "grade_id": "conv-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 4: an int8 convolution with requantization (integers only)
#
# Input x: int8 (Cin, H, W) with zero point `x_zp`; weight: int8 (Cout, Cin, k, k), symmetric per
# channel (zero point 0); bias: int32 (Cout,). For each output pixel:
#
#     acc = bias[o] + sum over c, i, j of (x_padded[c, ...] - x_zp) * w[o, c, i, j]      (int32)
#     y   = clamp(multiply_by_quantized_multiplier(acc, m0[o], shift[o]) + y_zp, act_min, act_max)
#
# **Padding uses the input zero point** (so a padded pixel contributes exactly 0), stride as given.
# `m0, shift` (int32 (Cout,)) encode the real multiplier x_scale · w_scale[o] / y_scale; the helper
# `multiply_by_quantized_multiplier` (given) applies it with TFLite's fixed-point rounding. No float
# may appear in your computation: work in int32/int64, return int8.

# %% nbgrader={"grade": false, "grade_id": "int8-conv", "locked": false, "schema_version": 3, "solution": true, "task": false}
def int8_conv2d(x, x_zp, w, bias, m0, shift, y_zp, stride=1, padding=0, act_min=-128, act_max=127):
    """Return the int8 (Cout, Ho, Wo) output of an integer-only convolution.

    TODO: pad x with x_zp, accumulate (x - x_zp) * w in int32 plus the bias, requantize, clamp.
    APPROACH: subtract the zero point first, so that everything after is an ordinary integer
        convolution; widen the integer type before you multiply; requantize per output channel
        at the very end, then add the output zero point and clamp.
    EXAMPLE: a 1x1 kernel of ones, m0/shift of multiplier 1.0, x_zp = y_zp = 0 returns x itself.
    HINT: cast w to np.int32 before multiplying (int8 * int8 overflows); np.clip, then .astype(np.int8).
    """
    ### BEGIN SOLUTION
    cin, h, wd = x.shape
    cout, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)), constant_values=x_zp)
    xp = xp.astype(np.int32) - np.int32(x_zp)
    ho, wo = (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1
    w32 = w.astype(np.int32)
    acc = np.zeros((cout, ho, wo), np.int32)
    for r in range(ho):
        for s in range(wo):
            patch = xp[:, r * stride:r * stride + k, s * stride:s * stride + k]
            acc[:, r, s] = (w32 * patch[None]).sum(axis=(1, 2, 3))
    acc += bias.astype(np.int32)[:, None, None]
    y = multiply_by_quantized_multiplier(acc, m0[:, None, None], shift[:, None, None]).astype(np.int64)
    return np.clip(y + y_zp, act_min, act_max).astype(np.int8)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "conv-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the identity example, then a random convolution with padding and zero
# points, then a 5x5 one at stride 2, bit for bit (the values of the package's `conv2d_int8`);
# the output dtype is int8.
# **Why it matters:** this is the loop an MCU runs for every layer of the int8 model.
# **Expected:** equal to the package's output everywhere.

# %% nbgrader={"grade": true, "grade_id": "test-int8-conv", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: int8 convolution (the grader also tries other shapes, strides, kernels 1 to 5 and ReLU6 clamps)
require_answered(int8_conv2d)
_x = np.arange(-8, 10, dtype=np.int8).reshape(2, 3, 3)
_m0, _sh = quantize_multiplier(np.ones(2))
y = int8_conv2d(_x, 0, np.eye(2, dtype=np.int8).reshape(2, 2, 1, 1), np.zeros(2, np.int32), _m0, _sh, 0)
expect_equal("the output dtype of int8_conv2d", None if y is None else str(y.dtype), "int8")
expect_close("an identity 1x1 int8_conv2d", y, _x, 0, why="the identity must return its input")
_rng = np.random.default_rng(0)
_x = _rng.integers(-128, 128, (3, 4, 4)).astype(np.int8)
_w = _rng.integers(-127, 128, (2, 3, 3, 3)).astype(np.int8)
_b = _rng.integers(-500, 500, 2).astype(np.int32)
_m0, _sh = quantize_multiplier(_rng.uniform(0.0005, 0.003, 2))
got = int8_conv2d(_x, -3, _w, _b, _m0, _sh, 5, 1, 1)
_want = np.array([[[-29, -3, 2, -76], [-61, -25, 20, 61], [12, 42, 127, -17], [16, 82, -4, -53]],
                  [[8, 15, 11, 13], [-8, 26, -10, -3], [5, 7, 29, 5], [23, -1, 16, -9]]])
expect_equal("int8_conv2d on a random 3x3 conv (x_zp -3, y_zp 5, padding 1)", got, _want,
             why="integer outputs agree exactly")
_rng = np.random.default_rng(1)
_x = _rng.integers(-128, 128, (2, 7, 7)).astype(np.int8)
_w = _rng.integers(-127, 128, (2, 2, 5, 5)).astype(np.int8)
_b = _rng.integers(-500, 500, 2).astype(np.int32)
_m0, _sh = quantize_multiplier(_rng.uniform(0.0005, 0.003, 2))
got = int8_conv2d(_x, 4, _w, _b, _m0, _sh, -7, 2, 2)
_want = np.array([[[-1, -82, 32, 35], [25, 26, 48, -26], [-29, 38, 45, -58], [-21, 127, -111, -71]],
                  [[-13, -34, 35, -72], [-6, 54, -24, 2], [116, -38, -64, -33], [45, -78, 30, -23]]])
expect_equal("int8_conv2d on a 5x5 kernel at stride 2 (Cin=2, 7x7, padding 2, x_zp 4, y_zp -7)",
             got, _want, why="the window moves by the stride: Ho = (7 + 2*2 - 5) // 2 + 1 = 4")

# %% [markdown] nbgrader={"grade": false, "grade_id": "challenge-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 5, challenge: fit the budget (4 points, graded by measurement)
#
# The float model takes 23,560 bytes of Flash and 32 KiB of SRAM. Make it fit a board with
# **4 KiB of Flash** for the model and **8 KiB of SRAM** for activations, losing as little held-out
# accuracy as you can. Write `compress_for_budget(network, weights, digits)` returning
# `(network, weights, bits)`: the model to deploy (the same network, or a smaller one from
# channel pruning) and the bits of its weights, an int for all layers or `{op name: bits}` (2 to 8;
# 32 means float32 weights).
#
# **How it is measured.** Flash per layer (`compression.storage`, the figure the lecture's
# dashboard and `tinyml-course compress` show too): the weights at their bits in the cheapest of
# the dense, bitmask and CSR formats (so zeros from pruning help: the sparse formats do not store
# them), plus what decodes them, the cheapest valid of a codebook (at most 2^bits distinct values
# stored in the layer: 2^bits float32 entries) or a linear grid through 0 for the whole layer or
# per output channel (a float32 scale each, plus an int32 zero point if the codes are not
# symmetric), plus 4 bytes per bias. A layer whose values no decoder reproduces is rejected: the
# bits you claim must be the bits you store. SRAM: the exact live-set peak, int8 activations
# when every layer is below 32 bits, else float32. Accuracy: the float kernels on your weights,
# on the held-out digits. Train only on `digits[0]`, `digits[1]` (the training split).
#
# **Scale:** the setup cell below prints it from the grader's own constants: a model over budget,
# or with a layer that does not decode, scores 0; one within budget more the less held-out
# accuracy it loses against the float model. Your figures go on the class leaderboard.
#
# *Hint (the idea, not the code):* at this size the decoding data and the biases are a large share
# of the Flash, and the layers are not equally sensitive. Measure before you spend bits.

# %% nbgrader={"grade": false, "grade_id": "challenge-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the budget, the digits and the published scale (given)
from tinyml_course.compression.data import load_digits
from tinyml_course.homework.challenges.compressed_model import COMPRESSION_SCALE

FLASH_BUDGET, SRAM_BUDGET = 4 * 1024, 8 * 1024
DIGITS = load_digits()  # (x_train, y_train, x_test, y_test)
print(COMPRESSION_SCALE.text())

# %% nbgrader={"grade": false, "grade_id": "compress-for-budget", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compress_for_budget(network, weights, digits):
    """Return (network, weights, bits) of a model within FLASH_BUDGET and SRAM_BUDGET bytes.

    network, weights: the trained float model ({op name: (weight, bias)}, not modified);
    digits: load_digits() output; bits: int or {op name: int} (2-8, or 32 for float32).
    TODO: combine pruning, quantization and bit allocation to fit the budget, with the least loss.
    APPROACH: first account for where the Flash goes per layer (weights, decoding data, biases);
        then decide, layer by layer, what each byte saved costs in accuracy.
    EXAMPLE: 4-bit weights everywhere with per-layer codebooks take 4,932 bytes: not enough.
    HINT: your magnitude_prune and linear_qparams are tools here; a 1-D k-means (Lloyd's
        algorithm) gives the best 2^bits levels of a layer.
    """
    ### BEGIN SOLUTION
    def kmeans_levels(w, bits, iterations=20):  # 1-D Lloyd, evenly spaced start
        flat = w.astype(np.float64).ravel()
        centers = np.linspace(flat.min(), flat.max(), 2 ** bits)
        for _ in range(iterations):
            idx = np.abs(flat[:, None] - centers[None, :]).argmin(axis=1)
            sums = np.bincount(idx, weights=flat, minlength=centers.size)
            counts = np.bincount(idx, minlength=centers.size)
            centers = np.where(counts > 0, sums / np.maximum(counts, 1), centers)
        idx = np.abs(flat[:, None] - centers[None, :]).argmin(axis=1)
        return centers.astype(np.float32)[idx].reshape(w.shape)

    largest = sorted(weights, key=lambda name: -weights[name][0].size)[:8]
    bits = {name: 3 if name in largest else 4 for name in weights}  # big layers tolerate 3 bits
    return network, {name: (kmeans_levels(w, bits[name]), b)
                     for name, (w, b) in weights.items()}, bits
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "challenge-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** visibly, that your model is within both budgets and decodes at its bits,
# with its Flash, SRAM and accuracy printed. Hidden: the score on the scale above.
# **Why it matters:** a model that does not fit is not deployed, whatever its accuracy.
# **Expected:** within budget; the smaller the loss, the more points.

# %% nbgrader={"grade": true, "grade_id": "test-compress-for-budget", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# test: the challenge, measured (partial credit on the published scale)
# measured here for your feedback; the grader calls your function again and scores its model
from tinyml_course.homework.challenges.compressed_model import score_compressed_model
from tinyml_course.runtime import batched

require_answered(compress_for_budget)
_float_acc = batched.accuracy(network, weights, *DIGITS[2:])
_model = compress_for_budget(network, weights, DIGITS)
expect_equal("len(compress_for_budget(...))", None if _model is None else len(_model), 3,
             why="(network, weights, bits)")
_score = score_compressed_model(*_model, FLASH_BUDGET, SRAM_BUDGET, _float_acc, DIGITS)
print(_score.message)
expect_true(_score.points > 0, f"expected a model within {FLASH_BUDGET} bytes of Flash and "
                               f"{SRAM_BUDGET} of SRAM, got: {_score.message}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "written-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 6: written analysis (4 points, graded by a TA)
#
# A paragraph each, with figures from your own model. The TA grades with a published rubric: the
# mechanism, a figure that supports it, a conclusion a deployment engineer could act on.
#
# **6a (2 points).** Where did the Flash of your challenge model go (weights, decoding data,
# biases, sparse indices), and which layers got fewer bits or more zeros? Justify the allocation
# with a measurement of sensitivity, and explain why the decoding data and biases weigh more in a
# 6k-parameter model than in MobileNetV2.

# %% [markdown] nbgrader={"grade": true, "grade_id": "written-flash", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Of the reference's 4058 bytes: 2162 of weights at 3-4 bits, 576 of codebooks (32 or 64 bytes a
# layer) and 1320 of biases (4 bytes per output channel). The eight largest layers (the 1x1
# expansions and projections and the classifier) got 3 bits: a sensitivity scan (one layer at a
# time to 3 bits, held-out accuracy) shows they lose least per byte saved, while the depthwise
# layers and the stem, with few weights per output, lose more per byte. Decoding data and biases
# grow with the number of layers and channels, weights with channels squared: in a 6k-parameter
# model they are almost half of the Flash, in MobileNetV2 (3.4M parameters) about one percent, so
# there only the bits per weight matter.

# %% [markdown] nbgrader={"grade": false, "grade_id": "written-sram-q", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **6b (2 points).** Which techniques lower the peak SRAM and which only the Flash? Explain with the
# exact live-set rule why fine-grained pruning leaves the SRAM unchanged while channel pruning and
# int8 activations do not, and what it would take to fit 4 KiB of SRAM.

# %% [markdown] nbgrader={"grade": true, "grade_id": "written-sram", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# SRAM holds activations: fine-grained pruning and weight quantization change the weights (Flash)
# and leave every activation tensor's shape and dtype as it was, so the live set's peak is the same.
# Int8 activations divide every activation by 4 (32 KiB to 8 KiB here); channel pruning removes
# expanded channels, which shrinks the expansion outputs that dominate the peak. 4 KiB needs the
# peak op's live set halved again: channel pruning of the block at the peak, a smaller input
# resolution, in-place depthwise, or patch-based inference of the first blocks.

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Done
#
# Run all cells, then **Validate**. The hidden tests check the same functions on more cases; the TA
# grades the written answers.
