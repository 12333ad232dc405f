"""Hidden checks of sram_accounting (instructor only: never released, hidden in the sandbox).

The grader (tinyml_course_grading) runs the student's notebook in a sandbox, evaluates each Case's `expr` there and
compares the plain-data answer with `expected`, computed here, in the grader, by the package.
docs/grading.md, "How to write a hidden check", explains the pieces.
"""
import functools
import inspect

import numpy as np

from tinyml_course_grading.check_declarations import Case, Check
from tinyml_course_grading.comparisons import close, fields

from tinyml_course import build_network, get_network
from tinyml_course.homework.challenges.streaming_depthwise import (
    STREAMING_CASES, measure_outside, score_streaming_runs, streaming_expected)
from tinyml_course.homework.rules import inplace_scratch_rule
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.arena import Arena
from tinyml_course.model.units import bytes_per_element
from tinyml_course.runtime.inplace import depthwise_conv2d_inplace
from tinyml_course.runtime.kernels import depthwise_conv2d

SPEC = {"name": "tiny-mbconv", "resolution": 32, "input_channels": 3,
        "stem": {"kernel": 3, "stride": 2, "out": 8},
        "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1},
                   {"kernel": 3, "expand": 4, "out": 16, "stride": 2},
                   {"kernel": 5, "expand": 3, "out": 16, "stride": 1}],
        "feature_mix": None, "classes": 10}
NETS = {"tiny": ("tiny",), "mcunet-in1@96": ("mcunet-in1", 96), "mcunet-in2@64": ("mcunet-in2", 64),
        "mobilenetv2@64x0.5": ("mobilenetv2", 64, 0.5),
        "mobilenetv2@96x0.35": ("mobilenetv2", 96, 0.35)}
# held out: none of them is one of the visible test's three cases (8,10,10 s1 p1; 6,9,11 s2 p1;
# 3,8,8 s1 p0); stride 2, padding 0, odd and non-square sizes, k = 5 and 7
INPLACE = [(7, 13, 9, 3, 2, 1, 10), (5, 12, 12, 5, 1, 2, 2), (4, 15, 15, 7, 2, 3, 3),
           (3, 11, 8, 3, 1, 0, 11), (6, 10, 14, 5, 2, 0, 12), (2, 7, 7, 3, 1, 1, 13)]

# Built by these functions here (for the expected values) and, from their source in HELPERS,
# inside the sandbox (for the student's calls); `_np`, `_build`, `_get` are their names in both
# places (and `_GRADER_SPEC`), so that nothing in the student's namespace is replaced.
_np, _build, _get, _GRADER_SPEC = np, build_network, get_network, SPEC


def _grader_net(args):
    return _build(_GRADER_SPEC) if args == ("tiny",) else _get(*args)


def _grader_depthwise_inputs(c, h, w, k, seed):
    rng = _np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(_np.float32)
    weight = rng.standard_normal((c, k, k)).astype(_np.float32)
    bias = rng.standard_normal(c).astype(_np.float32)
    return x, weight, bias


# Run in the sandbox, before the calls: inputs built here are outside the calls' blocked window.
HELPERS = f'''
import numpy as _np
from tinyml_course import build_network as _build, get_network as _get
from tinyml_course.memory.arena import Arena as _Arena
_GRADER_SPEC = {SPEC!r}


{inspect.getsource(_grader_net)}

_GRADER_NETS = {{key: _grader_net(args) for key, args in {NETS!r}.items()}}


{inspect.getsource(_grader_depthwise_inputs)}

def _grader_inplace(fn, c, h, w, k, stride, padding, seed):
    x, weight, bias = _grader_depthwise_inputs(c, h, w, k, seed)
    arena = _Arena(1 << 22)
    buf = arena.alloc("x", (c, h, w), _np.float32)
    buf.array[...] = x
    offset = buf.offset
    out = fn(arena, buf, weight, bias, stride, padding)
    if out is None:
        return None
    return {{"shape": list(out.shape), "in_place": out.offset == offset,
             "out": _np.array(out.array), "peak": arena.peak_bytes, "live": arena.live_bytes}}


# the challenge: here only whether the function is answered (a tiny run); its memory is
# measured outside the student's process, one fresh process per hidden case (_streaming_outside)
from tinyml_course.homework.challenges.probes import run_streaming_depthwise as _grader_run_streaming


def _grader_streaming(fn):
    run = _grader_run_streaming(fn, 2, 8, 8, 3, 0)
    return None if run["returned"] == "NoneType" else "answered"
'''


def _net(key):
    return _grader_net(NETS[key])


def _sram(key, convention, dtype):
    return lambda: {l.name: l.sram_bytes for l in profile(_net(key), "per-layer", convention,
                                                          dtype).layers}


def _inplace_expected(c, h, w, k, stride, padding, seed):
    x, weight, bias = _grader_depthwise_inputs(c, h, w, k, seed)
    out = depthwise_conv2d(x, weight, bias, stride, padding)
    arena = Arena(1 << 22)
    buf = arena.alloc("x", (c, h, w), np.float32)
    buf.array[...] = x
    depthwise_conv2d_inplace(arena, buf, weight, bias, stride, padding)
    return {"shape": list(out.shape), "in_place": True, "out": out, "peak": arena.peak_bytes,
            "live": out.nbytes}


def _inplace_compare(c, h, w, k, stride, padding):
    """The fields compared, and for a wrong peak the rule the scratch breaks (rules.py)."""
    base = fields(out=close(1e-4, 1e-4))

    def compare(got, expected):
        reason = base(got, expected)
        if reason and reason.startswith("peak:") and isinstance(got.get("peak"), int):
            rule = inplace_scratch_rule((c, h, w), expected["shape"], got["peak"], 4, stride,
                                        padding, k)
            reason += f" ({rule})" if rule else ""
        return reason
    return compare


@functools.lru_cache(maxsize=None)
def _streaming_expected():
    return [streaming_expected(*case) for case in STREAMING_CASES]


def _streaming_outside(cases):
    """The judged records of the student's solution cell, each hidden case run in a fresh
    sandboxed process and its peak memory read by the grader (case_measurement.OutsideCases)."""
    return measure_outside(cases, _streaming_expected())


def _streaming_grade(got, expected):
    """(fraction, feedback sentence, record) of the challenge from the records the grader
    measured outside (_streaming_outside), scored on the published scale."""
    if not isinstance(got, list) or len(got) != expected:
        raise ValueError(f"{len(got)} cases measured, expected {expected}")
    score = score_streaming_runs(got)
    return score.fraction, score.summary(), score.to_json()


_rng = np.random.default_rng(1)
_SHAPES = [tuple(int(d) for d in _rng.integers(1, 200, size=3)) for _ in range(10)]
_BYTES_CASES = [((16, 112, 112), "int8"), ((3, 4, 5), "float32"), ((1, 1, 1), "int8")] + \
    [(shape, dtype) for shape in _SHAPES for dtype in ("int8", "float32")]


def _peak_cases():
    cases = [Case("{'a': 5, 'b': 9, 'c': 9} (a tie)", "peak_sram({'a': 5, 'b': 9, 'c': 9})", ("b", 9)),
             Case("a single op", "peak_sram({'x': 1})", ("x", 1))]
    for convention, schedule in [("mcunet", "per-layer"), ("tinyengine", "per-layer"),
                                 ("exact", "in-place")]:
        prof = profile(get_network("mobilenetv2", 224), schedule, convention)
        table = {l.name: l.sram_bytes for l in prof.layers}
        cases.append(Case(f"MobileNetV2-224, {convention} convention", f"peak_sram({table!r})",
                          (prof.peak_layer.name, prof.peak_sram_bytes)))
    return cases


CHECKS = [
    Check("test-tensor-bytes", "tensor_bytes", solution="tensor-bytes", scoring="fraction",
          property="bytes = elements x bytes per element, any shape, both dtypes",
          cases=[Case(f"shape {shape}, {dtype}", f"tensor_bytes({shape!r}, {dtype!r})",
                      int(np.prod(shape)) * bytes_per_element(dtype))
                 for shape, dtype in _BYTES_CASES]),
    Check("test-io-rule-sram", "io_rule_sram", solution="io-rule-sram", scoring="fraction",
          property="input + output per conv-like op, the block input at a residual block's "
                   "depthwise, 0 for add and pool",
          reference=["tinyml_course.memory.accounting:profile",
                     "tinyml_course.memory.accounting:fits",
                     "tinyml_course.memory.live_set:layer_views",
                     "tinyml_course.memory.live_set:layer_memory",
                     "tinyml_course.memory.live_set:layer_sram"],
          similar_to=["tinyml_course.memory.conventions:Convention.held",
                      "tinyml_course.memory.live_set:layer_memory"],
          cases=[Case(f"{key} ({dtype})", f"io_rule_sram(_GRADER_NETS[{key!r}], {dtype!r})",
                      _sram(key, "mcunet", dtype))
                 for key, dtype in [("tiny", "int8"), ("tiny", "float32"),
                                    ("mcunet-in1@96", "int8"), ("mobilenetv2@64x0.5", "float32")]]),
    Check("test-live-set-sram", "live_set_sram", solution="live-set-sram", scoring="fraction",
          property="every tensor still to be read is live, residuals until their add",
          reference=["tinyml_course.memory.accounting:profile",
                     "tinyml_course.memory.accounting:fits",
                     "tinyml_course.memory.live_set:live_tensors",
                     "tinyml_course.memory.live_set:layer_views",
                     "tinyml_course.memory.live_set:layer_memory",
                     "tinyml_course.memory.live_set:layer_sram"],
          similar_to=["tinyml_course.memory.live_set:live_tensors",
                      "tinyml_course.memory.live_set:layer_views"],
          cases=[Case(f"{key} ({dtype})", f"live_set_sram(_GRADER_NETS[{key!r}], {dtype!r})",
                      _sram(key, "exact", dtype))
                 for key, dtype in [("tiny", "int8"), ("tiny", "float32"),
                                    ("mcunet-in2@64", "int8"), ("mobilenetv2@96x0.35", "float32")]]),
    Check("test-peak-sram", "peak_sram", solution="peak-sram", scoring="fraction",
          property="the largest entry and its op, the first one when tied",
          cases=_peak_cases()),
    Check("test-depthwise-inplace", "depthwise_inplace", solution="depthwise-inplace",
          property="output equal to the standard depthwise, at the input's address, measured "
                   "peak C*H*W + Ho*Wo elements, the scratch freed",
          reference=["tinyml_course.runtime.inplace:depthwise_conv2d_inplace",
                     "tinyml_course.runtime.inplace:depthwise_inplace"],
          cases=[Case(f"C,H,W={c},{h},{w} k={k} stride={s} padding={p}",
                      f"_grader_inplace(depthwise_inplace, {c}, {h}, {w}, {k}, {s}, {p}, {seed})",
                      (lambda args=(c, h, w, k, s, p, seed): _inplace_expected(*args)),
                      compare=_inplace_compare(c, h, w, k, s, p))
                 for c, h, w, k, s, p, seed in INPLACE], scoring="fraction"),
    Check("test-depthwise-streaming", "depthwise_streaming", solution="depthwise-streaming",
          property="a right in-place output, measured extra memory on the published scale",
          challenge="streaming-depthwise", grade=_streaming_grade, outside=_streaming_outside,
          cases=[Case("the hidden shapes, each in a process of its own",
                      "_grader_streaming(depthwise_streaming)", len(STREAMING_CASES))]),
]
