"""Keyword spotting end to end: the MFCC front end against an independent implementation, the
speaker split, the DS-CNN's size on the Nano 33, the shipped accuracy re-measured on a sample,
training that resumes bit for bit, and ``deploy kws`` bit-exact on the emulated Nano 33.

Expected values come from elsewhere: torchaudio's MFCC recipe written out below from its formulas
(nothing of tinyml_course.kws.mfcc), the model card written by scripts/train_kws.py,
memory.profile, the package's int8 path. That the recipe is the shipped features' own was measured
once over all 3,000 FSDD recordings (kws/mfcc.py's docstring); the course ships no audio to re-run it.
"""

import json
from dataclasses import replace

import numpy as np
import pytest
import scipy.fft

from tinyml_course import memory
from tinyml_course.cli.main import main
from tinyml_course.errors import SpecError, UnknownNameError
from tinyml_course.kws import augment, data, model, train
from tinyml_course.kws.evaluate import Accuracy, deploy_input, load_model, measure
from tinyml_course.kws.mfcc import FSDD_RECIPE, frame_signal, mfcc
from tinyml_course.model.devices import get_device
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.int8_backend import predict_int8, run_int8

REFERENCE_TOL = 1e-4  # dB: float32 rounding of values up to ~500 dB (measured: at most 1.5e-5)
SAMPLE_EVERY = 5  # the accuracy test re-measures every 5th held-out utterance (100 of 500)
RATE = 8000  # Hz


@pytest.fixture(scope="module")
def corpus():
    return data.load_corpus()


@pytest.fixture(scope="module")
def kws():
    return load_model()


# ---------------------------------------------------------------- the front end


def reference_mfcc(x, rate=RATE, n_fft=400, hop=200, n_mels=128, n_mfcc=13, top_db=80.0,
                   f_min=0.0):
    """torchaudio.transforms.MFCC(sample_rate=8000, n_mfcc=13) written out, float64: centred
    frames (reflect padding), periodic Hann, |rfft|^2, HTK mel triangles (norm None), 10 log10
    with amin 1e-10 and a floor top_db under the whole spectrogram's maximum, orthonormal DCT-II."""
    x = np.asarray(x, np.float64)
    half = n_fft // 2
    padded = np.concatenate([x[half:0:-1], x, x[-2:-half - 2:-1]])  # mirror, ends not repeated
    frames = np.array([padded[t * hop:t * hop + n_fft] for t in range(1 + len(x) // hop)])
    window = np.sin(np.pi * np.arange(n_fft) / n_fft) ** 2  # periodic Hann = sin^2(pi n / N)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2  # (T, n_fft // 2 + 1)
    bin_hz = np.linspace(0, rate // 2, n_fft // 2 + 1)
    mel_edges = np.linspace(2595 * np.log10(1 + f_min / 700), 2595 * np.log10(1 + rate / 2 / 700),
                            n_mels + 2)
    hz_edges = 700 * (10 ** (mel_edges / 2595) - 1)
    bank = np.stack([np.interp(bin_hz, hz_edges[m:m + 3], [0, 1, 0], left=0, right=0)
                     for m in range(n_mels)], axis=1)  # (bins, n_mels): filter m peaks at edge m+1
    db = 10 * np.log10(np.maximum(power @ bank, 1e-10))
    db = np.maximum(db, db.max() - top_db)
    return scipy.fft.dct(db, type=2, norm="ortho", axis=1)[:, :n_mfcc]


def _time(seconds):
    return np.arange(int(seconds * RATE)) / RATE


def _chirp(n, f0=100.0, f1=3900.0):
    t = np.arange(n) / RATE
    return 0.8 * np.sin(2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / t[-1] * t ** 2))


SIGNALS = {  # synthetic, in [-1, 1]: tones, chirps, noise, silence after a burst, short, odd
    "tone 440 Hz": lambda: 0.5 * np.sin(2 * np.pi * 440 * _time(0.5)),
    "tones 1 + 3 kHz": lambda: 0.4 * np.sin(2 * np.pi * 1000 * _time(0.4))
    + 0.2 * np.sin(2 * np.pi * 3000 * _time(0.4) + 1.0),
    "chirp 100 Hz -> 3.9 kHz": lambda: _chirp(8000),
    "noise": lambda: np.random.default_rng(0).uniform(-0.5, 0.5, 2400),
    "burst, then silence": lambda: np.concatenate([0.9 * np.sin(2 * np.pi * 700 * _time(0.1)),
                                                   np.zeros(1600)]),
    "short (201 samples)": lambda: _chirp(201, 500.0, 2500.0),
    "odd length (1,999)": lambda: _chirp(1999) + np.random.default_rng(1).normal(0, 0.05, 1999),
}


@pytest.mark.parametrize("name", SIGNALS)
def test_mfcc_matches_an_independent_implementation(name):
    """Does our MFCC of a synthetic signal equal the written-out torchaudio recipe's?"""
    signal = SIGNALS[name]()
    ours, theirs = mfcc(signal), reference_mfcc(signal)
    assert ours.shape == theirs.shape == (1 + len(signal) // 200, 13)
    assert np.abs(ours - theirs).max() < REFERENCE_TOL


@pytest.mark.parametrize("change", [{"n_mels": 40}, {"top_db": 60.0}, {"n_fft": 512},
                                    {"f_min": 20.0}])
def test_another_recipe_does_not_match(change):
    """Would the comparison fail for a recipe that is not torchaudio's (the check can fail), while
    the same change made in both implementations still agrees?"""
    signal = SIGNALS["odd length (1,999)"]()
    ours, theirs = mfcc(signal, replace(FSDD_RECIPE, **change)), reference_mfcc(signal)
    assert ours.shape != theirs.shape or np.abs(ours - theirs).max() > 100 * REFERENCE_TOL
    assert np.abs(ours - reference_mfcc(signal, **change)).max() < REFERENCE_TOL


def test_recipe_in_milliseconds_and_frames():
    """Is the FSDD recipe torchaudio's defaults, a 50 ms window every 25 ms at 8 kHz, centred
    frames 1 + n // hop?"""
    assert (FSDD_RECIPE.sample_rate, FSDD_RECIPE.window_ms, FSDD_RECIPE.hop_ms) == (8000, 50, 25)
    assert (FSDD_RECIPE.n_fft, FSDD_RECIPE.hop, FSDD_RECIPE.n_mels, FSDD_RECIPE.n_mfcc,
            FSDD_RECIPE.top_db, FSDD_RECIPE.f_min, FSDD_RECIPE.f_max) == (400, 200, 128, 13, 80, 0, None)
    frames = frame_signal(np.linspace(-1, 1, 1000))
    assert frames.shape == (1 + 1000 // 200, 400)


@pytest.mark.parametrize("audio,message", [
    (np.zeros((2, 500)), "1-D"), (np.zeros(500, np.int16), "float samples"),
    (np.zeros(100), "at least 201"), (np.full(500, np.nan), "NaN")])
def test_mfcc_refuses_bad_audio(audio, message):
    with pytest.raises(SpecError, match=message):
        mfcc(audio)


def test_features_centre_and_refuse(corpus):
    """Is an utterance mean-normalised and centred in 32 frames, and bad input refused?"""
    seq = corpus.sequences[0]
    scale = np.ones(13, np.float32)
    x = data.features(seq, scale)
    n = len(seq)
    start = (data.FRAMES - n) // 2
    assert x.shape == (1, data.FRAMES, 13) and n < data.FRAMES
    np.testing.assert_allclose(x[0, start:start + n], seq - seq.mean(0), atol=1e-4)
    assert not x[0, :start].any() and not x[0, start + n:].any()
    with pytest.raises(SpecError, match="shape"):
        data.features(seq[:, :12], scale)
    with pytest.raises(SpecError, match="positive"):
        data.features(seq, np.zeros(13))


# ---------------------------------------------------------------- data and split


def test_split_keeps_speakers_apart(corpus):
    """Are 500 recordings of yweweler held out and 2,500 of the other five trained on?"""
    assert len(corpus.sequences) == 3000 and len(corpus.speakers) == 6
    split = data.load_split(corpus=corpus)
    assert split.test_speakers == ("yweweler",) and "yweweler" not in split.train_speakers
    assert (len(split.y_train), len(split.y_test)) == (2500, 500)
    assert np.bincount(split.y_test).tolist() == [50] * 10
    with pytest.raises(UnknownNameError, match="george"):
        corpus.of_speakers(["nobody"])


def test_recordings_are_named_as_fsdd_names_them(corpus):
    """Is each recording found by its FSDD name digit_speaker_take and by its row, and anything
    else refused in one line that gives the form?"""
    assert corpus.name(2850) == "7_yweweler_0" and corpus.row_of("7_yweweler_0") == 2850
    assert all(corpus.row_of(corpus.name(r)) == r for r in range(len(corpus.sequences)))
    assert corpus.row_of(17) == corpus.row_of("17") == 17
    for bad in ("yweweler_7_0", "7_yweweler_50", "7_nobody_0", "3000", "-1", "seven", ""):
        with pytest.raises(UnknownNameError) as err:
            corpus.row_of(bad)
        assert "\n" not in str(err.value) and "digit_speaker_take" in str(err.value)
        assert "row 0-2999" in str(err.value)


def test_warp_by_one_changes_nothing():
    """Is VTLP with alpha = 1 the identity (the DCT's rows are orthonormal), and alpha != 1 not?"""
    np.testing.assert_allclose(augment.warp_matrix(1.0), np.eye(13), atol=1e-12)
    assert np.abs(augment.warp_matrix(1.1) - np.eye(13)).max() > 0.05
    x = np.arange(32 * 13, dtype=np.float32).reshape(32, 13)
    np.testing.assert_allclose(augment.stretch(x, 1.0), x)
    assert np.array_equal(augment.shift(x, 2)[2:], x[:-2]) and not augment.shift(x, 2)[:2].any()


# ---------------------------------------------------------------- the network on the device


def test_ds_cnn_fits_the_nano33():
    """Is the DS-CNN 64 channels wide, ~2.3M MACs, and its int8 peak far under 256 KB?"""
    net = model.ds_cnn_network()
    assert net.input_shape == (1, 32, 13) and net.output_shape == (10, 1, 1)
    assert net.op("stem").out_shape == (64, 16, 7)
    # stem 64*(25+1); 4 x (dw 64*(9+1) + pw 64*(64+1)); classifier 10*(64+1)
    assert net.params == 64 * 26 + 4 * (64 * 10 + 64 * 65) + 10 * 65
    assert net.macs == 16 * 7 * 64 * 25 + 4 * 16 * 7 * 64 * (9 + 64) + 64 * 10
    peak = memory.profile(net, "per-layer", convention="exact", dtype="int8").peak_sram_bytes
    assert peak == 2 * 64 * 16 * 7 and peak < get_device("nano33").sram_bytes
    with pytest.raises(SpecError, match="odd"):
        model.ds_cnn_network(stem_kernel=4)


# ---------------------------------------------------------------- the shipped model


def test_shipped_accuracy_remeasured_on_a_sample(kws):
    """Do float and int8 give on every 5th held-out utterance what the model card says?"""
    card = kws.card
    y = kws.split.y_test
    cached = np.array(card["int8_predictions"])
    assert card["int8"] == Accuracy.of(cached, y).to_json()  # the card agrees with itself
    rows = np.arange(0, len(y), SAMPLE_EVERY)
    measured = measure(kws, rows)
    assert np.array_equal(predict_int8(kws.int8, kws.split.x_test[rows]), cached[rows])
    assert measured["int8"].accuracy == Accuracy.of(cached[rows], y[rows]).accuracy
    # the float sample lies within 3 standard errors of the card's full-set float accuracy
    full = card["float"]["accuracy"]
    assert abs(measured["float"].accuracy - full) < 3 * np.sqrt(full * (1 - full) / len(rows))
    np.testing.assert_allclose(kws.split.scale, card["input_scale"], rtol=1e-6)


def test_training_resumes_bit_for_bit(corpus, tmp_path):
    """Do 2 epochs in one piece and in two pieces of 1 give the same weights?"""
    split = data.load_split(corpus=corpus)
    x, y = split.x_train[::50], split.y_train[::50]  # 50 utterances
    net = model.ds_cnn_network(channels=4, blocks=1)
    recipe = replace(model.RECIPE, epochs=2, batch=16)
    init = random_weights(net, 0, bias_std=0)
    aug = augment.make_augment(split.scale)
    whole, done, _ = train.train_piece(net, init, x, y, recipe, tmp_path / "a.npz", augment=aug)
    train.train_piece(net, init, x, y, recipe, tmp_path / "b.npz", max_epochs=1, augment=aug)
    resumed, done_b, history = train.train_piece(net, init, x, y, recipe, tmp_path / "b.npz",
                                                 max_epochs=1, augment=aug)
    assert done == done_b == 2 and [p["epochs"] for p in train.pieces(history)] == [[1, 1], [2, 2]]
    for name in whole:
        for a, b in zip(whole[name], resumed[name]):
            assert np.array_equal(a, b), name


# ---------------------------------------------------------------- deployed


@pytest.mark.slow
def test_deploy_kws_on_the_nano33_is_bit_exact(capsys, kws):
    """Does `deploy kws --device nano33 --json` run bit-exact, answer as the int8 path does, and
    report the accuracy with its standard error, the arena and an estimated latency?"""
    assert main(["deploy", "kws", "--device", "nano33", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["bit_exact"] and report["device"] == "arduino-nano-33-ble-sense"
    assert report["arena_bytes"] == report["planned_arena_bytes"] == 2 * 64 * 16 * 7
    k = report["kws"]
    assert (k["utterance"], k["row"], k["held_out_speaker"]) == ("7_yweweler_0", 2850, True)
    assert k["mcu_answer"] == int(np.argmax(report_expected(kws, k["utterance"])))
    assert k["accuracy"]["int8"] == kws.card["int8"] and k["accuracy"]["test_speakers"] == ["yweweler"]
    assert "standard_error" in k["accuracy"]["int8"] and "ESTIMATE" in k["latency_note"]
    assert k["estimated_latency_ms"] == report["estimated_ms"] > 0
    assert report["sram_bytes"] < k["device_sram_bytes"] and report["flash_bytes"] < k["device_flash_bytes"]


def report_expected(kws, utterance):
    """The package's int8 logits of a shipped recording's input (what the MCU must answer)."""
    return np.asarray(run_int8(kws.int8, deploy_input(kws, utterance).x)).reshape(-1)


def test_deploy_input_is_the_recordings_shipped_mfccs(kws):
    """Is the input of a recording (by name or row) its shipped MFCCs, normalised and centred,
    and is a training speaker's recording marked as not held out?"""
    held_out, by_row = deploy_input(kws, "7_yweweler_0"), deploy_input(kws, 2850)
    assert (held_out.name, held_out.digit, held_out.speaker, held_out.held_out) == (
        "7_yweweler_0", 7, "yweweler", True)
    assert np.array_equal(held_out.x, by_row.x) and held_out.mfccs is kws.corpus.sequences[2850]
    assert np.array_equal(held_out.x, kws.input_of(kws.corpus.sequences[2850]))
    trained = deploy_input(kws, "3_george_12")
    assert (trained.digit, trained.held_out) == (3, False)


def test_deploy_kws_refuses_bad_options(capsys):
    """Do an unknown utterance and --utterance on another model exit 2 with one line?"""
    assert main(["deploy", "kws", "--utterance", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no recording 'nope'" in err and "digit_speaker_take" in err and err.count("\n") == 1
    assert main(["deploy", "digits", "--utterance", "7_yweweler_0"]) == 2
    assert "--utterance applies to the keyword spotter" in capsys.readouterr().err
