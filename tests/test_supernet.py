"""The Fashion-MNIST task and the weight-sharing supernet: area downsampling against block means,
the shipped subset's splits, supernet gradients against finite differences, BN folding against the
batch-norm forward, and the shipped weights' held-out accuracy."""

import numpy as np
import pytest

from tinyml_course.compression.train import cross_entropy
from tinyml_course.errors import SpecError
from tinyml_course.nas import evaluate, supernet as sn, task
from tinyml_course.runtime import batched


def test_area_matrix_averages_blocks_like_a_reshape_mean(rng):
    """Does A @ img @ A.T equal the mean over 2 x 2 blocks of a 28 x 28 image at 14 px, and does
    every row of a non-dividing resolution (20 px) still sum to 1?"""
    img = rng.random((task.NATIVE, task.NATIVE)).astype(np.float32)
    a = task.area_matrix(task.NATIVE // 2)
    blocks = img.reshape(task.NATIVE // 2, 2, task.NATIVE // 2, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(a @ img @ a.T, blocks, rtol=1e-5)
    np.testing.assert_allclose(task.area_matrix(20).sum(axis=1), 1, rtol=1e-6)
    with pytest.raises(SpecError, match="resolution"):
        task.area_matrix(task.NATIVE + 1)


def test_the_shipped_fashion_mnist_subset_keeps_its_splits_apart():
    """Are val, calib and train distinct images of the official training file (the supernet never
    trained on val), test of the official test file, every class present, pixels 0..1 at 28 px
    exactly the uint8 / 255, and a bad split or count a one-line SpecError?"""
    index = {s: set(task.raw_split(s)[2].tolist()) for s in task.SPLITS}
    assert not (index["val"] & index["calib"]) and not (index["val"] & index["train"])
    assert not (index["calib"] & index["train"])
    card = task.dataset_card()
    assert card["name"] == "Fashion-MNIST" and card["licence"] == "MIT"
    assert (card["val_examples"], card["test_examples"]) == (2500, 2500)
    for split in task.SPLITS:
        x, y = task.load_split(split, 28)
        raw = task.raw_split(split)[0]
        np.testing.assert_array_equal(x[:, 0], raw.astype(np.float32) / 255)
        assert x.dtype == np.float32 and set(y.tolist()) == set(range(10))
    x, y = task.load_split("val", 20, n=16)
    assert x.shape == (16, 1, 20, 20) and y.shape == (16,) and 0 <= x.min() and x.max() <= 1
    with pytest.raises(SpecError, match="unknown split"):
        task.load_split("holdout", 28)
    with pytest.raises(SpecError, match="n must be"):
        task.load_split("val", 28, n=2501)


def test_arch_rejects_values_outside_the_space():
    """Is a resolution, kernel or list length outside the space a SpecError naming it?"""
    good = sn.smallest()
    with pytest.raises(SpecError, match="resolution"):
        sn.Arch(50, good.width, good.depths, good.kernels, good.expands)
    with pytest.raises(SpecError, match="kernel"):
        sn.Arch(24, 0.5, good.depths, (4,) * sn.SLOTS, good.expands)
    with pytest.raises(SpecError, match="depths must have 3"):
        sn.Arch(24, 0.5, (1, 1), good.kernels, good.expands)
    assert sn.Arch.from_json(sn.largest().to_json()) == sn.largest()


def test_an_arch_name_gives_the_arch_back(rng):
    """Does Arch.from_name invert Arch.name (the cache's keys) on random archs, and is a
    malformed or out-of-space name a one-line SpecError naming it?"""
    for _ in range(20):
        arch = sn.random_arch(rng)
        again = sn.Arch.from_name(arch.name)
        assert again.name == arch.name and again.network().macs == arch.network().macs
    assert sn.Arch.from_name(sn.smallest().name) == sn.smallest()
    for bad in ("r24-w1-d12-k3e3", "r24-w1-d111-k3e3-k3e3", "r24-w1-d111-k4e3-k3e3-k3e3", "junk"):
        with pytest.raises(SpecError, match="not an arch name") as err:
            sn.Arch.from_name(bad)
        assert bad in str(err.value) and "\n" not in str(err.value)


def test_supernet_gradients_match_finite_differences(rng):
    """Does backward_train (conv + BN + ReLU6, sliced and cropped weights) give dL/dw of shared
    weights within 1e-6 of central differences, and leave unused slices at zero?"""
    shared = {k: tuple(a.astype(np.float64) + (rng.standard_normal(a.shape) * 0.1 if i else 0)
                       for i, a in enumerate(v)) for k, v in sn.init_supernet(1).items()}
    arch = sn.Arch(16, 0.5, (2, 1, 1), (5, 3, 3, 7, 3, 3, 3, 3, 3), (3, 4, 6, 3, 3, 3, 6, 3, 3))
    net = arch.network()
    x, y = rng.standard_normal((3, 1, 16, 16)), np.array([0, 3, 9])

    def loss():
        return cross_entropy(sn.forward_train(net, arch, shared, x)[0], y)[0]

    logits, cache = sn.forward_train(net, arch, shared, x)
    grads = sn.backward_train(net, shared, cache, cross_entropy(logits, y)[1], {})
    checks = [("stem", 0, (3, 0, 1, 2)), ("stem", 1, (5,)), ("s0.0.dw", 0, (7, 2, 3)),
              ("s0.0.expand", 2, (11,)), ("s0.1.project", 0, (4, 9)), ("s2.0.dw", 0, (1, 3, 3)),
              ("classifier", 0, (2, 5))]
    for key, i, idx in checks:
        p = shared[key][i]
        old = p[idx]
        p[idx] = old + 1e-7
        up = loss()
        p[idx] = old - 1e-7
        down = loss()
        p[idx] = old
        assert abs((up - down) / 2e-7 - grads[key][i][idx]) < 1e-6, key
    # a k=5 subnet of a 7x7 shared kernel: the outer ring gets no gradient
    assert np.all(grads["s0.0.dw"][0][:, 0, :] == 0) and np.any(grads["s0.0.dw"][0][:, 1, 1:6])


def test_folded_subnet_equals_its_batch_norm_forward(rng):
    """Does the folded plain Network (batched.forward) give the logits of conv -> BN(calibrated
    statistics) -> ReLU6, computed by calibrate's own pass on the same images?"""
    shared = sn.init_supernet(3)
    arch = sn.Arch(24, 0.75, (1, 2, 1), (7,) * sn.SLOTS, (4,) * sn.SLOTS)
    net = arch.network()
    x = rng.standard_normal((6, 1, 24, 24)).astype(np.float32)
    stats = sn.calibrate(net, arch, shared, x)
    logits_train, _ = sn.forward_train(net, arch, shared, x)  # batch statistics of this very x
    folded = batched.forward(net, sn.fold(net, arch, shared, stats), x)
    np.testing.assert_allclose(folded, logits_train, rtol=1e-3, atol=1e-3)


IMAGE_FLIPS = 3 / evaluate.VAL_IMAGES  # the cache was measured by the PyTorch twin (float32 in a
# different summation order): an image whose two top logits tie to within rounding may flip


def test_shipped_supernet_learned_the_task_and_the_cache_agrees():
    """Is the smallest subnet with inherited weights far above chance (1/10) on the 2,500 'val'
    images, does the largest beat it by more than the noise, and does the shipped cache hold what
    numpy measures now (the live subnets of notebook 60, val and test), to within a few flipped
    images?"""
    cache = evaluate.shipped_cache()
    small = sn.smallest()
    acc = evaluate.measure_accuracy(small)
    assert acc > 0.7
    assert cache.values[small.name] == pytest.approx(acc, abs=IMAGE_FLIPS)
    largest = cache.values[sn.largest().name]  # more than two standard errors of the difference
    assert largest - acc > 2 * np.hypot(*evaluate.accuracy_spread([largest, acc]))
    mid = sn.smallest(20)
    assert cache.values[mid.name] == pytest.approx(evaluate.measure_accuracy(mid), abs=IMAGE_FLIPS)
    test = evaluate.measure_accuracy(small, split="test")
    assert cache.values[evaluate.TEST_KEY + small.name] == pytest.approx(test, abs=IMAGE_FLIPS)


@pytest.mark.slow
def test_the_best_searched_model_s_cached_accuracies_are_measured_again():
    """Does numpy measure the cached val and test accuracy of the nRF52832's best searched model
    and of the best scaled baseline (the figures of `search --json`) again (a minute or two)?"""
    from tinyml_course.nas import tinynas as tn

    cache = evaluate.shipped_cache()
    report = tn.codesign("nrf52832", cache=cache)
    for key in ("best", "best_baseline"):
        arch = sn.Arch.from_json(report[key]["arch"])
        assert cache.misses == 0
        val = evaluate.measure_accuracy(arch)
        test = evaluate.measure_accuracy(arch, split="test")
        assert report[key]["accuracy"] == pytest.approx(val, abs=IMAGE_FLIPS), key
        assert report[key]["test_accuracy"] == pytest.approx(test, abs=IMAGE_FLIPS), key


@pytest.mark.slow
def test_a_random_sample_of_the_cache_is_measured_again():
    """Do two cached 'val' accuracies drawn at random (seeded) from the whole shipped cache
    agree with numpy measuring them now (seconds to a minute each)?"""
    cache = evaluate.shipped_cache()
    names = sorted(k for k in cache.values if not k.startswith(evaluate.TEST_KEY))
    assert len(names) > 100  # the notebook's, the CLI's and the homework's accuracies
    for i in np.random.default_rng(22).choice(len(names), 2, replace=False):
        arch = sn.Arch.from_name(names[i])
        assert arch.name == names[i]
        assert cache.values[names[i]] == pytest.approx(evaluate.measure_accuracy(arch),
                                                       abs=IMAGE_FLIPS), names[i]

