"""Patch-based execution (MCUNetV2): run the patch stage one spatial patch at a time in the arena.

The windows each patch reads and writes come from ``memory.patch_plan`` (the analysis); this module
runs real tensors through them: per patch, only that patch's windows are live in the arena, the
boundary tensors are assembled at full size, and after the stage the network runs per layer
(``layerwise.run_layers``). A kernel is fed a window of its input so that it computes exactly the
output rows and columns of the patch, with the kernel's own padding at real borders only.
"""

from dataclasses import replace

import numpy as np

from ..memory.patch_plan import Window, patch_plan
from ..model.network import can_run_inplace
from .inplace import depthwise_inplace
from .layerwise import run_layers


def _axis_feed(op, a, b, size, axis):
    """How to feed a kernel so that its outputs j_off .. j_off+(b-a) along ``axis`` (1: rows,
    2: columns) are [a, b).

    Returns (src_lo, src_hi, fill, j_off): the kernel gets ``fill`` filler rows, then input rows
    [src_lo, src_hi). At a border (a*s - p < 0, p the padding before) the kernel's own padding is
    the real padding; at an interior side its padding (and the filler) only touch outputs before
    j_off or after the last one, which we drop. The kernel pads as the backend does (zero point
    for int8), so no pad value is assumed here.
    """
    k, s = op.kernel_hw[axis - 1], op.stride
    p = op.pads[2 * (axis - 1)]  # the padding before: top (rows) or left (columns)
    need_lo, need_hi = a * s - p, (b - 1) * s - p + k
    if need_lo < 0:
        src_lo, fill, j_off = 0, 0, a
    else:
        j_off = -(-p // s)  # ceil(p / s)
        src_lo, fill = need_lo, j_off * s - p
    return src_lo, min(need_hi, size), fill, j_off


def _conv_on_window(backend, op, x, x_win, out_win, out):
    """Compute ``out_win`` of op's output into ``out`` from ``x`` ((C, h, w), covering ``x_win``)."""
    _, in_h, in_w = op.in_shape
    r_lo, r_hi, r_fill, r_off = _axis_feed(op, out_win.r0, out_win.r1, in_h, 1)
    c_lo, c_hi, c_fill, c_off = _axis_feed(op, out_win.c0, out_win.c1, in_w, 2)
    rows = slice(r_lo - x_win.r0, r_hi - x_win.r0)
    cols = slice(c_lo - x_win.c0, c_hi - x_win.c0)
    feed = x[:, rows, cols]  # (C, h', w') view of the window buffer
    if r_fill or c_fill:  # filler rows/cols: they only feed outputs before j_off, which we drop
        feed = np.pad(feed, ((0, 0), (r_fill, 0), (c_fill, 0)))
    fh, fw = feed.shape[-2:]
    oh, ow = op.rule.out_hw(fh, fw, op.kernel, op.stride, op.padding)
    assert oh >= r_off + out_win.h and ow >= c_off + out_win.w, (op.name, out_win, oh, ow)
    local = replace(op, in_shape=(op.in_shape[0], fh, fw), out_shape=(op.out_shape[0], oh, ow))
    exact = (r_off, c_off, oh, ow) == (0, 0, out_win.h, out_win.w)
    target = out if exact else np.empty((op.out_shape[0], oh, ow), dtype=out.dtype)
    backend.run_op(local, [feed], target)
    if not exact:
        out[...] = target[:, r_off:r_off + out_win.h, c_off:c_off + out_win.w]


def run_op_on_window(backend, op, inputs, out_win, out):
    """Run ``op`` for the region ``out_win`` of its output, writing into ``out`` (C, h, w).

    inputs: one (array, Window) per op input: an array holding that window of the tensor.
    """
    if op.kind == "add":
        views = [x[:, out_win.r0 - w.r0:out_win.r1 - w.r0, out_win.c0 - w.c0:out_win.c1 - w.c0]
                 for x, w in inputs]
        shape = (op.out_shape[0], out_win.h, out_win.w)
        backend.run_op(replace(op, in_shape=shape, out_shape=shape), views, out)
    else:
        _conv_on_window(backend, op, inputs[0][0], inputs[0][1], out_win, out)


def execute_patch_based(network, x, backend, schedule, arena):
    """Run ``network`` under a patch schedule inside ``arena``; return the output array.

    Per patch only that patch's windows are live in the arena (plus the full-size boundary
    tensors, plus the whole input image when ``schedule.stream_input`` is False). A streamed
    image stays outside the arena (the camera): each patch copies its input window in. Arena
    trace entries are named 'op[i,j]' for patch (i, j). Backend-agnostic: the stage uses only
    ``backend.dtype``, ``prepare_input`` and ``run_op`` (the per-layer rest: run_layers).
    """

    plan = patch_plan(network, schedule.split, schedule.patches)
    last_use = network.last_use()
    stage_last = plan.stage_last_use
    image = backend.prepare_input(x)  # (C, H, W): the camera's frame, outside the arena
    full = {t: arena.alloc(t, network.shape_of(t), backend.dtype) for t in plan.boundary}
    held = None
    if not schedule.stream_input:
        held = arena.alloc("input", network.input_shape, backend.dtype)
        held.array[...] = image
    whole = Window(0, network.input_shape[1], 0, network.input_shape[2])
    for i, j in plan.patch_order():
        win = plan.windows(i, j)
        tile = plan.tile(i, j)
        live = {}  # tensor -> Buffer of its window, for this patch
        if held is None:
            w = win["input"]
            live["input"] = arena.alloc("input[patch]", (network.input_shape[0], w.h, w.w),
                                        backend.dtype)
            live["input"].array[...] = image[:, w.r0:w.r1, w.c0:w.c1]  # copy from the camera

        def source(t):
            return (held.array, whole) if t == "input" and held is not None else \
                (live[t].array, win[t])

        for index, op in enumerate(plan.stage):
            arena.begin_op(f"{op.name}[{i},{j}]")
            ow = win[op.name]
            if op.name in plan.direct:  # write the tile straight into the full-size tensor
                target = full[op.name].array[:, ow.r0:ow.r1, ow.c0:ow.c1]
                run_op_on_window(backend, op, [source(t) for t in op.inputs], ow, target)
            elif schedule.inplace_depthwise and can_run_inplace(network, index, last_use):
                # all channels in one backend call (numpy is slow channel by channel), kept
                # outside the arena; the arena bytes then move as the in-place kernel moves them
                buf = live.pop(op.inputs[0])
                result = np.empty((op.out_shape[0], ow.h, ow.w), dtype=backend.dtype)
                run_op_on_window(backend, op, [(buf.array, win[op.inputs[0]])], ow, result)
                live[op.name] = depthwise_inplace(
                    arena, buf, (ow.h, ow.w),
                    lambda c, x_c, out_c, result=result: out_c.__setitem__(..., result[c]),
                    op.name)
            else:
                buf = arena.alloc(op.name, (op.out_shape[0], ow.h, ow.w), backend.dtype)
                live[op.name] = buf
                run_op_on_window(backend, op, [source(t) for t in op.inputs], ow, buf.array)
            if op.name in plan.boundary and op.name not in plan.direct:  # keep its tile
                full[op.name].array[:, tile.r0:tile.r1, tile.c0:tile.c1] = live[op.name].array[
                    :, tile.r0 - ow.r0:tile.r1 - ow.r0, tile.c0 - ow.c0:tile.c1 - ow.c0]
            for t in set(op.inputs):
                if stage_last[t] == index and t in live:
                    arena.free(live.pop(t))
            arena.end_op()
        assert not live, f"windows left after patch ({i}, {j}): {sorted(live)}"
    if held is not None:
        arena.free(held)
    tensors = dict(full)
    run_layers(network, plan.split_index + 1, len(network.ops), arena, backend, tensors,
               schedule.inplace_depthwise)
    return backend.finish_output(tensors[network.ops[-1].name].array)
