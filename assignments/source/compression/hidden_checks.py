"""Hidden checks of compression (instructor only: never released, hidden in the sandbox).

The grader (tinyml_course_grading) runs the student's notebook in a sandbox, evaluates each Case's `expr` there and
compares the plain-data answer with `expected`, computed here, in the grader, by the package.
docs/grading.md, "How to write a hidden check", explains the pieces.
"""
import inspect

import numpy as np

from tinyml_course_grading.check_declarations import Case, Check
from tinyml_course_grading.comparisons import close

from tinyml_course.compression import trained
from tinyml_course.compression.data import load_digits
from tinyml_course.homework.challenges.compressed_model import score_compression_run
from tinyml_course.compression.prune import channel_importance, magnitude_mask
from tinyml_course.runtime.fixedpoint import Requant, quantize_multiplier
from tinyml_course.runtime.int8_kernels import conv2d_int8
from tinyml_course.runtime import batched
from tinyml_course.runtime.qscheme import linear_qparams

NETWORK, WEIGHTS = trained.load_trained()
# these functions are a few lines long: an honest answer is close to the package's by necessity
# (the reference solutions score 0.90 on magnitude_prune), so only near-verbatim copies are flagged
SIMILARITY_THRESHOLD = 0.95
SPARSITIES = (0.0, 0.13, 0.5, 0.9)
LAYERS = ("stem", "block1.dw", "block3.project", "classifier")
CONVS = ((1, 8, 3, 2, 1), (5, 2, 5, 2, 2), (4, 6, 1, 1, 0), (2, 3, 3, 1, 0))

# the inputs of the hidden calls, built from seeds by these two functions: here for the expected
# values, and (their source, in HELPERS) inside the sandbox for the student's calls. `_np` and
# `_qm` are their names in both places, so that nothing in the student's namespace is replaced.
_np, _qm = np, quantize_multiplier


def _grader_prune_inputs(sparsities):
    rng = _np.random.default_rng(7)
    out = []
    for _ in sparsities:
        w = rng.standard_normal((6, 5, 3, 3)).astype(_np.float32)
        w[0, 0, 0, :2] = 0.25  # a tie
        w[0, 0, 1, :2] = -0.25
        out.append(w)
    return out


def _grader_conv_inputs(convs):
    rng = _np.random.default_rng(11)
    out = []
    for cin, cout, k, stride, pad in convs:
        x = rng.integers(-128, 128, (cin, 7, 7)).astype(_np.int8)
        w = rng.integers(-127, 128, (cout, cin, k, k)).astype(_np.int8)
        b = rng.integers(-2000, 2000, cout).astype(_np.int32)
        m0, sh = _qm(rng.uniform(0.0002, 0.01, cout))
        xz, yz = int(rng.integers(-100, 100)), int(rng.integers(-100, 100))
        out.append((x, xz, w, b, m0, sh, yz, stride, pad, yz, min(127, yz + 60)))
    return out


# run in the sandbox before the calls: inputs built from seeds, never an expected value
HELPERS = f'''
import numpy as _np
from tinyml_course.compression import trained as _trained
from tinyml_course.runtime.fixedpoint import quantize_multiplier as _qm
_GRADER_W = _trained.load_trained()[1]


{inspect.getsource(_grader_prune_inputs)}

_GRADER_PRUNE = _grader_prune_inputs({SPARSITIES!r})


def _grader_prune(fn, w, sparsity):
    before = _np.array(w, copy=True)
    result = fn(w, sparsity)
    if result is None:
        return None
    pruned, mask = result
    return {{"pruned": _np.asarray(pruned, _np.float64), "mask": _np.asarray(mask, _np.float64),
             "input_kept": bool(_np.array_equal(w, before))}}


{inspect.getsource(_grader_conv_inputs)}

_GRADER_CONV = _grader_conv_inputs({CONVS!r})


# the challenge: the student's function called here, in the sandbox, on a fresh copy of the
# trained model; only its model comes back, as plain data, measured and scored outside
from tinyml_course.compression.data import load_digits as _grader_digits
from tinyml_course.homework.challenges.probes import run_compress_for_budget as _grader_run_compress


def _grader_compress(fn):
    run = _grader_run_compress(fn, *_trained.load_trained(), _grader_digits())
    return None if run["returned"] == "NoneType" else run  # None: not answered yet


def _grader_conv(fn, i):
    y = fn(*_GRADER_CONV[i])
    return None if y is None else {{"dtype": str(_np.asarray(y).dtype), "y": _np.asarray(y, _np.int64)}}
'''


def _prune_expected(i):
    w = _grader_prune_inputs(SPARSITIES)[i]
    mask = magnitude_mask(w, SPARSITIES[i]).astype(np.float64)
    return {"pruned": w.astype(np.float64) * mask, "mask": mask, "input_kept": True}


def _same(got, expected):
    got = np.asarray(got, np.float64)
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    wrong = int(np.sum(got != expected))
    return f"{wrong} of {expected.size} entries differ" if wrong else None


def _prune_compare(got, expected):
    if not isinstance(got, dict):
        return f"got {type(got).__name__}, expected (pruned, mask)"
    if got["input_kept"] is not True:
        return "magnitude_prune modified its input"
    for key in ("mask", "pruned"):
        reason = _same(got[key], expected[key])
        if reason:
            return f"{key}: {reason}"
    return None


def _qparams_cases():
    rng = np.random.default_rng(3)
    cases = [Case("[-1, 3] at 8 bits", "linear_qparams(-1.0, 3.0, 8)", (4 / 255, -64)),
             Case("[-0.5, 2] at 8 bits, symmetric", "linear_qparams(-0.5, 2.0, 8, symmetric=True)",
                  (2 / 127, 0)),
             Case("[2, 5] at 4 bits: the range must hold 0", "linear_qparams(2.0, 5.0, 4)",
                  (5 / 15, -8)),
             Case("[0, 0]: scale 1", "linear_qparams(0.0, 0.0, 8)", (1.0, None))]
    for _ in range(40):
        lo, hi = sorted(float(v) for v in rng.normal(0, 3, 2))
        bits = int(rng.integers(2, 9))
        for sym in (False, True):
            s, z = linear_qparams(lo, hi, bits, sym)
            cases.append(Case(f"[{lo:.4f}, {hi:.4f}] at {bits} bits{', symmetric' if sym else ''}",
                              f"linear_qparams({lo!r}, {hi!r}, {bits}, {sym})",
                              (float(s), int(z))))
    return cases


def _qparams_compare(got, expected):
    if not isinstance(got, list) or len(got) != 2:
        return f"got {got!r}, expected (scale, zero_point)"
    scale, zp = got
    if not isinstance(scale, (int, float)) or abs(scale - expected[0]) > 1e-12 * abs(expected[0]):
        return f"scale {scale!r}, expected {expected[0]!r}"
    if expected[1] is not None and zp != expected[1]:
        return f"zero point {zp!r}, expected {expected[1]}"
    return None


FLASH_BUDGET, SRAM_BUDGET = 4 * 1024, 8 * 1024  # bytes, as the notebook's challenge-setup cell


def _float_accuracy():
    """The trained float model's held-out accuracy, computed here."""
    return batched.accuracy(NETWORK, WEIGHTS, *load_digits()[2:])


def _compress_grade(got, float_accuracy):
    """(fraction, feedback sentence, record) of the challenge from the sandbox's model: rebuilt,
    measured (Flash, SRAM, held-out accuracy) and scored here, on the published scale."""
    if not isinstance(got, dict):
        raise ValueError(f"got {type(got).__name__}, expected the probe's record")
    score = score_compression_run(got, NETWORK, float_accuracy, FLASH_BUDGET, SRAM_BUDGET,
                                  load_digits())
    return score.fraction, score.summary(), score.to_json()


def _conv_reference(x, x_zp, w, bias, m0, shift, y_zp, stride, padding, act_min, act_max):
    """The package's int8 conv for the exercise's argument order (m0, shift, y_zp, ... loose)."""
    return conv2d_int8(x, x_zp, w, bias, Requant(m0, shift, y_zp, act_min, act_max), stride, padding)


def _conv_compare(got, expected):
    if not isinstance(got, dict):
        return f"got {type(got).__name__}, expected an int8 array"
    if got["dtype"] != "int8":
        return f"output dtype {got['dtype']}, expected int8"
    return _same(got["y"], expected)


CHECKS = [
    Check("test-magnitude-prune", "magnitude_prune", solution="magnitude-prune",
          scoring="fraction",
          property="exactly round(sparsity * size) zeros, smallest |w| first, ties in flat order, "
                   "the input untouched",
          reference=["tinyml_course.compression.prune:magnitude_mask",
                     "tinyml_course.compression.prune:prune_per_layer",
                     "tinyml_course.compression.prune:prune_global"],
          similar_to=["tinyml_course.compression.prune:magnitude_mask"],
          cases=[Case(f"a (6, 5, 3, 3) weight with ties at sparsity {s}",
                      f"_grader_prune(magnitude_prune, _GRADER_PRUNE[{i}], {s})",
                      (lambda i=i: _prune_expected(i)), compare=_prune_compare)
                 for i, s in enumerate(SPARSITIES)]),
    Check("test-channel-importance", "channel_importance", solution="channel-importance",
          scoring="fraction",
          property="the L1 / L2 norm of every output channel",
          reference=["tinyml_course.compression.prune:channel_importance",
                     "tinyml_course.compression.prune:channels_to_keep"],
          similar_to=[],  # two lines: similarity would say nothing
          cases=[Case(f"trained {name} weight, {norm}",
                      f"channel_importance(_GRADER_W[{name!r}][0], {norm!r})",
                      (lambda name=name, norm=norm: channel_importance(WEIGHTS[name][0], norm)),
                      compare=close(1e-5, 1e-8))
                 for name in LAYERS for norm in ("l1", "l2")]),
    Check("test-linear-qparams", "linear_qparams", solution="linear-qparams",
          scoring="fraction",
          property="scale and zero point of the range extended to hold 0, rounded half away "
                   "from zero and clamped",
          reference=["tinyml_course.runtime.qscheme:linear_qparams",
                     "tinyml_course.compression.quantize:tensor_qparams"],
          similar_to=["tinyml_course.runtime.qscheme:linear_qparams"],
          cases=[Case(c.what, c.expr, c.expected, compare=_qparams_compare)
                 for c in _qparams_cases()]),
    Check("test-int8-conv", "int8_conv2d", solution="int8-conv",
          scoring="fraction",
          property="integer-only convolution, input zero point as padding, TFLite requantization, "
                   "clamped, int8 out",
          reference=["tinyml_course.runtime.int8_kernels:conv2d_int8",
                     "tinyml_course.runtime.int8_kernels:depthwise_conv2d_int8",
                     "tinyml_course.runtime.int8_kernels:pointwise_conv2d_int8"],
          similar_to=["tinyml_course.runtime.int8_kernels:conv2d_int8"],
          cases=[Case(f"Cin={cin} Cout={cout} k={k} stride={st} padding={p}, ReLU6 clamp",
                      f"_grader_conv(int8_conv2d, {i})",
                      (lambda i=i: _conv_reference(*_grader_conv_inputs(CONVS)[i])), compare=_conv_compare)
                 for i, (cin, cout, k, st, p) in enumerate(CONVS)]),
    Check("test-compress-for-budget", "compress_for_budget", solution="compress-for-budget",
          property=f"a model within {FLASH_BUDGET // 1024} KiB of Flash and "
                   f"{SRAM_BUDGET // 1024} KiB of SRAM, its held-out accuracy loss on the "
                   f"published scale",
          challenge="compress-to-budget", grade=_compress_grade,
          cases=[Case("the trained digits model, measured by the grader",
                      "_grader_compress(compress_for_budget)", _float_accuracy)]),
]
