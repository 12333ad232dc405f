"""Calibrate the latency model of the co-design search on the emulator and write
tinyml_course/deploy/latency_table.json.

    python scripts/calibrate_latency.py            # both CPUs, about 2-4 minutes on 2 busy cores
    python scripts/calibrate_latency.py --cpus cortex_m4   # one CPU (the other's entry kept)

For each CPU: deploy supernet subnets (generated weights, the default kernels: tinyengine) under per-layer,
in-place and patch schedules, count instructions per layer and per class in the emulator, and fit
``deploy/latency.py``'s trip-count features by least squares (``deploy/calibration.py``). A second,
held-out set of subnets (one at a resolution the fit never saw) is predicted with the fitted table
and its error stored beside it: that is the error the docs quote.
"""

import argparse
import datetime
import json
import time
from pathlib import Path

import numpy as np

from tinyml_course.deploy import calibration, latency
from tinyml_course.memory.schedule import Schedule
from tinyml_course.nas import supernet as sn
from tinyml_course.nas import tinynas

DEVICES = {"cortex_m4": "arduino-nano-33-ble-sense", "cortex_m7": "stm32f746"}
TRAIN = {"count": 36, "seed": 1, "resolutions": (16, 20, 28)}  # random subnets the fit sees
HELD_OUT = {"count": 3, "seed": 2, "resolutions": (16, 20, 28)}  # random subnets it does not
UNSEEN = sn.Arch(24, 0.5, (2, 2, 2), (7, 5, 3) * 3, (6, 4, 3) * 3)  # 24 px: a resolution never fitted


def schedules(arch, i):
    """Per-layer, in-place and a patch schedule in turn (the patch one at the first split, 2x2)."""
    patch = [s for s in tinynas.schedule_space(arch) if s.kind == "patch"]
    return [Schedule("per-layer"), Schedule("in-place"), patch[0]][i % 3]


def archs(count, seed, resolutions):
    """``count`` random subnets (seeded) at the given resolutions, every width."""
    rng = np.random.default_rng(seed)
    return [sn.random_arch(rng, resolutions) for _ in range(count)]


def measure_all(pairs, device):
    """calibration.Sample of every (arch, schedule) on ``device``, printing each as it comes."""
    out = []
    for arch, schedule in pairs:
        start = time.perf_counter()
        sample = calibration.measure(arch.network(), schedule, device)
        print(f"  {device}: {arch.name} {schedule}: {sample.instructions:,} instructions "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
        out.append(sample)
    return out


def rows(errors):
    """The JSON rows of calibration.errors."""
    return [{"network": n, "schedule": s, "measured": m, "predicted": p,
             "relative_error": round(e, 6)} for n, s, m, p, e in errors]


def kept_cpus(path, cpus):
    """The entries of the table at ``path`` for CPUs other than ``cpus`` (a run in pieces, one CPU
    each), when that table was calibrated for the same kernels and features; else {}."""
    try:
        old = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {}
    features = {k: list(v) for k, v in latency.FEATURES.items()}
    if old.get("kernels") != latency.DEFAULT_KERNELS or old.get("features") != features:
        return {}
    return {cpu: entry for cpu, entry in old["cpus"].items() if cpu not in cpus}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", nargs="+", choices=list(DEVICES), default=list(DEVICES))
    parser.add_argument("--out", default=str(latency.TABLE_PATH))
    args = parser.parse_args()
    start = time.perf_counter()
    train = [(a, schedules(a, i)) for i, a in enumerate(archs(**TRAIN))]
    held = [(a, schedules(a, i)) for i, a in enumerate(archs(**HELD_OUT))]
    held.append((UNSEEN, Schedule("in-place")))
    table = {"label": latency.LABEL, "kernels": latency.DEFAULT_KERNELS,
             "how": "scripts/calibrate_latency.py: least squares of per-layer, per-class emulator "
                    "counts on the trip-count features of deploy/latency.py",
             "date": datetime.date.today().isoformat(),
             "features": {k: list(v) for k, v in latency.FEATURES.items()},  # every kernel set's
             "targets": list(latency.TARGETS), "cpus": kept_cpus(args.out, args.cpus)}
    for cpu in args.cpus:
        device = DEVICES[cpu]
        fit_samples = measure_all(train, device)
        coefficients = calibration.fit(fit_samples)
        held_samples = measure_all(held, device)
        train_err = calibration.errors(fit_samples, coefficients)
        held_err = calibration.errors(held_samples, coefficients)
        table["cpus"][cpu] = {
            "device": device, "coefficients": coefficients,
            "fit": {"train": rows(train_err), "held_out": rows(held_err),
                    "max_abs_error_train": max(abs(e[-1]) for e in train_err),
                    "max_abs_error_held_out": max(abs(e[-1]) for e in held_err)}}
        print(f"{cpu}: largest error {100 * table['cpus'][cpu]['fit']['max_abs_error_train']:.3f}% "
              f"on the {len(train)} fitted, "
              f"{100 * table['cpus'][cpu]['fit']['max_abs_error_held_out']:.3f}% on the "
              f"{len(held)} held-out deployments", flush=True)
    table["seconds"] = round(time.perf_counter() - start, 1)  # of this run (its CPUs)
    with open(args.out, "w") as f:
        f.write(json.dumps(table, separators=(",", ":")).replace('"cortex_', '\n"cortex_') + "\n")
    print(f"wrote {args.out} in {table['seconds']:.0f} s")


if __name__ == "__main__":
    main()
