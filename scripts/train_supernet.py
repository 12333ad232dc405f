"""Retrain the shipped weight-sharing supernet (tinyml_course/nas/weights/supernet.npz) in numpy.

    python scripts/train_supernet.py                 # the shipped recipe; prints losses and time
    python scripts/train_supernet.py --save          # ... and overwrites the shipped weights
    python scripts/train_supernet.py --steps 20      # a quick smoke run

The recipe (steps, batch, learning rate, sandwich size) is the RECIPE dict in
nas/supernet_train.py. It trains on the shipped subset's 2,000 'train' images (nas/task.py): a
smoke run of the loop; the shipped weights come from scripts/train_supernet_torch.py (the same
network and sandwich rule in PyTorch, on the 57,500 training images of the full data). A checkpoint (float32 weights, step, Adam's
moments: nas/checkpoint.py) is written every 25 steps (--checkpoint PATH), and --resume PATH
continues from one. Time: see docs/tinynas.md (measured on the course machine).
"""

import argparse
import time
from pathlib import Path

from tinyml_course.nas import checkpoint as ckpt
from tinyml_course.nas import supernet


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    recipe = supernet.RECIPE
    parser.add_argument("--steps", type=int, default=recipe["steps"])
    parser.add_argument("--batch", type=int, default=recipe["batch"])
    parser.add_argument("--lr", type=float, default=recipe["lr"])
    parser.add_argument("--random", type=int, default=recipe["random"],
                        help="random subnets per sandwich step (besides the largest and smallest)")
    parser.add_argument("--seed", type=int, default=recipe["seed"])
    parser.add_argument("--checkpoint", type=Path, default=None, help="write checkpoints here")
    parser.add_argument("--resume", type=Path, default=None, help="continue from this checkpoint")
    parser.add_argument("--save", action="store_true", help="overwrite the shipped weights")
    args = parser.parse_args()

    shared, start_step, optimizer = None, 0, None
    if args.resume:
        shared, start_step, optimizer = ckpt.load_checkpoint(args.resume, args.lr)
        print(f"resuming at step {start_step}")

    def log(step, losses, seconds):
        print(f"step {step + 1}/{args.steps}: losses "
              f"{' '.join(f'{x:.3f}' for x in losses)}, {seconds:.0f} s", flush=True)

    def checkpoint(shared, step, optimizer):
        if args.checkpoint:
            ckpt.save_checkpoint(args.checkpoint, shared, step, optimizer)

    start = time.perf_counter()
    shared = supernet.train(args.steps, args.batch, args.lr, args.seed, args.random, shared,
                            start_step, log, checkpoint, checkpoint_every=25,
                            optimizer=optimizer)
    print(f"trained {args.steps - start_step} steps in {time.perf_counter() - start:.0f} s")
    net = supernet.Supernet(shared)
    if args.save:
        net.save()
        print(f"saved {supernet.WEIGHTS_PATH}")


if __name__ == "__main__":
    main()
