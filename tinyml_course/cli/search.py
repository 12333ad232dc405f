"""The ``tinyml-course search`` subcommand (cli.build_parser adds it through add_search_parser).

    tinyml-course search --device stm32f746 [--seed 0] [--candidates 2000] [--max-macs 100]
                         [--convention exact] [--json] [--all]
    tinyml-course search --device nano33 --objective accuracy [--seed 0] [--top 3] [--json]
                         [--max-latency-ms 500]

``--objective macs`` (the default): the MACs-maximising search over ImageNet-sized MBConv specs
(nas/search.py). ``--objective accuracy``: the evolutionary TinyNAS on the trained supernet
(nas/tinynas.py, accuracies on Fashion-MNIST's held-out 'val' split, the
final models' also on 'test'; the shipped accuracy cache makes
it take seconds); prints the best models with accuracy, peak SRAM, Flash and latency (instructions
of the emulated deployment from a model calibrated on the emulator, cycles an estimate:
deploy/latency.py), and the best width/resolution-scaled MobileNetV2-style baseline;
``--max-latency-ms`` adds a latency budget on that estimate. With --json
one object: device, latency (that label), max_latency_ms (the budget or null), best, top, baselines (each model: arch, schedule,
resolution, accuracy, peak_sram_bytes, flash_bytes, macs, fits, instructions, latency_ms).

Prints the search summary (or one JSON object). Errors (unknown device, bad number) are
TinyMLErrors or argparse errors, which cli.main turns into one line and exit status 2.
"""

import json
import sys

from ..memory.conventions import CONVENTIONS
from ..model.devices import get_device
from ..nas.search import search
from ..nas.tinynas import codesign, codesign_summary
from .args import UsageError, int_at_most, positive_float, positive_int, seed_int

DEFAULT_CANDIDATES = 2000  # architectures sampled by default: a few seconds
MAX_CANDIDATES = 100_000  # the most --candidates accepts: 50x the default, minutes not days


def add_search_parser(subparsers):
    """Add the ``search`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "search", help="TinyNAS-style search: architectures x schedules that fit a device")
    p.add_argument("--device", required=True, help="device name (see 'tinyml-course devices')")
    p.add_argument("--seed", type=seed_int, default=0,
                   help="seed of the architecture sampler (an integer >= 0)")
    p.add_argument("--candidates", type=int_at_most(MAX_CANDIDATES), default=DEFAULT_CANDIDATES,
                   help=f"number of architectures to sample (1 to {MAX_CANDIDATES})")
    p.add_argument("--max-macs", type=positive_float, default=None,
                   help="budget on executed MACs, in millions (a latency proxy)")
    p.add_argument("--convention", choices=list(CONVENTIONS), default="exact",
                   help="SRAM counting rule the fit is judged by")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--all", action="store_true", help="with --json: include every candidate")
    p.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    p.add_argument("--objective", choices=("macs", "accuracy"), default="macs",
                   help="macs: largest fitting MACs (ImageNet-sized space); accuracy: most "
                        "accurate fitting subnet of the trained supernet")
    p.add_argument("--top", type=positive_int, default=3,
                   help="with --objective accuracy: how many best models to print")
    p.add_argument("--max-latency-ms", type=positive_float, default=None, metavar="MS",
                   help="with --objective accuracy: a latency budget in milliseconds (the "
                        "calibrated ESTIMATE of deploy/latency.py on the device's clock)")
    p.set_defaults(run=run_search)
    return p


def run_search(args):
    """Run the search for parsed ``args``; print the result; return the exit status (0)."""

    device = get_device(args.device)  # UnknownNameError before any work
    if args.max_latency_ms is not None and args.objective != "accuracy":
        raise UsageError("--max-latency-ms is a budget of --objective accuracy (the latency "
                         "model is calibrated on the supernet's subnets)")
    if args.objective == "accuracy":
        report = codesign(device, seed=args.seed, top=args.top, max_latency_ms=args.max_latency_ms)
        print(json.dumps(report) if args.json else codesign_summary(report))
        sys.stdout.flush()
        return 0
    max_macs = None if args.max_macs is None else args.max_macs * 1e6
    result = search(device, args.candidates, args.seed, convention=args.convention,
                    max_macs=max_macs, progress=args.progress)
    if args.json:
        print(json.dumps(result.to_json(with_candidates=args.all)))
    else:
        print(result.summary())
    sys.stdout.flush()
    return 0

