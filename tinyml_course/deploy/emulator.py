"""Run a linked Cortex-M program in the ``unicorn`` emulator (QEMU's ARM core, from PyPI).

Only the device's Flash (read-only) and SRAM are mapped, so a stray access outside them, or a
store into Flash, is a memory fault, reported as such. The stack is painted before the run and
read back after it: the deepest changed byte gives the stack's high-water mark. A native block
hook (``block_counter``) counts every executed block, so the total instructions are exact and an
instruction budget ends endless loops; with ``count=True`` it also tells the labels apart
(``tm_layer`` calls mark them) and each distinct block is classified once (``cost.classify``):
instructions per label and per class, exactly, at nearly the uncounted speed. Executed
instructions include those of an IT block whose condition fails: a Cortex-M steps through them.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from unicorn import (
    UC_ARCH_ARM,
    UC_HOOK_MEM_INVALID,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_UNMAPPED,
    UC_MEM_WRITE_PROT,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_MCLASS,
    UC_MODE_THUMB,
    UC_PROT_EXEC,
    UC_PROT_READ,
    Uc,
    UcError,
)
from unicorn import arm_const

from ..errors import TinyMLError
from ..model.devices import get_device
from .codegen import HALT_FUNCTION, LAYER_FUNCTION
from .block_counter import DEFAULT_CAPACITY, BlockCounter
from .cost import decode_block
from .toolchain import FLASH_ORIGIN, RAM_ORIGIN, cpu_of

DEFAULT_BUDGET = 2_000_000_000  # instructions: ends an endless loop (about a minute when counting)
STACK_PAINT = 0xA5  # the byte the free SRAM is painted with before the run
_CPU_MODEL = {"cortex_m4": arm_const.UC_CPU_ARM_CORTEX_M4, "cortex_m7": arm_const.UC_CPU_ARM_CORTEX_M7}
_ACCESS = {UC_MEM_READ_UNMAPPED: "read from unmapped address",
           UC_MEM_WRITE_UNMAPPED: "write to unmapped address",
           UC_MEM_FETCH_UNMAPPED: "instruction fetch from unmapped address",
           UC_MEM_WRITE_PROT: "write to read-only Flash at"}


class EmulationError(TinyMLError):
    """The program faulted, ran out of its instruction budget, or overflowed its stack."""


@dataclass
class RunResult:
    """What one emulated run measured. Bytes for memory; instruction counts are exact."""

    memory: bytes  # the SRAM after the run
    stack_bytes: int  # high-water mark of the stack (painted-stack method)
    instructions: int | None = None  # executed instructions (count=True)
    per_label: list = field(default_factory=list)  # instructions per label index (count=True)
    classes: list = field(default_factory=list)  # Counter of class -> instructions, per label
    registers: list = field(default_factory=list)  # registers moved by LDM/STM/PUSH/POP, per label

    def read(self, address, nbytes):
        """``nbytes`` of SRAM at ``address`` after the run, as bytes."""
        start = address - RAM_ORIGIN
        return self.memory[start:start + nbytes]


def run(elf, device, labels=1, budget=DEFAULT_BUDGET, count=True, timeout_s=None,
        capacity=DEFAULT_CAPACITY):
    """Run ElfInfo ``elf`` (``elf.read_elf``) on ``device`` from ``_start`` to ``tm_halt``.

    labels: how many labels the program marks (``tm_layer(i)``, 0 <= i < labels).
    timeout_s: wall-clock limit in seconds (None: none); it ends a run like the budget does.
    capacity: entries of the block counter's table (doubled and rerun when a run needs more).
    Raises EmulationError on a memory fault, an invalid instruction, an exhausted budget or a
    stack that ran into the static data.
    """
    device = get_device(device)
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(_CPU_MODEL[cpu_of(device)])
    uc.mem_map(FLASH_ORIGIN, device.flash_bytes, UC_PROT_READ | UC_PROT_EXEC)  # no stores to Flash
    uc.mem_map(RAM_ORIGIN, device.sram_bytes)
    for address, data in elf.segments:
        uc.mem_write(address, bytes(data))
    top = RAM_ORIGIN + device.sram_bytes
    static_end = max([RAM_ORIGIN] + [a + s for a, s in elf.sections.values() if a >= RAM_ORIGIN])
    paint_from = (static_end + 7) & ~7
    uc.mem_write(paint_from, bytes([STACK_PAINT]) * (top - paint_from))
    uc.reg_write(arm_const.UC_ARM_REG_SP, top)
    halt = elf.symbols[HALT_FUNCTION][0]

    fault = []

    def on_invalid(uc, access, address, size, value, data):
        fault.append((access, address, uc.reg_read(arm_const.UC_ARM_REG_PC)))
        return False

    uc.hook_add(UC_HOOK_MEM_INVALID, on_invalid)
    flash_end = max(a + len(d) for a, d in elf.segments if a < RAM_ORIGIN)
    counter = BlockCounter(uc, FLASH_ORIGIN, uc.mem_read(FLASH_ORIGIN, flash_end - FLASH_ORIGIN),
                           elf.symbols[LAYER_FUNCTION][0] if count else None, budget, capacity)
    try:
        uc.emu_start(elf.entry | 1, halt, timeout=int((timeout_s or 0) * 1e6))
    except UcError as err:
        pc = uc.reg_read(arm_const.UC_ARM_REG_PC)
        if fault:
            access, address, at = fault[0]
            raise EmulationError(f"memory fault: {_ACCESS.get(access, 'invalid access to')} "
                                 f"{address:#010x} at pc {at:#010x} ({device.name} maps Flash "
                                 f"{FLASH_ORIGIN:#x}+{device.flash_bytes:#x} read-only and SRAM "
                                 f"{RAM_ORIGIN:#x}+{device.sram_bytes:#x})") from None
        raise EmulationError(f"CPU fault at pc {pc:#010x}: {err}") from None
    if counter.full:  # more distinct (label, block) pairs than the table holds: run again
        return run(elf, device, labels, budget, count, timeout_s, capacity * 2)
    pc = uc.reg_read(arm_const.UC_ARM_REG_PC)
    if pc != halt or counter.exhausted:
        raise EmulationError(f"instruction budget of {budget:,} instructions or time limit of "
                             f"{timeout_s} s exhausted (an endless loop?) at pc {pc:#010x}")
    memory = bytes(uc.mem_read(RAM_ORIGIN, device.sram_bytes))
    painted = np.frombuffer(memory, np.uint8)[paint_from - RAM_ORIGIN:]
    changed = np.flatnonzero(painted != STACK_PAINT)
    stack_bytes = int(len(painted) - changed[0]) if len(changed) else 0
    if stack_bytes >= len(painted):
        raise EmulationError(f"stack overflow: the stack ran into the static data "
                             f"({top - paint_from:,} bytes free between .bss and the top of SRAM)")
    result = RunResult(memory, stack_bytes)
    result.instructions = counter.executed
    if count:
        per_label, classes, registers = [0] * labels, [Counter() for _ in range(labels)], [0] * labels
        decoded = {}
        for (label, address, size), n in counter.blocks().items():
            key = (address, size)
            if key not in decoded:
                decoded[key] = decode_block(bytes(uc.mem_read(address, size)))
            label = min(max(label, 0), labels - 1)
            per_label[label] += n * len(decoded[key])
            for cls, regs in decoded[key]:
                classes[label][cls] += n
                registers[label] += n * regs
        result.per_label, result.classes, result.registers = per_label, classes, registers
    return result
