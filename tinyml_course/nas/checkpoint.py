"""Reading and writing the supernet's shared weights: the shipped .npz and training checkpoints.

Shared weights {name: (array, ...)} (``shared_weights``' layout) are stored one array per key
'<name>.<i>'. The shipped file keeps them as float16 (half the bytes; they load as float32); a
training checkpoint keeps them as float32 together with the step reached and Adam's moments, so
that a resumed run continues exactly where the interrupted one stopped.
"""

from pathlib import Path

import numpy as np

from ..compression.train import Adam
from ..errors import SpecError

SHIPPED_DTYPE = np.float16  # the shipped weights' storage type (loads as float32)


def _flatten(prefix, shared, dtype):
    return {f"{prefix}{name}.{i}": a.astype(dtype) for name, parts in shared.items()
            for i, a in enumerate(parts)}


def _unflatten(data, prefix):
    groups = {}
    for key in data.files:
        if not key.startswith(prefix):
            continue
        name, i = key[len(prefix):].rsplit(".", 1)
        groups.setdefault(name, {})[int(i)] = data[key].astype(np.float32)
    return {name: tuple(parts[i] for i in sorted(parts)) for name, parts in groups.items()}


def save_weights(path, shared, dtype=SHIPPED_DTYPE):
    """Write shared weights to a compressed .npz at ``path`` (stored as ``dtype``)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **_flatten("", shared, dtype))


def load_weights(path):
    """Shared weights {name: (float32 arrays)} from a ``save_weights`` file."""
    with np.load(path) as data:
        return _unflatten(data, "")


def save_checkpoint(path, shared, step, optimizer):
    """Write a training checkpoint: float32 weights, the ``step`` reached, Adam's moments and t."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    moments = {}
    for (name, i) in optimizer.m:  # Adam's keys: (weight name, part index)
        moments[f"m:{name}|{i}"] = np.asarray(optimizer.m[name, i], np.float32)
        moments[f"v:{name}|{i}"] = np.asarray(optimizer.v[name, i], np.float32)
    np.savez_compressed(path, **_flatten("w:", shared, np.float32), **moments,
                        step=np.int64(step), adam_t=np.int64(optimizer.t))


def load_checkpoint(path, lr):
    """(shared weights, step, Adam at learning rate ``lr`` with its saved moments) of a checkpoint.

    Raises SpecError if ``path`` is not a ``save_checkpoint`` file.
    """
    with np.load(path) as data:
        if "step" not in data.files:
            raise SpecError(f"{path} is not a supernet training checkpoint (no 'step' in it)")
        shared = _unflatten(data, "w:")
        optimizer = Adam(lr=lr)
        optimizer.t = int(data["adam_t"])
        for key in data.files:
            kind, _, rest = key.partition(":")
            if kind in ("m", "v"):
                name, i = rest.rsplit("|", 1)
                getattr(optimizer, kind)[name, int(i)] = data[key]
        return shared, int(data["step"]), optimizer
