"""Pruning: exact sparsity, per-layer vs global thresholds (sparse Flash formats: test_compressed_flash.py),
channel pruning that really narrows the network (checked against zeroed weights, and its SRAM
through the accounting and the arena), sensitivity scan, fine-tuning with masks."""

from tinyml_course.runtime import batched
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyml_course import memory
from tinyml_course.compression import prune, trained
from tinyml_course.compression.data import load_digits
from tinyml_course.errors import SpecError
from tinyml_course.runtime.executor import execute, reference_forward


@pytest.fixture(scope="module")
def model():
    return trained.load_trained()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), sparsity=st.floats(0, 0.99), seed=st.integers(0, 1000))
def test_magnitude_mask_hits_exact_sparsity(n, sparsity, seed):
    """Does the mask zero exactly round(s*n) weights, all no larger in |w| than any kept one?"""
    w = np.random.default_rng(seed).standard_normal(n)
    mask = prune.magnitude_mask(w, sparsity)
    assert int((mask == 0).sum()) == int(round(sparsity * n))
    if 0 < (mask == 0).sum() < n:
        assert np.abs(w[mask == 0]).max() <= np.abs(w[mask == 1]).min()


def test_magnitude_mask_hand_example():
    """Is [0.1, -3, 0.5, 2, -0.2, 1] at 50% sparsity masked as [0, 1, 0, 1, 0, 1]?"""
    w = np.array([0.1, -3, 0.5, 2, -0.2, 1])
    assert prune.magnitude_mask(w, 0.5).tolist() == [0, 1, 0, 1, 0, 1]


def test_magnitude_mask_breaks_ties_by_position():
    """With ties at the threshold, are the first of them (by position) zeroed, as a stable sort
    of |w| would? [1, -1, 0.5, 1, 2, -1] at 50%: 0.5, then the first two of the four |w| = 1."""
    w = np.array([1, -1, 0.5, 1, 2, -1])
    assert prune.magnitude_mask(w, 0.5).tolist() == [0, 0, 0, 1, 1, 1]


def test_bad_sparsity_is_refused():
    """Are sparsities outside [0, 1) refused with SpecError?"""
    for bad in (-0.1, 1.0, "0.5", True):
        with pytest.raises(SpecError):
            prune.magnitude_mask(np.ones(4), bad)


MATRICES = ["block0.project", "block1.expand", "block1.project", "block2.expand", "block2.project",
            "block3.expand", "block3.project", "classifier"]  # the 1x1 convs and the linear layer


def test_default_layers_are_the_1x1_and_linear_ones(model):
    """Does pruning by default touch only the 1x1 convs and the classifier, not stem or depthwise?"""
    _, weights = model
    assert sorted(prune.default_layers(weights)) == sorted(MATRICES)
    pruned, masks = prune.prune_global(weights, 0.5)
    assert sorted(masks) == sorted(MATRICES)
    for name in ("stem", "block0.dw", "block1.dw", "block2.dw", "block3.dw"):
        assert np.array_equal(pruned[name][0], weights[name][0]), name
    everything, masks = prune.prune_global(weights, 0.5, layers=list(weights))
    assert set(masks) == set(weights) and (everything["stem"][0] == 0).any()


def test_per_layer_and_global_pruning(model):
    """Per layer: every pruned layer at the sparsity; global: exact total, one threshold for all."""
    _, weights = model
    per_layer, _ = prune.prune_per_layer(weights, 0.6)
    for name in MATRICES:
        assert (per_layer[name][0] == 0).sum() == round(0.6 * weights[name][0].size), name
    pruned, masks = prune.prune_global(weights, 0.6)
    total = sum(weights[n][0].size for n in MATRICES)
    assert sum(int((m == 0).sum()) for m in masks.values()) == round(0.6 * total)
    removed = np.concatenate([np.abs(weights[n][0])[masks[n] == 0] for n in MATRICES])
    kept = np.concatenate([np.abs(weights[n][0])[masks[n] == 1] for n in MATRICES])
    assert removed.max() <= kept.min()
    rates = [float((m == 0).mean()) for m in masks.values()]
    assert max(rates) - min(rates) > 0.1  # layers differ under one global threshold
    assert prune.sparsity_of(pruned, MATRICES) == pytest.approx(round(0.6 * total) / total)
    assert weights["stem"][0].min() != 0  # input weights untouched


def test_channel_importance_hand_values():
    """Are the L1 and L2 channel norms those computed by hand?"""
    w = np.array([[3.0, -4.0], [1.0, 1.0], [0.0, -2.0]])
    np.testing.assert_allclose(prune.channel_importance(w, "l1"), [7, 2, 2])
    np.testing.assert_allclose(prune.channel_importance(w, "l2"), [5, np.sqrt(2), 2])
    assert prune.channels_to_keep(w, 0.34, "l2").tolist() == [0, 2]
    assert prune.channels_to_keep(w, 0.34, "l1").tolist() == [0, 2]  # tie: lower index removed


def test_channel_pruning_equals_zeroed_projection(model, rng):
    """Does the narrowed network compute exactly what the original computes when the projection
    ignores the removed channels (its columns zeroed)?"""
    network, weights = model
    small, small_w = prune.channel_prune(network, weights, 0.5, norm="l1")
    zeroed = dict(weights)
    for i in (1, 2, 3):
        keep = prune.channels_to_keep(weights[f"block{i}.expand"][0], 0.5, "l1")
        assert small.op(f"block{i}.dw").out_shape[0] == len(keep) == weights[f"block{i}.expand"][0].shape[0] // 2
        w, b = weights[f"block{i}.project"]
        removed = np.setdiff1d(np.arange(w.shape[1]), keep)
        w = w.copy()
        w[:, removed] = 0
        zeroed[f"block{i}.project"] = (w, b)
    assert small.params < network.params
    x = rng.random((1, 16, 16)).astype(np.float32)
    np.testing.assert_allclose(reference_forward(small, x, small_w), reference_forward(network, x, zeroed),
                               rtol=1e-5, atol=1e-5)


def test_channel_pruning_lowers_peak_sram_accounting_and_arena(model, rng):
    """Is the int8 peak SRAM after 50% channel pruning the hand-counted 6144 bytes (was 8192), in
    the accounting and in the arena alike? Fine-grained pruning leaves it at 8192."""
    network, weights = model
    # before: block1.expand holds its input 8x16x16 + its output 24x16x16 = 2048 + 6144 bytes
    assert memory.profile(network, "per-layer", "exact", "int8").peak_sram_bytes == 8192
    small, small_w = prune.channel_prune(network, weights, 0.5)
    # after: block1.expand 2048 + 12x16x16 = 5120; now block0.project holds the residual (stem out),
    # its input and its output, 3 x 8x16x16 = 6144
    analytic = memory.profile(small, "per-layer", "exact", "int8")
    assert analytic.peak_sram_bytes == 6144 and analytic.peak_layer.name == "block0.project"
    x = rng.random((1, 16, 16)).astype(np.float32)
    assert execute(small, x, small_w).peak_sram_bytes == 4 * 6144  # float32 arena: 4 bytes each
    from tinyml_course.runtime.int8_backend import Int8Backend
    from tinyml_course.compression.int8_convert import convert
    x_train = load_digits()[0][:200]
    measured = execute(small, x, Int8Backend(convert(small, small_w, x_train))).peak_sram_bytes
    assert measured == 6144
    sparse, _ = prune.prune_global(weights, 0.8)
    assert execute(network, x, sparse).peak_sram_bytes == 4 * 8192


@pytest.mark.slow
def test_sensitivity_scan_and_fine_tuning(model):
    """Does the scan report one accuracy per sparsity, falling at 90% for the stem, and does
    fine-tuning keep the masks while recovering accuracy lost to 50% global pruning?"""
    network, weights = model
    x_train, y_train, x_test, y_test = load_digits()
    base = batched.accuracy(network, weights, x_test, y_test)
    scan = prune.sensitivity_scan(network, weights, x_test, y_test, (0.0, 0.9), layers=["stem", "classifier"])
    assert [s for s, _ in scan["stem"]] == [0.0, 0.9]
    assert scan["stem"][0][1] == base and scan["stem"][1][1] < base
    pruned, masks = prune.prune_global(weights, 0.5)
    before = batched.accuracy(network, pruned, x_test, y_test)
    tuned, history = prune.fine_tune(network, pruned, masks, x_train, y_train, epochs=1, lr=1e-3)
    assert len(history) == 1
    for name, mask in masks.items():
        assert np.all(tuned[name][0][mask == 0] == 0), name
    assert prune.sparsity_of(tuned) == prune.sparsity_of(pruned)
    assert batched.accuracy(network, tuned, x_test, y_test) > before
