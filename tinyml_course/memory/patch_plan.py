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
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..errors import SpecError
from ..model.ops import GroupOp
from ..validation import check_scalar


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
    first = network.ops[0]
    if first.kind not in GroupOp.PATCH_STAGE:
        raise SpecError(f"{network.name} has no patch stage: its first op {first.name!r} is a "
                        f"{first.kind}, and a patch stage holds convolutions and adds only "
                        f"(use the per-layer or in-place schedule)")
    for op in network.ops[:index + 1]:
        if op.kind not in GroupOp.PATCH_STAGE:
            raise SpecError(f"a patch stage can hold convolutions and adds only; {op.name!r} is "
                            f"a {op.kind} (split before it)")
    return index


def patch_splits(network):
    """Block names whose ops (and all before them) may form a patch stage: 'block0', ... (empty
    for a network whose first op is no convolution, e.g. a fully connected one)."""
    splits = []
    for b, ops in _facts(network)[1].items():
        end = network.index(ops[-1].name)
        if any(op.kind not in GroupOp.PATCH_STAGE for op in network.ops[:end + 1]):
            break
        splits.append(f"block{b}")
    return splits


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
    check_scalar(n, "the grid (n of n x n patches)", int, min_val=1)
    if n > size:
        raise SpecError(f"a {n}x{n} grid has more patches than the {size}x{size} stage output")
    return tuple((i * size // n, (i + 1) * size // n) for i in range(n))


def input_range(op, start, stop, in_size, clip=True, axis=1):
    """Input rows [lo, hi) that output rows [start, stop) of ``op`` read (one axis: 1 rows,
    2 columns).

    Convolutions: [start*s - p, (stop-1)*s - p + k), k the kernel's size and p the padding
    before (top or left) on that axis; an add reads the same rows it writes.
    clip: cut to [0, in_size) (the rest is zero padding, never stored). start/stop may be
    numpy arrays (one entry per tile).
    """
    if op.kind == "add":
        lo, hi = start, stop
    else:
        k, before = op.kernel_hw[axis - 1], op.pads[2 * (axis - 1)]
        lo = start * op.stride - before
        hi = (stop - 1) * op.stride - before + k
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
            need = input_range(op, lo, hi, network.shape_of(t)[axis], clip, axis)
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
        too_many = [n for n in self.grids if n > min(h, w)]
        if too_many:  # one line naming both sides (a 25 x 5 output takes at most 5 x 5)
            raise SpecError(f"a {too_many[0]}x{too_many[0]} grid has more patches than the "
                            f"{h}x{w} stage output")
        self.stage = network.ops[:index + 1]
        self.starts = np.cumsum((0,) + self.grids)  # (len(grids) + 1,)
        self.row_tiles = [grid_tiles(h, n) for n in self.grids]
        self.rows = axis_windows(network, index, [t for ts in self.row_tiles for t in ts], 1, clip)
        # columns are the rows' mirror only when every map and every kernel and padding is square
        self.square = h == w and network.input_shape[1] == network.input_shape[2] and all(
            op.kernel_hw[0] == op.kernel_hw[1] and op.pads[:2] == op.pads[2:] for op in self.stage)
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
