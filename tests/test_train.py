"""numpy training: gradients against finite differences, the batched forward against the executor,
the digits split, fine-tuning with masks, and the shipped model's held-out accuracy."""

from tinyml_course.compression import train
from tinyml_course.model.network import Op
from tinyml_course.runtime import batched, kernels
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.naive import naive_depthwise_conv2d
import numpy as np
import pytest

from tinyml_course import build_network
from tinyml_course.compression import trained
from tinyml_course.compression.data import load_digits, random_shift
from tinyml_course.runtime.executor import reference_forward

# A tiny net with every op kind the digits model uses: odd resolution and a stride-2 stem so the
# transposed-convolution gradients meet the rows a stride skips; a residual block; pool; linear.
TINY_SPEC = {"name": "tiny", "resolution": 7, "input_channels": 2,
             "stem": {"kernel": 3, "stride": 2, "out": 4},
             "blocks": [{"kernel": 3, "expand": 1, "out": 4, "stride": 1},
                        {"kernel": 3, "expand": 2, "out": 6, "stride": 2}],
             "feature_mix": None, "classes": 3}


def _loss(network, weights, x, y):
    return train.cross_entropy(batched.forward(network, weights, x), y)[0]


def _tiny_kws():
    """A DS-CNN in small: a 4x3 stride-2 stem with TensorFlow's uneven "same" padding on 9 x 6
    (rows 1 above, 2 below; columns 0 left, 1 right), a 3x3 depthwise, pool, classifier."""
    from tinyml_course.model.network import Network
    from tinyml_course.model.ops import same_padding
    pads = same_padding(9, 4, 2) + same_padding(6, 3, 2)
    assert pads == (1, 2, 0, 1)
    ops = [Op("stem", "conv", ("input",), (2, 9, 6), (4, 5, 3), (4, 3), 2, pads, "relu"),
           Op("dw", "dwconv", ("stem",), (4, 5, 3), (4, 5, 3), 3, 1, 1, "relu"),
           Op("pool", "pool", ("dw",), (4, 5, 3), (4, 1, 1)),
           Op("classifier", "linear", ("pool",), (4, 1, 1), (3, 1, 1))]
    return Network("tiny-kws", (2, 9, 6), ops)


@pytest.mark.parametrize("shape", ["mbconv", "rectangular"])
def test_gradients_match_finite_differences(rng, shape):
    """Does backward give dL/dw of every weight and bias within 1e-5 of central differences
    (also through a rectangular stem with uneven padding)?"""
    network = build_network(TINY_SPEC) if shape == "mbconv" else _tiny_kws()
    weights = {k: (w.astype(np.float64), (rng.standard_normal(b.shape) * 0.1))
               for k, (w, b) in random_weights(network, 1, bias_std=0).items()}
    x = rng.standard_normal((3, *network.input_shape))
    y = np.array([0, 2, 1])
    logits, tensors = batched.forward(network, weights, x, keep=True)
    grads = train.backward(network, weights, tensors, train.cross_entropy(logits, y)[1])
    assert set(grads) == set(weights)
    eps = 1e-6
    for name, params in weights.items():
        for i, p in enumerate(params):
            for _ in range(3):
                idx = tuple(int(rng.integers(0, s)) for s in p.shape)
                old = p[idx]
                p[idx] = old + eps
                up = _loss(network, weights, x, y)
                p[idx] = old - eps
                down = _loss(network, weights, x, y)
                p[idx] = old
                numeric = (up - down) / (2 * eps)
                assert abs(grads[name][i][idx] - numeric) < 1e-5 + 1e-3 * abs(numeric), (name, i, idx)


# per-tap; channels-last at stride 1 only; channels-last at every stride
CHANNEL_CASES = [3, kernels.CHANNELS_LAST_MIN_STRIDE_1, kernels.CHANNELS_LAST_MIN]


@pytest.mark.parametrize("channels", CHANNEL_CASES)
@pytest.mark.parametrize("k, stride, side", [(3, 1, 5), (5, 2, 8), (3, 2, 7)])
def test_depthwise_gradients_are_the_adjoints_of_the_loop_reference(rng, channels, k, stride, side):
    """A depthwise conv is linear in x and in w, so its gradients must satisfy
    <dx, v> = <dy, conv(v, w)> and <dw, u> = <dy, conv(x, u)> for any v, u, with conv the loop
    reference: both layouts of the backward pass, odd sizes where the stride skips a row."""
    n, p = 2, k // 2
    out = (side + 2 * p - k) // stride + 1
    op = Op("dw", "dwconv", ("input",), (channels, side, side), (channels, out, out), k, stride, p)
    x = rng.standard_normal((n, channels, side, side))
    w = rng.standard_normal((channels, k, k))
    dy = rng.standard_normal((n, channels, out, out))
    (dx,), (dw, _) = train.op_backward(op, [x], None, dy, {"dw": (w, np.zeros(channels))})
    v, u = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    conv_v = np.stack([naive_depthwise_conv2d(vi, w, None, stride, p) for vi in v])
    conv_u = np.stack([naive_depthwise_conv2d(xi, u, None, stride, p) for xi in x])
    assert np.sum(dx * v) == pytest.approx(np.sum(dy * conv_v), rel=1e-9)
    assert np.sum(dw * u) == pytest.approx(np.sum(dy * conv_u), rel=1e-9)


def test_batched_forward_equals_executor_per_image(rng):
    """Does the batch-folded training forward give, image by image, the executor's float output?"""
    network = build_network(TINY_SPEC)
    weights = random_weights(network, 2, bias_std=0)
    x = rng.standard_normal((4, 2, 7, 7)).astype(np.float32)
    out = batched.forward(network, weights, x)
    for i in range(4):
        single = reference_forward(network, x[i], weights).reshape(-1)
        np.testing.assert_allclose(out[i], single, rtol=1e-5, atol=1e-5)


def test_digits_split_is_fixed_and_stratified():
    """Is the split deterministic, 25% held out, in [0, 1], with every class in both parts?"""
    x_train, y_train, x_test, y_test = load_digits()
    assert x_train.shape == (1347, 1, 16, 16) and x_test.shape == (450, 1, 16, 16)
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() <= 1
    assert set(y_test) == set(range(10)) and np.bincount(y_test).min() >= 40
    np.testing.assert_array_equal(load_digits()[3], y_test)
    # upsampling repeats each 8x8 pixel 2x2
    np.testing.assert_array_equal(x_test[:, :, ::2, ::2], x_test[:, :, 1::2, 1::2])


def test_random_shift_moves_the_image(rng):
    """Does random_shift move a one-pixel image by at most max_shift, keeping its value?"""
    img = np.zeros((50, 1, 16, 16), np.float32)
    img[:, 0, 8, 8] = 1.0
    shifted = random_shift(img, rng, max_shift=2)
    ys, xs = np.nonzero(shifted[:, 0].sum(0))
    assert shifted.sum() == 50
    assert ys.min() >= 6 and ys.max() <= 10 and xs.min() >= 6 and xs.max() <= 10


def test_fit_lowers_loss_and_keeps_masks(rng):
    """Does one epoch lower the training loss, and do masked weights stay exactly 0?"""
    x_train, y_train, _, _ = load_digits()
    x, y = x_train[:320], y_train[:320]
    network = trained.digits_network()
    weights = random_weights(network, 0, bias_std=0)
    masks = {"block2.expand": (rng.random(weights["block2.expand"][0].shape) > 0.5).astype(np.float32)}
    weights["block2.expand"][0][...] *= masks["block2.expand"]
    before = _loss(network, weights, x, y)
    history = train.fit(network, weights, x, y, epochs=2, batch_size=32,
                        optimizer=train.Adam(lr=3e-3), masks=masks)
    assert _loss(network, weights, x, y) < before
    assert history[-1]["seconds"] > 0
    assert np.all(weights["block2.expand"][0][masks["block2.expand"] == 0] == 0)


def test_shipped_weights_reach_95_percent():
    """Does the shipped float model classify >= 95% of the held-out digits?"""
    network, weights = trained.load_trained()
    _, _, x_test, y_test = load_digits()
    assert set(weights) == {op.name for op in network if op.weight_shape is not None}
    for op in network:
        if op.weight_shape is not None:
            assert weights[op.name][0].shape == op.weight_shape
    assert batched.accuracy(network, weights, x_test, y_test) >= 0.95
    assert trained.WEIGHTS_PATH.stat().st_size < 64 * 1024  # small enough to ship


def test_sgd_step_moves_against_the_gradient():
    """Does an SGD step (no momentum) change w by exactly -lr * grad?"""
    weights = {"fc": (np.ones((2, 2), np.float32), np.zeros(2, np.float32))}
    grads = {"fc": (np.array([[1.0, -2.0], [0.0, 4.0]]), np.array([1.0, 1.0]))}
    train.SGD(lr=0.5, momentum=0.0).step(weights, grads)
    np.testing.assert_allclose(weights["fc"][0], [[0.5, 2.0], [1.0, -1.0]])
    np.testing.assert_allclose(weights["fc"][1], [-0.5, -0.5])
