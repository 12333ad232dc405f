"""Measure the shipped supernet's accuracies that notebook 60 and ``search --objective accuracy``
show, and write them to tinyml_course/nas/weights/accuracy_cache.json.

    python scripts/measure_supernet.py           # measures what the cache lacks (minutes), saves
    python scripts/measure_supernet.py --fresh   # forgets the cache first (after retraining)

Every number is ``get_valid_acc(arch)`` of nas/evaluate.py on the shipped weights; the notebook
re-measures a few of them live to show the cache agrees.
"""

import argparse
import time

from tinyml_course.nas import evaluate, study, tinynas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="start from an empty cache")
    args = parser.parse_args()
    cache = evaluate.shipped_cache()
    if args.fresh:
        cache.values = {}
    start = time.perf_counter()

    def get_acc(arch):
        acc = evaluate.get_valid_acc(arch, cache=cache)
        if cache.misses and cache.misses % 10 == 0:
            cache.save()
        return acc

    print("live checks", [get_acc(a) for a in study.LIVE], flush=True)
    print("resolution curves", [study.resolution_curve(get_acc, w) for w in (1.0, 0.5)], flush=True)
    print("sweeps", study.dimension_sweeps(get_acc), flush=True)
    for device in study.DEVICES:
        loops = study.loops(device, get_acc)
        print(device, {k: (v[0], v[1].name if v[1] else None) for k, v in loops.items()}, flush=True)
        report = tinynas.codesign(device, cache=cache, get_acc=get_acc)
        print(tinynas.codesign_summary(report), flush=True)
    cache.save()
    print(f"{len(cache.values)} accuracies cached ({cache.misses} measured now) in "
          f"{time.perf_counter() - start:.0f} s -> {evaluate.CACHE_PATH}")


if __name__ == "__main__":
    main()
