"""The ``tinyml-course`` command line: profile a network's memory, list devices, and more.

Every expected error (bad model name, spec, option, device) exits with status 2 and one line on
stderr; no traceback.
"""

import argparse
import json
import os
import sys

import numpy as np

from ..compression.int8_convert import convert
from ..errors import SRAMOverflowError, TinyMLError
from ..memory.accounting import fit_report, profile
from ..memory.conventions import CONVENTIONS
from ..model.devices import DEVICES, get_device
from ..model.units import BYTES_PER_ELEMENT, DTYPE_BYTES, KIB
from ..runtime.backend import random_weights
from ..runtime.executor import DEFAULT_ARENA_BYTES, execute
from ..runtime.int8_backend import Int8Backend
from .args import UsageError
from .compress import add_compress_parser
from .deploy import add_deploy_parser
from .network_options import (add_model_arguments, add_schedule_arguments, load_network,
                              schedule_from_args)
from .search import add_search_parser

MEASURE_SEED = 0  # seed of the random weights and input of --measure
MAX_MEASURE_BYTES = 1024 ** 3  # --measure refuses a run that would allocate more than 1 GiB


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + error
        raise UsageError(message)


def measure_bytes(network, dtype, capacity=None):
    """About how many bytes ``measure`` allocates: an upper estimate, computed before allocating.

    The float64 draws and float32 copies of the input and weights (12 bytes per element), the arena
    (``capacity``, default 64 MiB), every float32 tensor of one forward pass (int8 calibration
    keeps them all) and the largest kernel's working copy (padded input + im2col windows).
    """
    c, h, w = network.input_shape
    tensors = sum(op.out_elements for op in network.ops)
    work = max((op.in_shape[0] * (op.in_shape[1] + op.pads[0] + op.pads[1])
                * (op.in_shape[2] + op.pads[2] + op.pads[3])
                + (op.macs // op.out_shape[0] if op.kind == "conv" else 0)) for op in network.ops)
    draws = DTYPE_BYTES["float64"] + DTYPE_BYTES["float32"]  # per element: the draw and its copy
    total = draws * (c * h * w + network.params) + DTYPE_BYTES["float32"] * (tensors + work)
    return total + (capacity or DEFAULT_ARENA_BYTES) + (network.params if dtype == "int8" else 0)


def measure(network, schedule, dtype, capacity=None):
    """Run the network on random weights and input (seeded) in an arena; return its Execution.

    Raises UsageError, before allocating anything, when the run would need more than
    MAX_MEASURE_BYTES (``measure_bytes``).
    """
    needed = measure_bytes(network, dtype, capacity)
    if needed > MAX_MEASURE_BYTES:
        raise UsageError(f"--measure would allocate about {needed:,} bytes ({needed / 1024 ** 3:.3g} GiB) "
                         f"for {network.name!r}, more than its limit of {MAX_MEASURE_BYTES:,} bytes "
                         f"({MAX_MEASURE_BYTES / 1024 ** 3:g} GiB); profile without --measure, or lower the resolution or channels")
    rng = np.random.default_rng(MEASURE_SEED)
    weights = random_weights(network, rng)
    x = rng.standard_normal(network.input_shape).astype(np.float32)
    if dtype == "int8":

        backend = Int8Backend(convert(network, weights, x[np.newaxis]))
    else:
        backend = weights
    return execute(network, x, backend, schedule, capacity=capacity)


def cmd_profile(args):
    network = load_network(args.model, args.resolution, args.width)
    schedule = schedule_from_args(args)
    device = get_device(args.device) if args.device else None
    prof = profile(network, schedule, args.convention, args.dtype)
    result = prof.to_json()
    lines = [prof.table()]
    if device:
        report = fit_report(prof, device)
        result["device"] = {"name": device.name, "sram_bytes": device.sram_bytes,
                            "flash_bytes": device.flash_bytes, "fits": report.fits,
                            "sram_fits": report.sram_fits, "flash_fits": report.flash_fits}
        lines.append(report.describe())
    if args.measure:
        try:
            run = measure(network, schedule, args.dtype, device.sram_bytes if device else None)
        except SRAMOverflowError as err:
            result["measured_peak_sram_bytes"] = None
            result["measured_overflow"] = str(err)
            lines.append(f"measured: {err}")
        else:
            result["measured_peak_sram_bytes"] = int(run.peak_sram_bytes)
            agree = "agrees with" if run.peak_sram_bytes == prof.peak_sram_bytes else "differs from"
            lines.append(f"measured peak SRAM in the arena: {run.peak_sram_bytes:,} bytes = "
                         f"{run.peak_sram_bytes / KIB:.1f} KiB ({agree} the {args.convention} figure)")
    print(json.dumps(result, indent=2) if args.json else "\n".join(lines))
    return 0


def cmd_devices(args):
    if args.json:
        print(json.dumps([{"name": d.name, "title": d.title, "core": d.core, "clock_mhz": d.clock_mhz,
                           "sram_bytes": d.sram_bytes, "flash_bytes": d.flash_bytes, "note": d.note}
                          for d in DEVICES.values()], indent=2))
        return 0
    print(f"{'name':<28}{'core':<12}{'MHz':>5}{'SRAM KiB':>10}{'Flash KiB':>11}  title")
    for d in DEVICES.values():
        print(f"{d.name:<28}{d.core:<12}{d.clock_mhz:>5}{d.sram_bytes // KIB:>10}"
              f"{d.flash_bytes // KIB:>11}  {d.title}")
    return 0


def build_parser():
    parser = _Parser(prog="tinyml-course", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("profile", help="per-op SRAM, peak, Flash and MACs of a network")
    add_model_arguments(p)
    add_schedule_arguments(p, hold_input=True)
    p.add_argument("--convention", choices=list(CONVENTIONS), default="exact")
    p.add_argument("--dtype", choices=list(BYTES_PER_ELEMENT), default="int8")
    p.add_argument("--device", help="check the fit against a device (see 'tinyml-course devices')")
    p.add_argument("--measure", action="store_true",
                   help="also run the network in the SRAM arena and report the measured peak")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_profile)

    d = sub.add_parser("devices", help="list the device catalogue")
    d.add_argument("--json", action="store_true")
    d.set_defaults(run=cmd_devices)

    add_search_parser(sub)
    add_compress_parser(sub)
    add_deploy_parser(sub)
    return parser


def main(argv=None):
    """Entry point of the ``tinyml-course`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except (UsageError, TinyMLError) as err:
        print(f"tinyml-course: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `tinyml-course profile ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
