"""Cross-compile and link the generated C for a Cortex-M device with the ``ziglang`` wheel
(clang + lld, from PyPI: no download at run time).

``linker_script(device)`` gives the device's memory map (Flash at 0x08000000, SRAM at 0x20000000,
the STM32 layout); ``build(project_dir, device)`` compiles ``model.c`` with the kernels and returns
the ELF's path. A model that does not fit fails here, at link time, as on a real toolchain:
``DoesNotFitError`` names the device, the region and the bytes it overflows by.
"""

import os
import re
import resource
import shutil
import signal
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


def _limited(memory_mb, file_mb):
    """A preexec_fn giving the compiler (and everything it starts) an address space of
    ``memory_mb`` MiB and files of at most ``file_mb`` MiB (None: no limit), no core dumps."""
    def apply():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_mb:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        if file_mb:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    return apply


def _run_compiler(cmd, project, env, timeout_s, memory_mb, file_mb):
    """(returncode, stderr) of ``cmd`` in its own process group, all of which is killed after
    ``timeout_s`` seconds (BuildError naming the limit)."""
    proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_limited(memory_mb, file_mb))
    try:
        _, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise BuildError(f"compiling took longer than {timeout_s:g} s") from None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # nothing the compiler started outlives it
        except ProcessLookupError:
            pass
    if proc.returncode in (-signal.SIGXFSZ, 128 + signal.SIGXFSZ) or (
            file_mb and "File too large" in stderr):
        raise BuildError(f"the compiler's output grew past {file_mb} MiB")
    if memory_mb and proc.returncode != 0 and re.search(
            r"out of memory|std::bad_alloc|Cannot allocate memory|exit code (134|137|139)", stderr):
        raise BuildError(f"the compiler ran out of its {memory_mb} MiB (or crashed) on this C")
    return proc.returncode, stderr


def build(project_dir, device, sources=("model.c",), output="model.elf",
          kernel_sources=KERNEL_SOURCES, defines=(), timeout_s=COMPILE_TIMEOUT_S,
          memory_mb=None, file_mb=None):
    """Compile ``sources`` (in project_dir) with ``kernel_sources`` and link them for ``device``.

    defines: preprocessor names to define (e.g. codegen.COUNT_TRIPS_DEFINE). timeout_s,
    memory_mb, file_mb: wall seconds, address space (MiB) and largest file (MiB) of the
    compiler and everything it starts (a student's C: kernel_check's limits; None: none).

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
        returncode, stderr = _run_compiler(cmd, project, env, timeout_s, memory_mb, file_mb)
    if returncode != 0:
        match = _OVERFLOW.search(stderr)
        if match:
            overflow = {}
            for m in _OVERFLOW.finditer(stderr):  # lld reports each section; keep the largest
                overflow[m.group(2)] = max(overflow.get(m.group(2), 0), int(m.group(3)))
            region = "RAM" if "RAM" in overflow else next(iter(overflow))
            raise DoesNotFitError(device, region, overflow[region])
        errors = [line for line in stderr.splitlines() if "error" in line] or \
            stderr.strip().splitlines()[-1:]
        raise BuildError(f"the C did not build: {errors[0].strip() if errors else returncode}")
    return project / output
