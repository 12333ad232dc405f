"""Run a network on real tensors inside an SRAM arena and measure its peak memory.

A *backend* does the arithmetic of one op; the executor does the memory: it allocates each output
in the arena, calls the backend on views of the arena, frees each tensor after its last reader, and
under the in-place schedule lets depthwise convs overwrite their input. ``FloatBackend`` runs float32
with the kernels of ``kernels.py``; the int8 backend lives in ``int8.py``.

Backend protocol: ``dtype`` ('float32' or 'int8'), ``prepare_input(x) -> array of dtype``,
``run_op(op, inputs, out)`` (writes into ``out``), ``depthwise_channel(op, c, x_c, out_c)``
(one output channel of a depthwise op, for the in-place schedule), ``finish_output(y)``.
"""

from dataclasses import dataclass

import numpy as np

from . import kernels
from .arena import Arena
from .errors import SpecError
from .inplace import depthwise_inplace
from .schedule import as_schedule

DEFAULT_ARENA_BYTES = 64 * 1024 * 1024  # 64 MiB: large enough for any zoo network in float32


def random_weights(network, rng=None):
    """He-initialised float32 weights for every op: dict op name -> (weight, bias).

    weight has ``op.weight_shape``; bias (Cout,) is small. ``rng``: a numpy Generator or a seed.
    """
    rng = np.random.default_rng(rng)
    weights = {}
    for op in network.ops:
        if op.weight_shape is None:
            continue
        fan_in = op.weight_count // op.out_shape[0]
        w = rng.standard_normal(op.weight_shape) * np.sqrt(2.0 / fan_in)
        b = rng.standard_normal(op.out_shape[0]) * 0.05
        weights[op.name] = (w.astype(np.float32), b.astype(np.float32))
    return weights


class FloatBackend:
    """float32 arithmetic with the numpy kernels; ``weights`` maps op name -> (weight, bias)."""

    dtype = "float32"

    def __init__(self, weights):
        self.weights = weights

    def prepare_input(self, x):
        return np.asarray(x, dtype=np.float32)

    def finish_output(self, y):
        return np.array(y, dtype=np.float32)

    def run_op(self, op, inputs, out):
        x = inputs[0]
        if op.kind == "add":
            return kernels.add(inputs[0], inputs[1], op.act, out=out)
        if op.kind == "pool":
            return kernels.global_avg_pool(x, out=out)
        w, b = self.weights[op.name]
        if op.kind == "conv":
            return kernels.conv2d(x, w, b, op.stride, op.padding, op.act, out=out)
        if op.kind == "dwconv":
            return kernels.depthwise_conv2d(x, w, b, op.stride, op.padding, op.act, out=out)
        if op.kind == "pwconv":
            return kernels.pointwise_conv2d(x, w, b, op.act, out=out)
        if op.kind == "linear":
            return kernels.linear(x, w, b, op.act, out=out)
        raise SpecError(f"op {op.name!r} has unknown kind {op.kind!r}")

    def depthwise_channel(self, op, c, x_c, out_c):
        w, b = self.weights[op.name]
        kernels.depthwise_conv2d(x_c[np.newaxis], w[c:c + 1], b[c:c + 1], op.stride, op.padding,
                                 op.act, out=out_c[np.newaxis])


def as_backend(weights_or_backend):
    """A backend: pass one through, or wrap a weights dict in a FloatBackend."""
    if isinstance(weights_or_backend, dict):
        return FloatBackend(weights_or_backend)
    return weights_or_backend


def can_run_inplace(network, index, last_use):
    """Whether op ``index`` (a depthwise) may overwrite its input: no later op reads that input."""
    op = network.ops[index]
    return op.kind == "dwconv" and last_use[op.inputs[0]] == index


@dataclass
class Execution:
    """The result of a run: the output, the measured peak SRAM (bytes) and the arena's trace."""

    output: np.ndarray
    peak_sram_bytes: int
    trace: list  # (op name, most live bytes while it ran), in execution order
    arena: Arena


def check_input(network, x):
    """Raise SpecError unless x has the network's input shape (C, H, W)."""
    if np.shape(x) != network.input_shape:
        raise SpecError(f"input must have shape {network.input_shape} (C, H, W), got {np.shape(x)}")


def run_layers(network, start, stop, arena, backend, tensors, inplace):
    """Run ops[start:stop] per layer inside ``arena``; ``tensors`` maps tensor name -> Buffer.

    Frees every tensor after its last reader; with ``inplace``, depthwise ops whose input has no
    later reader update it in place. Mutates ``tensors``.
    """
    last_use = network.last_use()
    for i in range(start, stop):
        op = network.ops[i]
        arena.begin_op(op.name)
        if inplace and can_run_inplace(network, i, last_use):
            buf = tensors.pop(op.inputs[0])
            tensors[op.name] = depthwise_inplace(
                arena, buf, op.out_shape[1:],
                lambda c, x_c, out_c, op=op: backend.depthwise_channel(op, c, x_c, out_c), op.name)
        else:
            out = arena.alloc(op.name, op.out_shape, backend.dtype)
            backend.run_op(op, [tensors[name].array for name in op.inputs], out.array)
            tensors[op.name] = out
            for name in set(op.inputs):
                if last_use[name] == i:
                    arena.free(tensors.pop(name))
        arena.end_op()


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
        from .patch import execute_patch_based  # the patch module builds on this one
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
