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
# # Homework: patch-based inference
#
# In the lecture, MobileNetV2's first blocks ran on a 4x4 grid of patches and its peak SRAM fell from
# 1372 kB to 172 kB, at the price of recomputing the overlapping halos. Here you implement the pieces
# yourself on a small network. Do not call or import the package's patch planning
# (`tinyml_course.memory.patch_plan`), patch execution or patch accounting in your answers: an
# exercise answered with the package's reference earns no credit. The visible tests compare with
# literal values; the grader also runs hidden checks, outside your notebook, on more grids.
#
# 1. the **input window** of a patch, backwards through the layers (4 points),
# 2. **patch-based execution** of the stage, assembled into the full output (3 points),
# 3. its **peak SRAM and MAC overhead** (3 points).
#
# Layout (C, H, W), batch 1; memory in bytes, int8 (1 byte per activation).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the small network, its weights and the helpers you may use
import numpy as np

from tinyml_course import build_network
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.executor import reference_forward
from tinyml_course.runtime.kernels import conv2d, depthwise_conv2d, pointwise_conv2d

SPEC = {"name": "hw", "resolution": 32, "stem": {"kernel": 3, "stride": 2, "out": 8},
        "blocks": [{"kernel": 3, "expand": 2, "out": 12, "stride": 1},
                   {"kernel": 5, "expand": 2, "out": 16, "stride": 2}],
        "feature_mix": None, "classes": None}
network = build_network(SPEC)  # a chain: every op reads the previous op's output
WEIGHTS = random_weights(network, 0)  # {op name: (weight, bias)}, float32
x = np.random.default_rng(1).standard_normal(network.input_shape).astype(np.float32)


def run_op_unpadded(op, x, weights=WEIGHTS):
    """Run ``op`` on x (C, H, W) with NO padding (x must already hold any padding rows/cols)."""
    w, b = weights[op.name]
    if op.kind == "conv":
        return conv2d(x, w, b, op.stride, 0, op.act)
    if op.kind == "dwconv":
        return depthwise_conv2d(x, w, b, op.stride, 0, op.act)
    return pointwise_conv2d(x, w, b, op.act)


for op in network.ops:
    print(f"{op.name:15} {op.kind:7} kernel {op.kernel} stride {op.stride} padding {op.padding} "
          f"{op.in_shape} -> {op.out_shape}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "window-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 1: the input window of a patch
#
# A k x k convolution with stride s and padding p computes output rows `[a, b)` from input rows
# `[a*s - p, (b-1)*s - p + k)`. Rows outside `[0, H)` are zero padding: they are never stored, so
# **clip** the window to `[0, H)`. Columns work the same way. A 1x1 conv has k = 1, p = 0.
#
# Then walk the network **backwards** from a tile `[start, stop)` of the last op's output: every op's
# input window is what its output window needs.

# %% nbgrader={"grade": false, "grade_id": "op-input-rows", "locked": false, "schema_version": 3, "solution": true, "task": false}
def op_input_rows(op, start, stop, in_size):
    """Return the input rows (lo, hi) that output rows [start, stop) of ``op`` read, clipped.

    TODO: apply the formula above with op.kernel, op.stride, op.padding; clip to [0, in_size).
    APPROACH: lo = start * s - p; hi = (stop - 1) * s - p + k; then max/min with 0 and in_size.
    EXAMPLE: a 3x3 stride-2 conv (p = 1) on 16 rows: op_input_rows(op, 2, 4, 16) -> (3, 8);
        op_input_rows(op, 0, 2, 16) -> (0, 4) (row -1 is padding).
    HINT: return plain ints.
    """
    ### BEGIN SOLUTION
    lo = start * op.stride - op.padding
    hi = (stop - 1) * op.stride - op.padding + op.kernel
    return max(lo, 0), min(hi, in_size)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "stage-windows", "locked": false, "schema_version": 3, "solution": true, "task": false}
def stage_windows(network, start, stop):
    """Return {tensor name: (lo, hi)} for output rows [start, stop) of the network's last op.

    Tensor names: 'input' and every op name (an op's output). The network is a chain: op.inputs[0]
    is the tensor it reads; network.shape_of(name) is its (C, H, W).
    TODO: start from the last op's tile and go backwards through network.ops.
    APPROACH: ranges = {last op name: (start, stop)}; for op in reversed(network.ops): the window
        of op.inputs[0] is op_input_rows(op, *ranges[op.name], H of that input).
    EXAMPLE: stage_windows(network, 0, 2)["input"] -> (0, 12) for the network above.
    HINT: the same function gives columns (the maps are square).
    """
    ### BEGIN SOLUTION
    ranges = {network.ops[-1].name: (start, stop)}
    for op in reversed(network.ops):
        size = network.shape_of(op.inputs[0])[1]
        ranges[op.inputs[0]] = op_input_rows(op, *ranges[op.name], size)
    return ranges
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "window-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** single ops by hand, then every tensor's window of one tile.
# **Why it matters:** the window is what a patch holds in SRAM; one row too few is a wrong output.
# **Expected:** `stage_windows(network, 2, 4)["input"] == (1, 20)` (a 2-row tile of the 8x8 output).

# %% nbgrader={"grade": true, "grade_id": "test-windows", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# test: input windows (the grader also tries every tile of 1x1, 3x3, 5x5 and 8x8 grids)
stem = network.op("stem")  # 3x3, stride 2, padding 1
assert op_input_rows(stem, 2, 4, 32) == (3, 8), f"got {op_input_rows(stem, 2, 4, 32)}, expected (3, 8)"
assert op_input_rows(stem, 0, 2, 32) == (0, 4), f"got {op_input_rows(stem, 0, 2, 32)}: clip row -1"
assert op_input_rows(stem, 14, 16, 32) == (27, 32), f"got {op_input_rows(stem, 14, 16, 32)}"
pw = network.op("block0.expand")
assert op_input_rows(pw, 3, 5, 16) == (3, 5), f"a 1x1 conv reads the rows it writes, got {op_input_rows(pw, 3, 5, 16)}"
got = stage_windows(network, 2, 4)
assert tuple(got["input"]) == (1, 20), f"input window {got['input']}, expected (1, 20)"
_expected = {"input": (1, 20), "stem": (1, 10), "block0.expand": (1, 10), "block0.dw": (2, 9),
             "block0.project": (2, 9), "block1.expand": (2, 9), "block1.dw": (2, 4),
             "block1.project": (2, 4)}
for _t, _want in _expected.items():
    assert tuple(got[_t]) == _want, f"{_t}: {got[_t]}, expected {_want}"

# %% [markdown] nbgrader={"grade": false, "grade_id": "forward-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 2: patch-based execution
#
# Split the 8x8 output into an n x n grid: tile i covers rows `[i*H // n, (i+1)*H // n)` (grids that
# do not divide H work too). For each patch, take the input window from `x`, run every op on the
# current window only, and write the patch's tile into the full output.
#
# Padding: an op's window needs rows `[a*s - p, (b-1)*s - p + k)`; where that reaches outside the map
# (a border patch), add those rows as zeros yourself, then call `run_op_unpadded`. Inside the map,
# the rows are real: they are in the window you kept.

# %% nbgrader={"grade": false, "grade_id": "patch-forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def patch_forward(network, x, n):
    """Run ``network`` on x (C, H, W) patch by patch on an n x n grid; return the (C, H, W) output.

    TODO: for every patch, compute its windows (stage_windows, rows and columns), run the ops on
        the windows with explicit zero padding at the map borders, and assemble the output.
    APPROACH: out = np.zeros(network.output_shape, np.float32); tiles = [(i*H//n, (i+1)*H//n)];
        for each (rows, cols) pair of tiles: w = x[:, input rows, input cols]; for each op:
        top = (stored input lo) - (a*s - p), bottom = ((b-1)*s - p + k) - (stored input hi),
        same for left/right; w = run_op_unpadded(op, np.pad(w, ...)).
    EXAMPLE: patch_forward(network, x, 1) equals reference_forward(network, x, WEIGHTS).
    HINT: a 1x1 conv needs no padding; print the window shapes of one patch first.
    """
    ### BEGIN SOLUTION
    c, h, w = network.output_shape
    out = np.zeros((c, h, w), np.float32)
    tiles = [(i * h // n, (i + 1) * h // n) for i in range(n)]
    for r0, r1 in tiles:
        rows = stage_windows(network, r0, r1)
        for c0, c1 in tiles:
            cols = stage_windows(network, c0, c1)
            t = x[:, slice(*rows["input"]), slice(*cols["input"])]
            for op in network.ops:
                pads = []
                for ranges in (rows, cols):
                    a, b = ranges[op.name]
                    lo, hi = ranges[op.inputs[0]]
                    pads.append((lo - (a * op.stride - op.padding),
                                 (b - 1) * op.stride - op.padding + op.kernel - hi))
                t = run_op_unpadded(op, np.pad(t, [(0, 0)] + pads))
            out[:, r0:r1, c0:c1] = t
    return out
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "forward-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the assembled output against per-layer inference, on several grids.
# **Why it matters:** patch-based inference is only worth its memory if the answer does not change.
# **Expected:** `np.abs(patch_forward(network, x, 4) - reference_forward(network, x, WEIGHTS)).max() < 1e-5`.

# %% nbgrader={"grade": true, "grade_id": "test-patch-forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: patch-based execution equals per-layer execution (the grader also tries 3x3, 5x5, 8x8)
_ref = reference_forward(network, x, WEIGHTS)
for _n in (1, 2, 4):
    _got = patch_forward(network, x, _n)
    assert _got.shape == _ref.shape, f"shape {_got.shape}, expected {_ref.shape}"
    _err = float(np.abs(_got - _ref).max())
    assert _err < 1e-5, f"{_n}x{_n} patches: max difference {_err:.2e}, expected < 1e-5"

# %% [markdown] nbgrader={"grade": false, "grade_id": "cost-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 3: peak SRAM and MAC overhead
#
# Count int8 bytes (1 per activation) the way the MCUNet papers do. While a patch runs op k, SRAM holds:
#
# - op k's **input window + output window**; a depthwise conv (`op.kind == "dwconv"`) runs in place
#   and costs only the **larger** of the two;
# - the **last** op writes its tile straight into the full output: its output window costs nothing
#   extra;
# - the **full stage output** (C x H x W), assembled during the whole stage.
#
# The stage's peak is the largest such sum over all ops and patches. MACs: a patch computes every op
# over its output window, `op.macs / (Ho * Wo)` MACs per output pixel; the overhead is
# `(MACs of all patches) / network.macs - 1` (0.5 means +50%).

# %% nbgrader={"grade": false, "grade_id": "patch-stage-cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
def patch_stage_cost(network, n):
    """Return (peak SRAM in bytes: int, MAC overhead: float) of an n x n patch stage (int8).

    TODO: walk every patch and op with the windows of Exercise 1; apply the rule above.
    APPROACH: for each patch: window pixels of a tensor = (rows hi - lo) * (cols hi - lo), times
        its channels network.shape_of(name)[0]; sum MACs per op as pixels * op.macs // (Ho * Wo).
    EXAMPLE: patch_stage_cost(network, 1) -> (peak of per-layer inference + full output, 0.0).
    HINT: network.ops[-1] is the last op; compare your numbers for n = 1 with a hand count.
    """
    ### BEGIN SOLUTION
    c, h, w = network.output_shape
    full = c * h * w
    tiles = [(i * h // n, (i + 1) * h // n) for i in range(n)]
    peak, macs = 0, 0
    for r0, r1 in tiles:
        rows = stage_windows(network, r0, r1)
        for c0, c1 in tiles:
            cols = stage_windows(network, c0, c1)

            def size(name):
                return network.shape_of(name)[0] * (rows[name][1] - rows[name][0]) * \
                    (cols[name][1] - cols[name][0])

            for op in network.ops:
                x_bytes = size(op.inputs[0])
                y_bytes = 0 if op is network.ops[-1] else size(op.name)
                cost = max(x_bytes, y_bytes) if op.kind == "dwconv" else x_bytes + y_bytes
                peak = max(peak, cost + full)
                pixels = (rows[op.name][1] - rows[op.name][0]) * (cols[op.name][1] - cols[op.name][0])
                macs += pixels * (op.macs // (op.out_shape[1] * op.out_shape[2]))
    return peak, macs / network.macs - 1
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "cost-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the peak and the overhead (the values of the package's accounting,
# `memory.profile(..., "patch", "mcunet")` and `patch_accounting.mac_overhead`).
# **Why it matters:** more patches save memory and cost compute: this is the trade-off you tune.
# **Expected:** one patch costs no extra MACs; four by four patches cost more MACs than two by two.

# %% nbgrader={"grade": true, "grade_id": "test-patch-stage-cost", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: peak SRAM and MAC overhead of the patch stage (the grader also tries 3x3, 5x5, 8x8)
for _n, _want, _want_over in [(1, 10240, 0.0), (2, 4624, 0.4155941103789127),
                              (4, 2968, 1.521236614497529)]:
    _peak, _over = patch_stage_cost(network, _n)
    assert _peak == _want, f"{_n}x{_n}: peak {_peak} bytes, expected {_want}"
    assert abs(_over - _want_over) < 1e-9, f"{_n}x{_n}: overhead {_over:.4f}, expected {_want_over:.4f}"
