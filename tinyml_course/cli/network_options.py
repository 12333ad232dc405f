"""The model and schedule options that ``profile`` and ``deploy`` share: added to a parser by one
function each, turned into a Network and a Schedule by one function each.

    model:       a zoo name, 'resnet18', 'mlperf-vww|ic|ad', a path to a JSON spec (*.json) or the JSON text itself
    --resolution input resolution in pixels; --width MobileNetV2's width multiplier
    --schedule   per-layer | in-place | patch (--patches n, --split NAME; profile: --hold-input)

Errors are UsageErrors (``cli.args``): ``cli.main`` prints them as one line, exit status 2.
"""

from ..memory.schedule import DEFAULT_PATCHES, SCHEDULE_KINDS, Schedule
from ..model.network import build_network, load_spec
from ..model.spec import MAX_RESOLUTION
from ..model.zoo import BASELINE_NAMES, REFERENCE_NAMES, ZOO_NAMES, get_network
from .args import UsageError, positive_float, positive_int, scalar_arg

# the zoo, the ResNet-18 baseline (accounting only) and the MLPerf Tiny reference models
MODEL_NAMES = ZOO_NAMES + BASELINE_NAMES + REFERENCE_NAMES
resolution_int = scalar_arg(int, min_val=1, max_val=MAX_RESOLUTION)  # zoo models: >= 32 too


def add_model_arguments(parser, extra_models=()):
    """Add ``model``, ``--resolution`` and ``--width``; ``extra_models`` are names the command
    accepts besides the zoo (deploy: 'digits')."""
    names = ", ".join((*extra_models, *MODEL_NAMES))
    parser.add_argument("model", help=f"a zoo name ({names}) or a path to a JSON spec")
    parser.add_argument("--resolution", type=resolution_int,
                        help=f"input resolution in pixels (at most {MAX_RESOLUTION})")
    parser.add_argument("--width", type=positive_float, help="width multiplier (mobilenetv2 only)")


def add_schedule_arguments(parser, hold_input=False):
    """Add ``--schedule``, ``--patches``, ``--split`` (and ``--hold-input`` when asked)."""
    parser.add_argument("--schedule", choices=SCHEDULE_KINDS, default="per-layer")
    parser.add_argument("--patches", type=positive_int,
                        help=f"n for an n x n patch grid (default {DEFAULT_PATCHES}, MCUNetV2's)")
    parser.add_argument("--split", help="last op or block of the patch stage "
                        "(e.g. block3: MobileNetV2 up to 28x28x32)")
    if hold_input:
        parser.add_argument("--hold-input", action="store_true", help="patch schedule: hold the "
                            "whole input image in SRAM instead of streaming it")


def load_network(model, resolution=None, width=None, extra_models=()):
    """A zoo name (or 'resnet18'), a path to a JSON spec or JSON text -> Network (``resolution``
    overrides the spec's; ``width`` applies to zoo model 'mobilenetv2' only). Raises UsageError
    for a name that is neither (naming the zoo and ``extra_models``, the caller's other names),
    SpecError / UnknownNameError for a bad spec or option."""
    if model in MODEL_NAMES:
        return get_network(model, resolution, width)
    if model.endswith(".json") or model.lstrip().startswith("{"):
        if width is not None:
            raise UsageError("--width applies to zoo model 'mobilenetv2' only, not to a JSON spec")
        spec = dict(load_spec(model))
        if resolution is not None:
            spec["resolution"] = resolution
        return build_network(spec)
    names = ", ".join((*extra_models, *MODEL_NAMES))
    raise UsageError(f"unknown model {model!r}; use one of {names} or a path to a JSON spec "
                     f"(*.json)")


def schedule_from_args(args):
    """The Schedule that ``--schedule``/``--patches``/``--split``/``--hold-input`` ask for.

    Raises UsageError when patch options come without ``--schedule patch`` or a patch schedule
    has no ``--split``."""
    hold_input = getattr(args, "hold_input", False)  # deploy has no --hold-input
    if args.schedule == "patch":
        if args.split is None:
            raise UsageError("--schedule patch needs --split NAME (an op or block, e.g. block3)")
        return Schedule("patch", args.patches or DEFAULT_PATCHES, args.split, not hold_input)
    given = [flag for flag, value in (("--patches", args.patches), ("--split", args.split),
                                      ("--hold-input", hold_input or None)) if value is not None]
    if given:
        raise UsageError(f"{' and '.join(given)} {'needs' if len(given) == 1 else 'need'} "
                         f"--schedule patch")
    return Schedule(args.schedule)
