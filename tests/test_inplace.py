"""In-place depthwise convolution: same output, (C + 1)*H*W instead of 2*C*H*W, stride 2, padding."""

import numpy as np
import pytest

from tinyml_course import SpecError
from tinyml_course.memory.arena import Arena
from tinyml_course.runtime.inplace import depthwise_conv2d_inplace
from tinyml_course.runtime.naive import naive_depthwise_conv2d

F32 = 4  # bytes per float32 element


def _run_inplace(x, weight, bias, stride, padding):
    arena = Arena(10**7)
    buf = arena.alloc("x", x.shape, np.float32)
    buf.array[...] = x
    out = depthwise_conv2d_inplace(arena, buf, weight, bias, stride, padding)
    return out.array.copy(), arena.peak_bytes, arena.live_bytes


def _run_standard_peak(x, weight, stride, padding):
    arena = Arena(10**7)
    arena.alloc("x", x.shape, np.float32)
    c, h, w = x.shape
    k = weight.shape[1]
    arena.alloc("y", (c, (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1),
                np.float32)
    return arena.peak_bytes


@pytest.mark.parametrize("c, h, w, k, stride, padding", [
    (8, 12, 12, 3, 1, 1),  # stride 1, same padding: the lecture's (C + 1) * H * W
    (5, 11, 9, 5, 1, 2),
    (8, 12, 12, 3, 2, 1),  # stride 2: the output is smaller, compacted at the buffer's start
    (6, 13, 13, 7, 2, 3),
    (4, 10, 10, 3, 1, 0),  # no padding: a smaller output again
])
def test_inplace_equals_standard_and_costs_one_channel_buffer(c, h, w, k, stride, padding, rng):
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    weight = rng.standard_normal((c, k, k)).astype(np.float32)
    bias = rng.standard_normal(c).astype(np.float32)
    got, peak, live_after = _run_inplace(x, weight, bias, stride, padding)
    expected = naive_depthwise_conv2d(x, weight, bias, stride, padding)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    ho, wo = expected.shape[1:]
    assert peak == (c * h * w + ho * wo) * F32  # the input's buffer + one output channel
    assert live_after == c * ho * wo * F32  # the tail is released
    assert _run_standard_peak(x, weight, stride, padding) == (c * h * w + c * ho * wo) * F32
    if stride == 1 and padding == k // 2:
        assert peak == (c + 1) * h * w * F32 and _run_standard_peak(x, weight, 1, padding) == 2 * c * h * w * F32


def test_padding_that_grows_the_output_cannot_run_in_place(rng):
    x = rng.standard_normal((2, 4, 4)).astype(np.float32)
    with pytest.raises(SpecError, match="in-place"):
        _run_inplace(x, np.ones((2, 1, 1), np.float32), None, 1, 1)
