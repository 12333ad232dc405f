"""One memory limit for a whole run where the grader has no memory cgroup (a non-root grader, a
machine without cgroups): the grader watches the runner's process tree from outside.

RLIMIT_AS bounds each process; a student's code can fork many processes that each stay under it
(256 x 4 GiB under the default limits). `MemoryWatch(pid, limit_bytes)` is a thread of the grader
that, every ``interval`` seconds, adds up the anonymous resident memory of ``pid`` and its
descendants (``/proc/<pid>/statm``: resident - shared pages, cheap), and where that sum passes the
limit, their proportional set size (``/proc/<pid>/smaps_rollup``, Pss: a page shared by k
processes counts 1/k in each, so copy-on-write pages of a fork are not counted twice) before it
kills the tree. Nothing here runs in the student's process or can be reached from it.

What it does not bound: memory that belongs to no process (the sandbox's /tmp and work tmpfs,
``SandboxLimits.tmp_mb`` and ``work_mb``, which have their own size limits), and what a process
touches between two polls (at most a few hundred MiB at 50 ms: page faults are not faster).
Linux only (``/proc``); elsewhere ``supported()`` is False and the caller records that.
"""
import os
import threading

from .process_tree import descendants, kill_tree

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
INTERVAL_SECONDS = 0.05  # between two polls of the tree


def supported():
    """Whether this machine has what the watch reads (``/proc/self/statm`` and smaps_rollup)."""
    return os.path.exists("/proc/self/statm") and os.path.exists("/proc/self/smaps_rollup")


def anonymous_bytes(pid):
    """Resident minus shared (file-backed and shmem) pages of ``pid``, in bytes; 0 if it is gone.
    Copy-on-write pages a fork shares still count in each process: an upper bound of its share."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            fields = f.read().split()
        return max(0, int(fields[1]) - int(fields[2])) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


def proportional_bytes(pid):
    """``pid``'s proportional set size (Pss, bytes; smaps_rollup): each page it maps divided by
    the number of processes mapping it. 0 if it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024  # the kernel writes kB (KiB)
    except (OSError, IndexError, ValueError):
        pass
    return 0


class MemoryWatch:
    """Watch ``pid``'s tree; past ``limit_bytes`` (Pss of the tree together) kill it.

    ``start()`` and ``stop()`` the thread; afterwards ``exceeded`` (bool) and ``peak_bytes`` (the
    largest sum seen: anonymous resident bytes, or Pss where that was measured) say what it saw.
    Raises ValueError for a limit that is not a positive number of bytes.
    """

    def __init__(self, pid, limit_bytes, interval=INTERVAL_SECONDS):
        if isinstance(limit_bytes, bool) or not isinstance(limit_bytes, int) or limit_bytes <= 0:
            raise ValueError(f"MemoryWatch: limit_bytes must be a positive int, got {limit_bytes!r}")
        self.pid, self.limit_bytes, self.interval = pid, limit_bytes, interval
        self.exceeded, self.peak_bytes = False, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"memory-watch-{pid}", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def tree(self):
        return [self.pid, *descendants(self.pid)]

    def _watch(self):
        while not self._stop.wait(self.interval):
            pids = self.tree()
            held = sum(anonymous_bytes(p) for p in pids)
            if held > self.limit_bytes:  # cheap figure over: measure it exactly before killing
                held = sum(proportional_bytes(p) for p in pids)
            self.peak_bytes = max(self.peak_bytes, held)
            if held > self.limit_bytes:
                self.exceeded = True
                kill_tree(self.pid)
                return

    def message(self):
        """The line a TA reads when the watch killed the run."""
        mib = 2**20
        return (f"the student's processes together held {self.peak_bytes / mib:,.0f} MiB, over the "
                f"grader's limit of {self.limit_bytes / mib:,.0f} MiB (measured by the grader from "
                "outside: this machine gives it no memory cgroup)")
