"""Training the supernet: the sandwich rule (BigNAS / US-Nets) with Adam and cosine decay, in numpy.

Every step the largest subnet (at a random resolution), the smallest and ``random`` random
subnets each see the same batch of fresh synthetic scenes at their own resolution, and their
summed gradients update the shared weights. The recipe is ``RECIPE``, the one place it is written:
``train()``'s defaults and ``scripts/train_supernet.py`` read it.
"""

import time

import numpy as np

from ..compression.train import Adam, cross_entropy
from . import task
from .shared_weights import INIT_SEED, init_supernet
from .space import RESOLUTIONS, largest, random_arch, smallest
from .subnet_pass import backward_train, forward_train

# The recipe: sandwich steps, scenes per step, Adam's peak learning rate (cosine decay to 0),
# random subnets per step besides the largest and the smallest, seed of the subnet draws (step s
# draws from default_rng((seed, s)), so a run resumed from a checkpoint draws what it would have). The
# SHIPPED weights came from 450 steps of it run in four legs on the shared course machine
# (docs/tinynas.md, "Training"): steps 0-75 of a 300-step cosine; resumed at 75 with a 210-step
# cosine to step 200; resumed at 200 with a 280-step cosine at lr 4e-3 to 280; resumed at 280 with
# a 460-step cosine at lr 3e-3, kept at step 450. Each resume restarted Adam's moments.
RECIPE = {"steps": 450, "batch": 32, "lr": 6e-3, "random": 1, "seed": 0}
SCENE_SEED = 10_000  # training scenes of step s are rendered with seed SCENE_SEED + s
NOISE_SEED = 100_000  # pixel noise of step s: seed NOISE_SEED * (s + 1) + resolution


def sandwich(rng, random=RECIPE["random"]):
    """The subnets of one sandwich-rule step: the largest (at a random resolution, which halves its
    cost on average), the smallest, then ``random`` random ones."""
    top = largest(resolution=RESOLUTIONS[int(rng.integers(len(RESOLUTIONS)))])
    return [top, smallest()] + [random_arch(rng) for _ in range(random)]


def train_step(shared, optimizer, canvases, labels, archs, noise_seed):
    """One sandwich step on a batch of canvases; updates ``shared`` in place; returns the losses.

    canvases (N, CANVAS, CANVAS) float32, labels (N,) int64; each arch sees them downsampled to
    its resolution with pixel noise seeded ``noise_seed + resolution``.
    """
    grads, losses = {}, []
    for arch in archs:
        x = task.downsample(canvases, arch.resolution, seed=noise_seed + arch.resolution)
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
    """Train the supernet for ``steps`` sandwich steps on fresh scenes; return the shared weights.

    Every step renders ``batch`` new scenes (seeded by the step, so a run is reproducible and never
    sees the validation scenes, whose seeds differ) and runs ``sandwich``. Adam with cosine decay
    from ``lr``. shared: weights to continue from (default: ``init_supernet(INIT_SEED)``);
    optimizer: an Adam to continue with (default: a fresh one). log(step, losses, seconds) is
    called every step; checkpoint(shared, step, optimizer) every ``checkpoint_every`` steps.
    """
    shared = shared if shared is not None else init_supernet(INIT_SEED)
    optimizer = optimizer or Adam(lr=lr)
    start = time.perf_counter()
    for step in range(start_step, steps):
        rng = np.random.default_rng((seed, step))  # the step's subnets: a resumed run draws the same
        optimizer.lr = lr * 0.5 * (1 + np.cos(np.pi * step / steps))
        canvases, labels = task.render_canvases(batch, seed=SCENE_SEED + step)
        losses = train_step(shared, optimizer, canvases, labels, sandwich(rng, random),
                            noise_seed=NOISE_SEED * (step + 1))
        if log:
            log(step, losses, time.perf_counter() - start)
        if checkpoint and (step + 1) % checkpoint_every == 0:
            checkpoint(shared, step + 1, optimizer)
    return shared
