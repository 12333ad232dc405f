"""Vectorised kernels against the naive loop references, on random shapes, strides and paddings."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinyml_course import SpecError
from tinyml_course.runtime import kernels
from tinyml_course.runtime.naive import naive_conv2d, naive_depthwise_conv2d, naive_linear

TOL = 1e-4  # float32 kernels vs float64 loops

conv_cases = st.tuples(
    st.integers(1, 4),  # Cin
    st.integers(1, 4),  # Cout
    st.integers(3, 9), st.integers(3, 9),  # H, W
    st.sampled_from([1, 3, 5]),  # k
    st.sampled_from([1, 2]),  # stride
    st.integers(0, 2),  # padding
    st.integers(0, 2**31 - 1),  # seed
)


@settings(max_examples=40, deadline=None)
@given(conv_cases)
def test_conv2d_matches_naive(case):
    cin, cout, h, w, k, stride, padding, seed = case
    if h + 2 * padding < k or w + 2 * padding < k:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cin, h, w)).astype(np.float32)
    weight = rng.standard_normal((cout, cin, k, k)).astype(np.float32)
    bias = rng.standard_normal(cout).astype(np.float32)
    got = kernels.conv2d(x, weight, bias, stride, padding)
    np.testing.assert_allclose(got, naive_conv2d(x, weight, bias, stride, padding), atol=TOL, rtol=TOL)


@settings(max_examples=40, deadline=None)
@given(conv_cases)
def test_depthwise_matches_naive(case):
    c, _, h, w, k, stride, padding, seed = case
    if h + 2 * padding < k or w + 2 * padding < k:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    weight = rng.standard_normal((c, k, k)).astype(np.float32)
    bias = rng.standard_normal(c).astype(np.float32)
    got = kernels.depthwise_conv2d(x, weight, bias, stride, padding)
    np.testing.assert_allclose(got, naive_depthwise_conv2d(x, weight, bias, stride, padding),
                               atol=TOL, rtol=TOL)


STRIDE_1_MIN = kernels.CHANNELS_LAST_MIN_STRIDE_1


@pytest.mark.parametrize("c, h, w, k, stride, padding", [
    (STRIDE_1_MIN, 9, 8, 3, 1, 1), (STRIDE_1_MIN + 1, 6, 6, 7, 1, 3),  # pixel groups of 8, 6
    (STRIDE_1_MIN, 5, 7, 5, 1, 2), (600, 3, 3, 3, 1, 1),  # a prime width; a group of 1 pixel
    (kernels.CHANNELS_LAST_MIN + 6, 8, 8, 5, 2, 2), (kernels.CHANNELS_LAST_MIN, 7, 10, 7, 2, 0)])
def test_channels_last_depthwise_matches_naive(rng, c, h, w, k, stride, padding):
    """With enough channels the kernel runs channels-last (in pixel groups at stride 1): does it
    still give the loop reference's values, with bias and activation, into ``out`` and alone,
    and its batched form (N, C, H, W) image by image?"""
    assert kernels.runs_channels_last(c, stride)
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    weight = rng.standard_normal((c, k, k)).astype(np.float32)
    bias = rng.standard_normal(c).astype(np.float32)
    expected = np.clip(naive_depthwise_conv2d(x, weight, bias, stride, padding), 0, 6)
    got = kernels.depthwise_conv2d(x, weight, bias, stride, padding, "relu6")
    assert got.flags.c_contiguous and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=TOL, rtol=TOL)
    out = np.full(expected.shape, np.nan, np.float32)
    assert kernels.depthwise_conv2d(x, weight, bias, stride, padding, "relu6", out=out) is out
    np.testing.assert_allclose(out, expected, atol=TOL, rtol=TOL)
    batch = np.stack([x, -x])
    got = kernels.depthwise_conv2d_batch(batch, weight, bias, stride, padding, "relu6")
    np.testing.assert_allclose(got[0], expected, atol=TOL, rtol=TOL)
    expected = np.clip(naive_depthwise_conv2d(-x, weight, bias, stride, padding), 0, 6)
    np.testing.assert_allclose(got[1], expected, atol=TOL, rtol=TOL)


def test_pointwise_is_a_1x1_conv_and_linear_matches_naive(rng):
    x = rng.standard_normal((6, 5, 7)).astype(np.float32)
    w = rng.standard_normal((4, 6)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    np.testing.assert_allclose(kernels.pointwise_conv2d(x, w, b),
                               naive_conv2d(x, w[:, :, None, None], b), atol=TOL)
    v = rng.standard_normal((6, 1, 1)).astype(np.float32)
    np.testing.assert_allclose(kernels.linear(v, w, b).ravel(), naive_linear(v.ravel(), w, b), atol=TOL)


def test_activations_pool_add_and_out_argument(rng):
    x = (rng.standard_normal((3, 4, 4)) * 10).astype(np.float32)
    assert kernels.activate(x.copy(), "relu6").max() <= 6 and kernels.activate(x.copy(), "relu").min() >= 0
    np.testing.assert_allclose(kernels.global_avg_pool(x).ravel(), [x[c].mean() for c in range(3)],
                               rtol=1e-6)
    out = np.zeros((3, 4, 4), np.float32)
    result = kernels.add(x, x, out=out)
    assert result is out and np.array_equal(out, 2 * x)


def test_bad_arguments_raise_clear_errors(rng):
    x = rng.standard_normal((3, 8, 8)).astype(np.float32)
    with pytest.raises(SpecError, match="stride"):
        kernels.conv2d(x, np.ones((2, 3, 3, 3), np.float32), stride=0)
    with pytest.raises(SpecError, match=r"\(Cout, 3, kh, kw\)"):
        kernels.conv2d(x, np.ones((2, 4, 3, 3), np.float32))
    with pytest.raises(SpecError, match=r"\(C, H, W\)"):
        kernels.depthwise_conv2d(np.ones((8, 8)), np.ones((3, 3, 3)))
    with pytest.raises(SpecError, match=r"\(N, C, H, W\)"):
        kernels.depthwise_conv2d_batch(x, np.ones((3, 3, 3)))
    with pytest.raises(SpecError, match=r"depthwise weight must be \(3, k, k\)"):
        kernels.depthwise_conv2d_batch(x[None], np.ones((4, 3, 3)))
    with pytest.raises(SpecError, match="activation"):
        kernels.activate(x, "gelu")
