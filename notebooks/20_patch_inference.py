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

# %% [markdown] slideshow={"slide_type": "slide"}
# # 20 · Patch-based inference, network redistribution and the memory-constrained search
#
# The second half of the lecture (MCUNetV2). Per-layer inference holds a whole feature map in SRAM:
# the peak is about `2 W H C` bytes at the early, high-resolution layers. Patch-based inference runs
# those layers on one spatial patch at a time, so only a patch's window is live: about `2 w h C`,
# with `w h << W H`. The price: neighbouring patches overlap (each needs a halo), so some pixels are
# computed more than once.
#
# Every number here comes from `tinyml_course` (int8 activations, 1 KiB = 1024 bytes, what the papers write as kB).

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: MCUNetV2 (takeaway question 7): only the small patches are in SRAM; the
# overlap between patches is the cost, not the saving. In the dashboard (last slide), move n x n
# from 1 up and watch the peak fall while the repeated MACs grow (both in the readout under the
# figures). From 4 on the peak stays at 171.5 KiB: it is after the patch stage now
# (block4.expand), so more patches only add MACs (the readout says so). At 1x1 the patch peak (1396.5 KiB) is above per layer (1372 KiB): the one patch is the
# whole map, and the assembled stage output (28x28x32 = 24.5 KiB) is held too; the readout says
# so. Then show redistribution bringing the MACs back.

# %% slideshow={"slide_type": "skip"}
# imports and seeds
# %matplotlib inline
import textwrap

import numpy as np

from tinyml_course import get_network
from tinyml_course.runtime.executor import execute
from tinyml_course.runtime.backend import random_weights
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.patch_plan import patch_plan
from tinyml_course.memory.patch_accounting import mac_overhead
from tinyml_course.ui.plots.patch import memory_figure, overhead_figure, redistribution_figure, search_figure, windows_figure
from tinyml_course.nas.redistribution import compare
from tinyml_course.nas.search import search
from tinyml_course.ui.widgets.patch import patch_dashboard
from tinyml_course.model.units import KIB
from tinyml_course.model.zoo import get_spec

SEED = 0  # weights, input image and search sampler

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The problem: per-layer peak memory
#
# MobileNetV2-224 with the depthwise convolutions in place still needs 1372 KiB at block 2's (our `block1`)
# expansion, far above a 320 KiB STM32F746.

# %% slideshow={"slide_type": "-"}
# per-layer peak of mobilenetv2 (mcunet convention, depthwise in place)
net = get_network("mobilenetv2")
per_layer = profile(net, "in-place", "mcunet")
print(f"per-layer peak (depthwise in place): {per_layer.peak_sram_bytes / KIB:.1f} KiB at {per_layer.peak_layer.name}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Patch windows: receptive fields derived backwards
#
# We split the stage from the stem to `block3` (the 28x28x32 stage output, MCUNetV2's "first four
# blocks"; our block names count from 0) into a 4x4 grid. Each patch writes a 7x7 tile of the stage
# output. Walking backwards, a k x k convolution with stride s needs input rows
# `[a*s - p, (b-1)*s - p + k)` for output rows `[a, b)`: the window grows to 75x75 at the input.
# Border windows are clipped (the red dashed part is zero padding, never stored).

# %% slideshow={"slide_type": "-"}
# patch windows: 4x4 patches up to block3
plan = patch_plan(net, "block3", 4)
for tensor in ("input", "stem", "block1.expand", "block3.project"):
    w = plan.window(1, 1, tensor)
    print(f"patch (1, 1) {tensor:>15}: rows {w.r0}..{w.r1}, cols {w.c0}..{w.c1} ({w.h}x{w.w})")

# %% slideshow={"slide_type": "subslide"}
# the windows of the 4x4 grid on the input, patch (0, 1) in red
windows_figure(net, "block3", 4, focus=(0, 1))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Per-op memory before and after
#
# While the patch stage runs, SRAM holds the current patch's windows plus the assembled 28x28x32
# stage output. The peak moves to the first per-layer block after the split: 171.5 KiB, the paper's
# "172 kB" (the camera streams the input image, so it is not counted).

# %% slideshow={"slide_type": "-"}
# per-op memory before and after
patched = profile(net, "patch", "mcunet", patches=4, split="block3")
print(f"patch-based peak: {patched.peak_sram_bytes / KIB:.1f} KiB at {patched.peak_layer.name}")
print(f"input window {list(patched.patch.input_window)}, "
      f"output tile {list(patched.patch.output_tile)}")

# %% slideshow={"slide_type": "subslide"}
# per-op SRAM, per layer vs 4x4 patches, against the stm32f746
memory_figure(net, "block3", 4, device="stm32f746")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## It really runs: patch by patch inside the SRAM arena
#
# The executor allocates every window in a simulated SRAM and measures the high-water mark. The output
# equals per-layer inference, and the measured peak equals the analytic one (`exact` convention).

# %% slideshow={"slide_type": "-"}
# patch execution inside the arena equals per-layer execution
small = get_network("mcunet-in1")
weights = random_weights(small, SEED)
x = np.random.default_rng(SEED).standard_normal(small.input_shape).astype(np.float32)
ref = execute(small, x, weights, "per-layer")
run = execute(small, x, weights, "patch", patches=3, split="block4")
analytic = profile(small, "patch", "exact", "float32", patches=3, split="block4")
print(f"max |patch - per-layer| = {np.abs(run.output - ref.output).max():.2e}")
print(f"measured peak {run.peak_sram_bytes:,} bytes, analytic {analytic.peak_sram_bytes:,} bytes, "
      f"equal: {run.peak_sram_bytes == analytic.peak_sram_bytes}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The price: overlapping windows
#
# Computing every patch's full window (naive), the stage costs 129.5M MACs instead of 91.3M (+42%);
# clipping the windows at the border saves part of it. More patches: less memory, more overlap.

# %% slideshow={"slide_type": "-"}
# overhead vs number of patches
cost = mac_overhead(net, "block3", 4)
print(f"patch stage: {cost.stage_macs / 1e6:.1f}M MACs once, {cost.stage_macs_naive / 1e6:.1f}M "
      f"naive (+{cost.stage_overhead_naive:.0%}), {cost.stage_macs_clipped / 1e6:.1f}M clipped "
      f"(+{cost.stage_overhead:.0%})")
print(f"whole network: +{cost.network_overhead:.1%} clipped, "
      f"+{cost.network_overhead_naive:.1%} naive")

# %% slideshow={"slide_type": "subslide"}
# overhead and peak against the grid n
overhead_figure(net, "block3", grids=range(1, 9))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Network redistribution
#
# Shrink the receptive field of the patch stage (kernels capped at 3x3, one block fewer before the
# split) and move the capacity after the split (two more 28x28 blocks), where it runs per layer
# without overlap: the whole-network overhead (clipped windows) falls from 9.3% to 3.5%.

# %% slideshow={"slide_type": "-"}
# network redistribution
before, after = compare(get_spec("mobilenetv2"), 3)
print(f"{'':>13}  {'MACs':>7} {'overhead':>8} {'naive':>7} {'peak':>10} {'stage peak':>11} "
      f"{'receptive field':>15}")
for label, c in (("original", before), ("redistributed", after)):
    print(f"{label:>13}  {c.macs / 1e6:6.1f}M {c.network_overhead:>+8.1%} "
          f"{c.network_overhead_naive:>+7.1%} {c.peak_sram_bytes / KIB:>6.1f} KiB "
          f"{c.stage_peak_bytes / KIB:>7.1f} KiB {c.input_window[0]:>15}")

# %% slideshow={"slide_type": "subslide"}
# the two networks' MACs and overhead side by side
redistribution_figure([before, after])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Co-design: search architectures x schedules
#
# For each sampled architecture, the cheapest schedule that fits the device (per-layer, then in-place,
# then patch grids from the least overlap up); among those that fit, the one with the most MACs.

# %% slideshow={"slide_type": "-"}
# memory-constrained search on the stm32f746
result = search("stm32f746", candidates=600, seed=SEED)
print(textwrap.fill(result.summary(), 100))

# %% slideshow={"slide_type": "subslide"}
# every sampled architecture: its MACs against its peak SRAM, by the schedule that fits
search_figure(result)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The patch dashboard
#
# Pick a model, the block where the patch stage ends, the grid n x n and the highlighted patch.
# Move n from 1 to 8: the readout under the figures gives the peak and the MACs.

# %% slideshow={"slide_type": "subslide"}
# the patch dashboard: model, split, grid and the highlighted patch
patch_dashboard()
