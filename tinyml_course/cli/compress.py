"""``tinyml-course compress``: prune and/or quantize the trained digits model, print the effect.

    tinyml-course compress --prune global --sparsity 0.5 --finetune 3 --quantize int8
    tinyml-course compress --prune channel --sparsity 0.5 --json

Prints held-out accuracy, Flash and peak SRAM (analytic and measured in the arena) before and
after. Bad options exit with status 2 and one line on stderr (``cli.main`` catches the errors).
"""

import json

from ..compression.compress import (
    DEFAULT_DEVICE,
    FORMATS,
    PRUNE_METHODS,
    QUANT_METHODS,
    compress_model,
    report_lines,
)
from ..compression.data import load_digits
from ..compression.trained import load_trained
from ..errors import SpecError
from ..runtime.qscheme import MAX_BITS, MIN_BITS
from .args import scalar_arg

MAX_FINETUNE_EPOCHS = 50  # --finetune: about 5 s an epoch on 2 cores, so at most minutes

_fraction = scalar_arg(float, min_val=0, max_val=1, include_boundaries="left")
_bits = scalar_arg(int, min_val=MIN_BITS, max_val=MAX_BITS, label="a bit width")
_epochs = scalar_arg(int, min_val=0, max_val=MAX_FINETUNE_EPOCHS, label="epochs")


def add_compress_parser(subparsers):
    """Add the ``compress`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "compress", help="prune and/or quantize the trained digits model; accuracy, Flash, SRAM",
        description="Prune and/or quantize the trained digits model and print held-out accuracy, "
                    "Flash and peak SRAM before and after.")
    p.add_argument("--prune", choices=PRUNE_METHODS, default="none",
                   help="fine-grained per-layer or global magnitude pruning, or channel pruning")
    p.add_argument("--sparsity", type=_fraction, default=0.5,
                   help="share of the 1x1 and linear weights (per-layer/global) or of expanded channels (channel) removed")
    p.add_argument("--norm", choices=("l1", "l2"), default="l2", help="channel importance norm")
    p.add_argument("--finetune", type=_epochs, default=0, metavar="EPOCHS",
                   help="fine-tune the pruned model this many epochs, masks kept")
    p.add_argument("--quantize", choices=QUANT_METHODS, default="none",
                   help="linear/kmeans weights at --bits, or integer-only int8 inference")
    p.add_argument("--bits", type=_bits, default=8,
                   help=f"bit width {MIN_BITS}-{MAX_BITS} of linear/kmeans weights")
    p.add_argument("--format", choices=FORMATS, default="best", dest="fmt",
                   help="storage of the weights in Flash (sparse formats pay an index)")
    p.add_argument("--device", default=DEFAULT_DEVICE, help="device to check the fit against")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run_compress)
    return p


def run_compress(args):
    """Run the ``compress`` subcommand; return the exit status (0)."""

    if args.quantize == "int8" and args.bits != 8:
        raise SpecError("--quantize int8 is 8-bit; use --quantize linear or kmeans with --bits")
    if args.prune == "none" and args.finetune:
        raise SpecError("--finetune needs --prune")
    network, weights = load_trained()
    result = compress_model(network, weights, load_digits(), args.prune, args.sparsity, args.norm,
                            args.finetune, args.quantize, args.bits, args.fmt, args.device)
    if args.json:
        print(json.dumps(result))
    else:
        print("\n".join(report_lines(result)))
    return 0
