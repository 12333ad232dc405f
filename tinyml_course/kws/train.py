"""Training the keyword spotter in resumable pieces: numpy, checkpointed at epoch boundaries.

The gradients, the loss and Adam are ``compression.train``'s. What this adds is the bookkeeping
that lets a run stop and go on: the learning rate is a function of the global epoch (a cosine
over ``recipe.epochs``), epoch e draws its batch order and augmentation from
``np.random.default_rng([seed, e])``, and a checkpoint holds the weights, Adam's moments and step
count and the epochs done. So 40 epochs in one piece and 40 epochs in pieces of 10 give the same
weights, bit for bit (``tests/test_kws.py`` checks it on a small case).
"""

import time
from pathlib import Path

import numpy as np

from ..compression.train import Adam, backward, cross_entropy
from ..errors import SpecError
from ..runtime.batched import forward

CHECKPOINT_VERSION = 1


def learning_rate(recipe, epoch, step, steps_per_epoch):
    """Cosine decay from recipe.lr to 0 over recipe.epochs, at (global epoch, step in epoch)."""
    progress = (epoch * steps_per_epoch + step) / (recipe.epochs * steps_per_epoch)
    return recipe.lr * 0.5 * (1 + np.cos(np.pi * progress))


def run_epoch(network, weights, optimizer, x, y, recipe, epoch, augment=None):
    """One pass over (x (N, 1, T, 13), y (N,)) in the order of rng([seed, epoch]); mean loss."""
    rng = np.random.default_rng([recipe.seed, epoch])
    order = rng.permutation(len(x))
    steps = -(-len(x) // recipe.batch)
    losses = []
    for step in range(steps):
        idx = order[step * recipe.batch:(step + 1) * recipe.batch]
        batch = x[idx] if augment is None else augment(x[idx], rng)
        optimizer.lr = learning_rate(recipe, epoch, step, steps)
        logits, tensors = forward(network, weights, batch, keep=True)
        loss, dlogits = cross_entropy(logits, y[idx])
        optimizer.step(weights, backward(network, weights, tensors, dlogits))
        losses.append(loss)
    return float(np.mean(losses))


def save_checkpoint(path, weights, optimizer, epochs_done, history):
    """Weights, Adam state (m, v, t) and progress, in one .npz."""
    arrays = {"version": CHECKPOINT_VERSION, "epochs_done": epochs_done, "adam_t": optimizer.t,
              "history_loss": np.array([h["loss"] for h in history], np.float64),
              "history_seconds": np.array([h["seconds"] for h in history], np.float64),
              "history_piece": np.array([h["piece"] for h in history], np.int64)}
    for name, (w, b) in weights.items():
        arrays[f"w/{name}/0"], arrays[f"w/{name}/1"] = w, b
    for (name, i), m in optimizer.m.items():
        arrays[f"m/{name}/{i}"], arrays[f"v/{name}/{i}"] = m, optimizer.v[(name, i)]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(path).with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)  # a piece killed while writing leaves the previous checkpoint whole


def load_checkpoint(path, optimizer):
    """(weights, epochs_done, history) from ``save_checkpoint``'s file; fills optimizer's state."""
    with np.load(path) as d:
        if int(d["version"]) != CHECKPOINT_VERSION:
            raise SpecError(f"{path}: checkpoint version {int(d['version'])}, expected "
                            f"{CHECKPOINT_VERSION}")
        weights, optimizer.m, optimizer.v = {}, {}, {}
        for key in d.files:
            kind, *rest = key.split("/")
            if kind == "w" and rest[1] == "0":
                weights[rest[0]] = (d[key].copy(), d[f"w/{rest[0]}/1"].copy())
            elif kind == "m":
                optimizer.m[(rest[0], int(rest[1]))] = d[key].copy()
                optimizer.v[(rest[0], int(rest[1]))] = d[f"v/{rest[0]}/{rest[1]}"].copy()
        optimizer.t = int(d["adam_t"])
        history = [{"epoch": i + 1, "loss": float(loss), "seconds": float(s), "piece": int(p)}
                   for i, (loss, s, p) in enumerate(zip(d["history_loss"], d["history_seconds"],
                                                        d["history_piece"]))]
        return weights, int(d["epochs_done"]), history


def pieces(history):
    """Per piece: {'piece', 'epochs': [first, last], 'seconds'} (the wall clock of its epochs)."""
    out = {}
    for h in history:
        entry = out.setdefault(h["piece"], {"piece": h["piece"], "epochs": [h["epoch"], h["epoch"]],
                                            "seconds": 0.0})
        entry["epochs"][1] = h["epoch"]
        entry["seconds"] += h["seconds"]
    return [out[k] for k in sorted(out)]


def train_piece(network, init_weights, x, y, recipe, checkpoint, max_epochs=None, augment=None,
                log=None):
    """Go on from ``checkpoint`` (or start from ``init_weights``) for at most ``max_epochs``
    epochs, saving the checkpoint after each; return (weights, epochs_done, history).

    history: one {'epoch', 'loss', 'seconds', 'piece'} per epoch done so far (all pieces; piece
    counts the calls that went on from a checkpoint, 0 first). log(entry) is called after each
    epoch (e.g. print).
    """
    optimizer = Adam(lr=recipe.lr, weight_decay=recipe.weight_decay)
    if checkpoint is not None and Path(checkpoint).exists():
        weights, done, history = load_checkpoint(checkpoint, optimizer)
    else:
        weights = {k: (w.copy(), b.copy()) for k, (w, b) in init_weights.items()}
        done, history = 0, []
    piece = history[-1]["piece"] + 1 if history else 0
    stop = recipe.epochs if max_epochs is None else min(recipe.epochs, done + max_epochs)
    for epoch in range(done, stop):
        start = time.perf_counter()
        loss = run_epoch(network, weights, optimizer, x, y, recipe, epoch, augment)
        history.append({"epoch": epoch + 1, "loss": loss, "seconds": time.perf_counter() - start,
                        "piece": piece})
        done = epoch + 1
        if checkpoint is not None:
            save_checkpoint(checkpoint, weights, optimizer, done, history)
        if log is not None:
            log(history[-1])
    return weights, done, history
