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
# # 50 · MCUNet's results: accuracy, memory, latency
#
# MCUNet co-designs the network (TinyNAS) and the inference library (TinyEngine):
#
# - (a) search a network for an existing library (ProxylessNAS, MnasNet);
# - (b) tune a library for a given network (TVM);
# - (c) **MCUNet**: search both together, keeping only what fits the memory:
#
# ```
# for arch in arch_space:                        # TinyNAS: sample a network
#     for schedule in schedule_space:            # TinyEngine: find a good schedule
#         if can_fit_memory(arch, schedule):     # check the memory constraints
#             acc = get_valid_acc(arch)          # evaluate, keep the best
#             best_acc = max(best_acc, acc)
#             break
# ```
#
# What did it buy? The published points below come from the MCUNet and TinyEngine repositories'
# tables (`tinyml_course.model.published_results` cites them); where this package computes the
# same quantity, it is shown beside the published value.

# %% slideshow={"slide_type": "skip"}
# imports
# %matplotlib inline
import textwrap


from tinyml_course import get_network, memory
from tinyml_course.model.published_results import (LIBRARY_NAMES, MCUNET_README, PATCH_FIGURE,
                                                    TINYENGINE_ALIAS, TINYENGINE_README,
                                                    WAKE_WORDS_CLAIMS, ZOO_ALIAS, library_result,
                                                    mcunetv2_gain, patch_results, speedup_range,
                                                    zoo_results, zoo_row_with_top1)
from tinyml_course.model.units import KIB
from tinyml_course.ui.plots.results import (LIBRARY_FIGURE_NETS, accuracy_vs_latency_figure,
                                            accuracy_vs_memory_figure, library_figure,
                                            patch_gain_figure)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Outperforming manual and NAS models: accuracy vs peak memory
#
# ImageNet top-1 (int8) of the MCUNet models and of the MobileNetV2 and ProxylessNAS baselines
# scaled to the same MCU, against the peak SRAM TinyEngine measured. The black ticks are the
# activation peak this package computes for the same networks (TinyEngine's rule: depthwise in
# place): a little below the measured value, which also holds TinyEngine's im2col and kernel
# buffers.

# %% slideshow={"slide_type": "-"}
# accuracy vs peak memory, published and computed
print(f"{'model':>16} {'top-1':>6} {'measured SRAM':>14} {'computed here':>14}")
for r in zoo_results("imagenet"):
    measured = library_result(TINYENGINE_ALIAS[r.net_id], "TinyEngine").sram_bytes
    mine = ""
    if r.net_id in ZOO_ALIAS:
        prof = memory.profile(get_network(ZOO_ALIAS[r.net_id]), "in-place", "tinyengine")
        mine = f"{prof.peak_sram_bytes / KIB:.1f} KiB"
    print(f"{r.net_id:>16} {r.top1_int8:5.1f}% {measured / KIB:10.0f} KiB {mine:>14}")
print(textwrap.fill(f"sources: {MCUNET_README}; {TINYENGINE_README}", 100))

# %% slideshow={"slide_type": "subslide"}
# top-1 against the measured peak SRAM, the computed peak as black ticks
accuracy_vs_memory_figure()

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: at about the memory of MobileNetV2-0.35 (mbv2-320kB), mcunet-320kB is 12.8
# points more accurate; at a third of its memory, mcunet-5fps matches it. The mcunet README's own
# "SRAM" column for these models is larger (e.g. 307 kB for mcunet-5fps); we plot the TinyEngine
# README's measurements, which agree with our computed activation peaks.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Visual wake words (is there a person in the image?), the other vision task of the papers: the
# MCUNet models reach 87.3-91.8% under a few hundred KiB (the repository's table; its "SRAM"
# column, like the ImageNet one, is larger than the TinyEngine README's measurements).

# %% slideshow={"slide_type": "-"}
# the visual wake words models of the mcunet model list
for r in zoo_results("vww"):
    print(f"{r.net_id:>17}: top-1 {r.top1_int8:.1f}%, {r.macs / 1e6:4.1f}M MACs, "
          f"{r.params / 1e6:.2f}M params, SRAM {r.sram_bytes / KIB:.0f} KiB, "
          f"Flash {r.flash_bytes / KIB:.0f} KiB")
print(f"source: {MCUNET_README}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Audio wake words (speech commands)**: the lecture's slide plots MCUNet against MobileNetV2 and
# ProxylessNAS on Google Speech Commands, accuracy against measured latency and against peak
# memory. Those per-model points exist only as a plot in the MCUNet paper (Figure 7); the models
# were never published ("VWW & Speech Command models: will be released soon" in the first MCUNet
# repository, mit-han-lab/tinyml), so the suite stores no per-model speech row. The paper's abstract states the result
# for both wake-words tasks:

# %% slideshow={"slide_type": "-"}
# the wake-words claim of the MCUNet paper (visual and audio wake words together)
for claim in WAKE_WORDS_CLAIMS:
    print(f"{claim.task}: MCUNet {claim.low}-{claim.high}x {claim.what}")
print(f"source: {WAKE_WORDS_CLAIMS[0].source}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Accuracy vs latency
#
# The same models, against the latency TinyEngine measured on an STM32H743 (480 MHz).

# %% slideshow={"slide_type": "-"}
# accuracy vs measured latency
accuracy_vs_latency_figure()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## TinyEngine against TF-Lite Micro, CMSIS-NN and X-CUBE-AI
#
# The same int8 models under four inference libraries on one STM32H743 (512 KiB SRAM, 2 MiB
# Flash). TinyEngine's speedup comes from optimised operator kernels (code generation, operator
# fusion, SIMD, loop tiling); its memory saving from scheduling (in-place depthwise).

# %% slideshow={"slide_type": "-"}
# speedups and memory savings, from the published table
for baseline in LIBRARY_NAMES[:-1]:
    low, high = speedup_range(baseline)
    print(f"TinyEngine vs {baseline:>13}: {low:4.1f}x to {high:5.1f}x faster")
for net in ("mcunet-in1", "mcunet-in2", "proxyless-w0.3"):
    tflm, te = (library_result(net, lib).sram_bytes for lib in ("TF-Lite Micro", "TinyEngine"))
    print(f"{net:>15}: peak SRAM {tflm / KIB:.0f} KiB under TF-Lite Micro, {te / KIB:.0f} KiB under "
          f"TinyEngine ({tflm / te:.1f}x less)")
for net in LIBRARY_FIGURE_NETS:  # where TinyEngine is not the smallest: the figure shows it too
    te = library_result(net, "TinyEngine").sram_bytes
    for lib in LIBRARY_NAMES[:-1]:
        other = library_result(net, lib).sram_bytes
        if other is not None and other < te:
            print(f"{net:>15}: TinyEngine {te / KIB:.0f} KiB, more than {lib} ({other / KIB:.0f} KiB)")
print(textwrap.fill(f"source: {TINYENGINE_README}", 100))

# %% slideshow={"slide_type": "subslide"}
# latency and peak SRAM under the four libraries
library_figure()

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: takeaway question 6. In-place depthwise (A) and the temporary buffer (C) are
# MCUNet-v1's memory savings; the speedup comes from the kernels, not from the smaller peak (B is
# wrong). mcunet-in4 runs out of memory under TF-Lite Micro and CMSIS-NN (the OOM marks). Not
# every model gets less SRAM under TinyEngine: on mcunet-in4 (416 vs 342 KiB) and proxyless-w0.3
# (259 vs 221 KiB) X-CUBE-AI's is smaller, as the cell prints; TinyEngine is faster on all.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## MCUNetV2: patch-based inference on top of MCUNet-v1
#
# MCUNet-v1 (TinyEngine, depthwise in place) still runs layer by layer. MCUNetV2 runs the
# memory-hungry first stage patch by patch. On MobileNetV2-224 (MCUNetV2, Table 1) the package
# reproduces the published peaks:

# %% slideshow={"slide_type": "-"}
# mobilenetv2: per-layer with in-place depthwise vs 4x4 patches up to block3
net = get_network("mobilenetv2")
v1 = memory.profile(net, "in-place", "mcunet")
v2 = memory.profile(net, "patch", "mcunet", patches=4, split="block3")
print(f"MCUNet-v1 schedule (in place): {v1.peak_sram_bytes / KIB:.1f} KiB (published: 1372 kB)")
print(f"MCUNetV2 4x4 patches:          {v2.peak_sram_bytes / KIB:.1f} KiB (published: 172 kB)")
print(f"-> {v1.peak_sram_bytes / v2.peak_sram_bytes:.1f}x less peak SRAM "
      "(the TinyEngine README: 'reduce the peak memory by 8x')")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## MCUNetV2's gain: more accuracy on the same microcontroller
#
# The SRAM that patch-based inference frees lets the joint search (architecture x schedule, see
# `20_patch_inference`'s co-design section) fit a bigger network on the same chip. ImageNet top-1
# as the TinyEngine repository publishes it:

# %% slideshow={"slide_type": "-"}
# the published gain of MCUNetV2 over MCUNet-v1 (and the baselines) on the same MCU
for device in ("stm32f412", "stm32f746"):
    print(f"{device}: MCUNetV2 {mcunetv2_gain(device):+.1f} points over MCUNet-v1")
print("the higher budget: 512 KiB SRAM / 2 MiB Flash (the review, Table 4); the README's figure")
print("names it STM32F746, whose 320 KiB MCUNet reaches 61.8% (the model list), not 68.5%")

# %% slideshow={"slide_type": "subslide"}
# the published bars, on y-axes from zero
patch_gain_figure()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Beside the published bars, what this package computes: the STM32F412 bars of MCUNet-v1 and the
# baselines carry the int8 top-1 of three models of the mcunet model list, which our zoo holds.
# Their activation peak (TinyEngine's rule, depthwise in place) against the chip's 256 KiB:

# %% slideshow={"slide_type": "-"}
# the published STM32F412 bars, and the activation peak computed for the model with that top-1
budget = patch_results("stm32f412")[0].sram_bytes
print(f"{'bar':>15} {'top-1':>6}  {'model list row (ours)':<33} {'peak computed here':>18}"
      f"  (F412: {budget / KIB:.0f} KiB)")
for r in patch_results("stm32f412"):
    row = zoo_row_with_top1(r.family, r.top1)
    if row is None:
        print(f"{r.model:>15} {r.top1:5.1f}%  (not in the model list)")
        continue
    peak = memory.profile(get_network(ZOO_ALIAS[row.net_id]), "in-place", "tinyengine").peak_sram_bytes
    verdict = "fits" if peak <= budget else "does not fit"
    print(f"{r.model:>15} {r.top1:5.1f}%  {row.net_id + ' (' + ZOO_ALIAS[row.net_id] + ')':<33} "
          f"{peak / KIB:8.1f} KiB: {verdict}")
print(textwrap.fill(f"source of the bars: {PATCH_FIGURE}", 100))

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: MCUNetV2 gains 4.6 points under 256 KB and 3.3 points at the higher budget
# (the review paper, IEEE CAS Magazine 2023, states the same gains and gives that budget as
# 512 kB SRAM / 2 MB Flash; the README's figure labels it STM32F746, but its 68.5% MCUNet is not
# the model list's 320 kB one, 61.8%). The MobileNetV2 baseline's activations alone
# exceed the F412's 256 KiB (the mcunet model list gives it 308 kB SRAM): scaling a mobile network
# down is not enough. Takeaway question 7: only the small patches are stored (A); the overlap is
# the cost (B), not the saving. Details and the overhead: `20_patch_inference`.
