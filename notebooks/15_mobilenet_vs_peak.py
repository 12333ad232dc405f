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
# # 15 · Running CNNs on microcontrollers: MobileNetV2 reduces the model, not the peak activation
#
# Lecture 12, second half, first slides. An Arduino Nano 33 BLE Sense has **256 KB of SRAM** and
# **1 MB of Flash** (the lecture's words; the figures below write 256 KiB and 1 MiB, 1 KiB = 1024
# bytes, the same amounts). Where does a network go, and why is a "mobile" network still too big?

# %% slideshow={"slide_type": "skip"}
# imports
# %matplotlib inline
from tinyml_course import get_network, memory
from tinyml_course.model.devices import get_device
from tinyml_course.model.network import Op
from tinyml_course.model.units import KIB, MIB
from tinyml_course.ui.plots.memory import sram_figure
from tinyml_course.ui.plots.results import params_vs_peak_figure

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Activations in SRAM, weights in Flash
#
# | | **Flash** | **SRAM** |
# |---|---|---|
# | holds | the model's weights and biases (and the code) | the input and output activations of the running layer, temporary buffers |
# | how it changes | static: written once, when the firmware is flashed; must hold the **entire** model | dynamic: rewritten at every layer of every inference; different for each layer |
# | what we count | the total | the **peak** over the layers (weights are not counted) |
# | read / write | fast reads; writes are slow (a whole sector is erased first) and wear the cells out | fast reads **and** writes, no wear |
# | density | high: one transistor per bit, so megabytes fit on the chip | low: six transistors per bit, so only a few hundred KiB fit |
#
# Activations are rewritten at every layer of every inference; weights are written once.

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: so activations must live in SRAM: it is fast to write and gives low latency.
# Not because SRAM is dense: it is the less dense memory, which is why there is so little of it
# (takeaway question 4: A and B, not C).

# %% slideshow={"slide_type": "subslide"}
# the Arduino's two memories, in bytes
nano = get_device("nano33")
print(f"{nano.title}: SRAM {nano.sram_bytes:,} bytes = {nano.sram_bytes / KIB:.0f} KiB, "
      f"Flash {nano.flash_bytes:,} bytes = {nano.flash_bytes / MIB:.0f} MiB")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Today's CNNs are too big for TinyML
#
# We need to reduce **both** the model (Flash) and the activations (SRAM). The MCUNet paper
# compares ResNet-18, MobileNetV2 and MCUNet: MobileNetV2 is several times smaller than
# ResNet-18, yet its peak activation is *larger*. Here are the three, computed by the package
# (int8, one byte per weight and per activation, every op holding its input and output, the
# mcunet repository's rule, depthwise not in place).

# %% slideshow={"slide_type": "-"}
# parameters vs peak activation: ResNet-18, MobileNetV2, MCUNet
for name in ("resnet18", "mobilenetv2", "mcunet-in4"):
    net = get_network(name)
    prof = memory.profile(net, "per-layer", "mcunet")
    print(f"{name:>12}: {net.params / 1e6:5.2f}M params = {net.params / MIB:5.2f} MiB int8 weights; "
          f"peak activation {prof.peak_sram_bytes / KIB:7.1f} KiB at {prof.peak_layer.name}")

# %% slideshow={"slide_type": "subslide"}
# the same three: parameters (Flash) and peak activation (SRAM)
params_vs_peak_figure()

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: under the mcunet rule ResNet-18's peak is its stem (3x224x224 in, 64x112x112
# out: 931 KiB). That rule does not count pooling: the max pool right after the stem holds
# 64x112x112 in and 64x56x56 out, 980 KiB, the true peak (the exact convention finds it there;
# the per-op figure marks the pool 'not counted').
# MobileNetV2's is in `block1` (the paper's block 2): the 1x1 expansion turns 16 channels into 96
# at 112x112, and the stride-2 depthwise holds that 96x112x112 input and its 96x56x56 output
# (1470 KiB). Fewer parameters did not mean fewer activations.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where the peak is: the memory of each layer
#
# ResNet-18 and MobileNetV2 per op, against the Arduino's 256 KiB. Both are far above the line in
# the first, high-resolution layers and far below it at the end: the imbalance that MCUNetV2's
# patch-based inference (`20_patch_inference`) exploits.

# %% slideshow={"slide_type": "-"}
# per-op SRAM of resnet18 on the arduino (mcunet rule: the pool is not counted)
sram_figure(memory.profile(get_network("resnet18"), "per-layer", "mcunet"), "nano33")

# %% slideshow={"slide_type": "subslide"}
# what the mcunet rule leaves out: the exact live set at resnet18's max pool
exact = memory.profile(get_network("resnet18"), "per-layer", "exact")
pool = next(layer for layer in exact.layers if layer.op == "maxpool")
print(f"exact: peak {exact.peak_sram_bytes / KIB:.1f} KiB at {exact.peak_layer.name} "
      f"(64x112x112 + 64x56x56 bytes = {(64 * 112 * 112 + 64 * 56 * 56) / KIB:.1f} KiB); "
      f"{pool.name} holds {pool.sram_bytes / KIB:.1f} KiB")

# %% slideshow={"slide_type": "subslide"}
# per-op SRAM of mobilenetv2 on the arduino
sram_figure(memory.profile(get_network("mobilenetv2"), "per-layer", "mcunet"), "nano33")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Depthwise-separable convolution shrinks the model, not the activations
#
# MobileNet replaces a k x k convolution by a depthwise k x k (one filter per channel) and a 1x1
# pointwise convolution. Take one layer, 96 -> 96 channels at 14 x 14, k = 3:

# %% slideshow={"slide_type": "-"}
# one standard conv vs its depthwise-separable pair (int8)
shape = (96, 14, 14)  # (C, H, W)
standard = Op("conv", "conv", ("input",), shape, shape, kernel=3, padding=1)
depthwise = Op("dw", "dwconv", ("input",), shape, shape, kernel=3, padding=1)
pointwise = Op("pw", "pwconv", ("dw",), shape, shape)
separable = (depthwise, pointwise)
print(f"standard 3x3 conv: {standard.params:,} params, {standard.macs:,} MACs, "
      f"2 tensors of {standard.out_elements:,} bytes (input, output)")
print(f"depthwise + 1x1:   {sum(o.params for o in separable):,} params, "
      f"{sum(o.macs for o in separable):,} MACs, "
      f"3 tensors of {depthwise.out_elements:,} bytes (input, middle, output)")
print(f"-> {standard.params / sum(o.params for o in separable):.1f}x fewer params, but one layer "
      "and one activation tensor more")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The separable pair has about 8 times fewer weights and MACs, but it is **two** layers, and the
# tensor between them is as large as the layer's input. MobileNetV2's inverted residual block
# makes it worse: it first *expands* the channels (x6) before the depthwise. Reducing the
# activations is MCUNet's job: in-place depthwise (`10_sram_dashboard`) and patch-based inference
# (`20_patch_inference`).

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: so depthwise-separable convolution shrinks the model (takeaway question 5: C); it
# neither reduces the activations (A) nor the number of layers (B).
