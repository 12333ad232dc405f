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
# # 60 · TinyNAS: the co-design loop, for real
#
# The lecture's central slide is MCUNet's system-algorithm co-design loop:
#
# ```
# for arch in arch_space:                    # TinyNAS: sample a DNN architecture
#     for schedule in schedule_space:        # TinyEngine: find a good schedule
#         if can_fit_memory(arch, schedule):
#             acc = get_valid_acc(arch)      # evaluate accuracy
#             best_acc = max(best_acc, acc)
#             break
# ```

# %% [markdown] slideshow={"slide_type": "subslide"}
# Here every line of it is real, offline, on a laptop CPU:
#
# - **the task** (`nas/task.py`) is real: **Fashion-MNIST** (Zalando's 28 x 28 photographs of
#   clothes, 10 classes, MIT licence; a subset ships in `nas/data/`), at 16-28 pixels;
# - **`get_valid_acc(arch)`** takes a subnet out of a Once-for-All-style **weight-sharing supernet**
#   (elastic resolution, width, depth, kernel and expansion; trained with the sandwich rule by
#   `scripts/train_supernet_torch.py`, shipped in `nas/weights/`), recalibrates its batch norm and
#   measures held-out accuracy on 2,500 images the supernet never trained on (`val`); the final
#   models are also measured on 2,500 images of the official test file (`test`);
# - **`can_fit_memory`** is `memory.fits(net, device, schedule=..., dtype="int8")`: per-layer,
#   in-place and patch-based schedules, int8 activations, bytes.
#
# Measuring an accuracy takes seconds to a minute in numpy, so the accuracies this notebook shows
# were measured once with the shipped weights by `scripts/measure_supernet.py` and stored in
# `nas/weights/accuracy_cache.json`; a cell below re-measures two live to show they are the
# supernet's. Every accuracy is shown with its standard error sqrt(p (1 - p) / n).

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: Run All before class. The accuracies come from the shipped cache (measured once
# by scripts/measure_supernet.py); the live cell re-measures two subnets to show they are the
# supernet's. One accuracy near 90% on 2,500 images has a standard error of about 0.6 points:
# differences smaller than twice that are noise.

# %% slideshow={"slide_type": "skip"}
# imports, devices and inline figures
# %matplotlib inline
import textwrap
import time

import numpy as np
from IPython.display import display

from tinyml_course.model.devices import get_device
from tinyml_course.nas import evaluate, study, supernet as sn, task, tinynas as tn
from tinyml_course.ui.plots import nas as plots

NANO = get_device("arduino-nano-33-ble-sense")  # 256 KiB SRAM, 1 MiB Flash
SMALL = get_device("nrf52832")  # 64 KiB SRAM, 512 KiB Flash: a smaller device
cache = evaluate.shipped_cache()


def get_acc(arch):
    """The slide's get_valid_acc, answered from the shipped cache when it holds the arch."""
    return evaluate.get_valid_acc(arch, cache=cache)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## The task: Fashion-MNIST, at the resolution the device can afford
#
# The same held-out images at 28 (their own), 20 and 16 pixels (area-averaged): a shirt, a
# T-shirt and a pullover differ in details that a lower resolution blurs.

# %% slideshow={"slide_type": "-"}
# show the same validation images at three resolutions
labels = task.load_split("val", 28, n=6)[1]
views = {r: task.load_split("val", r, n=6)[0] for r in (28, 20, 16)}
display(plots.samples_figure(views, labels, task.CLASSES))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## get_valid_acc: a subnet with inherited weights, in seconds
#
# `Supernet.subnet(arch)` slices the shared weights (first channels, centre of the 7x7 kernels,
# first blocks of each stage), recalibrates batch norm on 256 training images and folds it into
# the convolutions: the result is an ordinary `Network` that the memory accounting, the executor
# and the int8 converter run like any other. Here two subnets are measured live and compared
# with the shipped cache.

# %% slideshow={"slide_type": "-"}
# measure two subnets live and compare with the cache
supernet = evaluate.shipped_supernet()
for arch in study.LIVE:
    start = time.perf_counter()
    live = evaluate.measure_accuracy(arch, supernet)
    seconds = time.perf_counter() - start
    cached = cache.values.get(arch.name)
    print(f"{arch.name[:40]:<42} live {100 * live:.2f}%  cache "
          f"{'-' if cached is None else f'{100 * cached:.2f}%'}  ({seconds:.1f} s, "
          f"{arch.network().macs / 1e6:.1f}M MACs)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Accuracy depends on resolution, width, depth and kernel
#
# Left: the largest subnet and the MobileNetV2-style baseline (kernel 3, expand 6, full depth) at
# every input resolution. Right: one dimension varied around a middle subnet (24 px, width 0.75,
# depth 2, kernel 5, expand 4). The bars are two standard errors (about 95%), and where they
# overlap a difference is noise, not a trend (the cell prints which sweeps rise above it).

# %% slideshow={"slide_type": "-"}
# accuracy vs resolution, and one dimension at a time
full = study.resolution_curve(get_acc, 1.0)
half = study.resolution_curve(get_acc, 0.5)
curves = {"largest subnet, width 1": [(r, a) for r, a, _ in full],
          "MobileNetV2-style, width 1": [(r, b) for r, _, b in full],
          "largest subnet, width 0.5": [(r, a) for r, a, _ in half]}
sweeps = study.dimension_sweeps(get_acc)
for dim, points in sweeps.items():
    acc = np.array([a for _, a in points])
    lo, hi = acc.argmin(), acc.argmax()
    noise = 2 * np.hypot(*evaluate.accuracy_spread(acc[[lo, hi]]))  # 2 SE of a difference
    verdict = "above the noise" if acc[hi] - acc[lo] > noise else "within the noise"
    print(f"{dim:<7}" + "  ".join(f"{v:g}: {100 * a:.1f}%" for v, a in points)
          + f"   spread {100 * (acc[hi] - acc[lo]):.1f} points, noise {100 * noise:.1f}: {verdict}")

# %% slideshow={"slide_type": "subslide"}
# accuracy vs resolution and the sweeps, with error bars of two standard errors
plots.resolution_figure(curves, sweeps, evaluate.accuracy_spread, 1 / len(task.CLASSES))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The slide's loop, line for line
#
# `tn.codesign_loop` is the slide (read its source below). The arch space is 24 random subnets;
# the schedule space of an arch is per-layer, in-place, then patch n x n at the sensible splits.
# The same loop with per-layer only (a library without memory-aware scheduling) admits fewer
# models on the smaller device (one of these 24 fits it only under a patch schedule), but here
# the most accurate of the 24 fits per-layer, so both loops find the same one. In this space the
# schedules decide at the top: the best model of the searches below fits the nRF52832 only
# in-place (per-layer it needs 67.5 KiB); patch schedules rarely decide (docs/tinynas.md).

# %% slideshow={"slide_type": "subslide"}
# the loop's source
import inspect

print(inspect.getsource(tn.codesign_loop).split('"""')[-1])

# %% slideshow={"slide_type": "subslide"}
# run it on both devices with and without TinyEngine's schedules
loops = {}
for device in (NANO, SMALL):
    start = time.perf_counter()
    loops[device.name] = study.loops(device, get_acc)
    seconds = time.perf_counter() - start
    for label, (best_acc, arch, schedule, evaluated) in loops[device.name].items():
        kinds = {k: sum(s.kind == k for _, s, _ in evaluated) for k in ("per-layer", "in-place", "patch")}
        print(f"{device.name[:14]:<15}{label:<16} fitting {len(evaluated):>2}/{study.LOOP_ARCHS}  "
              f"best {100 * best_acc:.1f} +- {100 * evaluate.accuracy_spread(best_acc):.1f}%  "
              f"{schedule}  {arch.name[:30] if arch else '-'}")
        print(f"{'':<31}first fitting schedule: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    print(f"  ({seconds:.1f} s for both loops)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Evolution against the random loop, at equal evaluations
#
# Accuracy evaluations are the expensive part. The evolutionary search starts from the largest
# subnet that fits (the sandwich rule trains that corner of the supernet every step) and random
# fitting ones, keeps the 3 most accurate of each generation and breeds the next (mutation,
# crossover; children that do not fit are redrawn without being evaluated). The slide's loop gets
# as many evaluations of random fitting archs. Both are run with three seeds on the nRF52832.

# %% slideshow={"slide_type": "-"}
# evolution and the random loop, three seeds each, the same number of evaluations
evo_runs, loop_runs = [], []
for seed in study.SEEDS:
    evo_hist, loop_hist = study.evolution_vs_random(study.COMPARE_DEVICE, get_acc, seed)
    evo_runs.append(evo_hist)
    loop_runs.append(loop_hist)
    se_e, se_l = evaluate.accuracy_spread([evo_hist[-1], loop_hist[-1]])
    print(f"seed {seed}: {len(evo_hist)} evaluations each: evolution {100 * evo_hist[-1]:.1f} "
          f"+- {100 * se_e:.1f}%, random loop {100 * loop_hist[-1]:.1f} +- {100 * se_l:.1f}%")
evo_best = np.array([h[-1] for h in evo_runs])
loop_best = np.array([h[-1] for h in loop_runs])
print(f"over the seeds: evolution {100 * evo_best.min():.1f}-{100 * evo_best.max():.1f}%, random "
      f"loop {100 * loop_best.min():.1f}-{100 * loop_best.max():.1f}%; evolution ahead in "
      f"{int((evo_best > loop_best).sum())} of {len(study.SEEDS)} seeds")

# %% [markdown] slideshow={"slide_type": "subslide"}
# In every seed the evolution ends at 88.3%, which is its very first evaluation: the largest
# subnet that fits (24 px, width 1, in-place), the corner the sandwich rule trains every step.
# None of its children beats it in 4 generations. The random loop ends 8-9 points lower
# (79.1-80.3% over the seeds) after the same 27-29 evaluations: random subnets come from the
# middle of the space, which the supernet trains least. So the evolution's lead here comes from
# its starting point, not from its breeding.

# %% slideshow={"slide_type": "subslide"}
# best accuracy so far against the evaluations spent, every seed, and the spread between seeds
plots.evolution_figure(loop_runs, evo_runs)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Search-space optimisation
#
# MCUNet first picks the search space (width multiplier x resolution) whose models that fit the
# device have the most FLOPs: more computation that still fits tends to mean more accuracy. Each
# curve is the distribution of the MACs of 40 random subnets of one space that fit the smaller
# device under some schedule. (FLOPs are a proxy: the space it picks here is 28 px at width 1,
# while the most accurate model found fits at 24 px, where the full expansion still fits.)

# %% slideshow={"slide_type": "-"}
# the MACs distribution of fitting models for every (width, resolution) space
spaces, chosen = tn.space_optimisation(SMALL, samples=40, seed=0)
print(f"chosen space: width {chosen[0]:g}, resolution {chosen[1]} "
      f"(mean fitting MACs {spaces[chosen].mean() / 1e6:.1f}M)")

# %% slideshow={"slide_type": "subslide"}
# the MACs distribution of each space's fitting models
plots.space_figure(spaces, chosen, SMALL.name)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The result slides, in miniature
#
# For each device: the searched models (evolution's best three) against the MobileNetV2-style
# baselines scaled by width and resolution (every block kernel 3, expand 6, full depth), all under
# the same budget and the same schedules. Latency is the instruction count of deploying the model
# (the tinyengine int8 kernels, its chosen schedule) on the emulated Cortex-M, predicted by a model
# calibrated on the emulator (next section), times a per-instruction-class cycle ESTIMATE, at the
# device's clock. `tinyml-course search --objective accuracy --max-latency-ms X` adds a latency
# budget on that estimate.

# %% slideshow={"slide_type": "skip"}
# the helpers of the result slides (run, not shown in the slideshow)
reports = {}
def codesign_report(device):
    """Run the co-design search for ``device``, keep its report, print the comparison."""
    report = tn.codesign(device, seed=0, cache=cache, get_acc=get_acc)
    reports[device.name] = report
    print("\n".join(textwrap.fill(line, 100) for line in tn.codesign_summary(report).splitlines()))
    best, base = report["best_within_baseline_sram"], report["best_baseline"]
    margin = report["margin_over_best_baseline"]
    print(textwrap.fill(
        f"-> searched {100 * best['test_accuracy']:.1f}% (test) at "
        f"{best['peak_sram_bytes'] / 1024:.1f} KiB vs baseline {100 * base['test_accuracy']:.1f}% "
        f"at {base['peak_sram_bytes'] / 1024:.1f} KiB: {margin['test_points']:+.1f} points "
        f"(standard error of the difference {margin['se_points']:.1f}), SRAM "
        f"{'equal or lower' if best['peak_sram_bytes'] <= base['peak_sram_bytes'] else 'higher'}",
        100))


def results(device):
    """The loop's random subnets, the fitting baselines and the searched models of ``device``."""
    report = reports[device.name]
    loop_models = [tn.describe(a, device, accuracy=acc).to_json()
                   for a, _, acc in loops[device.name]["all schedules"][3]]
    return plots.results_figure(
        {"random subnets (the loop)": loop_models,
         "baselines (fitting)": [m for m in report["baselines"] if m["fits"]],
         "searched (evolution)": report["top"]}, device.sram_bytes, device.name)


# %% slideshow={"slide_type": "subslide"}
# searched models vs scaled baselines on the Nano 33
codesign_report(NANO)

# %% slideshow={"slide_type": "subslide"}
# the same on the smaller device
codesign_report(SMALL)

# %% slideshow={"slide_type": "subslide"}
# the loop's random subnets, the fitting baselines and the searched models on the Nano 33
results(NANO)

# %% slideshow={"slide_type": "subslide"}
# the same on the smaller device
results(SMALL)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Latency: calibrated on the emulator
#
# Emulating one deployment takes seconds (compile, then run tens of millions of instructions in
# unicorn), too slow inside a search. But each kernel's instruction count is close to a linear
# function of how often its loops run (pixel pairs, output-channel pairs, groups of four input
# channels, rows of the depthwise buffer, ...), and those trip counts follow from the shapes and
# the schedule alone. The tinyengine kernels are specialised per op by the compiler (the
# constants are literals), so each specialisation (depthwise kernel size and stride, how many
# passes over the input channels) gets its own instructions per trip.
# `scripts/calibrate_latency.py` fitted them per instruction class on the per-layer counts of
# emulated subnets; here are subnets the fit never saw, measured by the emulator then, against
# the prediction. (The best searched models emulate in tens of seconds:
# `benchmarks/bench_latency_model.py` compares them.)

# %% slideshow={"slide_type": "-"}
# the latency model's held-out check, stored with the table by scripts/calibrate_latency.py
from tinyml_course.deploy import latency

for cpu, entry in latency.load_table()["cpus"].items():
    for row in entry["fit"]["held_out"]:
        print(f"{cpu}  {row['network'][:24]:<25}{row['schedule'][:18]:<19} emulated "
              f"{row['measured'] / 1e6:6.2f}M  predicted {row['predicted'] / 1e6:6.2f}M "
              f"({100 * row['relative_error']:+.2f}%)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Compression with stakes
#
# The searched models fit by construction. One that does not, until it is pruned AND quantized,
# is the subject of the compression lecture: the largest 24 px subnet of this supernet on the
# nRF52832 (`nas.stakes`). Notebook 30, section "Compression with stakes", shows its memory
# verdicts, the accuracy before and after the cut where its peak is (with int8), why a cut of
# every block fails, and the compression dashboard on it.
