"""Measure the shipped supernet's accuracies that notebook 60 and ``search --objective accuracy``
show, and write them to tinyml_course/nas/weights/accuracy_cache.json.

    python scripts/measure_supernet.py           # measures what the cache lacks (minutes), saves
    python scripts/measure_supernet.py --fresh   # forgets the cache first (after retraining)
    python scripts/measure_supernet.py --fresh --part a --cache /tmp/a.json &   # on 2 cores:
    python scripts/measure_supernet.py --fresh --part b --cache /tmp/b.json     # then --merge
    python scripts/measure_supernet.py --merge /tmp/a.json /tmp/b.json

Every number is ``get_valid_acc(arch)`` of nas/evaluate.py on the shipped weights; the notebook
re-measures a few of them live to show the cache agrees.
"""

import argparse
import time

from tinyml_course.nas import evaluate, study, tinynas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="start from an empty cache")
    parser.add_argument("--part", choices=("all", "a", "b"), default="all",
                        help="a: live checks, curves, sweeps and the smaller device; b: the Nano 33")
    parser.add_argument("--cache", default=None, help="write this cache file instead")
    parser.add_argument("--merge", nargs="+", default=None, help="merge these cache files, save")
    args = parser.parse_args()
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
        print("live checks", [get_acc(a) for a in study.LIVE], flush=True)
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
    cache.save()
    print(f"{len(cache.values)} accuracies cached ({cache.misses} measured now) in "
          f"{time.perf_counter() - start:.0f} s -> {cache.path}")


if __name__ == "__main__":
    main()
