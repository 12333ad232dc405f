"""Analytic SRAM and MACs of a patch schedule (MCUNetV2). Every memory figure is in bytes.

The rules are the conventions' own (``Convention.held``); this module only walks the stage's
windows (``patch_views``: sizes are n x n arrays, one entry per patch). The patch stage runs
n x n times; while patch (i, j) runs op k, SRAM holds (``exact``, the arena executor's rule):

- the boundary tensors at full size (the assembled stage output), all stage long;
- the whole input image, if it is held (``stream_input=False``); a streamed image holds only the
  patch's input window, until the stem has read it;
- the windows of this patch's tensors still to be read by a later stage op;
- op k's output window (none when it writes its tile straight into the full-size tensor; one
  (h, w) channel of scratch when it is a depthwise updating its input window in place).

``mcunet`` and ``tinyengine`` apply their input + output rule to the windows (in place: max of the
two for a depthwise; the block input window while a block with a shortcut runs its depthwise),
plus the resident full-size tensors. After the split, every convention counts per layer, with the
depthwise in place (live_set.layer_memory). Windows vary from patch to patch (border patches are
clipped), so each figure is an n x n array; a stage op's SRAM is its worst patch.

In a profile, every stage row shows the windows of one patch, the same for all rows (the
*shown patch*: the first one, row-major, where the stage reaches its peak SRAM), and its MACs
summed over all n x n patches (what the schedule executes; the rows' MACs add up to
``network_macs_clipped``). The profile's PatchSummary (patch_summary.py) names the shown patch
and, per stage op, the MACs of the shown patch alone and the patch its SRAM figure comes from.

MACs: a patch computes every stage op over that op's output window. ``naive`` counts the
receptive fields as if the zero padding were real pixels (every patch computes its full window);
``clipped`` counts the clipped windows (border patches compute less).
"""

from dataclasses import asdict, dataclass

import numpy as np

from ..model.units import bytes_per_element, check_dtype
from .conventions import OpView, get_convention
from .live_set import LayerMemory, layer_memory, live_tensors
from .patch_plan import patch_plan
from .schedule import as_schedule


def _window_sizes(plan):
    """tensor -> (elements, pixels): n x n arrays of C*h*w and h*w of its window per patch."""
    out = {}
    for t, (lo, hi) in plan.rows.items():
        h = hi - lo  # (n,) rows of the window per grid row
        w = plan.cols[t][1] - plan.cols[t][0]  # (n,) columns per grid column
        pixels = h[:, None] * w[None, :]  # (n, n)
        out[t] = (plan.network.shape_of(t)[0] * pixels, pixels)
    return out


def _numel(shape):
    return int(np.prod(shape))


def patch_views(plan, stream_input=True):
    """Yield the OpView of each stage op of ``plan``: sizes are n x n arrays (elements per patch).

    The stage's live set is live_set.live_tensors over the stage's own last uses and the window
    sizes; the boundary tensors (and a held input image) are ``resident`` at full size, so their
    windows are not tracked when no stage op reads them (``plan.direct``). Every depthwise of a
    patch stage runs in place when it may (the patch schedule is in place).
    """
    net = plan.network
    sizes = _window_sizes(plan)
    resident = {t: _numel(net.shape_of(t)) for t in plan.boundary}
    if not stream_input:
        resident["input"] = _numel(net.input_shape)
    stage_last = plan.stage_last_use
    last = {t: stage_last.get(t, -1) for t in ["input"] + [op.name for op in plan.stage]}

    held_full = set(plan.direct) | (set() if stream_input else {"input"})
    windows = {t: elements for t, (elements, _) in sizes.items() if t not in held_full}

    def own(t):  # what an op counts for its own input or output window (0: it is resident)
        return windows.get(t, 0)

    shortcuts = {op.block: op.inputs[1] for op in net.ops if op.kind == "add"}
    for index, live in live_tensors(net, range(len(plan.stage)), last, windows):
        op = plan.stage[index]
        shortcut = shortcuts.get(op.block) if op.block is not None else None
        yield OpView(op, live, resident, own(op.inputs[0]), own(op.name), sizes[op.name][1],
                     shortcut, own(shortcut) if shortcut else 0, True,
                     plan.last_use[op.inputs[0]] == index, op.name in plan.direct)


_STAGE_MEASUREMENTS = [0]  # stage_held calls so far in this process


def stage_measurements():
    """How many patch-stage SRAM measurements (``stage_held`` calls: behind memory.profile(...,
    "patch") and the patch search) this process has made; the patch-plan challenge's probe
    counts a chooser's measurements by the difference."""
    return _STAGE_MEASUREMENTS[0]


def stage_held(plan, convention="exact", dtype="int8", stream_input=True):
    """Per stage op, dict 'layer/tensor' -> bytes (an int, or an n x n array over the patches):
    Convention.held of each patch_views view. Counted by ``stage_measurements``."""
    _STAGE_MEASUREMENTS[0] += 1
    convention = get_convention(convention)
    nb = bytes_per_element(check_dtype(dtype))
    return [{k: v * nb for k, v in convention.held(view).items()}
            for view in patch_views(plan, stream_input)]


def _total(items, n):
    total = np.zeros((n, n), dtype=np.int64)
    for value in items.values():
        total = total + value
    return total


@dataclass(frozen=True)
class MacOverhead:
    """MACs of a patch schedule against computing every op once (per-layer)."""

    stage_macs: int  # the patch stage computed once
    stage_macs_clipped: int  # n x n patches, border windows clipped
    stage_macs_naive: int  # n x n patches, every patch its full (unclipped) window
    network_macs: int  # the whole network computed once
    network_macs_clipped: int
    network_macs_naive: int

    @property
    def stage_overhead(self):
        """Extra MACs of the patch stage with clipping, as a fraction (0.42 = +42%)."""
        return self.stage_macs_clipped / self.stage_macs - 1

    @property
    def stage_overhead_naive(self):
        return self.stage_macs_naive / self.stage_macs - 1

    @property
    def network_overhead(self):
        return self.network_macs_clipped / self.network_macs - 1

    @property
    def network_overhead_naive(self):
        return self.network_macs_naive / self.network_macs - 1

    def to_json(self):
        return {**asdict(self), "stage_overhead": self.stage_overhead,
                "stage_overhead_naive": self.stage_overhead_naive,
                "network_overhead": self.network_overhead,
                "network_overhead_naive": self.network_overhead_naive}


def _macs_per_pixel(op):
    """MACs of one output pixel (all channels) of a stage op: a patch spends it per window pixel."""
    return op.macs // (op.out_shape[1] * op.out_shape[2])


def _patch_macs_grid(plan):
    """Per stage op, an n x n array: the MACs patch (i, j) spends on that op (its output window)."""
    sizes = _window_sizes(plan)
    return [_macs_per_pixel(op) * sizes[op.name][1] for op in plan.stage]


def grid_stage_macs(plans):
    """Stage MACs of each grid of a patch.PatchPlans: sum(_patch_macs(plans[k])) for every k at once.

    Per op: MACs per output pixel x (rows of its windows summed over the grid rows) x (columns
    summed over the grid columns), since patch (i, j)'s window is rows i x columns j.
    """
    if not len(plans):
        return []
    starts = plans.starts[:-1]
    per_pixel = np.array([_macs_per_pixel(op) for op in plans.stage])
    heights = np.add.reduceat([plans.rows[op.name][1] - plans.rows[op.name][0]
                               for op in plans.stage], starts, axis=1)  # (ops, grids)
    widths = heights if plans.square else \
        np.add.reduceat([plans.cols[op.name][1] - plans.cols[op.name][0] for op in plans.stage],
                        starts, axis=1)
    return [int(m) for m in (per_pixel[:, None] * heights * widths).sum(axis=0)]


def _patch_macs(plan):
    """MACs of the stage run patch by patch over ``plan``'s windows (per op, summed over patches)."""
    return [int(grid.sum()) for grid in _patch_macs_grid(plan)]


def executed_macs(plan):
    """MACs the whole network executes with ``plan``'s patch stage: the stage patch by patch
    (overlap included), every op after the split once."""
    return plan.network.macs - sum(op.macs for op in plan.stage) + sum(_patch_macs(plan))


def mac_overhead(network, split, patches):
    """MacOverhead of an n x n patch stage up to ``split`` (op or block name)."""
    clipped = patch_plan(network, split, patches)
    naive = patch_plan(network, split, patches, clip=False)
    stage = sum(op.macs for op in clipped.stage)
    rest = network.macs - stage
    c, nv = sum(_patch_macs(clipped)), sum(_patch_macs(naive))
    return MacOverhead(stage, c, nv, network.macs, rest + c, rest + nv)


def stage_peak_bytes(plan, convention="exact", dtype="int8", stream_input=True):
    """Peak SRAM (bytes) of the patch stage alone: its worst op at its worst patch."""
    return max(int(_total(items, plan.patches).max())
               for items in stage_held(plan, convention, dtype, stream_input))


def shown_patch(totals):
    """(i, j) of the first patch (row-major) where some stage op reaches the stage's peak SRAM."""
    peak = max(int(t.max()) for t in totals)
    n = totals[0].shape[0]
    return next((i, j) for i in range(n) for j in range(n) if any(t[i, j] == peak for t in totals))


def stage_layers(plan, convention="exact", dtype="int8", stream_input=True):
    """(layers, totals, shown, sram_patches) of a patch stage.

    layers: a LayerMemory per stage op: the shapes of the windows of the ``shown`` patch (the same
    patch for every op, see shown_patch), SRAM and breakdown at the op's worst patch
    (``sram_patches``: the shown one when it is among the worst), macs summed over the patches.
    totals: the n x n SRAM per op.
    """
    n = plan.patches
    items = stage_held(plan, convention, dtype, stream_input)
    totals = [_total(op_items, n) for op_items in items]
    shown = shown_patch(totals)
    macs = _patch_macs(plan)
    layers, sram_patches = [], []
    for op, op_items, total, op_macs in zip(plan.stage, items, totals, macs):
        worst = shown if total[shown] == total.max() else \
            tuple(int(k) for k in np.unravel_index(int(np.argmax(total)), total.shape))
        xw, yw = plan.window(*shown, op.inputs[0]), plan.window(*shown, op.name)
        breakdown = {k: int(np.broadcast_to(v, (n, n))[worst]) for k, v in op_items.items()}
        layers.append(LayerMemory(op.name, op.kind, (op.in_shape[0], xw.h, xw.w),
                                  (op.out_shape[0], yw.h, yw.w), int(total[worst]), op_macs,
                                  breakdown))
        sram_patches.append(worst)
    return layers, totals, shown, sram_patches


def patch_trace(network, schedule, dtype="float32"):
    """The arena trace a patch-schedule run must produce: [(name, bytes)] in execution order.

    Stage entries are 'op[i,j]' for patch (i, j), patches row-major; then one entry per op after
    the split (exact convention, the executor's rule).
    """
    schedule = as_schedule(schedule)
    plan = patch_plan(network, schedule.split, schedule.patches)
    _, totals, _, _ = stage_layers(plan, "exact", dtype, schedule.stream_input)
    trace = [(f"{op.name}[{i},{j}]", int(total[i, j]))
             for i, j in plan.patch_order() for op, total in zip(plan.stage, totals)]
    rest = layer_memory(network, range(plan.split_index + 1, len(network.ops)), "exact", dtype,
                        schedule.inplace_depthwise)
    return trace + [(layer.name, layer.sram_bytes) for layer in rest]
