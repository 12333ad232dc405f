"""The keyword spotter measured: float and int8 accuracy on the held-out speaker, with standard
errors, and the int8 model and input that ``tinyml-course deploy kws`` puts on the MCU.

int8 is the package's path (``compression.int8_convert.convert``: TFLite's scheme, per-channel
weights, calibrated on ``RECIPE.calibration`` training utterances drawn with ``RECIPE.seed``);
its accuracy is measured with the integer-only backend, whose output the deployed C equals.
"""

from dataclasses import asdict, dataclass

import numpy as np

from ..compression.int8_convert import convert
from ..errors import UnknownNameError
from ..runtime.batched import predict
from ..runtime.int8_backend import Int8Backend, predict_int8
from .data import WORDS, Split, features, load_clips, load_corpus, load_split, standard_error
from .model import RECIPE, load_kws

__all__ = ["WORDS", "Accuracy", "KwsModel", "load_model", "measure", "deploy_input", "clip_named",
           "MLPERF_KWS_TARGET", "DEPLOY_CLIP"]

DEPLOY_CLIP = "7_yweweler_0"  # the held-out utterance deployed by default (chosen before training)
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
    model, the speaker split its input scale comes from, and the model card."""

    network: object
    weights: dict
    int8: object
    split: Split
    card: dict

    def input_of(self, sequence):
        """Network input (1, FRAMES, 13) float32 of MFCCs (T, 13), with the shipped scale."""
        return features(sequence, np.asarray(self.card["input_scale"], np.float32))


def load_model():
    """The shipped keyword spotter (weights, card) with its split and int8 model (about 1 s)."""
    network, weights, card = load_kws()
    split = load_split(tuple(card["test_speakers"]), load_corpus())
    return KwsModel(network, weights, quantize(network, weights, split), split, card)


def measure(model, rows=None):
    """{'float': Accuracy, 'int8': Accuracy} on the held-out speaker (or its rows ``rows``)."""
    x, y = model.split.x_test, model.split.y_test
    if rows is not None:
        x, y = x[rows], y[rows]
    return {"float": Accuracy.of(predict(model.network, model.weights, x), y),
            "int8": Accuracy.of(predict_int8(model.int8, x), y)}


def clip_named(name):
    """The shipped Clip called ``name`` (e.g. '7_yweweler_0'); UnknownNameError lists them."""
    clips = {c.name: c for c in load_clips()}
    if name not in clips:
        raise UnknownNameError(f"no shipped clip {name!r}; they are {', '.join(sorted(clips))}")
    return clips[name]


def deploy_input(model, clip=DEPLOY_CLIP):
    """(float input (1, FRAMES, 13), digit) of a held-out clip, from its shipped MFCCs, and the
    int8 tensor the MCU gets (Int8Backend.prepare_input)."""
    c = clip_named(clip)
    corpus = load_corpus()
    x = model.input_of(corpus.sequences[c.row])
    return x, c.digit, Int8Backend(model.int8).prepare_input(x)
