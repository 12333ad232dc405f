#!/usr/bin/env python3
"""The search's latency model against the emulator on the searched models, and its speed.

    python benchmarks/bench_latency_model.py                    # both devices: a few minutes
    python benchmarks/bench_latency_model.py --devices nrf52832

For the best searched model of ``tinynas.codesign`` on each device (the shipped accuracy cache):
deploy it under its chosen schedule (the default tinyengine kernels, generated weights), emulate with counting,
and print the measured instruction count and cycle estimate beside the model's prediction, with
the time each takes. Wall clock, time.perf_counter.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from tinyml_course.deploy import latency  # noqa: E402
from tinyml_course.deploy.deploy import deploy, int8_model  # noqa: E402
from tinyml_course.deploy.toolchain import DoesNotFitError  # noqa: E402
from tinyml_course.model.devices import get_device  # noqa: E402
from tinyml_course.nas import supernet as sn, tinynas as tn  # noqa: E402


# a catalogue device with the same core and clock and more Flash, where a searched model's
# tinyengine build (int16 depthwise weights, one function per op) overflows the device's Flash
TWINS = {"Cortex-M4F": "arduino-nano-33-ble-sense"}  # nRF52832 and nRF52840: 64 MHz Cortex-M4F


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="+", default=["arduino-nano-33-ble-sense", "nrf52832"])
    args = parser.parse_args()
    for device in args.devices:
        best = tn.codesign(device)["best"]
        arch = sn.Arch.from_json(best["arch"])
        net = arch.network()
        schedule = tn.describe(arch, device, accuracy=best["accuracy"]).schedule
        start = time.perf_counter()
        predicted = latency.predict(net, schedule, device)
        predict_s = time.perf_counter() - start
        model, image = int8_model(net)
        start = time.perf_counter()
        try:
            run = deploy(model, image, device, schedule=schedule)
        except DoesNotFitError as err:  # the search counts int8 weights; tinyengine's Flash is more
            twin = TWINS[get_device(device).core]
            print(f"  {err}; emulated on the {twin} instead (same core and clock)")
            run = deploy(model, image, twin, schedule=schedule)
        emulate_s = time.perf_counter() - start
        error = (predicted.instructions - run.instructions) / run.instructions
        print(f"{device}: best searched {arch.name} ({best['schedule']}, "
              f"{net.macs / 1e6:.1f}M MACs)")
        print(f"  emulated : {run.instructions:>13,} instructions, {run.estimated_ms:8.1f} ms "
              f"estimated ({emulate_s:.1f} s to compile and emulate)")
        print(f"  predicted: {predicted.instructions:>13,} instructions, {predicted.ms:8.1f} ms "
              f"estimated ({1e3 * predict_s:.0f} ms)  error {100 * error:+.2f}%", flush=True)


if __name__ == "__main__":
    main()
