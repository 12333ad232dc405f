"""Run ops one after another inside the arena: allocate each output, free each tensor after its
last reader, and (in place) let a depthwise conv overwrite its input when nothing reads it later.
"""


import numpy as np

from ..errors import SpecError
from ..model.network import can_run_inplace
from .inplace import depthwise_inplace


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
