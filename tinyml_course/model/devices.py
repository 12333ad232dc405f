"""The device catalogue: the microcontrollers of the lecture and the MCUNet papers.

From ``../shared/reference/devices.md``. SRAM and Flash are in bytes (1 KiB = 1024 bytes,
1 MiB = 1024 KiB: the papers' KB and MB).
"""

from dataclasses import dataclass

from ..errors import UnknownNameError
from .units import KIB, MIB


@dataclass(frozen=True)
class Device:
    """One microcontroller: ``sram_bytes`` and ``flash_bytes`` usable by the model, in bytes."""

    name: str
    title: str
    core: str
    clock_mhz: int
    sram_bytes: int
    flash_bytes: int
    note: str = ""


DEVICES = {d.name: d for d in [
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
]}

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
