"""Linear and k-means quantization: hand-computed scale/zero point, round-trip error bounds,
per-channel vs per-tensor, bit widths 2-8, the Flash quantize_weights reports."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyml_course.compression import quantize as Q
from tinyml_course.compression import storage
from tinyml_course.compression import trained
from tinyml_course.errors import SpecError


def test_asymmetric_qparams_hand_values():
    """[-1, 3] at 8 bits: scale 4/255 and zero point round(-128 + 1/(4/255)) = round(-64.25) = -64?"""
    scale, zp = Q.linear_qparams(-1.0, 3.0, 8, symmetric=False)
    assert scale == pytest.approx(4 / 255) and zp == -64
    # a range not containing 0 is widened to contain it: [2, 5] -> [0, 5], zero point qmin
    scale, zp = Q.linear_qparams(2.0, 5.0, 4, symmetric=False)
    assert scale == pytest.approx(5 / 15) and zp == -8


def test_symmetric_qparams_hand_values():
    """[-0.5, 2] symmetric: scale 2/127, zero point 0, codes in [-127, 127]; 2 bits -> {-1, 0, 1}."""
    scale, zp = Q.linear_qparams(-0.5, 2.0, 8, symmetric=True)
    assert scale == pytest.approx(2 / 127) and zp == 0
    q = Q.quantize(np.array([-3.0, -0.5, 0.0, 2.0]), 1.0, 0, 2, symmetric=True)
    assert q.tolist() == [-1, -1, 0, 1]


def test_round_half_away_from_zero():
    """Does rounding send halves away from zero (TFLite), unlike numpy's half-to-even?"""
    assert Q.round_half_away([0.5, 1.5, 2.5, -0.5, -2.5, 2.4]).tolist() == [1, 2, 3, -1, -3, 2]


@settings(max_examples=60, deadline=None)
@given(bits=st.integers(2, 8), symmetric=st.booleans(), seed=st.integers(0, 10_000),
       lo=st.floats(-5, 0), width=st.floats(0.01, 10))
def test_round_trip_error_within_half_a_step(bits, symmetric, seed, lo, width):
    """Is |dequantize(quantize(r)) - r| <= scale/2 inside the range, zero exact, codes in range?"""
    r = np.random.default_rng(seed).uniform(lo, lo + width, 200)
    scale, zp = Q.linear_qparams(r.min(), r.max(), bits, symmetric)
    q = Q.quantize(r, scale, zp, bits, symmetric)
    qmin, qmax = Q.qrange(bits, symmetric)
    assert q.min() >= qmin and q.max() <= qmax
    assert np.abs(Q.dequantize(q, scale, zp) - r).max() <= scale / 2 * (1 + 1e-5) + 1e-6
    assert Q.dequantize(Q.quantize(0.0, scale, zp, bits, symmetric), scale, zp) == 0
    assert len(np.unique(q)) <= 2 ** bits


def test_per_channel_beats_per_tensor():
    """With channels of very different ranges, is per-channel error smaller, channel by channel bound?"""
    w = np.stack([np.linspace(-1, 1, 50), np.linspace(-0.01, 0.01, 50)]).astype(np.float32)
    err_tensor = np.abs(Q.fake_quantize(w, 4, per_channel=False) - w)
    err_channel = np.abs(Q.fake_quantize(w, 4, per_channel=True) - w)
    assert err_channel.max(axis=1)[1] <= 0.01 / 7 / 2 + 1e-7  # its own scale = 0.01 / 7
    assert err_channel.sum() < err_tensor.sum()
    scale, zp = Q.tensor_qparams(w, 4, per_channel=True)
    assert scale.shape == (2,) and zp.tolist() == [0, 0]


def test_bits_are_checked():
    """Are bit widths outside 2..8 (or not integers) refused?"""
    for bad in (1, 9, 2.5, True):
        with pytest.raises(SpecError):
            Q.check_bits(bad)


def test_kmeans_codebook():
    """Does k-means use <= 2^bits values, each centroid the mean of its cluster, beating linear?"""
    w = trained.load_weights()["block2.expand"][0]
    codebook, idx = Q.kmeans_quantize(w, 3, iterations=50)
    assert codebook.shape == (8,) and idx.dtype == np.uint8 and idx.shape == w.shape
    recon = Q.kmeans_reconstruct(codebook, idx)
    for k in np.unique(idx):
        assert codebook[k] == pytest.approx(w[idx == k].mean(), abs=1e-5)
    linear = Q.fake_quantize(w, 3, symmetric=False, per_channel=False)
    assert ((recon - w) ** 2).mean() < ((linear - w) ** 2).mean()


def _kmeans_sse(w, bits):
    codebook, idx = Q.kmeans_quantize(w, bits)
    return float(((codebook[idx].astype(np.float64) - w) ** 2).sum()), idx


@pytest.mark.parametrize("bits", [6, 8])
def test_kmeans_uses_every_level_and_is_near_scikit_learn(bits):
    """Does k-means fill all 2^bits levels (when there are enough distinct values) and get within
    1.5x of scikit-learn's KMeans squared error, on every trained layer and on heavy-tailed data?"""
    from sklearn.cluster import KMeans
    layers = [w for w, _ in trained.load_weights().values()]
    layers.append(np.random.default_rng(0).standard_t(3, 3000).astype(np.float32))  # heavy tails
    for w in layers:
        sse, idx = _kmeans_sse(w, bits)
        distinct = np.unique(w).size
        assert np.unique(idx).size == min(2 ** bits, distinct), (w.shape, bits)
        if distinct > 2 ** bits:
            reference = KMeans(2 ** bits, n_init=1, random_state=0).fit(
                w.reshape(-1, 1).astype(np.float64)).inertia_
            assert sse <= 1.5 * reference, f"{w.shape}: {sse:.3g} vs scikit-learn {reference:.3g}"
        else:
            assert sse < 1e-12, f"{distinct} distinct values fit in {2 ** bits} levels exactly"


def test_quantize_weights_of_the_model():
    """Do 8-bit weights keep values near float and cost ~1/4 of float32 for the weights?"""
    weights = trained.load_weights()
    q8, flash8 = Q.quantize_weights(weights, 8)
    q2, flash2 = Q.quantize_weights(weights, 2)
    n_w = sum(w.size for w, _ in weights.values())
    n_b = sum(b.size for _, b in weights.values())
    n_c = sum(w.shape[0] for w, _ in weights.values())
    assert flash8 == n_w + 4 * n_b + 4 * n_c
    dense2 = sum(-(-w.size * 2 // 8) for w, _ in weights.values()) + 4 * n_b + 4 * n_c
    assert storage.compressed_flash_bytes(q2, 2, "dense") == dense2  # packed codes, scales, biases
    assert flash2 == storage.compressed_flash_bytes(q2, 2) < dense2  # 2-bit codes: many zeros
    for name, (w, b) in weights.items():
        assert np.array_equal(q8[name][1], b)
        assert np.abs(q8[name][0] - w).max() <= np.abs(w).max() / 127 / 2 + 1e-6
    with pytest.raises(SpecError):
        Q.quantize_weights(weights, 8, method="log")
