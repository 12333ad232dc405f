"""The edge-hardware table: every figure cited, MCUs agreeing with the device catalogue."""
import pytest

from tinyml_course.errors import UnknownNameError
from tinyml_course.model.devices import DEVICES
from tinyml_course.model.hardware import (FAMILIES, HARDWARE, MEMORY_GAP, SOURCES, Cited,
                                          format_amount, get_hardware, hardware_table)
from tinyml_course.model.units import KIB, MIB


def test_every_family_of_the_lecture_is_there():
    """Has each family of the lecture's 'Edge AI hardware' part at least one entry?"""
    assert {h.family for h in HARDWARE.values()} == set(FAMILIES)


def test_every_figure_cites_a_known_source():
    for h in HARDWARE.values():
        for name, figure in h.figures().items():
            assert figure.source in SOURCES, (h.name, name)
    with pytest.raises(UnknownNameError):
        Cited(1, "W", "a blog")


def test_mcus_are_the_device_catalogue():
    """Do the MCU rows carry devices.md's SRAM, Flash and clock?"""
    for name, device in DEVICES.items():
        h = get_hardware(name)
        assert (h.memory.value, h.storage.value, h.clock.value) == (
            device.sram_bytes, device.flash_bytes, device.clock_mhz)


def test_memory_gap_is_mcunets_figure_1():
    """V100 16 GB, iPhone 11 4 GB, STM32F746 320 KB: about 50,000x and 13,000x apart."""
    v100, phone, mcu = (get_hardware(n).memory.value for n in MEMORY_GAP)
    assert (v100, phone, mcu) == (16 * 1024 * MIB, 4 * 1024 * MIB, 320 * KIB)
    assert 50_000 < v100 / mcu < 55_000 and 13_000 < phone / mcu < 14_000


def test_table_and_amounts():
    assert format_amount(320 * KIB, "bytes") == "320 KiB"
    assert format_amount(2 * MIB, "bytes") == "2 MiB"
    rows = hardware_table("microcontroller")
    assert {r["name"] for r in rows} == set(DEVICES)
    f746 = next(r for r in rows if r["name"] == "stm32f746")
    assert (f746["memory"], f746["storage"], f746["compute"]) == ("320 KiB", "1 MiB", "462 DMIPS")
    with pytest.raises(UnknownNameError, match="family"):
        hardware_table("quantum")
    with pytest.raises(UnknownNameError):
        get_hardware("cray-1")


def test_rates_get_an_si_prefix():
    """Does a throughput read '11 Tops/s' (issue 20 item 16: the table showed '1.1e+13 ops/s')?"""
    assert format_amount(11e12, "ops/s") == "11 Tops/s"
    assert format_amount(472e9, "FLOP/s (FP16)") == "472 GFLOP/s (FP16)"
    assert format_amount(462, "DMIPS") == "462 DMIPS"
