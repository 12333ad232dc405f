"""Deploy at FULL resolution: compile time, emulator throughput, wall time to deploy and run.

    python benchmarks/bench_deploy.py [--models digits mcunet-in1] [--schedule in-place]
                                      [--kernels tinyengine] [--device stm32h743]

For each model: seconds to generate the C, to compile and link (ziglang), to emulate with
per-layer instruction counting and without it; the instructions executed and the emulator's
throughput (million instructions per second); the linker's Flash and SRAM; the cycle ESTIMATE in
ms at the device's clock; and whether the output is bit-exact. mcunet-in1 at its zoo resolution
(96x96) on the STM32F746, the digits model at 16x16. Tests use reduced resolutions (32x32).
On the shared 2-core machine: digits compiles in ~1.5 s and runs 5.4M instructions (1 s counted);
mcunet-in1 153.7M instructions, ~5.5M instr/s counted (27 s), ~50M instr/s uncounted (3 s).
"""

import argparse
import tempfile
import time
from pathlib import Path

from tinyml_course.model.published_results import LIBRARIES, TINYENGINE_README, library_result
from tinyml_course.deploy import emulator
from tinyml_course.deploy.codegen import write_project
from tinyml_course.deploy.deploy import deploy, int8_model
from tinyml_course.deploy.elf import read_elf
from tinyml_course.deploy.program import build_program
from tinyml_course.deploy.toolchain import build
from tinyml_course.model.zoo import get_network
from tinyml_course.runtime.int8_backend import Int8Backend


# issue 21's targets for the tinyengine tier on mcunet-in1 (96x96, STM32H743): executed
# instructions per MAC, whole network and over its 1x1 layers
TARGET_IPM = 3.0
TARGET_IPM_1X1 = 1.6


def per_mac(network, layers):
    """(instructions per MAC over the whole network, over its 1x1 convolutions) of a run's layers."""
    ops = {op.name: op for op in network.ops}
    total = sum(r["instructions"] for r in layers)
    pw = [(r["instructions"], ops[r["name"]].macs) for r in layers
          if r["name"] in ops and ops[r["name"]].kind == "pwconv"]
    return total / network.macs, sum(i for i, _ in pw) / max(sum(m for _, m in pw), 1)


def bench(name, device, schedule, kernels):
    model, image = int8_model("digits" if name == "digits" else get_network(name))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        program = build_program(model.network, schedule)
        sources = write_project(tmp, model, program, Int8Backend(model).prepare_input(image),
                                kernels)
        t1 = time.perf_counter()
        info = read_elf(build(Path(tmp), device, sources))
        t2 = time.perf_counter()
    fast = emulator.run(info, device, len(program.labels), count=False)
    t3 = time.perf_counter()
    counted = emulator.run(info, device, len(program.labels), count=True)
    t4 = time.perf_counter()
    run = deploy(model, image, device, schedule, kernels, count=True)
    t5 = time.perf_counter()
    n = counted.instructions
    print(f"{name} ({model.network.input_shape}) on {device}, {schedule}: codegen {t1 - t0:.2f} s, "
          f"compile+link {t2 - t1:.2f} s, emulate {t3 - t2:.2f} s uncounted / {t4 - t3:.2f} s "
          f"counted ({n / 1e6:.1f}M instructions, {n / 1e6 / (t4 - t3):.1f}M instr/s counted, "
          f"{n / 1e6 / (t3 - t2):.1f}M instr/s uncounted); deploy() end to end {t5 - t4:.2f} s")
    print(f"  Flash {run.flash_bytes:,} B, SRAM {run.sram_bytes:,} B (arena {run.arena_bytes:,} = "
          f"planned {run.planned_arena_bytes:,}), est. {run.estimated_ms:.1f} ms (ESTIMATE), "
          f"bit-exact {run.bit_exact}; stack {fast.stack_bytes} B")
    whole, pw = per_mac(model.network, run.layers)
    print(f"  {kernels} kernels: {whole:.2f} instructions/MAC whole-network (target <= "
          f"{TARGET_IPM:g}), {pw:.2f} on its 1x1 layers (target <= {TARGET_IPM_1X1:g}); "
          f"{model.network.macs / 1e6:.2f}M MACs")
    published = {r.net_id for r in LIBRARIES if r.library == "TinyEngine" and r.latency_ms}
    if name in published and device == "stm32h743":
        measured = library_result(name, "TinyEngine").latency_ms
        print(f"  beside it: TinyEngine measured {measured:g} ms for {name} on the STM32H743 "
              f"({TINYENGINE_README}); ours is an instruction-count estimate, not tuned to it")
        anchor = " / ".join(f"{library_result(name, lib).latency_ms:g}"
                            for lib in ("TF-Lite Micro", "CMSIS-NN", "TinyEngine"))
        print(f"  anchor: TFLM reference / TFLM + CMSIS-NN / TinyEngine measured {anchor} ms")
    elif name in published:
        print(f"  TinyEngine's published latency of {name} is for the STM32H743: "
              f"--device stm32h743 prints our estimate beside it")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["digits", "mcunet-in1"])
    parser.add_argument("--device", default="stm32f746")
    parser.add_argument("--schedule", default="in-place")
    parser.add_argument("--kernels", default="tinyengine")
    args = parser.parse_args(argv)
    for name in args.models:
        bench(name, args.device, args.schedule, args.kernels)


if __name__ == "__main__":
    main()
