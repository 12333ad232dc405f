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
from ..errors import SpecError
from ..memory.schedule import SCHEDULE_KINDS, Schedule
from ..model.network import build_network, load_spec
from ..model.zoo import ZOO_NAMES, get_network
from .args import positive_float, positive_int

DEFAULT_DEVICE = "stm32f746"  # the MCUNet / TinyEngine reference board
DEFAULT_PATCHES = 2  # --patches: a 2 x 2 grid (reduced resolutions have few rows to split)


def deploy_network(model, resolution=None, width=None):
    """'digits', a zoo name or a JSON spec (path or text) -> the Network or 'digits'.

    width: MobileNetV2's width multiplier (zoo model 'mobilenetv2' only)."""
    if model == DIGITS:
        if resolution is not None or width is not None:
            raise SpecError("--resolution and --width do not apply to the trained digits model (16x16)")
        return DIGITS
    if model in ZOO_NAMES:
        return get_network(model, resolution, width)
    if width is not None:
        raise SpecError("--width applies to zoo model 'mobilenetv2' only")
    if model.endswith(".json") or model.lstrip().startswith("{"):
        spec = dict(load_spec(model))
        if resolution is not None:
            spec["resolution"] = resolution
        return build_network(spec)
    raise SpecError(f"unknown model {model!r}; use digits, one of {', '.join(ZOO_NAMES)} or a "
                    f"path to a JSON spec (*.json)")


def add_deploy_parser(subparsers):
    """Add the ``deploy`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "deploy", help="generate C, build it for a device, run it on an emulated Cortex-M",
        description="Generate C for a network and schedule, cross-compile and link it for a "
                    "device, run it in an emulator and check the output bit-exactly.")
    p.add_argument("model", help=f"digits, a zoo name ({', '.join(ZOO_NAMES)}) or a JSON spec")
    p.add_argument("--device", default=DEFAULT_DEVICE, help="device (see 'tinyml-course devices')")
    p.add_argument("--resolution", type=positive_int, help="input resolution (zoo/spec models)")
    p.add_argument("--width", type=positive_float, help="width multiplier (mobilenetv2 only)")
    p.add_argument("--schedule", choices=SCHEDULE_KINDS, default="per-layer")
    p.add_argument("--patches", type=positive_int, help=f"n x n patch grid (default {DEFAULT_PATCHES})")
    p.add_argument("--split", help="last op or block of the patch stage (e.g. block3)")
    p.add_argument("--kernels", choices=KERNEL_FLAVOURS, default="optimized")
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the C project and ELF")
    p.add_argument("--no-count", action="store_true",
                   help="skip per-layer instruction counting (faster; no instructions or cycles)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run_deploy)
    return p


def run_deploy(args):
    """Run the ``deploy`` subcommand; return the exit status (0)."""
    if args.schedule == "patch":
        if args.split is None:
            raise SpecError("--schedule patch needs --split NAME (an op or block, e.g. block3)")
        schedule = Schedule("patch", args.patches or DEFAULT_PATCHES, args.split)
    elif args.patches is not None or args.split is not None:
        raise SpecError("--patches and --split need --schedule patch")
    else:
        schedule = Schedule(args.schedule)
    model, image = int8_model(deploy_network(args.model, args.resolution, args.width))
    result = deploy(model, image, args.device, schedule, args.kernels, args.out,
                    count=not args.no_count)
    print(json.dumps(result.to_json()) if args.json else "\n".join(result.lines()))
    return 0
