"""MCUNet's published results, as data: accuracy, peak SRAM, Flash and latency of the MCUNet
models and their baselines, and TinyEngine against other MCU inference libraries.

Two public tables, quoted as they are (kB there = 1024 bytes; we store bytes):

- ``MCUNET_ZOO``: the mcunet repository's model list (README "Model List", mit-han-lab/mcunet
  at commit 0dedab5): ImageNet and visual wake words (VWW) models, SRAM and Flash profiled with
  TinyEngine ("on STM32F746", as the README says), top-1 accuracy of the int8 TF-Lite model
  (no quantization-aware training, so slightly below the paper's numbers).
- ``LIBRARIES``: the tinyengine repository's "Measured Results" (README, mit-han-lab/tinyengine
  at commit 022fc11): latency and peak SRAM of the same int8 models under TF-Lite Micro,
  CMSIS-NN, X-CUBE-AI and TinyEngine on an STM32H743 (512 KB SRAM, 2 MB Flash). OOM = did not fit.

The repositories name models by budget (mcunet-256kB); ``ZOO_ALIAS`` maps them to this package's
zoo names (same MACs and parameters as published-figures.md's table).

Two more, read where the authors published them (no number here is from memory):

- ``PATCH_RESULTS``: MCUNetV2 (patch-based inference) against MCUNet-v1 and the scaled baselines,
  ImageNet top-1 on an STM32F412 (256 kB SRAM) and an STM32F746 (320 kB SRAM), the bar labels of
  the tinyengine README's figure ``assets/figures/imagenet_result.png`` ("With patch-based
  inference, tinyengine achieves higher accuracy at the same memory budgets", commit 47bb283).
  The review paper (IEEE CAS Magazine 2023, arXiv 2403.19076, Table 4's caption) states the same
  gains: +4.6% under 256 kB and +3.3% at the higher budget (there: 512 kB SRAM / 2 MB Flash).
- ``WAKE_WORDS_CLAIMS``: MCUNet on visual and audio (speech commands) wake words, against
  MobileNetV2- and ProxylessNAS-based solutions, as the MCUNet paper's abstract states it (NeurIPS
  2020, arXiv 2007.10319, final version; the first arXiv version said 2.2-2.6x smaller peak SRAM).
  The per-model speech-commands points exist only as a plot (the paper's Figure 7); the
  repositories never published those models (mit-han-lab/tinyml, mcunet/README.md at commit
  e899b1b: "VWW & Speech Command models: Will be released soon"; today's mcunet README lists
  ImageNet and VWW only), so no per-model speech row is stored.
"""

from dataclasses import dataclass

from ..errors import UnknownNameError
from .units import KIB

MCUNET_README = "mit-han-lab/mcunet README, 'Model List' (commit 0dedab5)"
TINYENGINE_README = "mit-han-lab/tinyengine README, 'Measured Results', STM32H743 (commit 022fc11)"
PATCH_FIGURE = ("mit-han-lab/tinyengine README, figure assets/figures/imagenet_result.png "
                "(commit 47bb283); same gains: Lin et al., IEEE CAS Magazine 2023, Table 4")
MCUNET_ABSTRACT = "MCUNet paper (NeurIPS 2020, arXiv 2007.10319), abstract"


@dataclass(frozen=True)
class ZooResult:
    """One row of the mcunet model list: bytes, MACs, params; top-1 in percent (int8 model)."""

    net_id: str
    task: str  # 'imagenet' or 'vww'
    family: str  # 'mcunet' or the baseline it is ('mobilenetv2', 'proxylessnas')
    macs: float
    params: float
    sram_bytes: int
    flash_bytes: int
    top1_int8: float
    source: str = MCUNET_README


def _row(net_id, task, family, macs_m, params_m, sram_kb, flash_kb, top1):
    return ZooResult(net_id, task, family, macs_m * 1e6, params_m * 1e6, sram_kb * KIB,
                     flash_kb * KIB, top1)


MCUNET_ZOO = [
    _row("mbv2-320kB", "imagenet", "mobilenetv2", 23.5, 0.75, 308, 862, 49.0),
    _row("proxyless-320kB", "imagenet", "proxylessnas", 38.3, 0.75, 292, 892, 56.2),
    _row("mcunet-10fps", "imagenet", "mcunet", 6.4, 0.75, 266, 889, 40.4),
    _row("mcunet-5fps", "imagenet", "mcunet", 12.8, 0.64, 307, 992, 49.9),
    _row("mcunet-256kB", "imagenet", "mcunet", 67.3, 0.73, 242, 878, 60.3),
    _row("mcunet-320kB", "imagenet", "mcunet", 81.8, 0.74, 293, 897, 61.8),
    _row("mcunet-512kB", "imagenet", "mcunet", 125.9, 1.73, 456, 1876, 68.0),
    _row("mcunet-10fps-vww", "vww", "mcunet", 6.0, 0.37, 146, 617, 87.3),
    _row("mcunet-5fps-vww", "vww", "mcunet", 11.6, 0.43, 162, 689, 88.9),
    _row("mcunet-320kB-vww", "vww", "mcunet", 55.8, 0.64, 311, 897, 91.8),
]

# the mcunet README's names -> this package's zoo (matching MACs and params)
ZOO_ALIAS = {"mbv2-320kB": "mbv2-w0.35", "proxyless-320kB": "proxyless-w0.3",
             "mcunet-5fps": "mcunet-in1", "mcunet-256kB": "mcunet-in2",
             "mcunet-512kB": "mcunet-in4"}
# the tinyengine README's names for the same models
TINYENGINE_ALIAS = {"mcunet-10fps": "mcunet-in0", "mcunet-5fps": "mcunet-in1",
                    "mcunet-256kB": "mcunet-in2", "mcunet-320kB": "mcunet-in3",
                    "mcunet-512kB": "mcunet-in4", "mbv2-320kB": "mbv2-w0.35",
                    "proxyless-320kB": "proxyless-w0.3"}

LIBRARY_NAMES = ("TF-Lite Micro", "CMSIS-NN", "X-CUBE-AI", "TinyEngine")
OOM = None  # did not fit in 512 KiB SRAM / 2 MiB Flash

# tinyengine README: net_id -> {library: (latency ms, peak SRAM kB)}
_LIBRARY_TABLE = {
    "mcunet-vww0": [(587, 163), (53, 163), (32, 88), (27, 59)],
    "mcunet-vww1": [(1120, 220), (97, 220), (57, 113), (51, 92)],
    "mcunet-vww2": [(5310, 385), (478, 390), (269, 201), (234, 174)],
    "mcunet-in0": [(586, 161), (51, 161), (35, 69), (25, 49)],
    "mcunet-in1": [(1227, 219), (103, 219), (63, 106), (56, 96)],
    "mcunet-in2": [(6463, 460), (642, 469), (351, 238), (280, 215)],
    "mcunet-in3": [(7821, 493), (770, 493), (414, 243), (336, 260)],
    "mcunet-in4": [(OOM, OOM), (OOM, OOM), (516, 342), (463, 416)],
    "mbv2-w0.35": [(OOM, OOM), (OOM, OOM), (118, 296), (124, 295)],
    "proxyless-w0.3": [(3801, 453), (380, 453), (205, 221), (176, 259)],
}


@dataclass(frozen=True)
class LibraryResult:
    """Latency (ms) and peak SRAM (bytes) of ``net_id`` under ``library``; None when OOM."""

    net_id: str
    library: str
    latency_ms: float | None
    sram_bytes: int | None
    source: str = TINYENGINE_README


LIBRARIES = [LibraryResult(net, lib, ms, None if kb is None else kb * KIB)
             for net, rows in _LIBRARY_TABLE.items()
             for lib, (ms, kb) in zip(LIBRARY_NAMES, rows)]


def zoo_results(task="imagenet"):
    """The mcunet model-list rows of ``task`` ('imagenet' or 'vww')."""
    if task not in ("imagenet", "vww"):
        raise UnknownNameError(f"unknown task {task!r}; use 'imagenet' or 'vww'")
    return [r for r in MCUNET_ZOO if r.task == task]


def library_result(net_id, library):
    """The LibraryResult of ``net_id`` (tinyengine README name) under ``library``."""
    for r in LIBRARIES:
        if r.net_id == net_id and r.library == library:
            return r
    raise UnknownNameError(f"no published result for {net_id!r} under {library!r}; nets: "
                           f"{', '.join(_LIBRARY_TABLE)}; libraries: {', '.join(LIBRARY_NAMES)}")


def speedup_range(baseline, library="TinyEngine"):
    """(min, max) of baseline latency / ``library`` latency over the nets both ran (no OOM)."""
    ratios = [library_result(net, baseline).latency_ms / library_result(net, library).latency_ms
              for net in _LIBRARY_TABLE
              if library_result(net, baseline).latency_ms and library_result(net, library).latency_ms]
    return min(ratios), max(ratios)


@dataclass(frozen=True)
class BudgetResult:
    """ImageNet top-1 (percent) of ``model`` on ``device`` with ``sram_bytes`` of SRAM, as a bar
    of the tinyengine README's patch-based figure; ``family`` as in ZooResult, or 'mcunetv2'."""

    device: str
    sram_bytes: int
    model: str
    family: str
    top1: float
    source: str = PATCH_FIGURE


PATCH_RESULTS = [BudgetResult(device, sram_kb * KIB, model, family, top1)
                 for device, sram_kb, model, family, top1 in [
                     ("stm32f412", 256, "MbV2 0.35x", "mobilenetv2", 49.0),
                     ("stm32f412", 256, "Proxyless 0.3x", "proxylessnas", 56.2),
                     ("stm32f412", 256, "MCUNet", "mcunet", 60.3),
                     ("stm32f412", 256, "MCUNetV2", "mcunetv2", 64.9),
                     # the README's figure names the STM32F746 (320 kB) for these two bars, but
                     # 68.5% is not the 320 kB MCUNet of the model list (61.8%): the review gives
                     # this budget as 512 kB SRAM / 2 MB Flash, so that is the SRAM stored here
                     ("stm32f746", 512, "MCUNet", "mcunet", 68.5),
                     ("stm32f746", 512, "MCUNetV2", "mcunetv2", 71.8)]]
PATCH_GAIN_LABELS = {"stm32f412": 4.6, "stm32f746": 3.3}  # the figure's red "+x%" labels


def zoo_row_with_top1(family, top1):
    """The ImageNet row of the mcunet model list of ``family`` whose int8 top-1 is ``top1`` (a
    published bar matched to a listed model by its accuracy), or None."""
    return next((r for r in zoo_results("imagenet") if r.family == family and r.top1_int8 == top1),
                None)


def patch_results(device):
    """The PATCH_RESULTS bars of ``device`` ('stm32f412' or 'stm32f746'), in the figure's order."""
    rows = [r for r in PATCH_RESULTS if r.device == device]
    if not rows:
        raise UnknownNameError(f"no patch-based result for {device!r}; use "
                               f"{' or '.join(PATCH_GAIN_LABELS)}")
    return rows


def mcunetv2_gain(device):
    """MCUNetV2's top-1 minus MCUNet-v1's on ``device`` (percentage points)."""
    top1 = {r.family: r.top1 for r in patch_results(device)}
    return round(top1["mcunetv2"] - top1["mcunet"], 1)


@dataclass(frozen=True)
class ClaimRange:
    """A published 'low-high x' claim: ``what`` (MCUNet against the baselines), the range's ends."""

    task: str
    what: str
    low: float
    high: float
    source: str = MCUNET_ABSTRACT


WAKE_WORDS_CLAIMS = [
    ClaimRange("visual & audio wake words", "faster than MobileNetV2- and ProxylessNAS-based "
               "solutions", 2.4, 3.4),
    ClaimRange("visual & audio wake words", "smaller peak SRAM than them", 3.7, 4.1),
]
