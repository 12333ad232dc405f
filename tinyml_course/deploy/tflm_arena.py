"""TFLite Micro's arena for the package's int8 networks, measured with the ``tflite-micro`` PyPI
package (TFLM compiled for the host, x86-64, its reference kernels; a dev extra).

``tflm_arena(model)`` writes the model as a ``.tflite`` (``tflite_writer``), builds TFLM's
interpreter on it, runs one inference and reads what its ``RecordingMicroAllocator`` prints
(``print_allocations``): the arena's **head**, the activations as TFLM's GreedyMemoryPlanner lays
them out (each tensor at a fixed offset for the whole inference, placed largest first), and its
**tail**, the persistent bookkeeping, itemised. The tail is measured on x86-64: its
``TfLiteEvalTensor``, ``TfLiteTensor`` and ``NodeAndRegistration`` structs hold pointers, 8 bytes
here and 4 on a Cortex-M, so on the board they take less; the kernels' persistent buffers are
mostly the per-channel requantization multipliers and shifts (two int32 per output channel),
the same size on either.
"""

import ctypes
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field

import numpy as np
from tflite_micro.python.tflite_micro import runtime

from ..errors import SpecError
from ..runtime.int8_backend import Int8Backend
from .tflite_writer import tflite_bytes

HOST_ARENA_BYTES = 4 * 1024 * 1024  # the host interpreter's arena: ample for every zoo model
_TOTAL = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")
_ITEM = re.compile(r"'([^']+)' used (\d+) bytes with alignment overhead \(requested (\d+) bytes "
                   r"for (\d+) ")
POINTER_STRUCTS = ("TfLiteEvalTensor data", "Persistent TfLiteTensor data",
                   "NodeAndRegistration struct")  # the tail's items that hold pointers


@dataclass
class TflmArena:
    """TFLM's arena for one model on the host (x86-64), bytes, as its allocator reports it."""

    total_bytes: int
    head_bytes: int  # activations (non-persistent), GreedyMemoryPlanner's layout
    tail_bytes: int  # persistent bookkeeping, measured on x86-64
    items: dict = field(default_factory=dict)  # tail item -> (used bytes, allocations)
    model_bytes: int = 0  # size of the .tflite flatbuffer

    @property
    def pointer_struct_bytes(self):
        """Tail bytes in structs holding pointers (8 bytes each on x86-64, 4 on a Cortex-M)."""
        return sum(self.items.get(k, (0, 0))[0] for k in POINTER_STRUCTS)


def _captured(call):
    """Run ``call()`` with the process's stdout and stderr (file descriptors 1 and 2, where TFLM's
    C++ prints) redirected to a file; return that output as text."""
    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            call()
            libc.fflush(None)
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
        sink.seek(0)
        return sink.read().decode(errors="replace")


def parse_allocations(text):
    """TflmArena fields (total, head, tail, items) from ``print_allocations``' output.
    Raises SpecError when the totals are missing."""
    totals = {kind: int(n) for kind, n in _TOTAL.findall(text)}
    if set(totals) != {"total", "head", "tail"}:
        raise SpecError("TFLite Micro printed no arena totals (RecordingMicroAllocator)")
    items = {name: (int(used), int(count)) for name, used, _, count in _ITEM.findall(text)}
    return TflmArena(totals["total"], totals["head"], totals["tail"], items)


def tflm_arena(model, image):
    """TflmArena of the int8 ``model`` (a QuantizedModel) after one inference on the float image
    ``image`` (C, H, W), and the int8 output (TFLM's, flattened)."""
    data = tflite_bytes(model)
    interpreter = runtime.Interpreter.from_bytes(data, arena_size=HOST_ARENA_BYTES)
    x = Int8Backend(model).prepare_input(image)  # int8 (C, H, W)
    interpreter.set_input(np.ascontiguousarray(x.transpose(1, 2, 0))[np.newaxis], 0)
    interpreter.invoke()
    output = np.asarray(interpreter.get_output(0), np.int8).reshape(-1)
    arena = parse_allocations(_captured(interpreter.print_allocations))
    arena.model_bytes = len(data)
    return arena, output
