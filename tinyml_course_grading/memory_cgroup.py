"""A memory cgroup of its own for one sandboxed run (cgroup v1 or v2, where this process may
create one): the limit holds for everything the student's code spawns together, which a
per-process RLIMIT_AS does not, and the kernel's peak of the whole run can be read from outside.

`MemoryCgroup(limit_mb)` creates it (``path`` None where cgroups are not available: the caller
records that, loudly); ``join()`` runs in the child before exec; ``usage()`` and ``peak()`` read
the kernel's figures in bytes (None where the kernel has none); ``reset_peak()`` starts the peak
again from the current usage (v1, and v2 kernels that allow it; False otherwise); ``remove()``.
"""
import os
import sys
import time
from pathlib import Path


class MemoryCgroup:
    _count = 0

    def __init__(self, limit_mb):
        self.path, self.version = None, None
        if not limit_mb or not sys.platform.startswith("linux"):
            return
        parent, version = self.parent()
        if parent is None:
            return
        MemoryCgroup._count += 1
        path = parent / f"tinyml-grade-{os.getpid()}-{MemoryCgroup._count}"
        limit_file = "memory.limit_in_bytes" if version == 1 else "memory.max"
        try:
            path.mkdir()
            (path / limit_file).write_text(str(int(limit_mb) * 2**20))
            if version == 1 and (path / "memory.memsw.limit_in_bytes").exists():
                try:  # swap counted too, where the kernel accounts it
                    (path / "memory.memsw.limit_in_bytes").write_text(str(int(limit_mb) * 2**20))
                except OSError:
                    pass
        except OSError:
            self.remove(path)
            return
        self.path, self.version = path, version

    @staticmethod
    def parent():
        """(the cgroup folder this process may create memory cgroups in, 1 or 2), or (None,
        None) where it may not."""
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None, None
        for line in lines:
            _, controllers, rel = line.split(":", 2)
            if "memory" in controllers.split(","):
                base = Path("/sys/fs/cgroup/memory") / rel.lstrip("/")
                if (base / "memory.limit_in_bytes").exists() and os.access(base, os.W_OK):
                    return base, 1
        for line in lines:
            if line.startswith("0::"):
                base = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
                try:
                    enabled = (base / "cgroup.subtree_control").read_text().split()
                except OSError:
                    continue
                if "memory" in enabled and os.access(base, os.W_OK):
                    return base, 2
        return None, None

    def join(self):
        """In the child, before exec: move it (and so all it spawns) into the cgroup."""
        if self.path is not None:
            try:
                (self.path / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                pass

    def _read(self, v1, v2):
        if self.path is None:
            return None
        try:
            return int((self.path / (v1 if self.version == 1 else v2)).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def usage(self):
        """Bytes the cgroup uses now (None without one)."""
        return self._read("memory.usage_in_bytes", "memory.current")

    def peak(self):
        """The most bytes the cgroup used since it was made or reset (None without one, or on
        a v2 kernel older than memory.peak)."""
        return self._read("memory.max_usage_in_bytes", "memory.peak")

    def reset_peak(self):
        """Start the peak again from the current usage; False where the kernel cannot."""
        if self.path is None:
            return False
        try:
            (self.path / ("memory.max_usage_in_bytes" if self.version == 1
                          else "memory.peak")).write_text("0")
            return True
        except OSError:
            return False

    def remove(self, path=None):
        path = path or self.path
        if path is None:
            return
        for _ in range(50):  # the killed processes leave the cgroup a moment later
            try:
                path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)
