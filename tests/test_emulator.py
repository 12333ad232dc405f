"""The emulator's native block counter against an independent count: a per-instruction Python
hook (unicorn's UC_HOOK_CODE, one call per executed instruction, IT-skipped ones added from the IT
masks) on a small program; the budget; a counter table too small for the program.
"""

import pytest
from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_MODE_MCLASS, UC_MODE_THUMB, Uc, arm_const

from tinyml_course.deploy import emulator, kernel_check
from tinyml_course.deploy.codegen import HALT_FUNCTION, LAYER_FUNCTION
from tinyml_course.deploy.elf import read_elf
from tinyml_course.deploy.toolchain import FLASH_ORIGIN, RAM_ORIGIN, build
from tinyml_course.model.devices import get_device

DEVICE = "stm32f746"


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    """The homework harness around the package's in-place depthwise (labels 0, 1, 2)."""
    project = tmp_path_factory.mktemp("harness")
    main, _ = kernel_check.harness_c(kernel_check.depthwise_case(channels=4, size=8),
                                     kernel_check.REFERENCE_FUNCTION)
    (project / "main.c").write_text(main)
    (project / "kernel.c").write_text('#include "tinyml.h"\n')
    return read_elf(build(project, DEVICE, ("main.c", "kernel.c"), "kernel.elf",
                          kernel_check.HARNESS_SOURCES + ("dwconv.c",)))


def _engine(elf):
    device = get_device(DEVICE)
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.mem_map(FLASH_ORIGIN, device.flash_bytes)
    uc.mem_map(RAM_ORIGIN, device.sram_bytes)
    for address, data in elf.segments:
        uc.mem_write(address, bytes(data))
    uc.reg_write(arm_const.UC_ARM_REG_SP, RAM_ORIGIN + device.sram_bytes)
    return uc


def _thumb_length(uc, address):
    first = int.from_bytes(uc.mem_read(address, 2), "little")
    return 4 if first >> 11 in (0b11101, 0b11110, 0b11111) else 2


def _per_instruction_counts(elf):
    """Instructions per label, counted one Python call per instruction (slow, obviously right),
    plus the instructions of an IT block whose condition fails: unicorn's code hook skips them,
    a Cortex-M steps through them (each takes an issue slot), and so does the block count."""
    uc = _engine(elf)
    mark = elf.symbols[LAYER_FUNCTION][0]
    counts, label, pending = [0, 0, 0], [0], []

    def on_code(uc, address, size, data):
        while pending and pending[0] != address:  # an IT-block instruction that was skipped
            pending.pop(0)
            counts[label[0]] += 1
        if pending:
            pending.pop(0)
        if address == mark:
            label[0] = uc.reg_read(arm_const.UC_ARM_REG_R0)
        counts[label[0]] += 1
        first = int.from_bytes(uc.mem_read(address, 2), "little")
        if first & 0xff00 == 0xbf00 and first & 0xf:  # IT: 4 - (lowest set mask bit) instructions
            mask = first & 0xf
            covered = 4 - (mask & -mask).bit_length() + 1
            at = address + 2
            for _ in range(covered):
                pending.append(at)
                at += _thumb_length(uc, at)

    uc.hook_add(UC_HOOK_CODE, on_code)
    uc.emu_start(elf.entry | 1, elf.symbols[HALT_FUNCTION][0])
    counts[label[0]] += len(pending)
    return counts


def test_counted_instructions_per_label_equal_a_per_instruction_count(elf):
    """Does the native hook give, label for label, what one call per instruction counts?"""
    run = emulator.run(elf, DEVICE, labels=3)
    assert run.per_label == _per_instruction_counts(elf)
    assert run.instructions == sum(run.per_label) > 10_000
    assert sum(sum(c.values()) for c in run.classes) == run.instructions
    assert emulator.run(elf, DEVICE, labels=3, count=False).instructions == run.instructions


def test_the_budget_stops_the_run(elf):
    """Is a run refused when its budget is short of its instructions, and accepted at exactly
    that many?"""
    total = emulator.run(elf, DEVICE, labels=3).instructions
    for budget in (total // 2, total - 1):
        with pytest.raises(emulator.EmulationError, match="instruction budget"):
            emulator.run(elf, DEVICE, labels=3, budget=budget)
    assert emulator.run(elf, DEVICE, labels=3, budget=total).instructions == total


def test_a_table_too_small_is_grown_not_truncated(elf):
    """With a counter table of 4 entries (far fewer than the distinct blocks), are the counts
    still complete?"""
    assert emulator.run(elf, DEVICE, labels=3, capacity=4).per_label == \
        emulator.run(elf, DEVICE, labels=3).per_label
