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
# # 05 · Edge AI hardware: from a cloud GPU to a microcontroller
#
# Where can a network run once it leaves the data centre? The lecture names five families:
# Apple's Neural Engine, NVIDIA Jetson modules, Google's (Edge) TPU, FPGA accelerators and
# microcontrollers. That is the lecture's order, not a ranking: their peak throughputs are given
# in different precisions (the table below). Their memories are orders of magnitude apart, and
# that gap is what the rest of the lecture is about.
#
# Every figure in `tinyml_course.model.hardware` carries its source; a figure nobody published
# for us to cite is left out, not guessed.

# %% slideshow={"slide_type": "skip"}
# imports
# %matplotlib inline
import textwrap

import ipywidgets as widgets
from IPython.display import display

from tinyml_course.model.hardware import FAMILIES, HARDWARE, SOURCES, hardware_table
from tinyml_course.ui.plots.edge import fit_figure, memory_gap_figure

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The families
#
# - **Apple Neural Engine**: an energy-efficient, high-throughput engine for ML inference on
#   Apple silicon (phones, tablets, laptops).
# - **NVIDIA Jetson**: a complete system on a module (GPU, CPU, memory) for robots and cameras.
# - **Tensor Processing Unit (TPU)**: Google's AI accelerator ASIC; the Edge TPU is its small
#   version for devices.
# - **FPGA-based accelerators**: custom datapaths on reconfigurable logic, efficient for one job.
# - **Microcontrollers (MCU)**: processor, memory and I/O peripherals on a single chip. Their speed
#   is given in DMIPS (Dhrystone million instructions per second), an index of integer computation.

# %% slideshow={"slide_type": "subslide"}
# the hardware table: one row per device, '-' where no source gives the figure
columns = {"name": 26, "clock": 8, "memory": 8, "storage": 8, "compute": 19, "power": 6,
           "sources": 20}
print("".join(f"{c:<{w}}" for c, w in columns.items()))
for family in FAMILIES:
    for row in hardware_table(family):
        print("".join(f"{row[c]:<{w}}" for c, w in columns.items()))

# %% slideshow={"slide_type": "subslide"}
# the sources of the table, by key
for key, text in SOURCES.items():
    print(textwrap.fill(f"[{key}] {text}", 100, subsequent_indent="    "))

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: power and price of the MCUs are not in the course references, so the table leaves
# them out; the point is the orders of magnitude of memory. The throughputs are not comparable
# across rows: the A14's 11 Tops/s and the Edge TPU's 4 Tops/s are int8-class operations, the
# Jetson Nano's 472 GFLOP/s FP16, an MCU's DMIPS a Dhrystone integer index.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The memory gap
#
# MCUNet's Figure 1 puts three tiers side by side: a cloud GPU, a phone and an MCU. The MCU has
# about 50,000 times less memory than the GPU and 13,000 times less than the phone, and its Flash
# (where the weights live) is at least 64,000 times smaller than the phone's storage (the paper
# gives the phone's as "> 64 GB").

# %% slideshow={"slide_type": "subslide"}
# cloud GPU vs phone vs MCU, log scale
display(memory_gap_figure())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which networks fit which device?
#
# Pick a device: the bars are the int8 peak activations (in SRAM on an MCU, DRAM on a phone) and
# weights (Flash, or a phone's storage) of the networks of this course, as the `tinyml_course` package computes them (TinyEngine's rule:
# depthwise in place); green fits, red does not. On a phone everything fits; on an MCU only the
# networks designed for it do, and ResNet-18 misses both memories by far.

# %% slideshow={"slide_type": "subslide"}
# pick a device, see what fits
choices = [(f"{h.family}: {h.name}", h.name) for h in HARDWARE.values()
           if h.memory is not None and h.storage is not None]
picker = widgets.Dropdown(options=choices, value="stm32f746", description="device",
                          layout=widgets.Layout(width="420px"))
widgets.interact(lambda device: display(fit_figure(device)), device=picker);

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: move from the STM32F746 (320 KiB SRAM, 1 MiB Flash: four networks fit) to the
# STM32H743 (512 KiB, 2 MiB): mcunet-in4 fits too. Then the Arduino Nano 33 BLE Sense (256 KiB):
# MobileNetV2-0.35 drops out, only mcunet-in1, proxyless-w0.3 and mcunet-in2 are left. Then
# the iPhone 11: everything fits, which is why phones were solved first.
