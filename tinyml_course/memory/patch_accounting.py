"""Analytic SRAM and MACs of a patch schedule (MCUNetV2). Every memory figure is in bytes.

The patch stage runs n x n times; while patch (i, j) runs op k, SRAM holds (``exact``, the
arena executor's rule):

- the boundary tensors at full size (the assembled stage output), all stage long;
- the whole input image, if it is held (``stream_input=False``); a streamed image holds only the
  patch's input window, until the stem has read it;
- the windows of this patch's tensors still to be read by a later stage op;
- op k's output window (none when it writes its tile straight into the full-size tensor; one
  (h, w) channel of scratch when it is a depthwise updating its input window in place).

``mcunet`` and ``tinyengine`` apply their input + output rule to the windows (in place: max of the
two for a depthwise; the block input window while a block with a shortcut runs its depthwise),
plus the resident full-size tensors. After the split, every convention counts per layer, with the
depthwise in place (memory.layer_memory). Windows vary from patch to patch (border patches are
clipped), so each figure is an n x n array; a stage op's SRAM is its worst patch.

In a profile, every stage row shows the windows of one patch, the same for all rows (the
*shown patch*: the first one, row-major, where the stage reaches its peak SRAM), and its MACs
summed over all n x n patches (what the schedule executes; the rows' MACs add up to
``network_macs_clipped``). The profile's 'patch' dict names the shown patch and, per stage op, the
MACs of the shown patch alone and the patch its SRAM figure comes from.

MACs: a patch computes every stage op over that op's output window. ``naive`` counts the
receptive fields as if the zero padding were real pixels (every patch computes its full window);
``clipped`` counts the clipped windows (border patches compute less).
"""

from dataclasses import asdict, dataclass

import numpy as np

from ..model.network import can_run_inplace
from ..model.units import bytes_per_element, check_dtype
from .conventions import LayerMemory, get_convention, layer_memory
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


def stage_items(plan, convention="exact", dtype="int8", stream_input=True):
    """Per stage op, dict item -> bytes (an int, or an n x n array over the patches)."""

    net = plan.network
    convention = get_convention(convention)
    nb = bytes_per_element(dtype)
    sizes = _window_sizes(plan)
    resident = {f"{t} (full size)": _numel(net.shape_of(t)) * nb for t in plan.boundary}
    if not stream_input:
        resident["input (full image, held)"] = _numel(net.input_shape) * nb
    last_use, stage_last = plan.last_use, plan.stage_last_use
    block_inputs = {op.block: op.inputs[1] for op in net.ops if op.kind == "add"}
    windows = ["input"] if stream_input else []  # tensors held as a window of this patch
    result = []
    for index, op in enumerate(plan.stage):
        if convention.live_set:
            items = dict(resident)
            items.update({f"{t}[patch]": sizes[t][0] * nb for t in windows
                          if stage_last.get(t, -1) >= index})
            if op.name in plan.direct:
                pass  # writes its tile into the full-size tensor
            elif can_run_inplace(net, index, last_use):  # the patch schedule is in place
                items[f"{op.name}/scratch"] = sizes[op.name][1] * nb
            else:
                items[f"{op.name}[patch]"] = sizes[op.name][0] * nb
        else:
            def window(t):
                held = t == "input" and not stream_input  # counted in ``resident``
                return 0 * sizes[t][0] if held else sizes[t][0] * nb

            x, y = window(op.inputs[0]), 0 * sizes[op.name][0] if op.name in plan.direct \
                else sizes[op.name][0] * nb
            items = {}
            if op.kind in ("conv", "pwconv"):
                items = {f"{op.name}/input[patch]": x, f"{op.name}/output[patch]": y}
            elif op.kind == "dwconv":  # every patch-schedule depthwise counts in place here
                items = {f"{op.name}/input=output[patch] (in place)": np.maximum(x, y)}
            if op.kind == "dwconv" and op.block in block_inputs:
                t = block_inputs[op.block]
                items[f"{t}[patch] (block input, for the shortcut)"] = window(t)
            if items:
                items.update(resident)
        result.append(items)
        if op.name not in plan.direct:
            windows.append(op.name)
    return result


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
               for items in stage_items(plan, convention, dtype, stream_input))


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
    items = stage_items(plan, convention, dtype, stream_input)
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


def patch_layer_memory(network, schedule, convention, dtype):
    """Per-op SRAM of a patch schedule: (layers, extra) for memory.profile.

    layers: one LayerMemory per stage op (see stage_layers: the shown patch's window shapes, SRAM
    at the op's worst patch, macs summed over the patches), then one per op after the split.
    extra: {'patch': {...}}: grid, split, windows, peaks, overheads, the shown patch and, per stage
    op, macs_all_patches (= the layer's macs), macs_shown_patch and sram_patch.
    """
    schedule = as_schedule(schedule)
    dtype = check_dtype(dtype)
    plan = patch_plan(network, schedule.split, schedule.patches)
    stage, _, shown, sram_patches = stage_layers(plan, convention, dtype, schedule.stream_input)
    rest = layer_memory(network, range(plan.split_index + 1, len(network.ops)), convention, dtype,
                        schedule.inplace_depthwise)
    receptive = patch_plan(network, schedule.split, schedule.patches, clip=False)
    n = schedule.patches
    mid = n // 2  # an interior patch (a border one for n <= 2)
    rf = receptive.window(mid, mid, "input")
    tile = max(((b - a) for a, b in plan.row_tiles)), max(((b - a) for a, b in plan.col_tiles))
    windows = [plan.window(i, j, "input") for i, j in plan.patch_order()]
    extra = {"patch": {
        "patches": schedule.patches, "split": plan.split, "stream_input": schedule.stream_input,
        "stage_ops": len(plan.stage), "stage_output_shape": list(network.shape_of(plan.split)),
        "output_tile": list(tile), "input_window": [rf.h, rf.w],
        "input_window_clipped_max": [max(w.h for w in windows), max(w.w for w in windows)],
        "stage_peak_bytes": max(layer.sram_bytes for layer in stage),
        "rest_peak_bytes": max((layer.sram_bytes for layer in rest), default=0),
        "overhead": mac_overhead(network, schedule.split, schedule.patches).to_json(),
        "shown_patch": list(shown),
        "shown_patch_is": "every stage row's input_shape/output_shape are the windows of this "
                          "patch: the first (row-major) where the stage reaches its peak SRAM",
        "stage_layer_macs": f"summed over all {n * n} patches (macs_all_patches); "
                            "rows after the split: computed once",
        "stage_layers": [{"name": op.name, "macs_all_patches": int(grid.sum()),
                          "macs_shown_patch": int(grid[shown]), "sram_patch": list(where)}
                         for op, grid, where in zip(plan.stage, _patch_macs_grid(plan),
                                                    sram_patches)],
    }}
    return stage + rest, extra


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


def table_notes(info):
    """(headings, marks) for MemoryProfile.table of a patch profile; ``info``: its 'patch' dict.

    headings: row index -> a line printed before that row; marks: row index -> text after it.
    """
    n, (i, j), k = info["patches"], info["shown_patch"], info["stage_ops"]
    headings = {0: f"-- patch stage ({n}x{n} = {n * n} patches): shapes of patch ({i},{j}), where "
                   f"the stage peaks;\n   SRAM: each op's worst patch; MACs: summed over all "
                   f"{n * n} patches",
                k: f"-- after {info['split']}: per layer, full-size tensors; MACs computed once"}
    marks = {index: f"  (SRAM: patch ({a},{b}))"
             for index, (a, b) in enumerate(row["sram_patch"] for row in info["stage_layers"])
             if [a, b] != [i, j]}
    return headings, marks
