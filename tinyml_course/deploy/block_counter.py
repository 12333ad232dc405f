"""Per-label instruction counting at emulation speed: a native block hook (``block_counter.c``).

``library()`` compiles the hook for the host with the ``ziglang`` wheel's clang, once per source
version (cached under ``$XDG_CACHE_HOME/tinyml-course``, or the temporary directory when that is
not writable), and loads it. ``BlockCounter(uc, code_base, code, mark_address, budget)`` installs
it on a unicorn engine; after the run ``blocks()`` gives {(label, address, size): executions} and
``executed`` the instructions run, exactly (each distinct block's Thumb instructions are decoded
once, in C, from the Flash image).

Why native: unicorn calls a block hook once per executed translated block (a few to a few tens of
instructions); through Python's ctypes that is about a microsecond each, which held the counted
emulator at ~5-14M instructions/s. The C hook costs a hash-table update.
"""

import ctypes
import hashlib
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from unicorn import UC_HOOK_BLOCK, arm_const
from unicorn.unicorn_py3.unicorn import uclib  # the loaded libunicorn (unicorn >= 2.1)

from ..errors import TinyMLError

SOURCE = Path(__file__).with_name("block_counter.c")
HOOK_FUNCTION = "tm_count_block"
DEFAULT_CAPACITY = 1 << 16  # table entries (distinct label x block pairs); doubled when full
COMPILE_TIMEOUT_S = 120


class _Counter(ctypes.Structure):
    """ctypes mirror of block_counter.c's tm_counter (same fields, same order)."""

    _fields_ = [("mark", ctypes.c_uint64), ("code_base", ctypes.c_uint64),
                ("code", ctypes.c_void_p), ("code_size", ctypes.c_uint64),
                ("reg_read", ctypes.c_void_p), ("emu_stop", ctypes.c_void_p),
                ("r0", ctypes.c_int32), ("label", ctypes.c_int32),
                ("budget", ctypes.c_uint64), ("executed", ctypes.c_uint64),
                ("keys", ctypes.c_void_p), ("counts", ctypes.c_void_p),
                ("ninstr", ctypes.c_void_p), ("capacity", ctypes.c_uint64),
                ("used", ctypes.c_uint64), ("full", ctypes.c_int32),
                ("exhausted", ctypes.c_int32)]


def _cache_dir():
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tinyml-course"
    try:
        base.mkdir(parents=True, exist_ok=True)
        probe = base / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return base
    except OSError:  # a read-only home (a sandbox): the temporary directory instead
        return Path(tempfile.gettempdir())


@lru_cache(maxsize=1)
def library():
    """The loaded host library with ``tm_count_block`` (compiled on first use).

    Raises TinyMLError with the compiler's first error line if it does not build."""
    source = SOURCE.read_bytes()
    tag = hashlib.sha256(source + sys.platform.encode()).hexdigest()[:16]
    path = _cache_dir() / f"block_counter-{tag}.so"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with tempfile.TemporaryDirectory(prefix="tinyml-zig-") as cache:
            env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=cache, ZIG_LOCAL_CACHE_DIR=cache)
            proc = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-O2", "-shared",
                                   "-fPIC", "-o", str(partial), str(SOURCE)],
                                  capture_output=True, text=True, env=env,
                                  timeout=COMPILE_TIMEOUT_S)
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"]
            raise TinyMLError(f"the emulator's block counter did not build: {lines[0]}")
        os.replace(partial, path)  # atomic: a parallel process sees all of it or none
    return ctypes.CDLL(str(path))


def _address(fn):
    return ctypes.cast(fn, ctypes.c_void_p).value


class BlockCounter:
    """The native hook on one unicorn engine ``uc``: counts blocks per label, stops at ``budget``.

    code: bytes of the Flash image starting at ``code_base``; mark_address: tm_layer's address
    (None: everything is label 0); capacity: table entries (a power of two).
    """

    def __init__(self, uc, code_base, code, mark_address, budget, capacity=DEFAULT_CAPACITY):
        self._lib = library()
        self._code = ctypes.create_string_buffer(bytes(code), len(code))
        self._keys = (ctypes.c_uint64 * capacity)()
        self._counts = (ctypes.c_uint64 * capacity)()
        self._ninstr = (ctypes.c_uint32 * capacity)()
        self.state = _Counter(
            mark=mark_address if mark_address is not None else 2 ** 64 - 1, code_base=code_base,
            code=ctypes.addressof(self._code), code_size=len(code),
            reg_read=_address(uclib.uc_reg_read), emu_stop=_address(uclib.uc_emu_stop),
            r0=arm_const.UC_ARM_REG_R0, label=0, budget=budget, executed=0,
            keys=ctypes.addressof(self._keys), counts=ctypes.addressof(self._counts),
            ninstr=ctypes.addressof(self._ninstr), capacity=capacity, used=0, full=0,
            exhausted=0)
        handle = ctypes.c_size_t()  # uc_hook
        callback = ctypes.cast(getattr(self._lib, HOOK_FUNCTION), ctypes.c_void_p)
        status = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK, callback,
                                   ctypes.cast(ctypes.pointer(self.state), ctypes.c_void_p),
                                   ctypes.c_uint64(1), ctypes.c_uint64(0))
        if status != 0:
            raise TinyMLError(f"unicorn refused the block hook (error {status})")

    @property
    def executed(self):
        """Instructions executed (exact: every block's instructions, decoded once)."""
        return int(self.state.executed)

    @property
    def exhausted(self):
        return bool(self.state.exhausted)

    @property
    def full(self):
        return bool(self.state.full)

    def blocks(self):
        """{(label, address, size): executions} of every block the run executed."""
        keys = np.frombuffer(self._keys, np.uint64)
        taken = np.flatnonzero(keys)
        keys = keys[taken] - np.uint64(1)
        counts = np.frombuffer(self._counts, np.uint64)[taken]
        return {(int(k >> 48), int(k & 0xffffffff), int((k >> 32) & 0xffff)): int(n)
                for k, n in zip(keys, counts)}
