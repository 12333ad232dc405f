"""Measure the shipped supernet's accuracies that notebook 60 and ``search --objective accuracy``
show, and write them to tinyml_course/nas/weights/accuracy_cache.json.

    python scripts/measure_supernet.py           # measures what the cache lacks (minutes), saves
    python scripts/measure_supernet.py --fresh   # forgets the cache first (after retraining)
    python scripts/measure_supernet.py --fresh --part a --cache /tmp/a.json &   # on 2 cores:
    python scripts/measure_supernet.py --fresh --part b --cache /tmp/b.json     # then --merge
    python scripts/measure_supernet.py --merge /tmp/a.json /tmp/b.json

Every number is ``get_valid_acc(arch)`` (and ``test_accuracy``) of nas/evaluate.py on the shipped
weights; the notebook and tests/test_tinynas.py re-measure a sample of them in numpy to show the
cache agrees. ``--torch`` (run with a PyTorch venv: ``PYTHONPATH=. /tmp/tvenv/bin/python ...``)
measures the same thing with ``scripts/train_supernet_torch.py``'s forward pass (the package's
network in PyTorch, batch norm recalibrated on the same 'calib' images, the same 'val' / 'test'
images): minutes instead of hours on the 2-core course machine; that is how the shipped cache
was measured (float32 in both: an image's predicted class can differ where two logits tie to
within rounding, which the tests bound).
"""

import argparse
import time

from tinyml_course.nas import evaluate, study, tinynas


def torch_measure():
    """A drop-in for ``evaluate.measure_accuracy`` that runs the PyTorch twin of the forward pass."""
    import sys
    from pathlib import Path

    import torch
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import train_supernet_torch as twin

    from tinyml_course.nas import task
    torch.set_num_threads(1)  # one per process: the two parts run side by side on 2 cores
    weights = {k: [torch.tensor(a) for a in v] for k, v in evaluate.shipped_supernet().shared.items()}

    def measure(arch, supernet=None, split="val", n=evaluate.VAL_IMAGES):
        calib = task.load_split("calib", arch.resolution, evaluate.CALIB_IMAGES)[0]
        x, y = task.load_split(split, arch.resolution, n)
        with torch.no_grad():
            stats = twin.Recorder()
            twin.forward(weights, arch, torch.tensor(calib), stats)
            logits = twin.forward(weights, arch, torch.tensor(x), dict(stats))
        return float((logits.argmax(1).numpy() == y).mean())
    return measure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="start from an empty cache")
    parser.add_argument("--part", choices=("all", "a", "b"), default="all",
                        help="a: live checks, curves, sweeps and the smaller device; b: the Nano 33")
    parser.add_argument("--cache", default=None, help="write this cache file instead")
    parser.add_argument("--merge", nargs="+", default=None, help="merge these cache files, save")
    parser.add_argument("--torch", action="store_true", help="measure with the PyTorch forward")
    args = parser.parse_args()
    if args.torch:
        evaluate.measure_accuracy = torch_measure()
    cache = evaluate.shipped_cache()
    if args.fresh:
        cache.values = {}
    if args.merge:
        for path in args.merge:
            cache.values.update(evaluate.AccuracyCache(path).values)
        cache.save()
        print(f"{len(cache.values)} accuracies -> {evaluate.CACHE_PATH}")
        return
    if args.cache:
        cache.path = evaluate.Path(args.cache)
    start = time.perf_counter()

    def get_acc(arch):
        acc = evaluate.get_valid_acc(arch, cache=cache)
        if cache.misses and cache.misses % 10 == 0:
            cache.save()
        return acc

    if args.part in ("all", "a"):
        print("live checks", [get_acc(a) for a in study.LIVE],
              [evaluate.test_accuracy(a, cache=cache) for a in study.LIVE], flush=True)
        print("resolution curves", [study.resolution_curve(get_acc, w) for w in (1.0, 0.5)],
              flush=True)
        print("sweeps", study.dimension_sweeps(get_acc), flush=True)
    for device in study.DEVICES:
        if args.part != "all" and (device == study.DEVICES[0]) != (args.part == "b"):
            continue
        loops = study.loops(device, get_acc)
        print(device, {k: (v[0], v[1].name if v[1] else None) for k, v in loops.items()}, flush=True)
        report = tinynas.codesign(device, cache=cache, get_acc=get_acc)
        print(tinynas.codesign_summary(report), flush=True)
        if device == study.COMPARE_DEVICE:  # evolution vs the random loop over seeds (notebook 60)
            for seed in study.SEEDS:
                evo, loop = study.evolution_vs_random(device, get_acc, seed)
                print(f"seed {seed}: evolution {evo[-1]:.4f}, loop {loop[-1]:.4f} after {len(evo)}",
                      flush=True)
        cache.save()
    cache.save()
    print(f"{len(cache.values)} accuracies cached ({cache.misses} measured now) in "
          f"{time.perf_counter() - start:.0f} s -> {cache.path}")


if __name__ == "__main__":
    main()
