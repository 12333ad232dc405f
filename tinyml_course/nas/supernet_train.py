"""Training the supernet: the sandwich rule (BigNAS / US-Nets) with Adam and cosine decay.

Every step the largest subnet (at a random resolution), the smallest and ``random`` random
subnets each see the same batch of Fashion-MNIST images at their own resolution, and their summed
gradients update the shared weights.

Two trainers share the architecture (``space``) and the weight layout (``shared_weights``):

* ``train()`` here, in numpy (the package's convolutions, ``subnet_pass``): readable, and what the
  tests and ``benchmarks/bench_tinynas.py`` step; it draws its batches from the shipped 'train'
  split (2,000 images), so it is a demonstration, not the shipped recipe;
* ``scripts/train_supernet_torch.py``, in PyTorch on the CPU, the same forward layer for layer, on
  the whole training file (Debian's ``dataset-fashion-mnist``): it made the SHIPPED weights with
  ``TORCH_RECIPE`` (numpy would take hours for it on the course machine; docs/tinynas.md).
"""

import time

import numpy as np

from ..compression.train import Adam, cross_entropy
from . import task
from .shared_weights import INIT_SEED, init_supernet
from .space import RESOLUTIONS, largest, random_arch, smallest
from .subnet_pass import backward_train, forward_train

# The numpy trainer's defaults: sandwich steps, images per step, Adam's peak learning rate (cosine
# decay to 0), random subnets per step besides the largest and the smallest, seed of the draws
# (step s draws its subnets and batch from default_rng((seed, s)), so a resumed run draws what it
# would have).
RECIPE = {"steps": 100, "batch": 32, "lr": 3e-3, "random": 1, "seed": 0}
# The recipe of the SHIPPED weights (scripts/train_supernet_torch.py, PyTorch on the CPU): sandwich
# steps of ``batch`` training images (the largest subnet at a random resolution on the labels with
# label smoothing ``smoothing``, the smallest and ``random`` random subnets distilled from the
# largest's predictions, BigNAS's in-place distillation), Adam at peak ``lr`` with ``warmup``
# linear steps then cosine decay; ``augment``: random 2-pixel shifts and horizontal flips (off:
# 1,600 steps of 64 are 1.8 epochs of the 57,500 training images, too few to need it).
TORCH_RECIPE = {"steps": 1600, "batch": 64, "lr": 3e-3, "warmup": 100, "random": 1, "seed": 0,
                "smoothing": 0.1, "augment": False}


def sandwich(rng, random=RECIPE["random"]):
    """The subnets of one sandwich-rule step: the largest (at a random resolution, which halves its
    cost on average), the smallest, then ``random`` random ones."""
    top = largest(resolution=RESOLUTIONS[int(rng.integers(len(RESOLUTIONS)))])
    return [top, smallest()] + [random_arch(rng) for _ in range(random)]


def train_step(shared, optimizer, images, labels, archs):
    """One sandwich step on a batch; updates ``shared`` in place; returns the losses (floats).

    images (N, 28, 28) uint8, labels (N,) int64; each arch sees them area-averaged to its
    resolution (``task.downsample``).
    """
    grads, losses = {}, []
    for arch in archs:
        x = task.downsample(images, arch.resolution)
        net = arch.network()
        logits, cache = forward_train(net, arch, shared, x)
        loss, dlogits = cross_entropy(logits, labels)
        backward_train(net, shared, cache, dlogits, grads)
        losses.append(loss)
    optimizer.step(shared, grads)
    return losses


def train(steps=RECIPE["steps"], batch=RECIPE["batch"], lr=RECIPE["lr"], seed=RECIPE["seed"],
          random=RECIPE["random"], shared=None, start_step=0, log=None, checkpoint=None,
          checkpoint_every=50, optimizer=None):
    """Train the supernet in numpy for ``steps`` sandwich steps; return the shared weights.

    Every step draws ``batch`` images of the shipped 'train' split (seeded by the step) and runs
    ``sandwich``. Adam with cosine decay from ``lr``. shared: weights to continue from (default:
    ``init_supernet(INIT_SEED)``); optimizer: an Adam to continue with (default: a fresh one).
    log(step, losses, seconds) is called every step; checkpoint(shared, step, optimizer) every
    ``checkpoint_every`` steps.
    """
    shared = shared if shared is not None else init_supernet(INIT_SEED)
    optimizer = optimizer or Adam(lr=lr)
    images, labels, _ = task.raw_split("train")
    start = time.perf_counter()
    for step in range(start_step, steps):
        rng = np.random.default_rng((seed, step))  # the step's batch and subnets: a resumed run draws the same
        optimizer.lr = lr * 0.5 * (1 + np.cos(np.pi * step / steps))
        pick = rng.choice(len(labels), batch, replace=False)
        losses = train_step(shared, optimizer, images[pick], labels[pick], sandwich(rng, random))
        if log:
            log(step, losses, time.perf_counter() - start)
        if checkpoint and (step + 1) % checkpoint_every == 0:
            checkpoint(shared, step + 1, optimizer)
    return shared
