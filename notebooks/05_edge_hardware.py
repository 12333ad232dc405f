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
# Where can a network run once it leaves the data centre? The lecture's five families, from the
# most to the least capable: Apple's Neural Engine, NVIDIA Jetson modules, Google's (Edge) TPU,
# FPGA accelerators and microcontrollers. Their memories are orders of magnitude apart, and that
# gap is what the rest of the lecture is about.
#
# Every figure in `tinyml_course.model.hardware` carries its source; a figure nobody published
# for us to cite is left out, not guessed.

# %% slideshow={"slide_type": "skip"}
# imports
# %matplotlib inline
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
# the hardware table, family by family, with the source of every figure
columns = ("name", "clock", "memory", "storage", "compute", "power", "sources")
for family in FAMILIES:
    print(f"== {family}")
    for row in hardware_table(family):
        print("   " + " | ".join(f"{row[c]}" for c in columns))
print("\nsources:")
for key, text in SOURCES.items():
    print(f"  [{key}] {text}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: power and price of the MCUs are not in the course references, so the table leaves
# them out; the point is the orders of magnitude (milliwatts and a few dollars for an MCU, watts
# for a Jetson or an Edge TPU).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The memory gap
#
# MCUNet's Figure 1 puts three tiers side by side: a cloud GPU, a phone and an MCU. The MCU has
# about 50,000 times less memory than the GPU and 13,000 times less than the phone, and its Flash
# (where the weights live) is 64,000 times smaller than the phone's storage.

# %% slideshow={"slide_type": "-"}
# cloud GPU vs phone vs MCU, log scale
display(memory_gap_figure())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which networks fit which device?
#
# Pick a device: the bars are the int8 peak SRAM (activations) and Flash (weights) of the
# networks of this course, as the `tinyml_course` package computes them (TinyEngine's rule:
# depthwise in place); green fits, red does not. On a phone everything fits; on an MCU only the
# networks designed for it do, and ResNet-18 misses both memories by far.

# %% slideshow={"slide_type": "-"}
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
