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
# 3. its **peak SRAM and MAC overhead** (3 points),
# 4. a **challenge**: plan the patches of a real network for a 128 KiB budget with as few extra
#    MACs as possible, measuring at most six plans (4 points, partial credit by measurement),
# 5. **written analysis** of the MAC overhead and of redistribution (4 points, graded by a TA).
#
# Layout (C, H, W), batch 1; memory in bytes, int8 (1 byte per activation). Do not call the
# package's patch accounting (`tinyml_course.memory.patch_plan`, `patch_accounting`) or its search
# (`tinyml_course.nas`) in your answers: an answer that only calls the reference earns nothing. A
# failed test says what it expected and what it got; an exercise you have not started says "not
# answered yet". Plan for 4 to 8 hours.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the small network, its weights and the helpers you may use
from functools import partial

import numpy as np

from tinyml_course import build_network
from tinyml_course.homework import expect_all, expect_equal, expect_true, require_answered
from tinyml_course.runtime import backend
from tinyml_course.runtime.executor import reference_forward

SPEC = {"name": "hw", "resolution": 32, "stem": {"kernel": 3, "stride": 2, "out": 8},
        "blocks": [{"kernel": 3, "expand": 2, "out": 12, "stride": 1},
                   {"kernel": 5, "expand": 2, "out": 16, "stride": 2}],
        "feature_mix": None, "classes": None}
network = build_network(SPEC)  # a chain: every op reads the previous op's output
WEIGHTS = backend.random_weights(network, 0)  # {op name: (weight, bias)}, float32
x = np.random.default_rng(1).standard_normal(network.input_shape).astype(np.float32)
# run_op_unpadded(op, x): run op on x (C, H, W) with NO padding (x already holds any padding)
run_op_unpadded = partial(backend.run_op_unpadded, weights=WEIGHTS)


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
    APPROACH: the formula above gives the unclipped window; padding rows are never stored.
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
    APPROACH: information flows backwards: the last op's tile is known, and each op tells you
        what its input must hold for the output window it has to produce.
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
require_answered(op_input_rows)
expect_equal("op_input_rows(stem, 2, 4, 32)", op_input_rows(stem, 2, 4, 32), (3, 8))
expect_equal("op_input_rows(stem, 0, 2, 32)", op_input_rows(stem, 0, 2, 32), (0, 4),
             why="row -1 is padding: clip it")
expect_equal("op_input_rows(stem, 14, 16, 32)", op_input_rows(stem, 14, 16, 32), (27, 32),
             why="row 32 is padding: clip it")
pw = network.op("block0.expand")
expect_equal("op_input_rows(block0.expand, 3, 5, 16)", op_input_rows(pw, 3, 5, 16), (3, 5),
             why="a 1x1 conv reads the rows it writes")
require_answered(stage_windows)
got = stage_windows(network, 2, 4)
expect_equal("stage_windows(network, 2, 4)['input']", None if got is None else got.get("input"),
             (1, 20))
_expected = {"input": (1, 20), "stem": (1, 10), "block0.expand": (1, 10), "block0.dw": (2, 9),
             "block0.project": (2, 9), "block1.expand": (2, 9), "block1.dw": (2, 4),
             "block1.project": (2, 4)}
for _t, _want in _expected.items():
    expect_equal(f"stage_windows(network, 2, 4)[{_t!r}]", got.get(_t), _want)

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
    APPROACH: a patch is a small network run: its windows come from Exercise 1 (rows and columns
        separately). The only subtle part is padding: compare the rows an op *wants* (the
        unclipped formula) with the rows you *have* (the clipped window); the difference is
        zeros, and only at the map's border.
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
# **Expected:** `np.abs(patch_forward(network, x, n) - reference_forward(network, x, WEIGHTS)).max() < 1e-5`
# for n = 1, 2, 3 (tiles of 2 and 3 rows) and 4.

# %% nbgrader={"grade": true, "grade_id": "test-patch-forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# test: patch-based execution equals per-layer execution, 3x3 a grid that does not divide the
# 8x8 output (the grader tries other grids and inputs)
require_answered(op_input_rows, stage_windows, patch_forward)
_ref = reference_forward(network, x, WEIGHTS)


def _check_forward(n):
    got = patch_forward(network, x, n)
    expect_equal("the output's shape", None if got is None else got.shape, _ref.shape)
    err = float(np.abs(got - _ref).max())
    expect_true(err < 1e-5, f"expected the per-layer output (difference < 1e-5), got a "
                            f"difference of {err:.2e}")


expect_all("patch_forward", [(f"{n}x{n} patches", lambda n=n: _check_forward(n))
                             for n in (1, 2, 3, 4)])

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
    APPROACH: the same walk as Exercise 2 without the arithmetic on values: only the window
        sizes matter. Apply the three SRAM rules per op per patch, keep the largest.
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
require_answered(op_input_rows, stage_windows, patch_stage_cost)
for _n, _want, _want_over in [(1, 10240, 0.0), (2, 4624, 0.4155941103789127),
                              (4, 2968, 1.521236614497529)]:
    _cost = patch_stage_cost(network, _n)
    expect_equal(f"len(patch_stage_cost(network, {_n}))", None if _cost is None else len(_cost), 2,
                 why="a pair: (peak bytes, overhead)")
    _peak, _over = _cost
    expect_equal(f"the peak of {_n}x{_n} patches (bytes)", _peak, _want)
    expect_equal(f"the MAC overhead of {_n}x{_n} patches", _over, _want_over, tol=1e-9)


# %% [markdown] nbgrader={"grade": false, "grade_id": "challenge-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 4, challenge: plan the patches (4 points, graded by measurement)
#
# A real network does not fit 128 KiB even in place, but a patch stage over its first blocks can
# make it fit. Which split (the last block of the patch stage) and which n x n grid? Deeper splits
# and finer grids lower the peak and cost extra MACs (the halos you counted in Exercise 3). Write
# `choose_patch_plan(network, sram_bytes, evaluate)` that returns `(split, n)`: a block name such
# as `"block3"` and a grid size n (1 to 8).
#
# You may compute anything yourself, use your functions above and `memory.profile` with the
# `"per-layer"` and `"in-place"` schedules; a patch plan's real figures come **only** from
# `evaluate(split, n)`, which returns `(peak SRAM bytes, executed MACs)` (convention `mcunet`,
# int8, the rest of the network in place) and allows **six** calls per network (a patch plan
# measured any other way, e.g. `memory.profile(..., "patch")`, scores 0 on that network). There are 17
# splits x 8 grids: you cannot try them all, so reason about where the peak is and how the
# overhead grows.
#
# **Scale:** the setup cell below prints it from the grader's own constants: per network, a plan
# that is invalid or does not fit scores 0, one that fits more the closer its MACs come to the
# cheapest plan that fits (exhaustive search); the mean over the networks counts. The hidden
# tests use other networks and budgets. Your figures go on the class leaderboard.
#
# *Hint (the idea, not the code):* two figures pull in opposite directions as the split moves
# later and the grid grows finer: which part of the network sets the peak, and what the patches
# recompute. Work out what you can about both without `evaluate`, then use your six measurements
# to test your reasoning, not to search.

# %% nbgrader={"grade": false, "grade_id": "challenge-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the challenge's network, its budget, the evaluator and the published scale (given)
from tinyml_course import get_network, memory
from tinyml_course.homework.challenges.patch_plan import PATCH_SCALE
from tinyml_course.homework.challenges.probes import PlanEvaluator

CHALLENGE_NET = get_network("mobilenetv2", 144, 0.5)
CHALLENGE_SRAM = 128 * 1024
print(PATCH_SCALE.text())

# %% nbgrader={"grade": false, "grade_id": "choose-patch-plan", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_patch_plan(network, sram_bytes, evaluate):
    """Return (split block name, n) of a patch plan that fits ``sram_bytes`` with few extra MACs.

    network: a zoo Network; sram_bytes: the budget (int8 activations, convention 'mcunet');
    evaluate(split, n) -> (peak bytes, executed MACs), at most six calls (then RuntimeError).
    TODO: choose the candidates worth measuring, measure them, return the cheapest that fits.
    APPROACH: measurements are the scarce resource: decide from what you can compute without
        evaluate which plans deserve one.
    EXAMPLE: choose_patch_plan(CHALLENGE_NET, CHALLENGE_SRAM, PlanEvaluator(CHALLENGE_NET, 6))
        returns a (split, n) whose peak is at most 131072 bytes.
    HINT: memory.profile with the "in-place" schedule gives each op's SRAM without patches.
    """
    ### BEGIN SOLUTION
    layers = memory.profile(network, "in-place", "mcunet", "int8").layers
    names = [op.name for op in network.ops]
    rest = [max((l.sram_bytes for l in layers[i + 1:]), default=0) for i in range(len(layers))]
    splits = [f"block{b}" for b, ops in network.blocks().items()
              if rest[names.index(ops[-1].name)] <= sram_bytes]  # the part after the split fits
    found = []
    for split in splits[:2]:  # the earliest splits recompute the shortest stage
        for n in (2, 3, 4):  # the coarsest grid that fits has the smallest halos
            try:
                peak, macs = evaluate(split, n)
            except RuntimeError:  # six measurements used
                break
            if peak <= sram_bytes:
                found.append((macs, split, n))
                break
    best = min(found)
    return best[1], best[2]
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "challenge-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** visibly, that your plan for `CHALLENGE_NET` fits 128 KiB with at most
# six evaluations, and its executed MACs. Hidden: the score on the scale above, on more networks.
# **Why it matters:** MCUNetV2 chooses exactly this (with the network architecture) to fit a
# board; every extra MAC is latency and energy.
# **Expected:** a plan that fits; the fewer MACs, the more points.

# %% nbgrader={"grade": true, "grade_id": "test-choose-patch-plan", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# test: the challenge, measured (partial credit on the published scale)
# CHALLENGE_NET here; the grader runs your chooser on more networks and budgets and scores it
require_answered(choose_patch_plan)
_evaluate = PlanEvaluator(CHALLENGE_NET, 6)
_choice = choose_patch_plan(CHALLENGE_NET, CHALLENGE_SRAM, _evaluate)
expect_equal("len(choose_patch_plan(...))", None if _choice is None else len(_choice), 2,
             why="a pair (split, n)")
_peak, _macs = PlanEvaluator(CHALLENGE_NET, 1)(*_choice)
expect_true(_peak <= CHALLENGE_SRAM, f"{_choice}: expected a peak of at most {CHALLENGE_SRAM} "
                                     f"bytes, got {_peak}")
print(f"{_choice}: peak {_peak} bytes, {_macs:,} MACs executed "
      f"(per layer: {CHALLENGE_NET.macs:,}); {len(_evaluate.calls)} evaluations")

# %% [markdown] nbgrader={"grade": false, "grade_id": "written-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 5: written analysis (4 points, graded by a TA)
#
# A paragraph each, with figures from your own functions. The TA grades with a published rubric:
# the mechanism, a figure that supports it, a conclusion a deployment engineer could act on.
#
# **5a (2 points).** Why does patch-based inference cost extra MACs? Use your `patch_stage_cost`
# on `network` for n = 1, 2, 4, 8 and explain how the overhead grows with n and with the depth of
# the stage (the receptive field). MCUNetV2 answers with *receptive-field redistribution*: what does
# it change in the network, and why does that buy the MACs back at little accuracy cost?

# %% [markdown] nbgrader={"grade": true, "grade_id": "written-mac-overhead", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Neighbouring patches need overlapping input windows (halos): a k x k conv needs k//2 extra rows
# on each side of its output tile, and the halos add up backwards through the stage, stride by
# stride. Every patch recomputes its halo, so the overhead grows with n (more borders) and with the
# stage's receptive field (wider halos); with n = 1 it is 0, and it rises steeply at n = 8 where
# the halo is comparable to the tile. Redistribution shrinks the receptive field of the patch
# stage (smaller kernels, fewer blocks in the stage) and moves the lost capacity to the blocks
# after the split, which run per layer on small maps: the halos, hence the recomputation, shrink,
# while the network's total receptive field and accuracy stay about the same.

# %% [markdown] nbgrader={"grade": false, "grade_id": "written-plan-q", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5b (2 points).** Explain the plan your `choose_patch_plan` found for `CHALLENGE_NET` (peak,
# MACs, why this split and not one block earlier or later, why this grid). Would your strategy
# still find a good plan if the input image were held whole in SRAM instead of streamed patch by
# patch from the camera? What would you measure first?

# %% [markdown] nbgrader={"grade": true, "grade_id": "written-plan", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# The earliest split whose rest (run in place) fits is the candidate: an earlier split leaves a
# later layer over budget whatever the grid; a later split recomputes a deeper stage with wider
# halos. The coarsest grid that fits at that split has the fewest halo rows. Holding the whole
# input image adds a constant (3·H·W bytes) to every stage op's SRAM: the feasible splits and grids
# shift to finer grids; I would first measure the stage peak at the earliest candidate split
# with the image counted, then the next split.
