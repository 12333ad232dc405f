#!/usr/bin/env python3
"""TinyNAS speed: a supernet training step, subnet evaluation, and candidates per second.

    python benchmarks/bench_tinynas.py     # about a minute

1. One sandwich training step in numpy (largest at 28 px, smallest, one random; 64 Fashion-MNIST
   training images, TORCH_RECIPE's batch), best of 2.
2. get_valid_acc measured now (BN recalibration on 256 'calib' + 2,500 'val' images) for three
   subnet sizes.
3. The slide's loop and the evolution on the nRF52832 with the shipped accuracy cache
   (candidates per second: memory checks + cached accuracies) and the cache's hit rate.
Wall clock, time.perf_counter. The full retraining time is in docs/tinynas.md.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np  # noqa: E402

from tinyml_course.compression.train import Adam  # noqa: E402
from tinyml_course.nas import evaluate, study, supernet as sn, task, tinynas as tn  # noqa: E402


def main():
    shared = {k: tuple(a.copy() for a in v) for k, v in evaluate.shipped_supernet().shared.items()}
    images, labels, _ = task.raw_split("train")
    images, labels = images[:64], labels[:64]
    archs = [sn.largest(28), sn.smallest(), sn.random_arch(np.random.default_rng(0))]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        sn.train_step(shared, Adam(lr=1e-9), images, labels, archs)
        times.append(time.perf_counter() - start)
    print(f"training step (largest at 28 px + smallest + 1 random, 64 images): {min(times):.2f} s")

    for arch in (sn.smallest(), tn.baseline_arch(24, 0.75), sn.largest(28)):
        start = time.perf_counter()
        acc = evaluate.measure_accuracy(arch)
        print(f"get_valid_acc {arch.network().macs / 1e6:5.1f}M MACs: {time.perf_counter() - start:5.2f} s "
              f"({100 * acc:.1f}%)  {arch.name[:40]}")

    cache = evaluate.shipped_cache()

    def get_acc(arch):
        return evaluate.get_valid_acc(arch, cache=cache)

    start = time.perf_counter()
    result = study.loops("nrf52832", get_acc)["all schedules"]
    seconds = time.perf_counter() - start
    print(f"slide's loop, nrf52832: {study.LOOP_ARCHS} candidates in {seconds:.2f} s "
          f"({study.LOOP_ARCHS / seconds:.0f}/s), {len(result[3])} evaluated, best {100 * result[0]:.1f}%")
    start = time.perf_counter()
    evo = tn.evolution("nrf52832", seed=0, get_acc=get_acc, **tn.EVOLUTION)
    seconds = time.perf_counter() - start
    print(f"evolution, nrf52832: {evo.evaluations} candidates in {seconds:.2f} s "
          f"({evo.evaluations / seconds:.0f}/s), best {100 * evo.best_acc:.1f}%")
    print(f"accuracy cache: {cache.hits} hits, {cache.misses} misses")


if __name__ == "__main__":
    main()
