"""The course's small trained model: a MobileNet-style CNN for the 8x8 digits (upsampled to 16x16).

Built with ``build_network`` from an ordinary MBConv spec, so the accounting and the arena executor
run it as they run MobileNetV2. Its float32 weights ship with the package
(``weights/digits_mbnet.npz``, a few tens of KiB) and are reproduced by ``scripts/train_digits.py``.
"""

from pathlib import Path

import numpy as np

from ..model.network import build_network

DIGITS_SPEC = {
    "name": "digits-mbnet", "resolution": 16, "input_channels": 1,
    "stem": {"kernel": 3, "stride": 1, "out": 8},  # 16x16x8
    "blocks": [
        {"kernel": 3, "expand": 1, "out": 8, "stride": 1},  # 16x16x8, residual add
        {"kernel": 3, "expand": 3, "out": 16, "stride": 2},  # 8x8x16 (mid 24)
        {"kernel": 3, "expand": 3, "out": 16, "stride": 1},  # 8x8x16 (mid 48), residual add
        {"kernel": 3, "expand": 3, "out": 24, "stride": 2},  # 4x4x24 (mid 48)
    ],
    "feature_mix": None, "classes": 10,
}

WEIGHTS_PATH = Path(__file__).parent / "weights" / "digits_mbnet.npz"

# The recipe scripts/train_digits.py uses to make WEIGHTS_PATH (one place, read by the script).
TRAIN_SEED = 0  # seed of the weight init and of the batch order
TRAIN_EPOCHS = 30  # passes over the 1347 training images
TRAIN_BATCH = 32  # images per step
TRAIN_LR = 1e-2  # Adam learning rate (cosine decay to 0)
# Decoupled weight decay (AdamW): weights the task does not need shrink towards 0, so their
# magnitude says what matters and magnitude pruning works (Han et al., 2015, train with L2).
# Without it the trained weights stay ~95% correlated with their random init and 50% pruning
# drops held-out accuracy to ~30%; 0.2 gives 98.9% float (0.5: 93.6%).
TRAIN_WEIGHT_DECAY = 0.2
TRAIN_SHIFT = 1  # augmentation: random shifts of up to this many pixels (of 16)


def digits_network():
    """The small model as a Network: input (1, 16, 16), 10 classes."""
    return build_network(DIGITS_SPEC)


def load_weights(path=WEIGHTS_PATH):
    """The shipped float32 weights: {op name: (weight, bias)}, the executor's layout.

    The .npz file stores them under the keys '<op>.weight' and '<op>.bias'.
    """
    with np.load(path) as data:
        names = sorted({k.rsplit(".", 1)[0] for k in data.files})
        return {name: (data[f"{name}.weight"].astype(np.float32),
                       data[f"{name}.bias"].astype(np.float32)) for name in names}


def save_weights(weights, path=WEIGHTS_PATH):
    """Write {op name: (weight, bias)} to an .npz file (float32, compressed)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, (w, b) in weights.items():
        arrays[f"{name}.weight"], arrays[f"{name}.bias"] = np.asarray(w, np.float32), np.asarray(b, np.float32)
    np.savez_compressed(path, **arrays)


def load_trained():
    """(network, weights) of the shipped trained model."""
    return digits_network(), load_weights()
