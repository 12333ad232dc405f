"""The keyword spotter measured: float and int8 accuracy on the held-out speaker, with standard
errors, and the int8 model and input that ``tinyml-course deploy kws`` puts on the MCU.

int8 is the package's path (``compression.int8_convert.convert``: TFLite's scheme, per-channel
weights, calibrated on ``RECIPE.calibration`` training utterances drawn with ``RECIPE.seed``);
its accuracy is measured with the integer-only backend, whose output the deployed C equals.
"""

from dataclasses import asdict, dataclass

import numpy as np

from ..compression.int8_convert import convert
from ..runtime.batched import predict
from ..runtime.int8_backend import Int8Backend, predict_int8
from ..stats import standard_error
from .data import WORDS, Corpus, Split, features, load_corpus, load_split
from .model import RECIPE, load_kws

__all__ = ["WORDS", "Accuracy", "KwsModel", "load_model", "measure", "deploy_input",
           "DeployInput", "MLPERF_KWS_TARGET", "DEPLOY_UTTERANCE"]

# the held-out recording deployed by default (FSDD's name: digit_speaker_take; chosen before
# training): 'seven', take 0 of the held-out speaker
DEPLOY_UTTERANCE = "7_yweweler_0"
# MLPerf Tiny's quality target for keyword spotting (top-1; mlcommons/tiny, benchmark/README.md)
MLPERF_KWS_TARGET = 0.90


@dataclass(frozen=True)
class Accuracy:
    """Share of correct answers (0..1), its binomial standard error, and on how many examples."""

    accuracy: float
    standard_error: float
    examples: int

    @classmethod
    def of(cls, predicted, y):
        acc = float(np.mean(np.asarray(predicted) == np.asarray(y)))
        return cls(acc, standard_error(acc, len(y)), int(len(y)))

    def to_json(self):
        return asdict(self)

    def __str__(self):
        return (f"{100 * self.accuracy:.1f}% +- {100 * self.standard_error:.1f} "
                f"(standard error, {self.examples} utterances)")


def calibration_rows(split, recipe=RECIPE):
    """Indices of the training utterances that calibrate int8 (seeded draw without replacement)."""
    rng = np.random.default_rng(recipe.seed)
    return np.sort(rng.choice(len(split.x_train), min(recipe.calibration, len(split.x_train)),
                              replace=False))


def quantize(network, weights, split, recipe=RECIPE):
    """The int8 QuantizedModel of float ``weights``, calibrated on training utterances."""
    return convert(network, weights, split.x_train[calibration_rows(split, recipe)])


@dataclass(frozen=True)
class KwsModel:
    """The shipped keyword spotter, ready to measure and deploy: network, float weights, the int8
    model, the speaker split its input scale comes from, the model card and the corpus."""

    network: object
    weights: dict
    int8: object
    split: Split
    card: dict
    corpus: Corpus

    def input_of(self, sequence):
        """Network input (1, FRAMES, 13) float32 of MFCCs (T, 13), with the shipped scale."""
        return features(sequence, np.asarray(self.card["input_scale"], np.float32))


def load_model():
    """The shipped keyword spotter (weights, card) with its split and int8 model (about 1 s)."""
    network, weights, card = load_kws()
    corpus = load_corpus()
    split = load_split(tuple(card["test_speakers"]), corpus)
    return KwsModel(network, weights, quantize(network, weights, split), split, card, corpus)


def measure(model, rows=None):
    """{'float': Accuracy, 'int8': Accuracy} on the held-out speaker (or its rows ``rows``)."""
    x, y = model.split.x_test, model.split.y_test
    if rows is not None:
        x, y = x[rows], y[rows]
    return {"float": Accuracy.of(predict(model.network, model.weights, x), y),
            "int8": Accuracy.of(predict_int8(model.int8, x), y)}


@dataclass(frozen=True)
class DeployInput:
    """One shipped recording ready for the MCU: its FSDD name (digit_speaker_take), row in the
    corpus, digit, speaker, whether that speaker is held out, its shipped MFCCs (T, 13), the
    network input (1, FRAMES, 13) float32 and the int8 tensor the MCU gets."""

    name: str
    row: int
    digit: int
    speaker: str
    held_out: bool
    mfccs: np.ndarray
    x: np.ndarray
    int8_input: np.ndarray


def deploy_input(model, utterance=DEPLOY_UTTERANCE):
    """The DeployInput of a shipped recording named digit_speaker_take or given by its row
    (``Corpus.row_of``; UnknownNameError in one line otherwise), from its shipped MFCCs."""
    corpus = model.corpus
    row = corpus.row_of(utterance)
    x = model.input_of(corpus.sequences[row])
    speaker = corpus.speakers[corpus.speaker[row]]
    return DeployInput(corpus.name(row), row, int(corpus.digit[row]), speaker,
                       speaker in model.split.test_speakers, corpus.sequences[row], x,
                       Int8Backend(model.int8).prepare_input(x))
