"""Derive the TinyNAS task's shipped subset of Fashion-MNIST from Debian's dataset-fashion-mnist.

    apt-get install dataset-fashion-mnist           # 70,000 images, MIT licence (Zalando Research)
    python scripts/derive_fashion_mnist.py [--source /usr/share/datasets/fashion-mnist] [--out DIR]

Reads the four idx files (train 60,000, t10k 10,000 images, 28 x 28 uint8) and writes
``tinyml_course/nas/data/fashion_mnist_subset.npz`` (or under ``--out``) with the images unchanged
(uint8) and their labels and indices in the original files:

- ``val`` (VAL_SIZE): drawn from the official training file and NEVER trained on; the search's
  ``get_valid_acc`` reports on it;
- ``test`` (TEST_SIZE): drawn from the official test file (t10k); the final models' accuracy;
- ``calib`` (CALIB_SIZE) and ``train`` (FINETUNE_SIZE): training images, for batch-norm
  recalibration and for the fine-tuning of notebook 30.

The split is fixed by ``split_indices`` (seeded permutations): ``scripts/train_supernet_torch.py``
trains on the training file less the ``val`` indices, from the same function. Nothing here runs
when the course runs: the subset is shipped (licence and attribution: nas/data/README.md).
"""

import argparse
import gzip
from pathlib import Path

import numpy as np

SOURCE = Path("/usr/share/datasets/fashion-mnist")  # where Debian's package installs the files
OUT = Path(__file__).resolve().parents[1] / "tinyml_course" / "nas" / "data"
FILE = "fashion_mnist_subset.npz"
VAL_SIZE, TEST_SIZE, CALIB_SIZE, FINETUNE_SIZE = 2500, 2500, 500, 2000
SPLIT_SEED = 0  # default_rng(SPLIT_SEED) permutes the training file, default_rng(SPLIT_SEED + 1) t10k


def read_idx(path):
    """A gzipped idx file as a uint8 array: images (n, 28, 28) or labels (n,)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_source(source=SOURCE):
    """(x_train (60000, 28, 28), y_train, x_test (10000, 28, 28), y_test), all uint8."""
    s = Path(source)
    return (read_idx(s / "train-images-idx3-ubyte.gz"), read_idx(s / "train-labels-idx1-ubyte.gz"),
            read_idx(s / "t10k-images-idx3-ubyte.gz"), read_idx(s / "t10k-labels-idx1-ubyte.gz"))


def split_indices(n_train=60000, n_test=10000):
    """{split: indices}: 'val', 'calib', 'train' (fine-tuning) into the training file, 'test' into
    t10k, 'fit' = the training file less 'val' (what the supernet is trained on)."""
    perm = np.random.default_rng(SPLIT_SEED).permutation(n_train)
    test = np.random.default_rng(SPLIT_SEED + 1).permutation(n_test)[:TEST_SIZE]
    val = perm[:VAL_SIZE]
    calib = perm[VAL_SIZE:VAL_SIZE + CALIB_SIZE]
    train = perm[VAL_SIZE + CALIB_SIZE:VAL_SIZE + CALIB_SIZE + FINETUNE_SIZE]
    return {"val": val, "test": test, "calib": calib, "train": train, "fit": np.sort(perm[VAL_SIZE:])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(SOURCE), help="folder of the four idx .gz files")
    parser.add_argument("--out", default=str(OUT), help=f"where {FILE} goes")
    args = parser.parse_args()
    x_tr, y_tr, x_te, y_te = load_source(args.source)
    idx = split_indices(len(y_tr), len(y_te))
    arrays = {}
    for split in ("val", "test", "calib", "train"):
        x, y = (x_te, y_te) if split == "test" else (x_tr, y_tr)
        arrays[f"x_{split}"] = x[idx[split]]
        arrays[f"y_{split}"] = y[idx[split]].astype(np.int8)
        arrays[f"index_{split}"] = idx[split].astype(np.int32)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / FILE, **arrays)
    print(f"wrote {out / FILE} ({(out / FILE).stat().st_size:,} bytes): "
          + ", ".join(f"{s} {len(arrays['y_' + s])}" for s in ("val", "test", "calib", "train")))


if __name__ == "__main__":
    main()
