"""The simulated SRAM: one fixed-size byte buffer from which every activation of a run is allocated.

A Buffer is a (name, offset, nbytes, shape, dtype) record; ``buffer.array`` is a numpy view into the
arena's bytes, so kernels read and write the simulated SRAM itself. The arena tracks the live bytes,
their high-water mark (the measured peak SRAM) and, per op, the most bytes live while it ran.

Placement is first-fit. When no gap is large enough but the free bytes add up, the arena compacts
(moves live buffers down, as a planned static layout would have placed them), so fragmentation
never costs memory: an allocation fails only when live + needed > capacity. Views taken before an
``alloc`` may be stale after it; take ``buffer.array`` again after allocating.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError, SRAMOverflowError
from ..validation import check_scalar


@dataclass
class Buffer:
    """A block of arena bytes holding one tensor of ``shape`` and ``dtype``."""

    arena: "Arena"
    name: str
    offset: int  # bytes from the arena start
    nbytes: int
    shape: tuple
    dtype: np.dtype

    @property
    def array(self):
        """A numpy view of the tensor inside the arena (shape ``shape``, dtype ``dtype``)."""
        raw = self.arena.memory[self.offset:self.offset + self.nbytes]
        return raw.view(self.dtype).reshape(self.shape)


class Arena:
    """A simulated SRAM of ``capacity`` bytes."""

    def __init__(self, capacity):
        self.capacity = check_scalar(capacity, "arena capacity (bytes)", int, min_val=1)
        self.memory = np.zeros(self.capacity, dtype=np.uint8)
        self.buffers = []  # live buffers, sorted by offset
        self.live_bytes = 0
        self.peak_bytes = 0  # high-water mark of live bytes over the whole run
        self.moved_bytes = 0  # bytes copied by compaction
        self.trace = []  # (op name, most bytes live while it ran)
        self._op = None
        self._op_peak = 0

    # -- op bookkeeping ---------------------------------------------------------------------
    def begin_op(self, name):
        """Start recording op ``name``: allocations now count towards its trace entry."""
        self._op, self._op_peak = name, self.live_bytes

    def end_op(self):
        """Close the op's trace entry (its peak live bytes)."""
        self.trace.append((self._op, self._op_peak))
        self._op = None

    # -- allocation -------------------------------------------------------------------------
    @property
    def free_bytes(self):
        return self.capacity - self.live_bytes

    def alloc(self, name, shape, dtype):
        """Allocate a tensor of ``shape`` and ``dtype``; raise SRAMOverflowError if it does not fit."""
        dtype = np.dtype(dtype)
        shape = tuple(int(d) for d in shape)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes > self.free_bytes:
            raise SRAMOverflowError(self._op or name, nbytes, self.free_bytes, self.capacity)
        offset = self._find_gap(nbytes)
        if offset is None:
            self.compact()
            offset = self.live_bytes
        buf = Buffer(self, name, offset, nbytes, shape, dtype)
        self.buffers.append(buf)
        self.buffers.sort(key=lambda b: b.offset)
        self._grow(nbytes)
        return buf

    def free(self, buf):
        """Release a buffer."""
        self.buffers.remove(buf)
        self.live_bytes -= buf.nbytes

    def shrink(self, buf, shape, name=None):
        """Keep only the first bytes of ``buf`` as a smaller tensor of ``shape`` (same dtype)."""
        nbytes = int(np.prod(shape, dtype=np.int64)) * buf.dtype.itemsize
        if nbytes > buf.nbytes:
            raise SpecError(f"cannot shrink {buf.name!r} from {buf.nbytes} to {nbytes} bytes")
        self.live_bytes -= buf.nbytes - nbytes
        buf.nbytes, buf.shape = nbytes, tuple(shape)
        if name:
            buf.name = name
        return buf

    def compact(self):
        """Move every live buffer down to close the gaps (memmove, as an MCU would)."""
        offset = 0
        for buf in self.buffers:
            if buf.offset != offset:
                self.memory[offset:offset + buf.nbytes] = self.memory[buf.offset:buf.offset + buf.nbytes]
                self.moved_bytes += buf.nbytes
                buf.offset = offset
            offset += buf.nbytes

    def _find_gap(self, nbytes):
        start = 0
        for buf in self.buffers:
            if buf.offset - start >= nbytes:
                return start
            start = buf.offset + buf.nbytes
        return start if self.capacity - start >= nbytes else None

    def _grow(self, nbytes):
        self.live_bytes += nbytes
        self.peak_bytes = max(self.peak_bytes, self.live_bytes)
        self._op_peak = max(self._op_peak, self.live_bytes)
