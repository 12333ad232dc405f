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


ACC_LIMIT = 1 << 30  # te_requant doubles the accumulator: |acc| must stay below 2^30


def accumulator_bound(weight, bias):
    """Per output channel, a bound on |acc| of a tinyengine kernel for ANY int8 input and zero
    point: |bias| + 256 * sum |w| (|x| <= 128 and |x_zp| <= 128), int64 (Cout,)."""
    w = np.abs(np.asarray(weight, np.int64).reshape(weight.shape[0], -1)).sum(axis=1)
    return np.abs(np.asarray(bias, np.int64)) + 256 * w


def _rounding_offsets(requant):
    """hz = 2^(r-1) + y_zp * 2^r per output channel (r = -shift), int64: te_requant's addend."""
    r = -np.asarray(requant.shift, np.int64)
    return (np.int64(1) << np.maximum(r - 1, 0)) + int(requant.y_zp) * (np.int64(1) << np.maximum(r, 0))


def fused_requant_applies(quant):
    """Is te_requant (simd.h) bit-exact for every accumulator of this op (int8_backend quant):
    every m0 >= 0, every shift <= -1, every |acc| < 2^30 (accumulator_bound) and every
    |2^(r-1) + y_zp 2^r| < 2^30?"""
    rq = quant.requant
    if not ((np.asarray(rq.m0) >= 0).all() and (np.asarray(rq.shift) <= -1).all()):
        return False
    return bool((accumulator_bound(quant.weight, quant.bias) < ACC_LIMIT).all()
                and (np.abs(_rounding_offsets(rq)) < ACC_LIMIT).all())


def channel_records(quant, x_zp):
    """(Cout, 4) int32 per output channel: {2 (bias - x_zp sum(w)), m0, 2^(r-1) + y_zp 2^r,
    r = -shift}, the record the tinyengine kernels read (simd.h te_requant). Raises SpecError
    where the fused requantization does not apply (``fused_requant_applies``)."""
    if not fused_requant_applies(quant):
        raise SpecError("te_requant needs m0 >= 0, shift <= -1, |acc| < 2^30 and a small "
                        "y_zp * 2^-shift for this op")
    rq = quant.requant
    return np.stack([2 * folded_bias(quant.bias, quant.weight, x_zp), np.asarray(rq.m0, np.int32),
                     _rounding_offsets(rq).astype(np.int32),
                     -np.asarray(rq.shift, np.int32)], axis=1).astype(np.int32)


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


def te_dwconv_weights(weight):
    """int8 depthwise weights (C, k, k) -> int16 (C, k, 2 * ceil(k / 2)): per kernel row the tap
    pairs te_dwconv's SMLAD reads (dwconv_te.h), an odd k's last pair (w_{k-1}, 0)."""
    w = np.asarray(weight, np.int16)
    c, k = w.shape[0], w.shape[-1]
    out = np.zeros((c, k, 2 * ((k + 1) // 2)), np.int16)
    out[:, :, :k] = w.reshape(c, k, k)
    return out


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
                "chan": channel_records(quant, x_zp)}
    if layout == "te_conv":  # im2col + the 1x1 micro-kernel: (Cout, Cin * k * k) as a 1x1
        return {**plain, "weight": te_pwconv_weights(quant.weight),
                "chan": channel_records(quant, x_zp)}
    if layout == "te_dwconv":
        return {**plain, "weight": te_dwconv_weights(quant.weight),
                "chan": channel_records(quant, x_zp)}
    raise SpecError(f"unknown constant layout {layout!r}")
