"""How the code generator lays out an op's constants for the kernel that runs it.

A ``Kernel`` (``kernels.py``) names its ``layout``; ``op_constants(layout, quant, x_zp)`` returns
the arrays codegen writes into the Flash blob for that op, keyed by the ``tm_quant`` field they
fill. 'plain' is the package's own layout (``runtime/int8_backend.py``); the tinyengine layouts
are what TinyEngine's code generator does at generation time: weights reordered for the kernel's
loads, the input zero point folded into the bias, the rounding constants precomputed.

Arrays: weights int8, everything else int32 (C: ``tm_quant``'s pointers).
"""

import numpy as np

from ..errors import SpecError

# TinyEngine's byte order inside one word of 4 input channels: SXTB16 takes bytes 0 and 2 (the
# int16 pair of channels 0, 1), SXTB16 of the word rotated by 8 bytes 1 and 3 (channels 2, 3)
QUAD_ORDER = (0, 2, 1, 3)


def weight_sums(weight):
    """Per output channel sum of the int8 weights, int32 (two's complement wrap as in C)."""
    w = np.asarray(weight, np.int64).reshape(weight.shape[0], -1)
    return w.sum(axis=1).astype(np.int32)


def _wrap32(values):
    """int64 values wrapped to int32 as C's 32-bit arithmetic wraps them."""
    return ((np.asarray(values, np.int64) + 2 ** 31) % 2 ** 32 - 2 ** 31).astype(np.int32)


def folded_bias(bias, weight, x_zp):
    """bias - x_zp * sum(w) per output channel (int32, wrapped as in C): the zero point folded in,
    so the kernel multiplies the raw int8 inputs."""
    return _wrap32(np.asarray(bias, np.int64) - int(x_zp) * weight_sums(weight).astype(np.int64))


def rounding_constants(shift):
    """(Cout, 2) int32: te_requant's 2^30 + 2^(30 - shift) as (low, high) words of an int64.

    Raises SpecError for a shift >= 0 (kernels.fused_requant_applies says when it applies)."""
    shift = np.asarray(shift, np.int64)
    if (shift > -1).any():
        raise SpecError("te_requant needs every shift <= -1 (a multiplier below 0.5)")
    rnd = (np.int64(1) << 30) + (np.int64(1) << (30 - shift))
    return np.stack([_wrap32(rnd & 0xFFFFFFFF), (rnd >> 32).astype(np.int32)], axis=1)


def te_pwconv_weights(weight):
    """int8 weights (Cout, Cin[, 1, 1]) -> the flat order tm_pwconv_te reads (pwconv.c): per pair
    of output channels and per group of 4 input channels (zero padded) the word of each channel,
    bytes in QUAD_ORDER; an odd last channel's words after the pairs."""
    w = np.asarray(weight, np.int8).reshape(weight.shape[0], -1)
    cout, cin = w.shape
    groups = -(-cin // 4)
    padded = np.zeros((cout, 4 * groups), np.int8)
    padded[:, :cin] = w
    quads = padded.reshape(cout, groups, 4)[:, :, list(QUAD_ORDER)]
    pairs = cout // 2
    interleaved = quads[:2 * pairs].reshape(pairs, 2, groups, 4).transpose(0, 2, 1, 3)
    return np.concatenate([interleaved.reshape(-1), quads[2 * pairs:].reshape(-1)])


def op_constants(layout, quant, x_zp):
    """{tm_quant field: array} for an op's ``quant`` (int8_backend) under ``layout``; x_zp: the
    input zero point. Raises SpecError for an unknown layout."""
    rq = quant.requant
    plain = {"weight": quant.weight, "bias": quant.bias, "m0": rq.m0, "shift": rq.shift,
             "wsum": weight_sums(quant.weight)}
    if layout == "plain":
        return plain
    if layout == "te_pwconv":
        return {**plain, "weight": te_pwconv_weights(quant.weight),
                "bias": folded_bias(quant.bias, quant.weight, x_zp),
                "rnd": rounding_constants(rq.shift)}
    raise SpecError(f"unknown constant layout {layout!r}")
