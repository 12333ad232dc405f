"""compression's challenge, ``compress-to-budget``: the digits model inside a Flash and an SRAM budget.

The student's ``compress_for_budget(network, weights, digits)`` returns (network, weights, bits);
the probe (``probes.run_compress_for_budget``) sends that model as plain data, the grader
rebuilds and checks it (``plain_model.model_from_plain``) and measures it here: Flash by
``compression.storage.model_storage`` (the one definition the CLI and the dashboard use too),
peak SRAM by the ``exact`` accounting, held-out accuracy by the float kernels; the accuracy lost
against the float model is scored on COMPRESSION_SCALE.
"""

from dataclasses import dataclass

from ...compression import data as digits_data
from ...compression.storage import FLOAT_BITS, model_storage
from ...errors import SpecError
from ...memory import accounting
from ...runtime import batched
from ..plain_model import model_from_plain
from .score import ChallengeScore, Scale

NAME = "compress-to-budget"


@dataclass(frozen=True)
class CompressionScale(Scale):
    """0 if over a budget or a layer does not decode at its bits, else floor + (max - floor) *
    clamp((loss_at_floor - loss) / (loss_at_floor - loss_for_full))."""

    loss_for_full: float = 0.02  # held-out accuracy lost (0.01 = 1 percentage point): full points
    loss_at_floor: float = 0.12  # ... from which on only the floor is earned

    def quality(self, loss):
        """q: 1 at a loss of loss_for_full or less, 0 at loss_at_floor or more."""
        return (self.loss_at_floor - loss) / (self.loss_at_floor - self.loss_for_full)

    def points(self, loss):
        """Points of a model within budget that loses ``loss`` of held-out accuracy."""
        return self.points_for(self.quality(loss))

    def text(self):
        """The published scale, as the notebook, the docs and the feedback record show it."""
        span = self.loss_at_floor - self.loss_for_full
        middle = (self.loss_at_floor + self.loss_for_full) / 2
        return ("0 if the model breaks the Flash or SRAM budget or a layer's values cannot be "
                "stored at its bits; else "
                f"{self.formula(f'clamp(({self.loss_at_floor:g} − loss) / {span:.2f})')} points, "
                "loss = the float model's held-out accuracy − yours. So any model within budget "
                f"earns {self.points_phrase(0)}, a loss of {100 * self.loss_for_full:g} "
                f"percentage points or less earns {self.points_phrase(1)}, "
                f"{100 * middle:g} points of loss earn {self.points_phrase(self.quality(middle))}.")


COMPRESSION_SCALE = CompressionScale()


def activation_dtype(bits):
    """'int8' when every layer of {op: bits} is below 32 bits, else 'float32' (as the dashboard)."""
    return "int8" if all(b < FLOAT_BITS for b in bits.values()) else "float32"


def score_compressed_model(network, weights, bits, flash_budget, sram_budget, float_accuracy,
                           data=None, scale=COMPRESSION_SCALE):
    """ChallengeScore of a compressed digits model within ``flash_budget``/``sram_budget`` bytes.

    network, weights: the model ({op: (weight, bias)}, any architecture that maps the digits
    input to 10 logits); bits: int or {op: bits} (2-8, or 32 = float32 weights); activations are
    int8 when every layer has bits < 32, else float32. float_accuracy: the uncompressed model's
    held-out accuracy (0..1); data: load_digits() output (loaded when None).
    """
    x_test, y_test = (data or digits_data.load_digits())[2:]
    measured = {"flash_budget_bytes": int(flash_budget), "sram_budget_bytes": int(sram_budget),
                "float_accuracy": float(float_accuracy)}

    def zero(message):
        return ChallengeScore(NAME, 0.0, scale.max_points, measured, scale.text(), message)

    if network is None or weights is None:
        return zero("not answered yet")
    try:
        storage = model_storage(weights, bits)
    except SpecError as err:
        return zero(f"{err}: the bits claimed are not the bits stored.")
    dtype = activation_dtype({layer.name: layer.value_bits for layer in storage.layers})
    try:
        sram = int(accounting.profile(network, "per-layer", "exact", dtype).peak_sram_bytes)
        acc = float(batched.accuracy(network, weights, x_test, y_test))
    except (ValueError, KeyError, TypeError, AttributeError) as err:  # a model that does not run
        return zero(f"the model could not be measured ({type(err).__name__}: {err})")
    loss = float(float_accuracy) - acc
    flash = int(storage.flash_bytes)
    measured.update({"peak_sram_bytes": sram, "activation_dtype": dtype, "accuracy": acc,
                     "accuracy_loss": loss, "flash_bytes": flash,
                     "flash_parts": storage.parts()})
    figures = (f"Flash {flash} of {flash_budget} bytes, SRAM {sram} of {sram_budget} bytes, "
               f"accuracy {100 * acc:.1f}% (float: {100 * float_accuracy:.1f}%)")
    if flash > flash_budget or sram > sram_budget:
        return zero(f"over budget: {figures}.")
    return ChallengeScore(NAME, round(scale.points(loss), 4), scale.max_points, measured,
                          scale.text(), f"fits: {figures}.")


def score_compression_run(run, ref_network, float_accuracy, flash_budget, sram_budget, data=None,
                          scale=COMPRESSION_SCALE):
    """ChallengeScore of a probes.run_compress_for_budget record, measured here: the model
    rebuilt and checked (plain_model.model_from_plain against ``ref_network``, the trained
    Network), then score_compressed_model against ``float_accuracy`` (the trained model's
    held-out accuracy, computed by the caller). A model that cannot be rebuilt scores 0 with the
    reason."""
    measured = {"flash_budget_bytes": int(flash_budget), "sram_budget_bytes": int(sram_budget),
                "float_accuracy": float(float_accuracy)}
    if not isinstance(run, dict) or run.get("problem"):
        reason = run.get("problem") if isinstance(run, dict) else "no probe record"
        return ChallengeScore(NAME, 0.0, scale.max_points, measured, scale.text(), str(reason))
    try:
        model = model_from_plain(run.get("model"), ref_network)
    except SpecError as err:
        return ChallengeScore(NAME, 0.0, scale.max_points, measured, scale.text(),
                              f"the model could not be rebuilt ({err})")
    return score_compressed_model(model.network, model.weights, model.bits, flash_budget,
                                  sram_budget, float_accuracy, data, scale)
