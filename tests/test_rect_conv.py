"""A rectangular conv (kh x kw, stride, uneven padding (top, bottom, left, right)), as MLPerf
KWS's 10x4 stride-2 "same" stem: the float and int8 kernels against plain loops written here
from the definition, every schedule of mlperf-kws in the arena equal to the plain forward pass,
and the bad shapes refused in one line."""

import numpy as np
import pytest

from tinyml_course.compression.int8_convert import convert
from tinyml_course.errors import SpecError
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.patch_plan import Window, patch_plan
from tinyml_course.model.network import Network, Op
from tinyml_course.model.ops import OP_RULES, same_padding
from tinyml_course.model.zoo import get_network
from tinyml_course.runtime import int8_kernels, kernels
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.executor import execute, reference_forward
from tinyml_course.runtime.fixedpoint import Requant
from tinyml_course.runtime.int8_backend import Int8Backend


def loop_conv(x, weight, stride, pads, pad_value=0):
    """sum over ci, ky, kx of x[ci, oy*s - top + ky, ox*s - left + kx] * w[co, ci, ky, kx], where
    a tap outside x reads ``pad_value``: plain loops, int64 or float64."""
    top, bottom, left, right = pads
    cin, h, w = x.shape
    cout, _, kh, kw = weight.shape
    ho, wo = (h + top + bottom - kh) // stride + 1, (w + left + right - kw) // stride + 1
    acc = np.zeros((cout, ho, wo), np.float64 if x.dtype.kind == "f" else np.int64)
    for co in range(cout):
        for oy in range(ho):
            for ox in range(wo):
                for ci in range(cin):
                    for ky in range(kh):
                        for kx in range(kw):
                            iy, ix = oy * stride - top + ky, ox * stride - left + kx
                            inside = 0 <= iy < h and 0 <= ix < w
                            acc[co, oy, ox] += (x[ci, iy, ix] if inside else pad_value) * \
                                weight[co, ci, ky, kx]
    return acc


def test_same_padding_is_tensorflows():
    assert same_padding(49, 10, 2) == (4, 5)  # out 25, 9 rows
    assert same_padding(10, 4, 2) == (1, 1)  # out 5, 2 columns
    assert same_padding(96, 3, 2) == (0, 1)  # out 48: the odd row after
    assert same_padding(25, 3, 1) == (1, 1)


CASES = [((2, 13, 7), (3, 2, 4, 3), 2, (1, 2, 0, 1)), ((1, 49, 10), (4, 1, 10, 4), 2, (4, 5, 1, 1)),
         ((3, 6, 9), (2, 3, 1, 5), 1, (0, 0, 2, 2))]


@pytest.mark.parametrize("x_shape, w_shape, stride, pads", CASES)
def test_float_conv_equals_the_loops(x_shape, w_shape, stride, pads):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    ours = kernels.conv2d(x, w, None, stride, pads)
    np.testing.assert_allclose(ours, loop_conv(x, w, stride, pads), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, pads", CASES)
def test_int8_conv_equals_the_loops_with_zero_point_padding(x_shape, w_shape, stride, pads):
    """TFLite's reference CONV_2D: acc = sum (x - x_zp) w + bias over the taps inside the input
    (a padded tap adds 0), then the requantization."""
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, x_shape).astype(np.int8)
    w = rng.integers(-127, 128, w_shape).astype(np.int8)
    bias = rng.integers(-1000, 1000, w_shape[0]).astype(np.int32)
    rq = Requant(np.full(w_shape[0], 1 << 30, np.int32), np.full(w_shape[0], -6, np.int32),
                 -3, -128, 127)
    x_zp = -3
    acc = loop_conv(x.astype(np.int64) - x_zp, w.astype(np.int64), stride, pads)
    expected = rq.apply((acc + bias.reshape(-1, 1, 1)).astype(np.int32))
    ours = int8_kernels.conv2d_int8(x, x_zp, w, bias, rq, stride, pads)
    np.testing.assert_array_equal(ours, expected)


@pytest.fixture(scope="module")
def kws():
    net = get_network("mlperf-kws")
    rng = np.random.default_rng(0)
    weights = random_weights(net, rng)
    x = rng.standard_normal(net.input_shape).astype(np.float32)
    return net, weights, x


def test_every_schedule_runs_kws_as_the_plain_forward_pass(kws):
    """Float and int8: per layer, in place and patch-based (the stem and block0 in 2 x 2 patches:
    the stem's rows 4 above and 5 below cut across tiles) equal the forward pass without an
    arena, and each arena's measured peak equals the planner's."""
    net, weights, x = kws
    int8 = Int8Backend(convert(net, weights, x[np.newaxis]))
    for backend, dtype in ((weights, "float32"), (int8, "int8")):
        expected = reference_forward(net, x, backend)
        for schedule, options in (("per-layer", {}), ("in-place", {}),
                                  ("patch", {"patches": 2, "split": "block0"})):
            run = execute(net, x, backend, schedule, **options)
            if dtype == "int8":
                np.testing.assert_array_equal(run.output, expected)
            else:
                np.testing.assert_allclose(run.output, expected, rtol=1e-5, atol=1e-5)
            planned = profile(net, schedule, "exact", dtype, **options).peak_sram_bytes
            assert run.peak_sram_bytes == planned, (dtype, schedule)


def test_kws_peaks_counted_by_hand():
    """Per layer: a 1x1 conv reads 64 x 25 x 5 and writes as much (int8, 16,000 B); in place the
    depthwise overwrites its input, so the 1x1 is still the peak."""
    net = get_network("mlperf-kws")
    assert profile(net, "per-layer", "exact", "int8").peak_sram_bytes == 2 * 64 * 25 * 5
    assert profile(net, "in-place", "exact", "int8").peak_sram_bytes == 2 * 64 * 25 * 5


@pytest.mark.parametrize("kernel, padding, kind, words", [
    ((10, 4), 1, "dwconv", "square kernel"), (3, (1, 2, 1, 1), "dwconv", "square kernel"),
    ((10, 0), 1, "conv", "kernel must be"), (3, (1, 2, 1), "conv", "padding must be"),
    ([10, 4], 1, "conv", "kernel must be")])
def test_bad_rectangular_ops_are_refused_in_one_line(kernel, padding, kind, words):
    with pytest.raises(SpecError, match=words) as err:
        Op("x", kind, ("input",), (1, 49, 10), (1, 25, 5), kernel, 2, padding)
    assert "\n" not in str(err.value)


def test_a_kernel_taller_than_the_input_leaves_no_output():
    with pytest.raises(SpecError, match=r"10x4 kernel .* on a 6x10 input leaves no output"):
        OP_RULES["conv"].out_hw(6, 10, (10, 4), 2, (0, 0, 1, 1))


def test_a_rectangular_kernel_on_a_square_map_plans_its_columns_apart():
    """A 5x1 conv (2 rows of padding above and below, none at the sides) on a square 12 x 12 map:
    a patch's columns are not the mirror of its rows (the planner once reused the row windows
    for the columns whenever the maps were square, holding 2 columns too many on each side);
    int8 patch-based equals the plain pass."""
    ops = [Op("stem", "conv", ("input",), (2, 12, 12), (4, 12, 12), (5, 1), 1, (2, 2, 0, 0)),
           Op("dw", "dwconv", ("stem",), (4, 12, 12), (4, 12, 12), 3, 1, 1, "relu")]
    net = Network("rect-on-square", (2, 12, 12), ops)
    plan = patch_plan(net, "dw", 3)  # tiles [0, 4), [4, 8), [8, 12) of the 12 x 12 output
    # the middle patch: dw reads rows/columns [3, 9) of the stem's output; the 5x1 stem reads
    # its input's rows [1, 11) (2 more each side) but the same columns [3, 9)
    assert plan.window(1, 1, "stem") == Window(3, 9, 3, 9)
    assert plan.window(1, 1, "input") == Window(1, 11, 3, 9)
    rng = np.random.default_rng(3)
    weights = random_weights(net, rng)
    x = rng.standard_normal(net.input_shape).astype(np.float32)
    int8 = Int8Backend(convert(net, weights, x[np.newaxis]))
    run = execute(net, x, int8, "patch", patches=3, split="dw")
    np.testing.assert_array_equal(run.output, reference_forward(net, x, int8))
    assert run.peak_sram_bytes == profile(net, "patch", "exact", "int8", patches=3,
                                          split="dw").peak_sram_bytes


def test_a_grid_finer_than_the_stage_output_is_refused_in_one_line():
    with pytest.raises(SpecError, match="a 6x6 grid has more patches than the 25x5 stage output"):
        profile(get_network("mlperf-kws"), "patch", patches=6, split="block0")
