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
# # 00 · TinyML and edge AI: why, and why it is hard
#
# Lecture 12, first half. Deep learning is everywhere (vision, language, speech), and it is
# moving from the cloud onto the devices around us. This notebook covers why, how many devices
# we are talking about, why today's AI does not fit on them, and the two challenges that the rest
# of the lecture answers.
#
# Every number comes from the `tinyml_course` package, which cites where each one comes from.

# %% slideshow={"slide_type": "skip"}
# imports
# %matplotlib inline

from tinyml_course.model.scale import (BIG_AI, BIG_AI_SOURCE, EDGE_DEVICES_2021,
                                       EDGE_DEVICES_SOURCE, MODEL_SIZES)
from tinyml_course.model.units import BYTES_PER_ELEMENT, MIB
from tinyml_course.model.zoo import get_network
from tinyml_course.ui.plots.edge import edge_devices_figure, model_growth_figure

# %% [markdown] slideshow={"slide_type": "slide"}
# ## AI is coming to the edge quickly
#
# Running the network on the device itself, instead of sending the data to a server, gives:
#
# - **privacy**: the camera image or the voice never leaves the device;
# - **latency**: no network round trip; the answer comes in milliseconds, even offline;
# - **cost**: no server bill for every query and no radio drawing power on every upload (less
#   energy, so less carbon).

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: ask the room which of their devices already run a network locally (face unlock,
# wake word, keyboard prediction). All three advantages are correct answers to takeaway question 1.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The market of edge devices is growing
#
# How many devices could run such networks, in 2021 alone:

# %% slideshow={"slide_type": "-"}
# the 2021 edge-device counts of the lecture
for kind, count in EDGE_DEVICES_2021.items():
    print(f"{kind:>17}: {count:>14,}")
print(f"source: {EDGE_DEVICES_SOURCE}")

# %% slideshow={"slide_type": "subslide"}
# the same counts as bars
edge_devices_figure()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Today's AI is too big
#
# The models that make the news need data-centre hardware to train and even to run:

# %% slideshow={"slide_type": "-"}
# the cost of two famous models
gpt3, alphago = BIG_AI["GPT-3"], BIG_AI["AlphaGo"]
print(f"GPT-3: {gpt3['training']} to train, ${gpt3['cost_usd']:,} {gpt3['what']}")
print(f"AlphaGo: {alphago['hardware']}, ${alphago['cost_usd']:,} {alphago['what']}")
print(f"source: {BIG_AI_SOURCE}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Model size grows much faster than the memory of small devices. One megabyte of MCU Flash holds
# about a million int8 weights; even ResNet-50 needs 25 times that.

# %% slideshow={"slide_type": "-"}
# parameter counts of well-known models, and what they need in Flash
print(f"{'model':>12} {'year':>5} {'params':>10} {'fp32':>12} {'int8':>12}")
for m in MODEL_SIZES:
    fp32, int8 = (m.params * BYTES_PER_ELEMENT[d] / MIB for d in ("float32", "int8"))
    print(f"{m.name:>12} {m.year:>5} {m.params / 1e6:>9,.1f}M {fp32:>8,.0f} MiB {int8:>8,.0f} MiB")
print("sources:\n" + "\n".join(f"  {m.name}: {m.source}" for m in MODEL_SIZES))

# %% slideshow={"slide_type": "subslide"}
# parameters per model and year, against 1 MiB of MCU Flash
model_growth_figure()

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: the lecture's "Green AI" point: training GPT-3 once cost millions, so we need
# new algorithms and hardware for low energy, latency and cost. The red line is the whole Flash of
# an Arduino Nano 33 BLE Sense.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What is TinyML?
#
# Squeezing deep learning into IoT devices: billions of them are built around
# **microcontrollers** (MCUs), cheap and low-power chips with a CPU, a few hundred KiB of SRAM and
# about 1 MiB of Flash on one die. Applications: the smart home (wake words, presence), the smart
# city (traffic, parking), the smart factory (anomaly detection on a motor), and person or mask
# detection on a camera.
#
# ## TinyML is challenging
#
# - **memory**: the SRAM and Flash are too small to hold today's networks;
# - **latency**: a slow CPU (tens to hundreds of MHz, no GPU) must still answer in real time;
# - **energy**: the device may run from a coin cell for a year.

# %% slideshow={"slide_type": "subslide"}
# the smallest and largest networks of this course, against 1 MiB of Flash
for name in ("mcunet-in1", "mobilenetv2", "resnet18"):
    net = get_network(name)
    print(f"{name:>12}: {net.params / 1e6:5.2f}M params, {net.macs / 1e6:7.1f}M MACs per image, "
          f"{net.params / MIB:5.2f} MiB of int8 weights (MCU Flash: 1 MiB)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two challenges, two families of answers
#
# | challenge | why it hurts on an MCU | answers (where in this course) |
# |---|---|---|
# | **large model size** | the weights must fit in Flash | model compression: pruning, quantization (`30_compression`); neural architecture search (`60_tinynas`) |
# | **large input/output tensors** (activations) | they must fit in SRAM at their peak; a larger input resolution gives higher top-1 accuracy but bigger tensors | MCUNet: per-layer scheduling, in-place depthwise, patch-based inference (`10_sram_dashboard`, `20_patch_inference`) |
#
# Neural architecture search (Once-for-All, ICLR 2020) cuts the computation; Lite Transformer
# (ICLR 2020) and SpAtten do the same for language models; MCUNet (NeurIPS 2020) brings image
# recognition to MCUs. The next notebook, `05_edge_hardware`, looks at the hardware.

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: takeaway question 2 (challenges: memory too small, slow CPU; sparse activations
# are an opportunity, not the challenge) and question 3 (model size: pruning and quantization,
# not data augmentation) are answered by this table. The quiz is notebook 90.
