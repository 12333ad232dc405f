"""Run a network on real tensors inside an SRAM arena and measure its peak memory.

The executor does the memory, a backend (``backend.py``: float32; ``int8_backend.py``: integer-only) does
the arithmetic of each op. ``execute`` runs a schedule (per-layer and in-place through
``layerwise``, patch-based through ``patch_exec``) and returns the output with the arena's
high-water mark in bytes; ``reference_forward`` keeps every tensor, to check executions against.
"""

from dataclasses import dataclass

import numpy as np

from ..memory.arena import Arena
from ..memory.schedule import as_schedule
from .backend import as_backend
from .layerwise import check_input, run_layers
from .patch_exec import execute_patch_based

DEFAULT_ARENA_BYTES = 64 * 1024 * 1024  # 64 MiB: large enough for any zoo network in float32


@dataclass
class Execution:
    """The result of a run: the output, the measured peak SRAM (bytes) and the arena's trace."""

    output: np.ndarray
    peak_sram_bytes: int
    trace: list  # (op name, most live bytes while it ran), in execution order
    arena: Arena


def execute(network, x, weights, schedule="per-layer", arena=None, capacity=None, **schedule_options):
    """Run ``network`` on input ``x`` ((C, H, W)) inside an SRAM arena under ``schedule``.

    weights: dict op name -> (weight, bias) (float32 run) or a backend object (e.g. int8).
    arena: an Arena to use; else a new one of ``capacity`` bytes (default 64 MiB; pass a device's
    ``sram_bytes`` to run within its SRAM). Raises SRAMOverflowError when a tensor does not fit.
    Returns an Execution whose ``peak_sram_bytes`` is the arena's high-water mark in bytes.
    """
    schedule = as_schedule(schedule, **schedule_options)
    backend = as_backend(weights)
    check_input(network, x)
    arena = arena or Arena(capacity or DEFAULT_ARENA_BYTES)
    if schedule.kind == "patch":
        output = execute_patch_based(network, x, backend, schedule, arena)
    else:
        tensors = {"input": arena.alloc("input", network.input_shape, backend.dtype)}
        tensors["input"].array[...] = backend.prepare_input(x)
        run_layers(network, 0, len(network.ops), arena, backend, tensors, schedule.inplace_depthwise)
        output = backend.finish_output(tensors[network.ops[-1].name].array)
    return Execution(output, arena.peak_bytes, list(arena.trace), arena)


def reference_forward(network, x, weights):
    """Plain forward pass with no arena (every tensor kept): the output, to check executions against."""
    backend = as_backend(weights)
    check_input(network, x)
    tensors = {"input": backend.prepare_input(x)}
    for op in network.ops:
        out = np.empty(op.out_shape, dtype=backend.dtype)
        backend.run_op(op, [tensors[name] for name in op.inputs], out)
        tensors[op.name] = out
    return backend.finish_output(tensors[network.ops[-1].name])
