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
# # 10 · Does it fit? Peak SRAM and Flash of a network on a microcontroller
#
# A microcontroller has two memories that matter for a neural network:
#
# - **SRAM** (here 256–512 KiB): the *activations*, the tensors a layer reads and writes while the
#   network runs, plus temporary buffers. What counts is the **peak**: the most bytes alive at once.
# - **Flash** (here 1–2 MiB): the *weights and biases*, read-only, plus the code.
#
# In this notebook we compute both for the networks of the MCUNet papers, reproduce the published
# figures live from the `tinyml_course` package, check the analytic number against a run inside a
# simulated SRAM, watch in-place depthwise convolution save memory, and end with a dashboard.

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: in the slideshow, step through with Shift+Enter (it runs each cell). Start from
# 15's Flash/SRAM table. The dashboard opens on MobileNetV2-224, per layer, the mcunet rule:
# 1470 KiB at block1.dw. Click in-place: 1372 KiB, MCUNet-v1's in-place depthwise saving
# (takeaway question 6). Then the convention buttons: under tinyengine every depthwise is already
# in place, so the schedule buttons change nothing (the summary says so); exact counts everything
# the arena measures.

# %% slideshow={"slide_type": "skip"}
# imports and the one seed of this notebook
# %matplotlib inline
import textwrap

import numpy as np

from tinyml_course import get_network
from tinyml_course.memory.arena import Arena
from tinyml_course.model.devices import DEVICES
from tinyml_course.runtime.executor import execute
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.inplace import depthwise_conv2d_inplace
from tinyml_course.runtime.kernels import depthwise_conv2d
from tinyml_course.memory.conventions import CONVENTIONS
from tinyml_course.memory.accounting import profile
from tinyml_course.ui.plots.comparison import schedule_comparison_figure
from tinyml_course.ui.plots.memory import sram_figure
from tinyml_course.model.units import KIB
from tinyml_course.ui.widgets.memory import sram_dashboard

rng = np.random.default_rng(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Bytes and KiB
#
# Memory is counted in **bytes**, never in elements: the dtype decides. An int8 activation takes
# 1 byte, a float32 one 4 bytes. A tensor of shape (C, H, W) = (16, 112, 112) in int8 is
# 16 · 112 · 112 = 200,704 bytes. Like the papers, we write **1 KiB = 1024 bytes** (the papers say
# "kB" and mean the same thing) and 1 MiB = 1024 KiB.
#
# The devices of the lecture:

# %% slideshow={"slide_type": "-"}
# the device catalogue: SRAM and Flash in KiB
print(f"{'device':<28}{'core':<12}{'MHz':>5}{'SRAM KiB':>10}{'Flash KiB':>11}")
for d in DEVICES.values():
    print(f"{d.name:<28}{d.core:<12}{d.clock_mhz:>5}{d.sram_bytes / KIB:>10.0f}"
          f"{d.flash_bytes / KIB:>11.0f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Three ways to count the same network
#
# A network runs op after op (the **per-layer** schedule). While an op runs, SRAM holds at least
# its input and its output. But *which other tensors* you count is a choice, and the published
# numbers make different choices. The package names each rule (a **convention**):
#
# | convention | counts, for each op | reproduces |
# |---|---|---|
# | `mcunet` | input + output of each conv/linear; a block's input added while its depthwise runs (if the block has a shortcut); adds and pooling not counted | the mcunet repository's `count_peak_activation_size` |
# | `tinyengine` | the `mcunet` rule with every depthwise **in place** (costs max(input, output)) | TinyEngine's measured STM32F746 figures |
# | `exact` | every tensor alive: inputs still to be read, residuals until their add, the output, temporary buffers | what our SRAM arena measures |
#
# And the **in-place** schedule lets a depthwise conv write its output over its input, channel by
# channel, through one temporary channel buffer (MCUNet-v1).

# %% slideshow={"slide_type": "-"}
# the conventions, as the package defines them
for convention in CONVENTIONS.values():
    print(textwrap.fill(f"{convention.name:<11} {convention.summary}", 100,
                        subsequent_indent=" " * 12))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each convention's rule is one method, `Convention.held`: given what an op sees while it runs
# (which tensors are still alive, the sizes of its input and output), it returns the tensors the
# op holds, keyed `layer/tensor`. Every profile, patch schedule and search counts through it.
# Below: what MobileNetV2's first depthwise (`block1.dw`) holds under each convention, in bytes.

# %% slideshow={"slide_type": "-"}
# the one rule at work: the tensors block1.dw holds under each convention (int8 bytes)
mbv2 = get_network("mobilenetv2")
for name in CONVENTIONS:
    held = next(layer for layer in profile(mbv2, "per-layer", name).layers if layer.name == "block1.dw")
    print(f"{name:<11} {held.sram_bytes:>9,} B  {held.breakdown}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The published figures, computed live
#
# Every number below comes from `tinyml_course.memory.profile` at int8 (1 byte per activation).
# The cell checks each against the paper and stops if one differs.
# (Blocks are numbered from 0 here: the paper's "block 2" is our `block1`.)

# %% slideshow={"slide_type": "-"}
# reproduce the published peak SRAM figures (KiB, int8)
published = [  # (model, schedule, convention, published peak KiB, where it is published)
    ("mobilenetv2", "per-layer", "mcunet", 1470, "MCUNetV2 Tab. 1, depthwise not in place"),
    ("mobilenetv2", "in-place", "mcunet", 1372, "MCUNetV2 Tab. 1, depthwise in place"),
    ("mcunet-in2", "per-layer", "mcunet", 325, "mcunet repo, theoretical peak"),
    ("mcunet-in2", "in-place", "tinyengine", 200, "TinyEngine, STM32F746"),
    ("mcunet-in4", "in-place", "tinyengine", 400, "TinyEngine, STM32F746"),
]

# %% slideshow={"slide_type": "subslide"}
# each published peak, recomputed: the cell stops if one differs
print(f"{'model':<13}{'schedule':<11}{'convention':<12}{'paper':>7}{'ours':>8}{'exact':>8}"
      f"  {'peak op':<15}")
for model, schedule, convention, paper_kib, source in published:
    net = get_network(model)
    prof = profile(net, schedule, convention, "int8")
    exact = profile(net, schedule, "exact", "int8")
    ours_kib = prof.peak_sram_bytes / KIB
    print(f"{model:<13}{schedule:<11}{convention:<12}{paper_kib:>7}{ours_kib:>8.1f}"
          f"{exact.peak_sram_bytes / KIB:>8.1f}  {prof.peak_layer.name:<15}")
    assert ours_kib == paper_kib, f"{model}: got {ours_kib} KiB, the paper says {paper_kib} KiB"
print(textwrap.fill("sources: " + "; ".join(f"{m} {s}: {src}" for m, s, _, _, src in published),
                    100, subsequent_indent="  "))

# %% [markdown] slideshow={"slide_type": "subslide"}
# MobileNetV2's peak is early: at 112x112 the first blocks hold 16 + 96 channels, that is
# 112 · 112 · (16 + 96) = 1,404,928 bytes = 1372 KiB, four times the F746's SRAM.
# The `exact` column is the live set under the same schedule (TinyEngine always runs depthwise in
# place). At the peak op the rules agree here; elsewhere they differ, on what the `mcunet` rule
# leaves out (residual adds, a block input kept alive through the 1x1 convs): see section 4.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Where the peak is
#
# One bar per op: the SRAM it needs while it runs. The dashed line is the device's SRAM; bars
# above it have a red edge. Flash (the weights) is on the right against the device's Flash.

# %% slideshow={"slide_type": "-"}
# per-op SRAM of MobileNetV2-224, in place, against the STM32F746
mbv2 = get_network("mobilenetv2", 224)
sram_figure(profile(mbv2, "in-place", "tinyengine", "int8"), "stm32f746")

# %% slideshow={"slide_type": "subslide"}
# the same network under each schedule and convention, one panel each
schedule_comparison_figure(mbv2, device="stm32f746")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Analytic vs measured
#
# The package's executor runs a network on real numpy tensors inside an **arena**: one fixed
# byte buffer, the simulated SRAM, from which every activation is allocated; it records the
# high-water mark. Under the `exact` convention the analytic peak and the measured one must agree
# to the byte. We use mcunet-in2 at 64x64 in float32 (4 bytes per activation), random weights.

# %% slideshow={"slide_type": "-"}
# run mcunet-in2 at 64x64 inside the SRAM arena and compare with the analytic count
small = get_network("mcunet-in2", 64)
weights = random_weights(small, rng)
x = rng.standard_normal(small.input_shape).astype(np.float32)  # (C, H, W)
for schedule in ("per-layer", "in-place"):
    run = execute(small, x, weights, schedule)
    analytic = profile(small, schedule, "exact", "float32")
    per_op_match = [b for _, b in run.trace] == [layer.sram_bytes for layer in analytic.layers]
    print(f"{schedule:<10} measured {run.peak_sram_bytes:>9,} bytes, analytic (exact) "
          f"{analytic.peak_sram_bytes:>9,} bytes; every op matches: {per_op_match}")
    assert run.peak_sram_bytes == analytic.peak_sram_bytes and per_op_match

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. In-place depthwise convolution, at work
#
# A depthwise conv computes output channel c from input channel c alone. So compute channel c
# into one temporary (H, W) buffer, copy it over input channel c (no longer needed), and go on.
# Peak: (C + 1)·H·W elements instead of 2·C·H·W. (Writing this kernel is homework, so its
# source is not shown here: below it is measured.)

# %% slideshow={"slide_type": "-"}
# one depthwise layer, stride 1, padding 1, measured in the arena: standard vs in place
c, h, w, k = 32, 40, 40, 3
nbytes = 4  # float32 bytes per element
x = rng.standard_normal((c, h, w)).astype(np.float32)  # (C, H, W)
weight = rng.standard_normal((c, k, k)).astype(np.float32)  # (C, k, k)
bias = rng.standard_normal(c).astype(np.float32)  # (C,)

arena = Arena(1 << 20)  # 1 MiB of simulated SRAM
xin = arena.alloc("x", (c, h, w), np.float32)
xin.array[...] = x
out = arena.alloc("y", (c, h, w), np.float32)
depthwise_conv2d(xin.array, weight, bias, stride=1, padding=1, out=out.array)
standard = out.array.copy()
print(f"standard: measured {arena.peak_bytes:,} bytes = 2*C*H*W*4 = {2 * c * h * w * nbytes:,}")

# %% slideshow={"slide_type": "subslide"}
# the same layer in place: one (H, W) channel buffer instead of a second (C, H, W) tensor
arena = Arena(1 << 20)
buf = arena.alloc("x", (c, h, w), np.float32)
buf.array[...] = x
buf = depthwise_conv2d_inplace(arena, buf, weight, bias, stride=1, padding=1)
print(f"in place: measured {arena.peak_bytes:,} bytes = (C+1)*H*W*4 = {(c + 1) * h * w * nbytes:,}")
print("same output:", np.allclose(buf.array, standard, atol=1e-5))
assert arena.peak_bytes == (c + 1) * h * w * nbytes

# %% [markdown] slideshow={"slide_type": "-"}
# At stride 2 the output channel is smaller (Ho·Wo ≤ H·W), so it still fits over the consumed
# input; the peak is C·H·W + Ho·Wo elements and the buffer's tail is released afterwards.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The dashboard
#
# Choose a model, resolution, width (MobileNetV2 only), schedule, convention, dtype and device.
# It opens on MobileNetV2-224, per layer, the `mcunet` rule: click **in-place** for MCUNet-v1's
# saving (1470 -> 1372 KiB).
#
# Try: at width 0.35, how low must MobileNetV2's resolution go to fit the F746 in place? (At
# width 1 it never fits: its weights alone, 3.4 MiB, exceed the 1 MiB of Flash, at any
# resolution.) What does float32 do?

# %% slideshow={"slide_type": "subslide"}
# the dashboard: move a control, the figure follows
sram_dashboard()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Peak SRAM is set by the largest *live set* of activations, usually early, at high resolution.
# - Published peaks follow stated rules (`mcunet`, `tinyengine`); the executed, exact number counts
#   everything alive and is what an arena measures.
# - In-place depthwise turns 2·C·H·W into (C + 1)·H·W; Flash is the weights, and is a separate limit.
