"""``tinyml-course deploy``: C for a network, built for a device, run on an emulated Cortex-M.

    tinyml-course deploy digits --device stm32f746 --schedule in-place --out build/digits
    tinyml-course deploy mcunet-in1 --resolution 48 --schedule patch --patches 2 --split block3 \\
        --kernels reference --out build/in1 --json

Writes the C project and the ELF to --out and prints Flash and SRAM (linker), the arena (ELF and
planner), instructions (measured), cycles and milliseconds (an estimate) and the output check.
Bad input and a model that does not fit exit with status 2 and one line (``cli.main``).
"""

import json

from ..deploy.kernels import KERNEL_FLAVOURS
from ..deploy.deploy import DIGITS, deploy, int8_model
from ..model.devices import get_device
from .args import UsageError
from .network_options import (add_model_arguments, add_schedule_arguments, load_network,
                              schedule_from_args)

DEFAULT_DEVICE = "stm32f746"  # the MCUNet / TinyEngine reference board


def deploy_network(model, resolution=None, width=None):
    """'digits', a zoo name or a JSON spec (path or text) -> the Network or 'digits'.

    width: MobileNetV2's width multiplier (zoo model 'mobilenetv2' only)."""
    if model == DIGITS:
        if resolution is not None or width is not None:
            raise UsageError("--resolution and --width do not apply to the trained digits model "
                             "(16x16)")
        return DIGITS
    return load_network(model, resolution, width, extra_models=(DIGITS,))


def add_deploy_parser(subparsers):
    """Add the ``deploy`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "deploy", help="generate C, build it for a device, run it on an emulated Cortex-M",
        description="Generate C for a network and schedule, cross-compile and link it for a "
                    "device, run it in an emulator and check the output bit-exactly.")
    add_model_arguments(p, extra_models=(DIGITS,))
    p.add_argument("--device", default=DEFAULT_DEVICE, help="device (see 'tinyml-course devices')")
    add_schedule_arguments(p)
    p.add_argument("--kernels", choices=KERNEL_FLAVOURS, default="optimized")
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the C project and ELF")
    p.add_argument("--no-count", action="store_true",
                   help="skip per-layer instruction counting (faster; no instructions or cycles)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run_deploy)
    return p


def run_deploy(args):
    """Run the ``deploy`` subcommand; return the exit status (0)."""
    schedule = schedule_from_args(args)
    get_device(args.device)  # an unknown device is refused before the model is converted
    model, image = int8_model(deploy_network(args.model, args.resolution, args.width))
    result = deploy(model, image, args.device, schedule, args.kernels, args.out,
                    count=not args.no_count)
    print(json.dumps(result.to_json()) if args.json else "\n".join(result.lines()))
    return 0
