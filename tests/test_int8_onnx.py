"""int8 kernels against ONNX Runtime (QLinearConv, QLinearMatMul), within one LSB.

Where ONNX Runtime and our kernels may differ by one LSB: ORT's QLinearConv / QLinearMatMul
requantize with a float32 multiplier and round half to even (MlasRequantizeOutput); we requantize
with TFLite's fixed-point Q31 multiplier and round half away from zero (gemmlowp). The two agree
except when acc * M lies within float rounding of a .5 tie, so outputs differ by at most 1 LSB.

onnx and onnxruntime are in the ``dev`` extra: a missing one fails this module loudly (an import
error), it is never skipped. The other int8 tests (tests/test_int8.py) need neither.
"""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from tinyml_course.compression import int8_convert
from tinyml_course.runtime import int8_kernels as K
from tinyml_course.runtime.fixedpoint import Requant


def _session(nodes, inputs, inits):
    graph = helper.make_graph(nodes, "g", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.INT8, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _init(name, value, dtype):
    return numpy_helper.from_array(np.asarray(value, dtype), name)


def ort_qlinear_conv(x, xs, xz, w, ws, ys, yz, bias, stride, padding, group=1):
    """y of ONNX's QLinearConv, batch 1: x int8 (C, H, W), w int8 (Cout, C/group, k, k)."""
    inits = [_init("xs", xs, np.float32), _init("xz", xz, np.int8), _init("w", w, np.int8),
             _init("ws", ws, np.float32), _init("wz", np.zeros(w.shape[0]), np.int8),
             _init("ys", ys, np.float32), _init("yz", yz, np.int8), _init("b", bias, np.int32)]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"],
                            pads=[padding] * 4, strides=[stride, stride], group=group)
    inp = helper.make_tensor_value_info("x", TensorProto.INT8, [1, *x.shape])
    return _session([node], [inp], inits).run(None, {"x": x[None]})[0][0]


def ort_qlinear_matmul(x, xs, xz, w, ws, ys, yz):
    """y of ONNX's QLinearMatMul: x int8 (1, Cin) @ w.T, w int8 (Cout, Cin), per-column scale."""
    inits = [_init("xs", xs, np.float32), _init("xz", xz, np.int8), _init("b", w.T, np.int8),
             _init("bs", ws, np.float32), _init("bz", np.zeros(w.shape[0]), np.int8),
             _init("ys", ys, np.float32), _init("yz", yz, np.int8)]
    node = helper.make_node("QLinearMatMul", ["x", "xs", "xz", "b", "bs", "bz", "ys", "yz"], ["y"])
    inp = helper.make_tensor_value_info("x", TensorProto.INT8, [1, x.size])
    return _session([node], [inp], inits).run(None, {"x": x.reshape(1, -1)})[0][0]


def _random_case(rng, cout, wshape):
    xs, xz = float(rng.uniform(0.005, 0.05)), int(rng.integers(-30, 30))
    ws = rng.uniform(0.001, 0.02, cout).astype(np.float32)
    ys, yz = float(rng.uniform(0.05, 0.5)), int(rng.integers(-20, 20))
    w = rng.integers(-127, 128, wshape).astype(np.int8)
    bias = rng.integers(-3000, 3000, cout).astype(np.int32)
    rq = Requant.from_real(np.float32(xs) * ws.astype(np.float64) / np.float32(ys), yz)
    return xs, xz, ws, ys, yz, w, bias, rq


def _assert_within_one_lsb(got, ref):
    assert got.dtype == np.int8 and got.shape == ref.shape, (got.dtype, got.shape, ref.shape)
    diff = np.abs(got.astype(np.int32) - ref.astype(np.int32))
    assert diff.max() <= 1, f"max difference {diff.max()} LSB"
    assert (diff == 0).mean() >= 0.9, f"only {(diff == 0).mean():.0%} of outputs equal"


@pytest.mark.parametrize("cin,cout,k,stride,padding,size", [
    (1, 8, 3, 1, 1, 16), (3, 4, 3, 2, 1, 7), (5, 6, 5, 2, 2, 9), (4, 3, 1, 1, 0, 6)])
def test_conv2d_int8_matches_onnxruntime(rng, cin, cout, k, stride, padding, size):
    """Does conv2d_int8 equal ORT QLinearConv (per-channel weights) within 1 LSB?"""
    xs, xz, ws, ys, yz, w, bias, rq = _random_case(rng, cout, (cout, cin, k, k))
    x = rng.integers(-128, 128, (cin, size, size)).astype(np.int8)
    got = K.conv2d_int8(x, xz, w, bias, rq, stride, padding)
    _assert_within_one_lsb(got, ort_qlinear_conv(x, xs, xz, w, ws, ys, yz, bias, stride, padding))


@pytest.mark.parametrize("c,k,stride,size", [(8, 3, 1, 8), (6, 3, 2, 9), (4, 5, 2, 10)])
def test_depthwise_int8_matches_onnxruntime(rng, c, k, stride, size):
    """Does depthwise_conv2d_int8 equal ORT QLinearConv with group = C within 1 LSB?"""
    xs, xz, ws, ys, yz, w, bias, rq = _random_case(rng, c, (c, k, k))
    x = rng.integers(-128, 128, (c, size, size)).astype(np.int8)
    got = K.depthwise_conv2d_int8(x, xz, w, bias, rq, stride, k // 2)
    ref = ort_qlinear_conv(x, xs, xz, w[:, None], ws, ys, yz, bias, stride, k // 2, group=c)
    _assert_within_one_lsb(got, ref)


def test_pointwise_int8_matches_onnxruntime(rng):
    """Does pointwise_conv2d_int8 equal ORT QLinearConv with a 1x1 kernel within 1 LSB?"""
    xs, xz, ws, ys, yz, w, bias, rq = _random_case(rng, 12, (12, 7))
    x = rng.integers(-128, 128, (7, 5, 6)).astype(np.int8)
    got = K.pointwise_conv2d_int8(x, xz, w, bias, rq)
    _assert_within_one_lsb(got, ort_qlinear_conv(x, xs, xz, w[:, :, None, None], ws, ys, yz, bias, 1, 0))


def test_linear_int8_matches_onnxruntime_matmul(rng):
    """Does linear_int8 (no bias) equal ORT QLinearMatMul with per-column weight scales within 1 LSB?"""
    xs, xz, ws, ys, yz, w, _, _ = _random_case(rng, 10, (10, 48))
    ys = ys / 10  # keep the outputs inside int8 without saturating everything
    rq = Requant.from_real(np.float32(xs) * ws.astype(np.float64) / np.float32(ys), yz)
    x = rng.integers(-128, 128, (48, 1, 1)).astype(np.int8)
    got = K.linear_int8(x, xz, w, np.zeros(10, np.int32), rq).reshape(-1)
    _assert_within_one_lsb(got, ort_qlinear_matmul(x, xs, xz, w, ws, ys, yz))


def test_relu6_is_the_output_clamp(rng):
    """Is ReLU6 folded as clamp [y_zp, y_zp + round(6 / y_scale)] = ORT's output clipped the same way?"""
    xs, xz, ws, ys, yz, w, bias, rq = _random_case(rng, 6, (6, 3, 3, 3))
    x = rng.integers(-128, 128, (3, 8, 8)).astype(np.int8)
    lo, hi = int8_convert._act_range("relu6", ys, yz)
    assert (lo, hi) == (max(-128, yz), min(127, yz + round(6 / ys)))
    got = K.conv2d_int8(x, xz, w, bias, Requant(rq.m0, rq.shift, yz, lo, hi), 1, 1)
    ref = np.clip(ort_qlinear_conv(x, xs, xz, w, ws, ys, yz, bias, 1, 1), lo, hi)
    _assert_within_one_lsb(got, ref)
