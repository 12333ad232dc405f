"""In-place depthwise convolution (MCUNet-v1): the output overwrites the input, channel by channel.

A depthwise conv computes output channel c from input channel c alone. So, with tensors stored
channel-major (C, H, W), we can compute channel c into ONE temporary channel buffer (Ho x Wo) and
copy it over the input's memory; the input channel's pixels are not needed after that.

Where output channel c lands: the output is stored compactly at the start of the input's buffer,
channel c at elements [c*Ho*Wo, (c+1)*Ho*Wo). Since Ho*Wo <= H*W, that range lies inside input
channels 0..c, which have all been consumed. So this works at stride 2 too (the output is smaller;
the buffer's tail is released afterwards) and with any padding that keeps Ho*Wo <= H*W (the zero
padding is implicit: no padded copy is ever held in SRAM).

Peak bytes while it runs: C*H*W (the shared buffer) + Ho*Wo (the temporary), times the bytes per
element, against C*H*W + C*Ho*Wo for the standard kernel. Stride 1, padding k//2: (C + 1)*H*W.
"""

import numpy as np

from ..errors import SpecError
from . import kernels


def depthwise_inplace(arena, buf, out_hw, compute_channel, name=None):
    """Run a depthwise op in place over arena buffer ``buf`` (input, (C, H, W)).

    out_hw: (Ho, Wo). compute_channel(c, x_c, out_c) writes output channel c (Ho, Wo) computed
    from input channel c (H, W) into ``out_c``. On return ``buf`` holds the (C, Ho, Wo) output and
    is renamed ``name``. One temporary channel buffer is allocated (SRAMOverflowError if it does
    not fit) and freed. Mutates ``buf``'s memory.
    """
    c, h, w = buf.shape
    ho, wo = out_hw
    if ho * wo > h * w:
        raise SpecError(f"in-place depthwise needs an output channel no larger than the input's: "
                        f"{ho}x{wo} > {h}x{w}")
    temp = arena.alloc(f"{name or buf.name}/scratch", (ho, wo), buf.dtype)
    x = buf.array  # (C, H, W) view, valid until the next alloc (none below)
    flat = x.reshape(-1)  # the same bytes as one vector
    scratch = temp.array  # (Ho, Wo)
    for ch in range(c):
        compute_channel(ch, x[ch], scratch)
        flat[ch * ho * wo:(ch + 1) * ho * wo] = scratch.reshape(-1)  # channel ch of the output
    arena.free(temp)
    return arena.shrink(buf, (c, ho, wo), name)


def depthwise_conv2d_inplace(arena, buf, weight, bias=None, stride=1, padding=0, act=None):
    """Float in-place depthwise convolution of arena buffer ``buf`` ((C, H, W), float32).

    weight: (C, k, k); bias: (C,). Returns ``buf``, now holding the (C, Ho, Wo) output.
    Same result as ``kernels.depthwise_conv2d`` on the same input.
    """
    c, h, w = buf.shape
    k = weight.shape[-1]
    if weight.shape != (c, k, k):
        raise SpecError(f"depthwise weight must be ({c}, k, k), got {weight.shape}")
    out_hw = ((h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1)

    def compute_channel(ch, x_c, out_c):
        b = None if bias is None else bias[ch:ch + 1]
        kernels.depthwise_conv2d(x_c[np.newaxis], weight[ch:ch + 1], b, stride, padding, act,
                                 out=out_c[np.newaxis])

    return depthwise_inplace(arena, buf, out_hw, compute_channel)
