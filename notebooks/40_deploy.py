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
# # 40 · Deployment: from the trained digits model to an emulated Cortex-M
#
# TinyEngine generates C for a given network and schedule. Here the package does the same, and
# then does what a board would: it **cross-compiles** the C for a Cortex-M7 (clang and lld from the
# `ziglang` wheel), **links** it against the STM32F746's memory map (1 MiB Flash, 320 KiB SRAM),
# and **runs** it in an emulator (`unicorn`, QEMU's ARM core). No board, nothing downloaded.
#
# What is **measured**: Flash and SRAM from the linker (`.text`, `.rodata`, `.data`, `.bss`), the
# stack's high-water mark (the stack is painted before the run and read back after it), the
# executed instructions per layer, and the output, byte for byte. What is **estimated**: cycles
# and milliseconds, from a per-instruction-class cost table (`deploy/cost.py`). An emulator counts
# instructions exactly but knows nothing of pipelines, caches and Flash wait states.

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: Run All before class (the deployments take a few seconds each). The point to
# make: what the linker and the emulator report is measured (Flash, SRAM, stack, instructions,
# bit-exact output); cycles and milliseconds are an estimate from a cost table, not a board.

# %% slideshow={"slide_type": "skip"}
# imports and inline figures
# %matplotlib inline
import textwrap

from IPython.display import display

from tinyml_course import memory
from tinyml_course.compression.prune import channel_prune
from tinyml_course.deploy.deploy import deploy, int8_model
from tinyml_course.deploy.toolchain import DoesNotFitError
from tinyml_course.model.devices import get_device
from tinyml_course.model.zoo import get_network
from tinyml_course.runtime.backend import random_weights
from tinyml_course.ui.plots.deploy import instruction_bars, memory_map

F746 = get_device("stm32f746")  # the MCUNet / TinyEngine reference board
SEED = 0  # generated weights of the zoo networks below

# %% slideshow={"slide_type": "-"}
# deploy the trained digits model (int8) to the emulated STM32F746
model, image = int8_model("digits")
run = deploy(model, image, F746, schedule="per-layer", kernels="reference")
print("\n".join(textwrap.fill(line, 100) for line in run.lines()[:5]))
print(f"arena in the ELF = planner's exact peak: equal: {run.arena_bytes == run.planned_arena_bytes}")
print("predicted digit:", run.output.reshape(-1).argmax())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## "The speedup comes from the optimization of operator kernels"
#
# Same network, same schedule, same arena; only the kernels change. The `tinyengine` set (the
# default) does what TinyEngine's code generator does: the 1x1 convolution runs a 2 output-channel
# x 2 pixel micro-kernel on int16 operands, 8 `SMLAD` dual multiply-accumulates (the Cortex-M DSP
# extension) per 16 MACs; the depthwise streams each channel's rows into a buffer padded with the
# zero point (no bounds check on any tap); the stem is im2col into the same micro-kernel; every
# op's kernel is instantiated with its constants as literals, and the requantization is fused
# (one `SMMLAR` and a shift). Adds, pooling and copies are the same code in every set. Outputs
# stay bit-exact.

# %% slideshow={"slide_type": "subslide"}
# reference vs tinyengine kernels: instructions per layer
fast = deploy(model, image, F746, schedule="per-layer", kernels="tinyengine")
print(f"bit-exact: reference {run.bit_exact}, tinyengine {fast.bit_exact}")
print(f"{'layer':<16}{'reference':>12}{'tinyengine':>12}{'ratio':>8}")
for a, b in zip(run.layers, fast.layers):
    print(f"{a['name']:<16}{a['instructions']:>12,}{b['instructions']:>12,}"
          f"{a['instructions'] / max(b['instructions'], 1):>8.2f}")
print(f"whole model: {run.instructions / fast.instructions:.2f}x fewer instructions, "
      f"{run.estimated_ms:.1f} -> {fast.estimated_ms:.1f} ms (estimate at {F746.clock_mhz} MHz)")

# %% slideshow={"slide_type": "subslide"}
# instructions per layer, reference vs tinyengine
display(instruction_bars({"reference": run.layers[1:], "tinyengine": fast.layers[1:]}))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three tiers beside TinyEngine's README
#
# TinyEngine's README measures mcunet-in1 on the STM32H743 under TF-Lite Micro's reference
# kernels, TFLM + CMSIS-NN and TinyEngine. Our three tiers are the same steps: `reference` (plain
# loops), `cmsis` (the tinyengine bodies compiled once as generic functions that read every
# constant at run time, in CMSIS-NN's manner) and `tinyengine` (the same bodies specialised per op
# by the code generator). `scripts/validate_estimate.py` deployed mcunet-in1 at 96x96 with each
# (in place, instructions counted) and kept the figures in a record, read here.

# %% slideshow={"slide_type": "subslide"}
# the three tiers on mcunet-in1 (96x96, STM32H743) beside TinyEngine's measured milliseconds
from tinyml_course.deploy import validation

tiers = {t["kernels"]: t for t in validation.load_record()["tiers"]}
te = tiers["tinyengine"]
in1_macs = get_network("mcunet-in1").macs
print(f"{'tier':<12}{'instructions':>13}{'per MAC':>9}{'ratio':>7}{'est. ms':>9}   "
      f"{'TinyEngine README':<18}{'measured ms':>12}{'ratio':>7}")
for name, t in tiers.items():
    print(f"{name:<12}{t['instructions'] / 1e6:>12.1f}M{t['instructions'] / in1_macs:>9.2f}"
          f"{t['instructions'] / te['instructions']:>6.2f}x{t['estimated_ms']:>9.1f}   "
          f"{t['anchor']:<18}{t['measured_ms']:>12g}{t['measured_ms'] / te['measured_ms']:>6.2f}x")
ref = tiers["reference"]
print(textwrap.fill(
    f"our reference tier executes {ref['instructions'] / in1_macs:.1f} instructions per MAC; "
    f"TFLM's reference kernels take {ref['measured_ms'] * 480e3 / in1_macs:.0f} cycles per MAC "
    f"(1227 ms at 480 MHz): they compute a 4-D offset per tap and a 64-bit requantization per "
    f"output, ours are plain loops compiled by clang -O2 that skip padding taps", 100))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One network, three schedules, one device
#
# Per-layer holds each op's input and output; in-place lets a depthwise overwrite its input through
# one channel buffer; patch-based runs the first blocks one spatial patch at a time. The arena in
# the ELF is the package's analytic peak for each schedule; the price of patches is recomputed
# overlap, which shows up as executed instructions.

# %% slideshow={"slide_type": "-"}
# per-layer vs in-place vs patch-based: SRAM from the linker, latency from the run
schedules = [("per-layer", {}), ("in-place", {}), ("patch", {"split": "block2", "patches": 2})]
print(f"{'schedule':<24}{'arena B':>9}{'planned B':>10}{'SRAM B':>9}{'instructions':>14}{'est. ms':>9}")
for kind, options in schedules:
    r = deploy(model, image, F746, kind, **options)  # the default kernels: tinyengine
    print(f"{r.schedule:<24}{r.arena_bytes:>9,}{r.planned_arena_bytes:>10,}{r.sram_bytes:>9,}"
          f"{r.instructions:>14,}{r.estimated_ms:>9.2f}  bit-exact: {r.bit_exact}")

# %% [markdown] slideshow={"slide_type": "slide"}
# The digits model's peak is not at a depthwise layer, so in place changes nothing there.
# MCUNet-in2 (generated weights, 64x64) shows all three steps; its runs skip instruction counting
# (about ten times faster), so only the linker's figures are printed.

# %% slideshow={"slide_type": "-"}
# the same three schedules on mcunet-in2 at 64x64: SRAM from the linker
in2 = get_network("mcunet-in2", 64)
in2_model, in2_image = int8_model(in2, SEED)
print(f"{'schedule':<24}{'arena B':>9}{'planned B':>10}{'SRAM B':>9}")
for kind, options in schedules:
    r = deploy(in2_model, in2_image, F746, kind, count=False, **options)
    print(f"{r.schedule:<24}{r.arena_bytes:>9,}{r.planned_arena_bytes:>10,}{r.sram_bytes:>9,}"
          f"  bit-exact: {r.bit_exact}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The memory map of a deployed MCUNet
#
# The digits model is tiny next to the board. MCUNet-in1 (generated weights, 96x96 input) fills
# a good part of it: the weights sit in Flash (`.rodata`), the activations in one static arena.

# %% slideshow={"slide_type": "-"}
# memory map of mcunet-in1 at 96x96, in place, on the STM32F746
in1 = get_network("mcunet-in1", 96)
in1_model, in1_image = int8_model(in1, SEED)
mcu = deploy(in1_model, in1_image, F746, "in-place", count=False)
print("\n".join(mcu.lines()[1:4]), f"\nbit-exact: {mcu.bit_exact}")
display(memory_map(mcu.sections, mcu.arena_bytes, mcu.stack_bytes, F746.flash_bytes,
                   F746.sram_bytes, title="mcunet-in1 (96x96) on the STM32F746"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A model that does not fit fails at link time
#
# As on a real toolchain, the linker refuses an image larger than the device: "region FLASH
# overflowed by N bytes". MCUNet-in4's weights need about 1.8 MiB; removing 65% of the expanded
# channels of every block (channel pruning) brings it under the STM32F746's 1 MiB. (The tinyengine
# kernels add to the weights: depthwise weights stored as int16 and one specialised function per
# op, about a fifth on top here.)

# %% slideshow={"slide_type": "-"}
# fails to link before compression, links after channel pruning
in4 = get_network("mcunet-in4", 32)
in4_weights = random_weights(in4, SEED)
try:
    deploy(*int8_model(in4, SEED, in4_weights), F746, "in-place", count=False)
except DoesNotFitError as err:
    print(textwrap.fill(f"before: {err}", 90))
pruned, pruned_weights = channel_prune(in4, in4_weights, 0.65)
after = deploy(*int8_model(pruned, SEED, pruned_weights), F746, "in-place", count=False)
print(textwrap.fill(f"after 65% channel pruning: Flash {after.flash_bytes:,} bytes (linker), "
                    f"analytic {memory.profile(pruned).flash_bytes:,} bytes of weights and biases; "
                    f"bit-exact: {after.bit_exact}", 90))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Generated C + a real linker turn the package's figures into a memory map: the arena in the
#   ELF equals the analytic peak of the schedule, to the byte.
# - Kernel specialisation cuts executed instructions without changing a single output bit.
# - Cycles and milliseconds here are an **estimate** (a cost table, not a board); TinyEngine's
#   published latencies are measured on the board itself, so compare trends, not numbers.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Beside the published results: MLPerf Tiny
#
# MLPerf Tiny's reference models (`mlperf-kws`: the DS-CNN on 49x10 MFCCs, its first kernel 10x4;
# `mlperf-vww`: MobileNetV1 0.25 at 96x96; `mlperf-ic`: ResNet-8; `mlperf-ad`: the FC
# autoencoder), layer for layer as MLCommons' int8 files, deployed to the
# board of the published results, the NUCLEO-L4R5ZI (Cortex-M4, 120 MHz), under every schedule.
# Published: X-CUBE-AI 9.0's reported activation RAM and latency (mlcommons/tiny_results_v1.2)
# and TFLM + CMSIS-NN's latency (tiny_results_v0.5), as listed in
# `../shared/reference/deployment-anchors.md`. Our arenas hold the int8 tensors alone; our
# milliseconds are an **estimate**, theirs are measured. `docs/deploy.md` has the full table
# (both boards, TFLite Micro's arena) with a sentence on every row.

# %% slideshow={"slide_type": "slide"}
# the MLPerf Tiny models on the NUCLEO-L4R5ZI: every schedule deployed, the in-place run counted
# (by scripts/mlperf_report.py, whose record docs/deploy.md's table is written from: read here)
from tinyml_course.deploy import mlperf_report
from tinyml_course.memory.schedule import SCHEDULE_KINDS
from tinyml_course.ui.plots.mlperf import mlperf_figure

mlperf = [r for r in mlperf_report.load_record() if r.device == "nucleo-l4r5zi"]
print(f"{'model':<12}{'per-layer B':>12}{'in place B':>11}{'patch B':>9}{'bit-exact':>10}"
      f"{'in place ms':>12}")
for r in mlperf:
    arenas = [f"{run.arena_bytes:,}" if run else "-" for run in map(r.run, SCHEDULE_KINDS)]
    print(f"{r.model:<12}{arenas[0]:>12}{arenas[1]:>11}{arenas[2]:>9}"
          f"{str(all(run.bit_exact for run in r.runs)):>10}{r.estimated_ms:>12,.1f} (ESTIMATE)")

# %% slideshow={"slide_type": "subslide"}
# their arenas and latencies beside X-CUBE-AI's and TFLM + CMSIS-NN's published figures
display(mlperf_figure(mlperf))

# %% [markdown] slideshow={"slide_type": "slide"}
# Per-layer and in place, our arenas are below X-CUBE-AI's reported activation RAM for all four
# (the DS-CNN's 16,000 B against 22,272 B; its figure is not broken down, so the difference is
# not attributed). The patch schedule cuts VWW's arena to a third (55,296 to 18,432 B) and
# ResNet-8's by 44% (49,152 to 27,424 B), at the price of recomputed MACs. No patch plan within
# 1.25x the MACs lowers the DS-CNN's: a stage that stops before its last block leaves the later
# 1x1 convs' 16,000 B, and one through all four blocks executes 4.2x the MACs or more. The
# latency bars put our estimate (the tinyengine kernels, in place) beside the measured ones;
# `docs/deploy.md` says for every row by how much they differ and why (cycles per MAC of
# X-CUBE-AI's measured time against our instructions per MAC).
