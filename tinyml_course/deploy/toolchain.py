"""Cross-compile and link the generated C for a Cortex-M device with the ``ziglang`` wheel
(clang + lld, from PyPI: no download at run time).

``linker_script(device)`` gives the device's memory map (Flash at 0x08000000, SRAM at 0x20000000,
the STM32 layout); ``build(project_dir, device)`` compiles ``model.c`` with the kernels and returns
the ELF's path. A model that does not fit fails here, at link time, as on a real toolchain:
``DoesNotFitError`` names the device, the region and the bytes it overflows by.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import TinyMLError
from ..model.devices import get_device
from .codegen import KERNEL_DIR, KERNEL_HEADERS, KERNEL_SOURCES

FLASH_ORIGIN = 0x08000000  # STM32 Flash base
RAM_ORIGIN = 0x20000000  # SRAM base (Cortex-M SRAM region)
COMPILE_TIMEOUT_S = 300  # a generous limit on one compile-and-link
CPU_OF_CORE = {"Cortex-M4F": "cortex_m4", "Cortex-M4": "cortex_m4", "Cortex-M7": "cortex_m7"}
# -fno-unroll-loops: the compiled loops are the C loops, so the latency model's trip counts
# (kernels.py) are the compiled code's; a kernel that unrolls does it in its C
CFLAGS = ("-O2", "-fno-unroll-loops", "-ffreestanding", "-nostdlib", "-fno-builtin", "-fno-exceptions",
          "-fno-unwind-tables", "-fno-asynchronous-unwind-tables", "-ffunction-sections",
          "-fdata-sections", "-Wall", "-Wno-unused-function")
_OVERFLOW = re.compile(r"section '([^']+)' will not fit in region '([^']+)': overflowed by (\d+) bytes")


class BuildError(TinyMLError):
    """The C did not compile or link (for a reason other than not fitting); the compiler's line."""


class DoesNotFitError(TinyMLError):
    """The linked image does not fit the device: ``region`` ('FLASH' or 'RAM') overflowed by
    ``overflow_bytes``."""

    def __init__(self, device, region, overflow_bytes):
        self.device, self.region, self.overflow_bytes = device, region, overflow_bytes
        memory = "SRAM" if region == "RAM" else "Flash"
        limit = device.sram_bytes if region == "RAM" else device.flash_bytes
        super().__init__(f"does not fit {device.name}: linker region {region} ({memory}, "
                         f"{limit:,} bytes) overflowed by {overflow_bytes:,} bytes")


def cpu_of(device):
    """The clang -mcpu name of a catalogue device's core (cortex_m4 or cortex_m7)."""
    device = get_device(device)
    return CPU_OF_CORE[device.core]


def linker_script(device):
    """Text of a GNU ld script: FLASH and RAM regions of ``device``; code and constants in Flash,
    .data (loaded from Flash) and .bss in RAM; the stack grows down from the end of RAM."""
    device = get_device(device)
    return f"""/* {device.title}: {device.flash_bytes} bytes of Flash, {device.sram_bytes} bytes of SRAM */
MEMORY
{{
  FLASH (rx) : ORIGIN = {FLASH_ORIGIN:#010x}, LENGTH = {device.flash_bytes}
  RAM (rwx)  : ORIGIN = {RAM_ORIGIN:#010x}, LENGTH = {device.sram_bytes}
}}
ENTRY(_start)
SECTIONS
{{
  .text : {{ KEEP(*(.text._start)) *(.text*) }} > FLASH
  .rodata : {{ *(.rodata*) }} > FLASH
  .data : {{ *(.data*) }} > RAM AT > FLASH
  .bss (NOLOAD) : {{ *(.bss*) *(COMMON) }} > RAM
  _stack_top = ORIGIN(RAM) + LENGTH(RAM);
  /DISCARD/ : {{ *(.ARM.exidx*) *(.ARM.extab*) *(.comment) }}
}}
"""


def compiler_command():
    """argv prefix that runs the wheel's clang: ``python -m ziglang cc``."""
    return [sys.executable, "-m", "ziglang", "cc"]


def build(project_dir, device, sources=("model.c",), output="model.elf",
          kernel_sources=KERNEL_SOURCES, defines=()):
    """Compile ``sources`` (in project_dir) with ``kernel_sources`` and link them for ``device``.

    defines: preprocessor names to define (e.g. codegen.COUNT_TRIPS_DEFINE).

    Copies the kernel sources into project_dir (a self-contained C project), writes link.ld, and
    returns the ELF's Path. Raises DoesNotFitError (linker region overflow) or BuildError.
    """
    device = get_device(device)
    project = Path(project_dir).resolve()  # the compiler runs in it: a relative path would nest
    for name in tuple(kernel_sources) + KERNEL_HEADERS:
        shutil.copyfile(KERNEL_DIR / name, project / name)
    (project / "link.ld").write_text(linker_script(device))
    cmd = compiler_command() + ["-target", "thumb-freestanding-eabihf", f"-mcpu={cpu_of(device)}",
                                *CFLAGS, *[f"-D{d}" for d in defines], "-I", str(project), "-T", str(project / "link.ld"),
                                "-Wl,--gc-sections", "-o", str(project / output),
                                *[str(project / s) for s in list(sources) + list(kernel_sources)]]
    with tempfile.TemporaryDirectory(prefix="tinyml-zig-") as cache:  # zig's cache, not in $HOME
        env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=cache, ZIG_LOCAL_CACHE_DIR=cache)
        try:
            proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True,
                                  timeout=COMPILE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BuildError(f"compiling took longer than {COMPILE_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        match = _OVERFLOW.search(proc.stderr)
        if match:
            overflow = {}
            for m in _OVERFLOW.finditer(proc.stderr):  # lld reports each section; keep the largest
                overflow[m.group(2)] = max(overflow.get(m.group(2), 0), int(m.group(3)))
            region = "RAM" if "RAM" in overflow else next(iter(overflow))
            raise DoesNotFitError(device, region, overflow[region])
        errors = [line for line in proc.stderr.splitlines() if "error" in line] or \
            proc.stderr.strip().splitlines()[-1:]
        raise BuildError(f"the C did not build: {errors[0].strip() if errors else proc.returncode}")
    return project / output
