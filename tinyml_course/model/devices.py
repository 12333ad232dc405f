"""The device catalogue: the microcontrollers of the lecture and the MCUNet papers.

From ``../shared/reference/devices.md``. SRAM and Flash are in bytes (1 KiB = 1024 bytes,
1 MiB = 1024 KiB: the papers' KB and MB).
"""

import dataclasses
from dataclasses import dataclass

from ..errors import UnknownNameError
from .units import KIB, MIB


@dataclass(frozen=True)
class MemorySystem:
    """How the core reads code and constants from Flash at the device's clock, from the vendor's
    manual: ``flash_wait_states`` (None where the manual's table was not found), the Flash
    accelerator and caches, the tightly coupled memories, and ``source`` (document, table)."""

    flash_wait_states: int | None
    caches: str
    tcm: str
    source: str


@dataclass(frozen=True)
class Device:
    """One microcontroller: ``sram_bytes`` and ``flash_bytes`` usable by the model, in bytes;
    ``memory``: its Flash wait states and caches (``deploy.cost`` says how the estimate uses it)."""

    name: str
    title: str
    core: str
    clock_mhz: int
    sram_bytes: int
    flash_bytes: int
    note: str = ""
    memory: MemorySystem | None = None


_NORDIC = MemorySystem(None, "instruction cache in the NVMC (ICACHECNF), no data cache", "none",
                       "Nordic nRF52840 / nRF52832 Product Specifications, NVMC chapter; the "
                       "Flash wait states at 64 MHz were not found there")
MEMORY = {  # device name -> MemorySystem (ST reference manuals: the Flash read-latency table)
    "arduino-nano-33-ble-sense": _NORDIC, "nrf52832": _NORDIC,
    "stm32f412": MemorySystem(3, "ART accelerator (instruction cache 64 lines of 128 bits, data "
                              "cache 8 lines of 128 bits, prefetch)", "none",
                              "ST RM0402 (STM32F412), Embedded Flash, 'Number of wait states "
                              "according to CPU clock (HCLK) frequency': 3 WS at 90-100 MHz, "
                              "2.7-3.6 V"),
    "stm32f746": MemorySystem(7, "ART accelerator on the ITCM Flash interface; L1 caches 4 KiB "
                              "instruction + 4 KiB data on AXI", "ITCM 16 KiB, DTCM 64 KiB",
                              "ST RM0385 (STM32F75x/74x), Embedded Flash, 'Number of wait states "
                              "according to CPU clock (HCLK) frequency': 7 WS at 210-216 MHz, "
                              "2.7-3.6 V; caches and TCM: DS10916"),
    "stm32f765": MemorySystem(7, "ART accelerator; L1 caches 16 KiB instruction + 16 KiB data",
                              "ITCM 16 KiB, DTCM 128 KiB",
                              "ST RM0410 (STM32F76x/77x), Embedded Flash, the same wait-state "
                              "table: 7 WS at 210-216 MHz, 2.7-3.6 V"),
    "stm32h743": MemorySystem(4, "L1 caches 16 KiB instruction + 16 KiB data (no ART)",
                              "ITCM 64 KiB, DTCM 128 KiB",
                              "ST RM0433 (STM32H742/743/753/750), Embedded Flash, 'FLASH "
                              "recommended number of wait states and programming delay': 4 WS "
                              "for the 240 MHz AXI clock (CPU 480 MHz, VOS0)"),
    "nucleo-l4r5zi": MemorySystem(5, "ART accelerator (instruction cache, data cache, prefetch)",
                                  "none (SRAM2 is not a TCM)",
                                  "ST RM0432 (STM32L4+), Embedded Flash, 'Number of wait states "
                                  "according to CPU clock (HCLK) frequency': 5 WS at 100-120 "
                                  "MHz, range 1 boost"),
    "nucleo-h7a3zi-q": MemorySystem(None, "L1 caches 16 KiB instruction + 16 KiB data",
                                    "ITCM 64 KiB, DTCM 128 KiB",
                                    "ST RM0455 (STM32H7A3/7B3); its wait-state table at 280 MHz "
                                    "was not found"),
}


_DEVICES = [
    Device("arduino-nano-33-ble-sense", "Arduino Nano 33 BLE Sense (nRF52840)", "Cortex-M4F", 64,
           256 * KIB, 1 * MIB),
    Device("stm32f412", "STM32F412", "Cortex-M4F", 100, 256 * KIB, 1 * MIB),
    Device("stm32f746", "STM32F746 (STM32F746G-DISCO, the MCUNet/TinyEngine reference board)",
           "Cortex-M7", 216, 320 * KIB, 1 * MIB),
    Device("stm32f765", "STM32F765", "Cortex-M7", 216, 512 * KIB, 1 * MIB,
           "1 MiB of Flash used in the paper (the chip has up to 2 MiB)"),
    Device("stm32h743", "STM32H743", "Cortex-M7", 480, 512 * KIB, 2 * MIB,
           "512 KiB of SRAM used by the papers (the chip has about 1 MiB in several banks)"),
    Device("nrf52832", "nRF52832 (Nordic; the Nano 33 BLE Sense's smaller sibling chip)",
           "Cortex-M4F", 64, 64 * KIB, 512 * KIB,
           "a smaller device than the lecture's, for the TinyNAS notebook (Nordic's product "
           "specification: 64 KiB RAM, 512 KiB Flash)"),
    # the MLPerf Tiny v1.2 closed-division boards (mlcommons/tiny_results_v1.2)
    Device("nucleo-l4r5zi", "NUCLEO-L4R5ZI (STM32L4R5ZI; MLPerf Tiny's reference board)",
           "Cortex-M4F", 120, 640 * KIB, 2 * MIB,
           "ST datasheet DS12023 (STM32L4R5xx): Cortex-M4 with FPU up to 120 MHz, 640 KiB SRAM, "
           "2 MiB Flash"),
    Device("nucleo-h7a3zi-q", "NUCLEO-H7A3ZI-Q (STM32H7A3ZI)", "Cortex-M7", 280, 1024 * KIB,
           2 * MIB,
           "ST datasheet DS13195 (STM32H7A3xI/G): Cortex-M7 up to 280 MHz, 2 MiB Flash, 1,184 KiB "
           "of system SRAM of which the 1,024 KiB AXI SRAM (the largest contiguous region) is "
           "counted here; TCM and backup RAM left out"),
]
DEVICES = {d.name: dataclasses.replace(d, memory=MEMORY[d.name]) for d in _DEVICES}

# exact short names of one device each; a vendor or family name ('arduino', 'stm32') names many
# boards (the Arduino Uno's ATmega328P has 2 KiB of SRAM, by its datasheet) and is no alias
ALIASES = {"nano33": "arduino-nano-33-ble-sense", "nano-33-ble-sense": "arduino-nano-33-ble-sense",
           "nrf52840": "arduino-nano-33-ble-sense",
           "f412": "stm32f412", "f746": "stm32f746", "f765": "stm32f765", "h743": "stm32h743",
           "l4r5zi": "nucleo-l4r5zi", "stm32l4r5": "nucleo-l4r5zi", "h7a3": "nucleo-h7a3zi-q",
           "stm32h7a3": "nucleo-h7a3zi-q"}


def get_device(name):
    """The Device called ``name``: a catalogue name or an alias ('f746'), exactly (case, '_' and
    spaces aside). Raises UnknownNameError listing every name and alias otherwise. A Device
    passes through unchanged.
    """
    if isinstance(name, Device):
        return name
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    key = ALIASES.get(key, key)
    if key not in DEVICES:
        aliases = ", ".join(f"{alias} ({device})" for alias, device in ALIASES.items())
        raise UnknownNameError(f"unknown device {name!r}; known devices: {', '.join(DEVICES)}; "
                               f"aliases: {aliases}")
    return DEVICES[key]
