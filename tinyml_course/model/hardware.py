"""Edge AI hardware, as data: the families of the lecture's "Edge AI hardware" part, each figure
with the source it comes from.

Memory and storage are in bytes, shown in KiB / MiB / GiB (1 KiB = 1024 bytes, 1 MiB = 1024 KiB,
1 GiB = 1024 MiB: what the papers write as KB / MB / GB). A figure the course's references (``../shared/reference/``) do not give is cited
to the paper table or vendor page it comes from; figures with no source we could cite (an MCU's
power, its price, an FPGA board's memory) are left out (None), never guessed. The
microcontrollers' SRAM, Flash and clock are those of ``devices.DEVICES`` (devices.md).
"""

from dataclasses import dataclass, field

from ..errors import UnknownNameError
from .devices import DEVICES
from .units import KIB, MIB

GIB = 1024 * MIB  # bytes

# the sources, once each (cited by key in every figure)
SOURCES = {
    "devices.md": "course reference devices.md (microcontrollers of the lecture and the MCUNet "
                  "papers)",
    "lecture": "lecture 12 slides, 'Edge AI hardware' (lecture-12-tinyml-basics.txt)",
    "mcunet-fig1": "Lin et al., MCUNet: Tiny Deep Learning on IoT Devices, NeurIPS 2020, Figure 1 "
                   "(table: Cloud AI NVIDIA V100, Mobile AI iPhone 11, Tiny AI STM32F746)",
    "st-f746": "ST, STM32F745xx/STM32F746xx datasheet, front page (462 DMIPS at 216 MHz)",
    "st-f765": "ST, STM32F765xx datasheet, front page (462 DMIPS at 216 MHz)",
    "st-f412": "ST, STM32F412xE/G datasheet, front page (125 DMIPS at 100 MHz)",
    "st-h743": "ST, STM32H742xI/G STM32H743xI/G datasheet, front page (1027 DMIPS at 480 MHz)",
    "nvidia-jetson-nano": "NVIDIA Jetson Nano module data sheet (472 GFLOPS FP16, 4 GB LPDDR4, "
                          "5 W / 10 W modes)",
    "coral-edgetpu": "Coral Edge TPU performance page, coral.ai (4 TOPS int8 at 2 TOPS per watt)",
    "apple-a14": "Apple newsroom, 'Apple unveils all-new iPad Air with A14 Bionic', 15 Sep 2020 "
                 "(16-core Neural Engine, 11 trillion operations per second)",
}

FAMILIES = ("cloud GPU", "mobile phone", "Apple Neural Engine", "NVIDIA Jetson", "Edge TPU",
            "FPGA accelerator", "microcontroller")


@dataclass(frozen=True)
class Cited:
    """One published figure: ``value`` in ``unit`` and the key of its source in SOURCES."""

    value: float
    unit: str
    source: str

    def __post_init__(self):
        if self.source not in SOURCES:
            raise UnknownNameError(f"figure cites unknown source {self.source!r}")

    def __str__(self):
        return f"{format_amount(self.value, self.unit)} [{self.source}]"


@dataclass(frozen=True)
class EdgeHardware:
    """One piece of edge (or cloud) AI hardware and its cited figures.

    memory: bytes for activations (SRAM / DRAM); storage: bytes for the weights (Flash / disk);
    compute: peak throughput (ops/s, DMIPS, ...); power: watts. Any of them may be None.
    """

    name: str
    family: str
    what: str
    memory: Cited | None = None
    storage: Cited | None = None
    compute: Cited | None = None
    power: Cited | None = None
    clock: Cited | None = None
    notes: str = field(default="")

    def figures(self):
        """The figures it has, as {'memory': Cited, ...} (None ones left out)."""
        return {k: v for k in ("memory", "storage", "compute", "power", "clock")
                if (v := getattr(self, k)) is not None}


SI_PREFIXES = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))  # for rates (ops/s, FLOP/s)


def format_amount(value, unit, digits=6):
    """'320 KiB', '16 GiB', '462 DMIPS', '11 Tops/s': bytes get the largest of KiB/MiB/GiB (1 KiB
    = 1024 bytes, the papers' "KB") that keeps >= 1; a rate ('.../s') the largest SI prefix.
    ``digits``: significant digits at most ('636 KiB' with 3 for 651,248 bytes)."""
    if unit != "bytes":
        if "/s" in unit:
            for prefix, size in SI_PREFIXES:
                if value >= size:
                    return f"{value / size:.{digits}g} {prefix}{unit}"
        return f"{value:.{digits}g} {unit}"
    for name, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if value >= size:
            return f"{value / size:.{digits}g} {name}"
    return f"{value:.{digits}g} bytes"


_MCU_DMIPS = {"stm32f412": ("st-f412", 125), "stm32f746": ("st-f746", 462),
              "stm32f765": ("st-f765", 462), "stm32h743": ("st-h743", 1027)}


def _mcu(device):
    source, dmips = _MCU_DMIPS.get(device.name, (None, None))
    return EdgeHardware(
        device.name, "microcontroller", f"{device.title}, {device.core}",
        memory=Cited(device.sram_bytes, "bytes", "devices.md"),
        storage=Cited(device.flash_bytes, "bytes", "devices.md"),
        compute=Cited(dmips, "DMIPS", source) if dmips else None,
        clock=Cited(device.clock_mhz, "MHz", "devices.md"),
        notes=device.note)


HARDWARE = {h.name: h for h in [
    EdgeHardware("nvidia-v100", "cloud GPU", "NVIDIA V100 (cloud AI)",
                 memory=Cited(16 * GIB, "bytes", "mcunet-fig1"),
                 notes="storage: 'TB~PB' in the paper (not one number)"),
    EdgeHardware("iphone-11", "mobile phone", "iPhone 11 (mobile AI)",
                 memory=Cited(4 * GIB, "bytes", "mcunet-fig1"),
                 storage=Cited(64 * GIB, "bytes", "mcunet-fig1"),
                 notes="storage: '> 64 GB' in the paper"),
    EdgeHardware("apple-a14-neural-engine", "Apple Neural Engine",
                 "Apple A14 Bionic's 16-core Neural Engine",
                 compute=Cited(11e12, "ops/s", "apple-a14")),
    EdgeHardware("jetson-nano", "NVIDIA Jetson", "NVIDIA Jetson Nano module (GPU + CPU + memory)",
                 memory=Cited(4 * GIB, "bytes", "nvidia-jetson-nano"),
                 compute=Cited(472e9, "FLOP/s (FP16)", "nvidia-jetson-nano"),
                 power=Cited(10, "W", "nvidia-jetson-nano"), notes="5 W or 10 W mode"),
    EdgeHardware("coral-edge-tpu", "Edge TPU", "Google Coral Edge TPU (an ASIC)",
                 compute=Cited(4e12, "ops/s (int8)", "coral-edgetpu"),
                 power=Cited(2, "W", "coral-edgetpu")),
    EdgeHardware("fpga-accelerator", "FPGA accelerator",
                 "FPGA-based accelerators: custom datapaths, no single figure",
                 notes="the lecture points to Tsinghua NICS-EFC's accelerator comparison; "
                       "figures vary by board and design"),
] + [_mcu(d) for d in DEVICES.values()]}

# the three tiers of MCUNet's Figure 1: cloud, phone, MCU
MEMORY_GAP = ("nvidia-v100", "iphone-11", "stm32f746")


def get_hardware(name):
    """The EdgeHardware called ``name``; UnknownNameError lists the catalogue otherwise."""
    if name not in HARDWARE:
        raise UnknownNameError(f"unknown hardware {name!r}; known: {', '.join(HARDWARE)}")
    return HARDWARE[name]


def hardware_table(family=None):
    """Rows (dicts of strings) for a table: name, family, memory, storage, compute, power, source.

    ``family`` (one of FAMILIES) keeps that family only; UnknownNameError for another name.
    """
    if family is not None and family not in FAMILIES:
        raise UnknownNameError(f"unknown family {family!r}; use one of {', '.join(FAMILIES)}")
    rows = []
    for h in HARDWARE.values():
        if family is not None and h.family != family:
            continue
        figures = h.figures()
        row = {"name": h.name, "family": h.family}
        for key in ("clock", "memory", "storage", "compute", "power"):
            row[key] = format_amount(figures[key].value, figures[key].unit) if key in figures else "-"
        row["sources"] = ", ".join(sorted({f.source for f in figures.values()})) or "-"
        rows.append(row)
    return rows
