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
# # 30 · Compression: pruning and int8 quantization of a real trained model
#
# A small MobileNet-style CNN (depthwise-separable MBConv blocks, built by `build_network` like
# MobileNetV2) was trained in numpy on scikit-learn's 8x8 handwritten digits (upsampled to 16x16).
# Its float32 weights ship with the package. Here we shrink it and measure three things together:
#
# - **accuracy** on the 450 held-out digits,
# - **Flash** (weights, the scales or codebooks that decode them, biases, in bytes; sparse weights
#   pay an index),
# - **peak SRAM** (activations, in bytes; the `exact` accounting, checked by the arena executor).
#
# The lecture's point: pruning and quantizing weights shrink Flash; only **channel pruning** and
# **int8 activations** shrink SRAM.

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: the 'large model size' challenge of 00: pruning and quantization shrink the
# Flash (takeaway question 3; data augmentation does not). Ask the room what int8 costs in
# accuracy before moving the bits slider.

# %% slideshow={"slide_type": "skip"}
# imports, seeds and inline figures
# %matplotlib inline
import textwrap

from tinyml_course.runtime import batched
from IPython.display import display

from tinyml_course import memory
from tinyml_course.compression import prune, quantize, storage, trained
from tinyml_course.compression.compress import quick_compress, quick_memory
from tinyml_course.compression.data import load_digits
from tinyml_course.model.devices import get_device
from tinyml_course.runtime.executor import execute
from tinyml_course.runtime.int8_backend import Int8Backend, accuracy_int8
from tinyml_course.compression.int8_convert import convert, real_weights
from tinyml_course.ui.plots.compression import weight_histogram
from tinyml_course.ui.widgets.compression import compression_dashboard, fit_line

SEED = 0  # fine-tuning batch order
TUNE_EPOCHS, TUNE_LR = 1, 3e-3  # the notebook's short fine-tuning: one pass, about 1 s per model
NANO = get_device("arduino-nano-33-ble-sense")  # 256 KiB SRAM, 1 MiB Flash

# %% slideshow={"slide_type": "-"}
# load the trained model and the held-out digits
x_train, y_train, x_test, y_test = load_digits()
network, weights = trained.load_trained()
print(textwrap.fill(repr(network), 90))
base = quick_compress(network, weights, x_test, y_test)
print(textwrap.fill("float32: " + fit_line(base), 90))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Integer-only int8 inference
#
# `convert` calibrates every activation's range on the training images, quantizes weights per channel
# (symmetric int8), biases to int32, and precomputes each layer's fixed-point multiplier and shift.
# Inference then uses integers only, as TFLite Micro does on the MCU. The arena executor runs it with
# 1 byte per activation; its measured peak must equal the `exact` accounting.

# %% slideshow={"slide_type": "-"}
# convert to int8 and compare with float32
model = convert(network, weights, x_train)
acc_int8 = accuracy_int8(model, x_test, y_test)
run = execute(network, x_test[0], Int8Backend(model))
analytic = memory.profile(network, "per-layer", "exact", "int8").peak_sram_bytes
print(f"accuracy: float32 {100 * base['accuracy']:.2f}%  int8 {100 * acc_int8:.2f}%")
int8_flash = storage.model_storage(real_weights(model), 8)  # what compress and the dashboard count
parts = int8_flash.parts()
print(textwrap.fill(
    f"Flash: float32 {memory.flash_bytes(network, 'float32'):,} B  int8 {int8_flash.flash_bytes:,} B "
    f"({memory.flash_bytes(network, 'float32') / int8_flash.flash_bytes:.2f}x) = int8 weights "
    f"{parts['values']:,} + float32 scales {parts['decoder']:,} (one per channel) + int32 biases "
    f"{parts['biases']:,} (they stay 4 bytes); the papers count weights and biases only: "
    f"{memory.flash_bytes(network, 'int8'):,} B", 100))
print(f"peak SRAM int8: measured {run.peak_sram_bytes:,} B, accounting {analytic:,} B, "
      f"equal: {run.peak_sram_bytes == analytic}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which layers can we prune? A sensitivity scan
#
# Prune one layer at a time to a given sparsity, keep the others intact, and measure accuracy
# (on 100 held-out digits: a quick look, one digit is 1 point). Read the table: on this model the
# layers that lose most at 80% are not the ones one might guess (the cell prints them). The
# default (`prune.default_layers`: the 1x1 convolutions and the classifier) is chosen for Flash,
# not for tolerance: those layers hold most of the weights, while the stem and the 3x3 depthwise
# kernels hold few (9 per channel), so pruning them saves little Flash. Pass
# `layers=list(weights)` to prune everything.
#
# Magnitude pruning also needs weights whose size means something: the shipped model was trained
# with weight decay (`trained.TRAIN_WEIGHT_DECAY`), which shrinks the weights the task does not use.

# %% slideshow={"slide_type": "subslide"}
# sensitivity scan per layer
scan = prune.sensitivity_scan(network, weights, x_test[:100], y_test[:100], (0.5, 0.8))
by_default = prune.default_layers(weights)
share = sum(weights[n][0].size for n in by_default) / sum(w.size for w, _ in weights.values())
print(f"{'layer':<16}{'weights':>8}{'50%':>8}{'80%':>8}  pruned by default")
for name, points in scan.items():
    print(f"{name:<16}{weights[name][0].size:>8}" + "".join(f"{100 * a:>7.1f}%" for _, a in points)
          + f"  {'yes' if name in by_default else 'no'}")
print(f"the default layers hold {share:.0%} of the weights")
at80 = sorted(scan, key=lambda n: scan[n][-1][1])
print(f"at 80%: most sensitive {', '.join(at80[:3])}; least {', '.join(at80[-3:])}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fine-grained vs channel pruning: Flash and SRAM
#
# Fine-grained pruning leaves zeros in place: the activations keep their shapes, so SRAM does not move,
# and Flash only shrinks once the zeros outweigh the index (bitmask or CSR; `storage.model_storage`
# picks the cheapest format layer by layer, as a deployment can, and the CLI, the dashboard and the
# homework's grader all report its figure). Channel pruning removes
# whole channels, so the tensors themselves get smaller. Both need fine-tuning with the masks kept;
# here one pass over the training digits (about a second per model).

# %% slideshow={"slide_type": "subslide"}
# prune 50% both ways, fine-tune one epoch, compare
fine, masks = prune.prune_global(weights, 0.5)  # 50% of the 1x1 and linear weights
fine_tuned, _ = prune.fine_tune(network, fine, masks, x_train, y_train, TUNE_EPOCHS, TUNE_LR, SEED)
small_net, small_w = prune.channel_prune(network, weights, 0.5, norm="l2")
small_tuned, _ = prune.fine_tune(small_net, small_w, {}, x_train, y_train, TUNE_EPOCHS, TUNE_LR, SEED)
rows = [("dense float32", network, weights, weights), ("50% fine-grained", network, fine, fine_tuned),
        ("50% channels", small_net, small_w, small_tuned)]
print(f"{'model':<18}{'pruned':>8}{'tuned':>8}{'Flash dense':>12}{'Flash best':>12}  "
      f"{'formats (layers)':<22}{'SRAM int8':>10}")
for label, net, pruned, tuned in rows:
    best = storage.model_storage(tuned)  # the cheapest format, layer by layer
    formats = [layer.format for layer in best.layers]
    used = ", ".join(f"{f} {formats.count(f)}" for f in storage.SPARSE_FORMATS if f in formats)
    peak = memory.profile(net, "per-layer", "exact", "int8").peak_sram_bytes
    print(f"{label:<18}{100 * batched.accuracy(net, pruned, x_test, y_test):>7.1f}%"
          f"{100 * batched.accuracy(net, tuned, x_test, y_test):>7.1f}%"
          f"{storage.compressed_flash_bytes(tuned, 32, 'dense'):>12,}{best.flash_bytes:>12,}  "
          f"{used:<22}{peak:>10,}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# With the package's default fine-tuning (`prune.fine_tune`: 3 epochs, Adam at lr 1e-2, cosine
# decay; a few seconds each) the held-out accuracy of the shipped model (float32 98.9%) is:
#
# | compression | float32 | + int8 |
# |---|---|---|
# | none (Flash 23,560 B float32 / 8,200 B int8) | 98.9% | 98.9% |
# | 50% of the 1x1 + linear weights (15,430 B / 6,574 B) | 98.0% | 98.0% |
# | 70% (11,962 B / 5,707 B) | 96.7% | 96.9% |
# | 80% (10,226 B / 5,273 B) | 93.8% | 94.0% |
# | 25% of the expanded channels (18,208 B / 6,442 B) | 98.0% | 97.8% |
# | 50% of the expanded channels (12,856 B / 4,684 B; SRAM 8,192 -> 6,144 B) | 96.7% | 96.4% |
#
# Without fine-tuning the same rows read 91.6%, 42.9%, 30.2%, 80.9% and 53.3%: pruning needs it.
#
# Reproduce any row with the command line, e.g.
# `tinyml-course compress --prune global --sparsity 0.7 --finetune 3 --quantize int8`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The weights before and after
#
# Pruning puts a spike at 0; linear quantization leaves at most 2^bits distinct values per channel;
# k-means shares 2^bits values across the whole layer.

# %% slideshow={"slide_type": "-"}
# weight histogram before and after (50% pruned + 4-bit linear, 3-bit k-means)
q4, _ = quantize.quantize_weights(fine_tuned, 4, masks=masks)  # the pruned zeros kept at 0
km3, flash_km3 = quantize.quantize_weights(weights, 3, method="kmeans")
print(f"4-bit linear: accuracy {100 * batched.accuracy(network, q4, x_test, y_test):.1f}%; "
      f"3-bit k-means: accuracy {100 * batched.accuracy(network, km3, x_test, y_test):.1f}%, "
      f"Flash {flash_km3:,} B (indices + 8-entry codebooks)")

# %% slideshow={"slide_type": "subslide"}
# the weights: 50% pruned + 4-bit linear
weight_histogram(weights, q4, "50% pruned + 4-bit")

# %% slideshow={"slide_type": "subslide"}
# the weights: 3-bit k-means
weight_histogram(weights, km3, "3-bit k-means")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The dashboard
#
# Move the sliders: global sparsity (fine-grained, of the 1x1 and linear weights, no fine-tuning), weight bit width (32 = float32;
# 2-8 bits imply int8 activations, as the runtime stores them) and the share of expanded channels cut.
# Watch which of the three bars each one moves, and the Arduino Nano 33 BLE Sense line.

# %% slideshow={"slide_type": "subslide"}
# the compression dashboard
compression_dashboard(network, weights, x_test, y_test)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Compression with stakes
#
# The digits model fits the Nano 33 many times over: its dashboard always says "yes". Here is a
# model that does not fit: the largest subnet of the TinyNAS supernet (notebook 60) at 24 px
# (kernel 7, expand 6, depth 3 in every stage; trained weights inherited from the supernet) on
# the **nRF52832** (64 KiB SRAM, 512 KiB Flash), the Nano 33's smaller sibling chip. Its
# accuracies are on Fashion-MNIST's 2,500 held-out test images (chance 10%).
#
# - float32: 270 KiB of SRAM, 1.8 MiB of Flash: far off;
# - int8 alone: Flash fits (505 KiB), SRAM misses by 3.5 KiB, at ONE place: block 1, the first
#   stage's first block, whose 24 x 24 x 96 expansion and 12 x 12 x 96 depthwise output are live
#   together (`stakes.peak_blocks`);
# - so prune **where the peak is**: 12.5% of block 1's expanded channels, then int8: fits
#   (59.1 KiB). Every other block keeps all its channels.

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: ask which single technique makes it fit before showing the table (none does).
# Quantization alone shrinks Flash 4x but leaves SRAM just over; channel pruning alone leaves
# float32 activations. The accuracies come from `compress_model`, the pipeline of this notebook,
# run by `scripts/measure_stakes.py` (int8 inference on 2,500 images takes minutes) and
# re-measured by tests/test_stakes.py; the memory verdicts are recomputed live. No fine-tuning
# row: the recalibrated cut needs none, and the digits' recipe (`prune.fine_tune`: 4 epochs of
# Adam at lr 1e-2) left this model at 14.9% on the first 625 test images (docs/tinynas.md).

# %% slideshow={"slide_type": "subslide"}
# the model at stake against the nRF52832: memory recomputed now, accuracy measured by compress_model
from tinyml_course.nas import stakes, task
from tinyml_course.stats import standard_error
from tinyml_course.ui.plots.compression import stakes_figure

net_s, weights_s = stakes.stakes_subnet()
device_s = get_device(stakes.STAKES_DEVICE)
for label, ratio in (("dense", 0.0), (f"{stakes.PEAK_RATIO:.1%} of block 1 cut", stakes.PEAK_RATIO)):
    for bits, dtype in ((32, "float32"), (8, "int8")):  # the dashboard's figures: storage's Flash
        m = quick_memory(net_s, weights_s, bits=bits, channel_ratio=ratio, device=device_s.name,
                         blocks=stakes.PEAK_BLOCKS)
        print(f"{label:<22}{dtype:<8} SRAM {m['peak_sram_bytes'] / 1024:6.1f} KiB  Flash "
              f"{m['flash_bytes'] / 1024:7.1f} KiB  fits: {'yes' if m['fits'] else 'no'}")

# %% slideshow={"slide_type": "subslide"}
# accuracy as compress_model measured it (scripts/measure_stakes.py), and the memory of each row
results = stakes.shipped_results()
n_test = len(task.load_split(stakes.HELD_OUT, stakes.STAKES_ARCH.resolution)[1])
print(f"{'model':<34}{'accuracy':>15}{'Flash':>10}{'peak SRAM':>10}  fits")
for label, r in results.items():
    a = r["after"]
    se = standard_error(a["accuracy"], n_test)
    print(f"{label:<34}{100 * a['accuracy']:>8.1f} ± {100 * se:.1f}%{a['flash_bytes']:>10,}"
          f"{a['peak_sram_bytes']:>10,}  {'yes' if r['fits']['both'] else 'no'}")
acc = {label: r["after"]["accuracy"] for label, r in results.items()}
gap = acc["float32"] - acc["peak block cut + int8"]
print(f"the model that fits is {100 * gap:.1f} ± "
      f"{100 * 2 ** 0.5 * standard_error(acc['float32'], n_test):.1f} points below float32 "
      f"(the target: within 2;\n± one standard error of the difference, {n_test:,} images each)")

# %% slideshow={"slide_type": "subslide"}
# accuracy, Flash and SRAM of the model at stake (accuracy +- 2 standard errors)
short = {"peak block cut + int8": "peak cut + int8"}  # the figure's row labels
display(stakes_figure([(short.get(label, label), {**r["after"], "fits": r["fits"]["both"]})
                       for label, r in results.items()],
                      device_s.sram_bytes, device_s.flash_bytes, device_s.name,
                      examples=n_test, chance=1 / len(task.CLASSES)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why not cut every block? The stale batch norm
#
# A first attempt cut 25% of the expanded channels of EVERY block: it fits too (50.6 KiB), and
# lands at chance. The cut itself is exact (it equals zeroing the projection's input columns),
# but the supernet's batch norms are folded into the convolutions with the statistics of the
# uncut model: each projection loses inputs, its outputs' mean and spread move, and the next
# block's folded statistics no longer match. `channel_prune(..., calib=images)` recalibrates:
# every layer's outputs get back, on the calibration images, the mean and spread they had, which
# is recalibrating the batch norm as the supernet does for every subnet (OFA; EagleEye calls it
# adaptive batch norm). The scan below cuts 25% of one block at a time, or of all, without and
# with it (float32, the 2,500 'val' images).

# %% slideshow={"slide_type": "subslide"}
# the block scan: 25% of the expanded channels cut, float32 (scripts/measure_stakes.py --scan)
scan = stakes.shipped_scan()
print(f"uncut: {100 * scan['uncut']:.1f}%  (± {100 * standard_error(scan['uncut'], scan['examples']):.1f}"
      f", {scan['examples']:,} 'val' images)")
print(f"{'cut':<14}{'plain':>8}{'recalibrated':>14}")
for name, r in scan.items():
    if isinstance(r, dict):
        print(f"{name:<14}{100 * r['plain']:>7.1f}%{100 * r['recalibrated']:>13.1f}%")
alone = {k: r for k, r in scan.items() if k.startswith("block")}
plain = sorted(alone, key=lambda k: alone[k]["plain"])[:3]
worst = max(scan["uncut"] - r["recalibrated"] for r in alone.values())
print(f"alone, without recalibration, the most sensitive: {', '.join(sorted(plain))} (the stride-2\n"
      f"blocks: no residual path); recalibrated, no block alone loses more than "
      f"{100 * worst:.1f} points")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read the scan: without recalibration the stride-2 blocks (1, 4 and 7) lose 9 to 18 points
# each alone, and all blocks together are chance (12.2%); recalibrated, no block alone loses more
# than 1.6 points (about two standard errors), yet all of them together still lose 9.3: a quarter
# of every block is a heavy cut even done right. So cut only the peak's block, and only as much
# as the device needs (12.5%); the rest of the model stays as it was.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The dashboard on the model at stake
#
# The channel slider here is the naive cut: every block, no recalibration, no fine-tuning. Start
# at float32 ("no"), move the bits to 8 (still "no": 3.5 KiB over in SRAM), then cut 12.5% of the
# channels: "yes", at about 40% on these 200 held-out images (chance 10%): the stale batch norm
# of the scan, against the table's peak block cut. Measuring an accuracy (200 held-out images)
# takes about a second: Flash, SRAM and the fit line come at once, the accuracy bar follows
# ("measuring..."), and the states one slider step away are measured in the background while you
# talk.

# %% slideshow={"slide_type": "subslide"}
# the compression dashboard on the model at stake, against the nRF52832
x_val_s, y_val_s = task.load_split("val", stakes.STAKES_ARCH.resolution, 200)
compression_dashboard(net_s, weights_s, x_val_s, y_val_s, device=stakes.STAKES_DEVICE)
