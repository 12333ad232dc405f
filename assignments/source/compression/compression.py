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
# 4. an **int8 convolution with requantization**, integers only (3 points).
#
# Replace every `# YOUR CODE HERE` (and the `...` under it) by your code. Layouts: weights (Cout, ...), activations
# (C, H, W). Use numpy; do not call or import the package's solutions
# (`tinyml_course.compression.prune`, `...quantize`, `tinyml_course.runtime.qscheme`, `...int8`
# kernels) in your answers: an exercise answered with the package's reference earns no credit.
# The visible tests compare with literal values; the grader also runs hidden checks, outside
# your notebook.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the trained model and the helpers you may use
import numpy as np

from tinyml_course.compression import trained
from tinyml_course.runtime.int8 import multiply_by_quantized_multiplier, quantize_multiplier

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

    TODO: keep the largest |w|; zero exactly round(sparsity * w.size) weights.
    APPROACH: order = np.argsort(np.abs(w).ravel(), kind="stable"); the first n_zero indices of
        that order are the weights to remove; build the mask flat, then reshape to w.shape.
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
pruned, mask = magnitude_prune(np.array([0.1, -3, 0.5, 2]), 0.5)
assert mask.tolist() == [0, 1, 0, 1], f"mask {mask.tolist()}, expected [0, 1, 0, 1]"
assert pruned.tolist() == [0, -3, 0, 2], f"pruned {pruned.tolist()}"
before = W.copy()
pruned, mask = magnitude_prune(W, 0.7)
assert np.array_equal(W, before), "magnitude_prune modified its input"
assert int((pruned == 0).sum()) == round(0.7 * W.size), f"{int((pruned == 0).sum())} zeros"

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
    APPROACH: flatten to (Cout, -1), then sum |w| (l1) or sqrt of the sum of squares (l2) per row.
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
got = channel_importance(np.array([[3.0, -4.0], [1.0, 1.0]]), "l1")
assert np.allclose(got, [7, 2]), f"l1 gives {got}, expected [7, 2]"
got = channel_importance(np.array([[3.0, -4.0], [1.0, 1.0]]), "l2")
assert np.allclose(got, [5, np.sqrt(2)]), f"l2 gives {got}, expected [5, 1.414]"
assert channel_importance(W, "l2").shape == (48,)

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
    APPROACH: r_min = min(r_min, 0), r_max = max(r_max, 0); compute qmax (and qmin); scale;
        then the zero point (0 if symmetric), rounded half away from zero and clamped.
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
scale, zp = linear_qparams(-1.0, 3.0, 8)
assert abs(scale - 4 / 255) < 1e-12 and zp == -64, f"got ({scale}, {zp}), expected (4/255, -64)"
scale, zp = linear_qparams(-0.5, 2.0, 8, symmetric=True)
assert abs(scale - 2 / 127) < 1e-12 and zp == 0, f"got ({scale}, {zp}), expected (2/127, 0)"

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
    APPROACH: xp = np.pad(x, ((0, 0), (p, p), (p, p)), constant_values=x_zp).astype(np.int32) - x_zp;
        Ho = (H + 2p - k) // stride + 1 (same for Wo); loop over output rows/columns (or use
        windows) and sum xp[:, r:r+k, s:s+k] * w over (c, i, j) for every o; add bias;
        y = multiply_by_quantized_multiplier(acc, m0[:, None, None], shift[:, None, None]) + y_zp.
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
# points, bit for bit (the values of the package's `conv2d_int8`); the output dtype is int8.
# **Why it matters:** this is the loop an MCU runs for every layer of the int8 model.
# **Expected:** equal to the package's output everywhere.

# %% nbgrader={"grade": true, "grade_id": "test-int8-conv", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: int8 convolution (the grader also tries strides, kernels 1 to 5 and ReLU6 clamps)
_x = np.arange(-8, 10, dtype=np.int8).reshape(2, 3, 3)
_m0, _sh = quantize_multiplier(np.ones(2))
y = int8_conv2d(_x, 0, np.eye(2, dtype=np.int8).reshape(2, 2, 1, 1), np.zeros(2, np.int32), _m0, _sh, 0)
assert y.dtype == np.int8, f"output dtype {y.dtype}, expected int8"
assert np.array_equal(y, _x), f"identity conv changed the input:\n{y}"
_rng = np.random.default_rng(0)
_x = _rng.integers(-128, 128, (3, 4, 4)).astype(np.int8)
_w = _rng.integers(-127, 128, (2, 3, 3, 3)).astype(np.int8)
_b = _rng.integers(-500, 500, 2).astype(np.int32)
_m0, _sh = quantize_multiplier(_rng.uniform(0.0005, 0.003, 2))
got = int8_conv2d(_x, -3, _w, _b, _m0, _sh, 5, 1, 1)
_want = np.array([[[-29, -3, 2, -76], [-61, -25, 20, 61], [12, 42, 127, -17], [16, 82, -4, -53]],
                  [[8, 15, 11, 13], [-8, 26, -10, -3], [5, 7, 29, 5], [23, -1, 16, -9]]])
assert np.array_equal(got, _want), f"got\n{got}\nexpected\n{_want}"

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Done
#
# Run all cells, then **Validate**. The hidden tests check the same functions on more cases.
