"""The MLPerf Tiny reference models (``model.mlperf``) deployed to the emulated boards of the MLPerf
Tiny results (``model.mlperf_results.MLPERF_DEVICES``), under every schedule.

``measure(name, device)`` builds and runs the model once per schedule (per-layer, in place, and a
patch plan where one helps: ``patch_choice``), each bit-exact against the package's int8 path,
and records the linked arena beside the planner's peak; the in-place run is counted per layer for
the latency ESTIMATE (``deploy.deploy``: exact instruction counts x ``cost``'s cycle table), and
``latency.predict`` (the calibrated model, no emulation) is asked for the same deployment.
Weights and input are generated (He-initialised, seed 0: ``deploy.int8_model``), so the memory
and instruction figures are the trained models' (same shapes), the outputs are not.
"""

from dataclasses import dataclass, field

from ..errors import SpecError
from ..memory.accounting import profile
from ..memory.patch_accounting import mac_overhead
from ..memory.patch_plan import patch_splits, resolve_split
from ..memory.schedule import Schedule
from ..model.devices import get_device
from ..model.zoo import get_network
from . import latency
from .deploy import deploy, int8_model

INT8 = "int8"
EXACT = "exact"  # the planner convention the C arena is sized by (deploy.program)
PATCH_MAC_LIMIT = 1.25  # a patch plan is used when it executes at most 1.25x the network's MACs
MAX_GRID = 8  # grids tried: n x n, n = 2 .. MAX_GRID (at most the stage output's rows and columns)
LATENCY_SCHEDULE = "in-place"  # the schedule whose latency the report estimates


@dataclass(frozen=True)
class PatchChoice:
    """A patch plan: the stage up to ``split`` on ``patches`` x ``patches``; its peak (bytes,
    exact convention, int8) and its executed MACs (the recomputed overlaps included)."""

    split: str
    patches: int
    peak_bytes: int
    executed_macs: int

    @property
    def schedule(self):
        return Schedule("patch", self.patches, self.split)


def patch_choice(network, mac_limit=PATCH_MAC_LIMIT):
    """The patch plan of ``network`` with the lowest peak SRAM below the in-place peak among those
    executing at most ``mac_limit`` x its MACs (ties: fewer MACs), over every block split and
    n x n grid (n = 2 .. MAX_GRID); None when no plan helps (or the network has no patch stage)."""
    in_place = profile(network, "in-place", EXACT, INT8).peak_sram_bytes
    best = None
    for split in patch_splits(network):
        _, rows, cols = network.shape_of(network.ops[resolve_split(network, split)].name)
        for n in range(2, min(MAX_GRID, rows, cols) + 1):  # at most one patch per row and column
            macs = mac_overhead(network, split, n).network_macs_clipped
            if macs > mac_limit * network.macs:
                continue
            peak = profile(network, "patch", EXACT, INT8, patches=n, split=split).peak_sram_bytes
            if peak < in_place and (best is None or (peak, macs) < (best.peak_bytes,
                                                                    best.executed_macs)):
                best = PatchChoice(split, n, int(peak), int(macs))
    return best


def mlperf_schedules(network):
    """[per-layer, in-place] and the ``patch_choice`` plan where there is one (Schedules)."""
    choice = patch_choice(network)
    return [Schedule("per-layer"), Schedule("in-place")] + ([choice.schedule] if choice else [])


@dataclass
class ScheduleRun:
    """One deployment of a model under ``schedule``: bytes from the planner, the ELF and the run."""

    schedule: Schedule
    planned_bytes: int  # memory.profile(..., 'exact', 'int8') peak
    arena_bytes: int  # the tm_arena symbol in the linked ELF
    sram_bytes: int  # linker .data + .bss + the stack's measured high-water mark
    flash_bytes: int  # linker .text + .rodata + .data
    bit_exact: bool  # the emulated output equals the package's int8 path, byte for byte
    executed_macs: int  # the network's MACs, plus a patch stage's recomputed overlaps


@dataclass
class MlperfRow:
    """One model on one device: every schedule's deployment and the in-place latency ESTIMATE."""

    model: str
    device: str
    runs: list = field(default_factory=list)  # ScheduleRun per mlperf_schedules entry
    macs: int = 0
    instructions: int | None = None  # executed, in place (emulator, exact)
    estimated_ms: float | None = None  # ESTIMATE: deploy's cost table at the device's clock
    predicted_ms: float | None = None  # ESTIMATE: latency.predict (None: it refused)
    predict_refusal: str | None = None  # latency.predict's one line when it refused
    kind_instructions: dict = field(default_factory=dict)  # op kind -> instructions, in place
    kind_macs: dict = field(default_factory=dict)  # op kind -> MACs
    peak_layer: str = ""  # where the in-place peak is (memory.profile)
    peak_op_kind: str = ""
    tflm: object = None  # tflm_arena.TflmArena of the same int8 model (the report fills it)

    def run(self, kind):
        """The ScheduleRun of schedule kind ``kind`` ('per-layer', 'in-place', 'patch'), or None."""
        return next((r for r in self.runs if r.schedule.kind == kind), None)


def _executed_macs(network, schedule):
    if schedule.kind != "patch":
        return network.macs
    return mac_overhead(network, schedule.split, schedule.patches).network_macs_clipped


def measure(name, device):
    """The MlperfRow of MLPerf Tiny model ``name`` (a zoo name, 'mlperf-*') on ``device``.

    Raises UnknownNameError for an unknown device or model, DoesNotFitError if it does not fit.
    """
    device = get_device(device)
    network = get_network(name)
    model, image = int8_model(network)
    row = MlperfRow(name, device.name, macs=network.macs)
    in_place_profile = profile(network, LATENCY_SCHEDULE, EXACT, INT8)
    row.peak_layer = in_place_profile.peak_layer.name
    row.peak_op_kind = network.ops[network.index(row.peak_layer)].kind
    for schedule in mlperf_schedules(network):
        counted = schedule.kind == LATENCY_SCHEDULE
        result = deploy(model, image, device, schedule, count=counted)
        row.runs.append(ScheduleRun(schedule, result.planned_arena_bytes, result.arena_bytes,
                                    result.sram_bytes, result.flash_bytes, result.bit_exact,
                                    _executed_macs(network, schedule)))
        if counted:
            row.instructions, row.estimated_ms = result.instructions, result.estimated_ms
            for layer in result.layers[1:]:  # label 0 is the input copy
                kind = network.ops[network.index(layer["name"])].kind
                count = layer["instructions"]
                row.kind_instructions[kind] = row.kind_instructions.get(kind, 0) + count
    for op in network.ops:
        row.kind_macs[op.kind] = row.kind_macs.get(op.kind, 0) + op.macs
    try:
        row.predicted_ms = latency.predict(network, LATENCY_SCHEDULE, device).ms
    except SpecError as err:
        row.predict_refusal = str(err)
    return row
