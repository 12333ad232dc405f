"""Patch-based inference (MCUNetV2): run the first ops on an n x n grid of spatial patches.

The *patch stage* is ops[0 .. split] (``split`` an op name, or a block name such as 'block3'
meaning that block's last op). Its *boundary tensors* (the split op's output, and any stage tensor
an op after the split still reads) are assembled at full size in SRAM; every other stage tensor
only ever exists as the current patch's window. After the stage the network runs per layer.

Windows, derived backwards from a tile of the boundary tensors: a k x k conv with stride s and
padding p computes output rows [a, b) from input rows [a*s - p, (b-1)*s - p + k); a tensor read by
several ops (a block input, read by the expansion and by the residual add) needs the hull of what
they read. Rows and columns are independent, so a patch's window is (rows of its grid row) x
(cols of its grid column). ``clip=True`` cuts windows to the tensor (the zero padding is never
stored); ``clip=False`` keeps the receptive field as if the padding were real pixels (the naive
count, where every patch computes its full window).

Grid: tile i of an n-grid over a size-H axis covers [i*H // n, (i+1)*H // n) (uneven grids work).
"""

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from .errors import SpecError

STAGE_KINDS = ("conv", "dwconv", "pwconv", "add")  # ops a patch stage may hold (spatial, local)


class Window(NamedTuple):
    """Rows [r0, r1) and columns [c0, c1) of a tensor, in its full (H, W) coordinates."""

    r0: int
    r1: int
    c0: int
    c1: int

    @property
    def h(self):
        return self.r1 - self.r0

    @property
    def w(self):
        return self.c1 - self.c0


_FACTS = weakref.WeakKeyDictionary()  # network -> (last_use, blocks): the search asks many times


def _facts(network):
    """(network.last_use(), network.blocks()), computed once per Network object."""
    if network not in _FACTS:
        _FACTS[network] = (network.last_use(), network.blocks())
    return _FACTS[network]


def resolve_split(network, split):
    """Index of the last op of the patch stage. ``split``: op name, or 'block{i}' (its last op)."""
    if isinstance(split, int) and not isinstance(split, bool):
        index = split
    elif isinstance(split, str) and split.startswith("block") and "." not in split:
        blocks = _facts(network)[1]
        ops = blocks.get(int(split[5:]) if split[5:].isdigit() else None)
        if not ops:
            raise SpecError(f"network {network.name!r} has no block {split!r} "
                            f"(blocks are block0 .. block{len(blocks) - 1})")
        index = network.index(ops[-1].name)
    else:
        index = network.index(split)
    if not 0 <= index < len(network.ops):
        raise SpecError(f"split index {index} is outside the network's {len(network.ops)} ops")
    for op in network.ops[:index + 1]:
        if op.kind not in STAGE_KINDS:
            raise SpecError(f"a patch stage can hold convolutions and adds only; {op.name!r} is "
                            f"a {op.kind} (split before it)")
    return index


def boundary_tensors(network, split_index):
    """Stage tensors read after the split (the split op's output always): assembled at full size."""
    last_use = _facts(network)[0]
    names = [op.name for op in network.ops[:split_index + 1]
             if last_use[op.name] > split_index or op.name == network.ops[split_index].name]
    hw = {network.shape_of(t)[1:] for t in names}
    if len(hw) != 1:
        raise SpecError(f"split {network.ops[split_index].name!r} leaves tensors of different "
                        f"sizes {sorted(hw)} to assemble; split at a block end instead")
    return tuple(names)


def grid_tiles(size, n):
    """[start, stop) of the n tiles of a size-long axis: tile i = [i*size // n, (i+1)*size // n)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SpecError(f"the grid must be a positive integer n (n x n patches), got {n!r}")
    if n > size:
        raise SpecError(f"a {n}x{n} grid has more patches than the {size}x{size} stage output")
    return tuple((i * size // n, (i + 1) * size // n) for i in range(n))


def input_range(op, start, stop, in_size, clip=True):
    """Input rows [lo, hi) that output rows [start, stop) of ``op`` read (one axis).

    Convolutions: [start*s - p, (stop-1)*s - p + k); an add reads the same rows it writes.
    clip: cut to [0, in_size) (the rest is zero padding, never stored). start/stop may be
    numpy arrays (one entry per tile).
    """
    if op.kind == "add":
        lo, hi = start, stop
    else:
        lo = start * op.stride - op.padding
        hi = (stop - 1) * op.stride - op.padding + op.kernel
    if clip:
        lo, hi = np.maximum(lo, 0), np.minimum(hi, in_size)
    return lo, hi


def axis_windows(network, split_index, tiles, axis, clip=True):
    """dict tensor -> (lo, hi), two int arrays with one entry per tile (start, stop) on ``axis``.

    axis: 1 (rows, H) or 2 (columns, W). Walks the stage backwards once for all tiles; a tensor's
    range is the hull of the ranges its readers need (and of the tile, for a boundary tensor).
    """
    stage = network.ops[:split_index + 1]
    starts = np.array([a for a, _ in tiles])  # (n,)
    stops = np.array([b for _, b in tiles])  # (n,)
    ranges = {t: (starts, stops) for t in boundary_tensors(network, split_index)}
    for op in reversed(stage):
        if op.name not in ranges:
            continue  # no one needs this op's output (cannot happen in MBConv networks)
        lo, hi = ranges[op.name]
        for t in op.inputs:
            need = input_range(op, lo, hi, network.shape_of(t)[axis], clip)
            if t in ranges:
                need = np.minimum(ranges[t][0], need[0]), np.maximum(ranges[t][1], need[1])
            ranges[t] = need
    return ranges


@dataclass(frozen=True)
class PatchPlan:
    """The windows of every stage tensor for every patch of an n x n grid (see the module doc)."""

    network: object
    split_index: int
    patches: int
    boundary: tuple  # tensors assembled at full size
    direct: frozenset  # boundary tensors no stage op reads: written straight into the full tensor
    row_tiles: tuple  # (start, stop) per grid row, on the boundary tensors
    col_tiles: tuple
    rows: dict  # tensor -> (lo, hi): int arrays, one entry per grid row
    cols: dict  # tensor -> (lo, hi): int arrays, one entry per grid column
    clip: bool
    last_use: dict  # network.last_use()

    @property
    def stage(self):
        return self.network.ops[:self.split_index + 1]

    @property
    def stage_last_use(self):
        """Map tensor -> index of the last stage op that reads it (a window is freed after it)."""
        last = {}
        for index, op in enumerate(self.stage):
            for t in op.inputs:
                last[t] = index
        return last

    @property
    def split(self):
        return self.network.ops[self.split_index].name

    def window(self, i, j, tensor):
        """Window of ``tensor`` for the patch in grid row i, column j."""
        (r0, r1), (c0, c1) = self.rows[tensor], self.cols[tensor]
        return Window(int(r0[i]), int(r1[i]), int(c0[j]), int(c1[j]))

    def windows(self, i, j):
        """dict tensor -> Window for the patch in grid row i, column j."""
        return {t: self.window(i, j, t) for t in self.rows}

    def tile(self, i, j):
        """The patch's tile of the boundary tensors (the part of the stage output it writes)."""
        return Window(*self.row_tiles[i], *self.col_tiles[j])

    def patch_order(self):
        """(i, j) of every patch in execution order (row-major)."""
        return [(i, j) for i in range(self.patches) for j in range(self.patches)]


class PatchPlans(Sequence):
    """The PatchPlan of each n x n grid in ``grids`` over ops[0 .. split], from one backward walk.

    axis_windows treats each tile on its own, so the tiles of every grid go in together: ``rows``
    and ``cols`` map tensor -> (lo, hi) over all grids' tiles side by side (grid k's are
    ``starts[k]`` .. ``starts[k + 1]``). plans[k] slices grid k's PatchPlan out when first asked.
    """

    def __init__(self, network, split, grids, clip=True):
        index = resolve_split(network, split)
        self.network, self.split_index, self.grids, self.clip = network, index, tuple(grids), clip
        self.boundary = boundary_tensors(network, index)
        _, h, w = network.shape_of(self.boundary[0])
        self.stage = network.ops[:index + 1]
        self.starts = np.cumsum((0,) + self.grids)  # (len(grids) + 1,)
        self.row_tiles = [grid_tiles(h, n) for n in self.grids]
        self.rows = axis_windows(network, index, [t for ts in self.row_tiles for t in ts], 1, clip)
        self.square = h == w and network.input_shape[1] == network.input_shape[2]
        self.col_tiles = self.row_tiles if self.square else [grid_tiles(w, n) for n in self.grids]
        self.cols = self.rows if self.square else \
            axis_windows(network, index, [t for ts in self.col_tiles for t in ts], 2, clip)
        read = {t for op in self.stage for t in op.inputs}
        self.direct = frozenset(self.boundary) - read
        self._plans = {}

    def __len__(self):
        return len(self.grids)

    def __getitem__(self, k):
        if not -len(self) <= k < len(self):
            raise IndexError(f"grid {k} of {len(self)}")
        k %= len(self)
        if k not in self._plans:
            a, b = self.starts[k], self.starts[k + 1]
            rows = {t: (lo[a:b], hi[a:b]) for t, (lo, hi) in self.rows.items()}
            cols = rows if self.square else \
                {t: (lo[a:b], hi[a:b]) for t, (lo, hi) in self.cols.items()}
            self._plans[k] = PatchPlan(self.network, self.split_index, self.grids[k], self.boundary,
                                       self.direct, self.row_tiles[k], self.col_tiles[k], rows,
                                       cols, self.clip, _facts(self.network)[0])
        return self._plans[k]


def patch_plans(network, split, grids, clip=True):
    """PatchPlans: the PatchPlan of each n x n grid (n in ``grids``) over ops[0 .. split]."""
    return PatchPlans(network, split, grids, clip)


def patch_plan(network, split, patches, clip=True):
    """The PatchPlan of an n x n grid (n = ``patches``) over ops[0 .. split]."""
    return patch_plans(network, split, (patches,), clip)[0]


def input_window(network, split, patches, i, j, clip=True):
    """Window of the input image that patch (i, j) reads: its receptive field (with clip=False)."""
    return patch_plan(network, split, patches, clip).window(i, j, "input")


# ---------------------------------------------------------------- execution


def _axis_feed(op, a, b, size):
    """How to feed a symmetric-padding kernel so that its outputs j_off .. j_off+(b-a) are [a, b).

    Returns (src_lo, src_hi, fill, j_off): the kernel gets ``fill`` filler rows, then input rows
    [src_lo, src_hi). At a border (a*s - p < 0) the kernel's own padding is the real padding; at
    an interior side its padding (and the filler) only touch outputs before j_off, which we drop.
    The kernel pads as the backend does (zero point for int8), so no pad value is assumed here.
    """
    k, s, p = op.kernel, op.stride, op.padding
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
    r_lo, r_hi, r_fill, r_off = _axis_feed(op, out_win.r0, out_win.r1, in_h)
    c_lo, c_hi, c_fill, c_off = _axis_feed(op, out_win.c0, out_win.c1, in_w)
    rows = slice(r_lo - x_win.r0, r_hi - x_win.r0)
    cols = slice(c_lo - x_win.c0, c_hi - x_win.c0)
    feed = x[:, rows, cols]  # (C, h', w') view of the window buffer
    if r_fill or c_fill:  # filler rows/cols: they only feed outputs before j_off, which we drop
        feed = np.pad(feed, ((0, 0), (r_fill, 0), (c_fill, 0)))
    fh, fw = feed.shape[-2:]
    oh = (fh + 2 * op.padding - op.kernel) // op.stride + 1
    ow = (fw + 2 * op.padding - op.kernel) // op.stride + 1
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
    from .executor import can_run_inplace, run_layers
    from .inplace import depthwise_inplace

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

