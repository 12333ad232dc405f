"""What a patch-schedule profile reports beyond its rows: ``PatchSummary`` (MemoryProfile.patch).

Every memory figure is in bytes; shapes are (C, H, W) or (H, W) as named; patch (i, j) is grid
row i, column j. ``patch_layer_memory`` builds the rows and the summary for memory.profile.
"""

from dataclasses import asdict, dataclass

from ..model.units import check_dtype
from .live_set import layer_memory
from .patch_accounting import MacOverhead, _patch_macs_grid, mac_overhead, stage_layers
from .patch_plan import patch_plan
from .schedule import as_schedule


@dataclass(frozen=True)
class StageOpPatches:
    """One stage op of a patch profile: its MACs over all patches and for the shown patch, and
    the patch its SRAM figure comes from (its worst)."""

    name: str
    macs_all_patches: int  # = the profile row's macs
    macs_shown_patch: int
    sram_patch: tuple  # (i, j)


@dataclass(frozen=True)
class PatchSummary:
    """The patch stage of a profile: grid, split, windows, peaks, MAC overhead, shown patch.

    Every stage row's input_shape/output_shape are the windows of ``shown_patch``: the first
    patch (row-major) where the stage reaches its peak SRAM. Stage rows' MACs are summed over
    all patches; rows after the split are computed once.
    """

    patches: int  # n of the n x n grid
    split: str  # the stage's last op
    stream_input: bool  # the camera streams the input patch by patch (False: held whole)
    stage_ops: int  # ops in the stage: the profile's first ``stage_ops`` rows
    stage_output_shape: tuple  # (C, H, W) of the split op's output, assembled at full size
    output_tile: tuple  # (h, w): the largest tile a patch writes of it
    input_window: tuple  # (h, w): an interior patch's receptive field on the input image
    input_window_clipped_max: tuple  # (h, w): the largest input window actually read
    stage_peak_bytes: int
    rest_peak_bytes: int  # peak of the ops after the split (0 if none)
    overhead: MacOverhead
    shown_patch: tuple  # (i, j)
    stage_layers: tuple  # StageOpPatches per stage op

    def to_json(self):
        """The JSON form (the CLI's 'patch' object): lists for tuples, plus two lines of prose
        that say what the shown patch and the stage rows' MACs are."""
        n = self.patches
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        out["overhead"] = self.overhead.to_json()
        out["shown_patch_is"] = ("every stage row's input_shape/output_shape are the windows of "
                                 "this patch: the first (row-major) where the stage reaches its "
                                 "peak SRAM")
        out["stage_layer_macs"] = (f"summed over all {n * n} patches (macs_all_patches); "
                                   "rows after the split: computed once")
        out["stage_layers"] = [{**asdict(s), "sram_patch": list(s.sram_patch)}
                               for s in self.stage_layers]
        return out

    def table_notes(self):
        """(headings, marks) for MemoryProfile.table: row index -> a line printed before that
        row; row index -> text after it (a stage row whose SRAM comes from another patch)."""
        n, (i, j), k = self.patches, self.shown_patch, self.stage_ops
        headings = {0: f"-- patch stage ({n}x{n} = {n * n} patches): shapes of patch ({i},{j}), "
                       f"where the stage peaks;\n   SRAM: each op's worst patch; MACs: summed "
                       f"over all {n * n} patches",
                    k: f"-- after {self.split}: per layer, full-size tensors; MACs computed once"}
        marks = {index: f"  (SRAM: patch ({a},{b}))"
                 for index, (a, b) in enumerate(s.sram_patch for s in self.stage_layers)
                 if (a, b) != (i, j)}
        return headings, marks


def patch_layer_memory(network, schedule, convention, dtype):
    """Per-op SRAM of a patch schedule: (layers, PatchSummary) for memory.profile.

    layers: one LayerMemory per stage op (see stage_layers: the shown patch's window shapes, SRAM
    at the op's worst patch, macs summed over the patches), then one per op after the split.
    """
    schedule = as_schedule(schedule)
    dtype = check_dtype(dtype)
    plan = patch_plan(network, schedule.split, schedule.patches)
    stage, _, shown, sram_patches = stage_layers(plan, convention, dtype, schedule.stream_input)
    rest = layer_memory(network, range(plan.split_index + 1, len(network.ops)), convention, dtype,
                        schedule.inplace_depthwise)
    receptive = patch_plan(network, schedule.split, schedule.patches, clip=False)
    mid = schedule.patches // 2  # an interior patch (a border one for n <= 2)
    rf = receptive.window(mid, mid, "input")
    tile = max(b - a for a, b in plan.row_tiles), max(b - a for a, b in plan.col_tiles)
    windows = [plan.window(i, j, "input") for i, j in plan.patch_order()]
    summary = PatchSummary(
        schedule.patches, plan.split, schedule.stream_input, len(plan.stage),
        tuple(network.shape_of(plan.split)), tile, (rf.h, rf.w),
        (max(w.h for w in windows), max(w.w for w in windows)),
        max(layer.sram_bytes for layer in stage),
        max((layer.sram_bytes for layer in rest), default=0),
        mac_overhead(network, schedule.split, schedule.patches), tuple(shown),
        tuple(StageOpPatches(op.name, int(grid.sum()), int(grid[shown]), tuple(where))
              for op, grid, where in zip(plan.stage, _patch_macs_grid(plan), sram_patches)))
    return stage + rest, summary
