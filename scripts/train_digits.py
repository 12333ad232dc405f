"""Reproduce the shipped weights of the digits model and print its held-out accuracy.

    python scripts/train_digits.py            # trains (about 2 minutes on 2 cores), prints accuracy
    python scripts/train_digits.py --save     # ... and overwrites tinyml_course/weights/digits_mbnet.npz

The recipe (seed, epochs, batch, learning rate) lives in tinyml_course/trained.py.
"""

from tinyml_course.compression import train
from tinyml_course.runtime import batched
from tinyml_course.runtime.backend import random_weights
import argparse
import time

import numpy as np

from tinyml_course.compression import trained
from tinyml_course.compression.data import load_digits, random_shift


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="overwrite the shipped weights")
    parser.add_argument("--epochs", type=int, default=trained.TRAIN_EPOCHS)
    parser.add_argument("--seed", type=int, default=trained.TRAIN_SEED)
    parser.add_argument("--shift", type=int, default=trained.TRAIN_SHIFT, help="augmentation shift (pixels)")
    args = parser.parse_args()

    x_train, y_train, x_test, y_test = load_digits()
    network = trained.digits_network()
    print(network)
    weights = random_weights(network, args.seed, bias_std=0)
    start = time.perf_counter()
    optimizer = train.Adam(lr=trained.TRAIN_LR, weight_decay=trained.TRAIN_WEIGHT_DECAY)
    train.fit(network, weights, x_train, y_train, epochs=args.epochs, batch_size=trained.TRAIN_BATCH,
              optimizer=optimizer, seed=args.seed,
              augment=lambda batch, rng: random_shift(batch, rng, args.shift),
              x_val=x_test, y_val=y_test, verbose=True)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    acc = batched.accuracy(network, weights, x_test, y_test)
    print(f"held-out test accuracy (float32): {100 * acc:.2f}% on {len(y_test)} images")
    if args.save:
        trained.save_weights(weights)
        print(f"saved {trained.WEIGHTS_PATH}")
        shipped = trained.load_weights()
        same = all(np.array_equal(a, b) for k in weights for a, b in zip(shipped[k], weights[k]))
        print(f"reloaded weights identical: {same}")


if __name__ == "__main__":
    main()
