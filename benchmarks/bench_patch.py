"""Benchmark: patch-based vs per-layer execution (wall time beside MACs), and search speed.

    python benchmarks/bench_patch.py [--repeat 3] [--candidates 2000] [--search-only]

For each case it times, float32 in the arena executor (best of --repeat runs):

- the patch stage alone (ops[0 .. split] as a network) per layer and patch by patch: the time
  ratio beside the MAC ratio shows whether the per-patch Python work dominates (ratio of times
  close to the ratio of MACs: it does not);
- the whole network per layer, in place, and with the patch schedule (whose rest runs in place).

Then the search's candidates per second on two devices (best of --repeat searches; the same seed,
so the same candidates each time). Prints a table; writes nothing.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from tinyml_course import get_network  # noqa: E402
from tinyml_course.runtime.executor import execute  # noqa: E402
from tinyml_course.runtime.backend import random_weights
from tinyml_course.memory.patch_plan import resolve_split  # noqa: E402
from tinyml_course.memory.patch_accounting import mac_overhead  # noqa: E402
from tinyml_course.memory.schedule import Schedule  # noqa: E402
from tinyml_course.nas.search import search  # noqa: E402

CASES = [("mobilenetv2", 224, "block3", 4), ("mobilenetv2", 224, "block3", 2),
         ("mcunet-in2", 160, "block4", 3), ("mcunet-in1", 96, "block4", 4)]
SEARCH_DEVICES = ("stm32f746", "stm32f412")


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_case(model, resolution, split, n, repeat):
    net = get_network(model, resolution)
    weights = random_weights(net, 0)
    x = np.random.default_rng(0).standard_normal(net.input_shape).astype(np.float32)
    stage = net.with_ops(net.ops[:resolve_split(net, split) + 1], name=f"{model} stage")
    cost = mac_overhead(net, split, n)
    t_stage_layer = best_time(lambda: execute(stage, x, weights, "per-layer"), repeat)
    t_stage_patch = best_time(lambda: execute(stage, x, weights, "patch", patches=n,
                                              split=stage.ops[-1].name), repeat)
    t_layer = best_time(lambda: execute(net, x, weights, "per-layer"), repeat)
    t_inplace = best_time(lambda: execute(net, x, weights, "in-place"), repeat)
    t_patch = best_time(lambda: execute(net, x, weights, "patch", patches=n, split=split), repeat)
    print(f"{model}-{resolution} {Schedule('patch', n, split)}")
    print(f"  stage  : per-layer {t_stage_layer * 1e3:8.1f} ms, patch {t_stage_patch * 1e3:8.1f} ms,"
          f" time x{t_stage_patch / t_stage_layer:.2f} vs MACs x"
          f"{cost.stage_macs_clipped / cost.stage_macs:.2f}")
    print(f"  network: per-layer {t_layer * 1e3:8.1f} ms, in-place {t_inplace * 1e3:8.1f} ms, "
          f"patch {t_patch * 1e3:8.1f} ms; patch/per-layer time x{t_patch / t_layer:.2f}, "
          f"patch/in-place x{t_patch / t_inplace:.2f} vs MACs x"
          f"{cost.network_macs_clipped / cost.network_macs:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument("--candidates", type=int, default=2000, help="search candidates")
    parser.add_argument("--search-only", action="store_true", help="time the search alone")
    args = parser.parse_args(argv)
    for case in [] if args.search_only else CASES:
        bench_case(*case, args.repeat)
    for device in SEARCH_DEVICES:
        result = min((search(device, args.candidates, seed=0) for _ in range(args.repeat)),
                     key=lambda r: r.seconds)
        print(f"search {device}: {len(result.candidates)} candidates in {result.seconds:.2f} s = "
              f"{result.candidates_per_second:.0f} candidates/s "
              f"({sum(c.kind == 'patch' for c in result.candidates)} needed a patch schedule)")


if __name__ == "__main__":
    main()
