"""``tinyml-course deploy``: C for a network, built for a device, run on an emulated Cortex-M.

    tinyml-course deploy digits --device stm32f746 --schedule in-place --out build/digits
    tinyml-course deploy mcunet-in1 --resolution 48 --schedule patch --patches 2 --split block3 \\
        --kernels reference --out build/in1 --json
    tinyml-course deploy kws --device nano33 --json      # the keyword spotter, a held-out utterance
    tinyml-course deploy kws --utterance 3_yweweler_12    # another recording (digit_speaker_take)

Writes the C project and the ELF to --out (without it, to a temporary directory that is removed)
and prints Flash and SRAM (linker), the arena (ELF and planner), instructions (measured), cycles
and milliseconds (an estimate) and the output check; for kws also the MCU's answer and the
held-out-speaker accuracy with its standard error (from the model card).
Bad input and a model that does not fit exit with status 2 and one line (``cli.main``).
"""

import json

from ..deploy.kernels import DEFAULT_KERNELS, KERNEL_ALIASES, KERNEL_CHOICES
from ..deploy.deploy import DIGITS, deploy, int8_model
from ..kws import evaluate as kws_evaluate
from ..model.devices import get_device
from .args import UsageError
from .network_options import (add_model_arguments, add_schedule_arguments, load_network,
                              schedule_from_args)

DEFAULT_DEVICE = "stm32f746"  # the MCUNet / TinyEngine reference board
KWS = "kws"  # the model name of the course's trained keyword spotter (tinyml_course.kws)


def deploy_network(model, resolution=None, width=None):
    """'digits', 'kws', a zoo name or a JSON spec (path or text) -> the Network, 'digits' or 'kws'.

    width: MobileNetV2's width multiplier (zoo model 'mobilenetv2' only)."""
    if model in (DIGITS, KWS):
        if resolution is not None or width is not None:
            raise UsageError(f"--resolution and --width do not apply to the trained {model} model")
        return model
    return load_network(model, resolution, width, extra_models=(DIGITS, KWS))


def add_deploy_parser(subparsers):
    """Add the ``deploy`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "deploy", help="generate C, build it for a device, run it on an emulated Cortex-M",
        description="Generate C for a network and schedule, cross-compile and link it for a "
                    "device, run it in an emulator and check the output bit-exactly.")
    add_model_arguments(p, extra_models=(DIGITS, KWS))
    p.add_argument("--device", default=DEFAULT_DEVICE, help="device (see 'tinyml-course devices')")
    add_schedule_arguments(p)
    p.add_argument("--kernels", choices=KERNEL_CHOICES, default=DEFAULT_KERNELS,
                   help="kernel tier: reference (TFLM-style plain loops), cmsis (generic SIMD, "
                        "CMSIS-NN's manner), tinyengine (specialised per op by the code "
                        f"generator; the default); {', '.join(KERNEL_ALIASES)}: an alias of "
                        f"{', '.join(KERNEL_ALIASES.values())}; bit-exact in every tier")
    p.add_argument("--out", metavar="DIR",
                   help="directory for the C project and ELF (default: a temporary one, removed)")
    p.add_argument("--utterance", metavar="NAME|ROW",
                   help=f"kws only: the recording of the shipped FSDD corpus to classify, "
                        f"digit_speaker_take as FSDD names it or its row 0-2999 (default "
                        f"{kws_evaluate.DEPLOY_UTTERANCE}: the held-out speaker's 'seven', take 0)")
    p.add_argument("--no-count", action="store_true",
                   help="skip per-layer instruction counting (faster; no instructions or cycles)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run_deploy)
    return p


def run_deploy(args):
    """Run the ``deploy`` subcommand; return the exit status (0)."""
    schedule = schedule_from_args(args)
    get_device(args.device)  # an unknown device is refused before the model is converted
    network = deploy_network(args.model, args.resolution, args.width)
    if args.utterance is not None and network != KWS:
        raise UsageError("--utterance applies to the keyword spotter (deploy kws) only")
    if network == KWS:
        kws = kws_evaluate.load_model()
        utterance = kws_evaluate.deploy_input(kws, args.utterance or kws_evaluate.DEPLOY_UTTERANCE)
        image, model = utterance.x, kws.int8
    else:
        model, image = int8_model(network)
    result = deploy(model, image, args.device, schedule, args.kernels, args.out,
                    count=not args.no_count)
    report = result.to_json()
    lines = result.lines()
    if network == KWS:
        report["kws"] = kws_report(kws, result, utterance, args.device)
        lines += kws_lines(report["kws"])
    print(json.dumps(report) if args.json else "\n".join(lines))
    return 0


def kws_report(kws, result, utterance, device):
    """The keyword spotter's part of the report: the utterance (a DeployInput), the MCU's answer,
    the accuracy (from the model card) and the device's limits. Bytes; the latency is an ESTIMATE."""
    answer = int(result.output.reshape(-1).argmax())
    limits = get_device(device)
    card = kws.card
    digit = utterance.digit
    return {"utterance": utterance.name, "row": utterance.row, "speaker": utterance.speaker,
            "held_out_speaker": utterance.held_out, "input": "the recording's shipped MFCCs",
            "word": kws_evaluate.WORDS[digit], "digit": digit,
            "mcu_answer": answer, "mcu_word": kws_evaluate.WORDS[answer],
            "correct": answer == digit,
            "accuracy": {"float": card["float"], "int8": card["int8"],
                         "test_speakers": card["test_speakers"], "dataset": card["dataset"],
                         "source": "model card: all held-out utterances, measured by "
                                   "scripts/train_kws.py; tests/test_kws.py re-measures a sample",
                         "target": kws_evaluate.MLPERF_KWS_TARGET},
            "device_sram_bytes": limits.sram_bytes, "device_flash_bytes": limits.flash_bytes,
            "estimated_latency_ms": result.estimated_ms,
            "latency_note": "ESTIMATE: measured instructions x a per-instruction-class cycle table "
                            "at the device's clock (deploy.cost), not a measured time"}


def kws_lines(kws):
    """Readable lines of ``kws_report``."""
    acc = kws["accuracy"]
    heard = "held-out speaker" if kws["held_out_speaker"] else "a TRAINING speaker"
    lines = [f"keyword spotter: {kws['utterance']} (row {kws['row']}, {heard}; '{kws['word']}', "
             f"its shipped MFCCs) -> the MCU answers '{kws['mcu_word']}' "
             f"({'right' if kws['correct'] else 'wrong'})"]
    for kind in ("float", "int8"):
        a = acc[kind]
        lines.append(f"  {kind} accuracy on held-out speaker(s) {', '.join(acc['test_speakers'])}: "
                     f"{100 * a['accuracy']:.1f}% +- {100 * a['standard_error']:.1f} (standard "
                     f"error, {a['examples']} utterances; MLPerf Tiny's KWS target "
                     f"{100 * acc['target']:.0f}%)")
    if kws["estimated_latency_ms"] is not None:
        lines.append(f"  latency {kws['estimated_latency_ms']:.0f} ms (an ESTIMATE)")
    return lines
