"""TinyNAS-style co-design: search architectures x schedules under a device's SRAM and Flash.

    for arch in sample(space):                       # width, resolution, kernels, expands, depths
        for schedule in cheapest_first(arch):        # per-layer, in-place, patch n x n at a split
            if fits(arch, schedule, device): keep (arch, schedule); break
    best = max(kept, key=objective)

Objective (documented, one number): the architecture's MACs, the capacity proxy the MCUNet paper
argues for (within one search space, more MACs that fit -> higher accuracy), optionally under a
budget ``max_macs`` on the MACs actually executed (patch overhead included; a latency proxy).
"Cheapest schedule": the fewest executed MACs, then the simplest (per-layer before in-place before
patch); among patch schedules the one with the least overlap overhead that fits.

Everything is analytic (memory.live_set.layer_sram, memory.patch_accounting), int8, in bytes; an
architecture's per-layer and in-place peaks come from one live-set walk and are reused by every
patch schedule (the part after the split of a patch schedule is the in-place per-layer profile).
Seeded, reproducible; a tqdm bar on request.

``evaluate`` reads as the loop above (``patch_tried`` plans one grid at a time). The search runs the
fast path, ``fast_search.fast_patch_tried`` (one window walk per split for every grid, splits that
cannot fit skipped): it must give the same Candidates, and tests/test_search.py checks that it does.
"""

import json
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..memory.accounting import totals
from ..memory.conventions import get_convention
from ..memory.live_set import layer_sram
from ..memory.patch_accounting import executed_macs, stage_peak_bytes
from ..memory.patch_plan import patch_plan, resolve_split
from ..memory.schedule import Schedule
from ..model.devices import get_device
from ..model.network import build_network
from ..model.units import check_dtype
from ..model.zoo import make_divisible
from .fast_search import fast_patch_tried
from .tried import Tried

# ---- the default search space (MobileNetV2 stages; MCUNet's width/resolution/kernel/expand/depth)
WIDTHS = (0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)  # channel multipliers
RESOLUTIONS = tuple(range(96, 240, 16))  # input pixels: 96 .. 224
KERNELS = (3, 5, 7)  # depthwise kernel of each block
EXPANDS = (3, 4, 6)  # expansion ratio of each block
DEPTHS = (2, 3, 4)  # blocks per stage
STAGES = ((24, 2), (32, 2), (64, 2), (96, 1), (160, 2))  # (out channels at width 1, first stride)
GRIDS = (2, 3, 4)  # n of the n x n patch grids tried
SPLIT_STRIDES = (4, 8, 16)  # patch stages end at the last block with this output stride
CLASSES = 1000  # ImageNet head, as the papers' models


@dataclass(frozen=True)
class SearchSpace:
    """The choices ``sample_spec`` draws from (defaults: the module constants above)."""

    widths: tuple = WIDTHS
    resolutions: tuple = RESOLUTIONS
    kernels: tuple = KERNELS
    expands: tuple = EXPANDS
    depths: tuple = DEPTHS
    stages: tuple = STAGES
    grids: tuple = GRIDS
    split_strides: tuple = SPLIT_STRIDES
    classes: int = CLASSES


def sample_spec(rng, space=SearchSpace()):
    """Draw one MBConv spec from ``space`` with the numpy Generator ``rng``."""
    def pick(options):
        return options[int(rng.integers(len(options)))]

    width, resolution = pick(space.widths), pick(space.resolutions)
    blocks = [{"kernel": 3, "expand": 1, "out": make_divisible(16 * width), "stride": 1}]
    for out, stride in space.stages:
        for d in range(pick(space.depths)):
            blocks.append({"kernel": pick(space.kernels), "expand": pick(space.expands),
                           "out": make_divisible(out * width), "stride": stride if d == 0 else 1})
    blocks.append({"kernel": pick(space.kernels), "expand": pick(space.expands),
                   "out": make_divisible(320 * width), "stride": 1})
    return {"name": f"w{width:g}-r{resolution}", "resolution": resolution, "input_channels": 3,
            "stem": {"kernel": 3, "stride": 2, "out": make_divisible(32 * width)},
            "blocks": blocks, "feature_mix": None,  # no 1x1 feature mix, as the MCUNet models
            "classes": space.classes, "width": width}


@dataclass
class Candidate:
    """One architecture and the cheapest schedule that fits (schedule None: nothing fits)."""

    index: int
    name: str
    width: float
    resolution: int
    depth: int  # number of blocks
    macs: int  # the architecture computed once
    params: int
    flash_bytes: int
    schedule: Schedule | None  # str(): 'per-layer', 'in-place', 'patch 3x3 up to block5.add'; None
    kind: str  # 'per-layer', 'in-place', 'patch' or 'none'
    peak_sram_bytes: int  # of that schedule; of the lowest-peak schedule tried when none fits
    executed_macs: int  # MACs the chosen schedule runs (patch overlap included)
    flash_fits: bool
    spec: dict = field(repr=False)

    @property
    def fits(self):
        return self.schedule is not None

    def to_json(self):
        """A JSON-ready dict; the schedule as its string (None when nothing fits)."""
        out = {**asdict(self), "fits": self.fits}
        out["schedule"] = None if self.schedule is None else str(self.schedule)
        return out


def split_blocks(network, strides=SPLIT_STRIDES):
    """Sensible patch splits: the last block at each output stride in ``strides``."""
    res = network.input_shape[1]
    last = {}
    for b, ops in network.blocks().items():
        stride = res // ops[-1].out_shape[1]
        if stride in strides:
            last[stride] = b
    return [f"block{b}" for _, b in sorted(last.items())]


def evaluate(spec, device, index=0, convention="exact", dtype="int8", grids=GRIDS,
             split_strides=SPLIT_STRIDES, fast=True):
    """The Candidate of ``spec`` on ``device``: its cheapest fitting schedule (see module doc).

    Tries per-layer and in-place, then (when neither fits SRAM and the weights fit Flash) the
    patch schedules cheapest first (patch_tried; fast=True: the same through the fast path,
    fast_search.fast_patch_tried). Nothing fits: the Candidate reports the lowest peak tried.
    """
    device = get_device(device)
    dtype = check_dtype(dtype)
    convention = get_convention(convention)
    net = build_network(spec)
    flash, macs, params = totals(net, dtype)
    base = dict(index=index, name=spec.get("name", "custom"), width=spec.get("width", 1.0),
                resolution=net.input_shape[1], depth=len(net.blocks()), macs=macs,
                params=params, flash_bytes=flash, spec=spec)
    sram = device.sram_bytes
    flash_fits = flash <= device.flash_bytes
    per_layer, in_place = layer_sram(net, range(len(net.ops)), convention, dtype)
    tried = [Tried(max(per_layer), macs, Schedule("per-layer")),
             Tried(max(in_place), macs, Schedule("in-place"))]
    if flash_fits and min(t.peak_sram_bytes for t in tried) > sram:
        if fast:
            tried += fast_patch_tried(net, in_place, sram, convention, dtype, grids,
                                      split_blocks(net, split_strides), min(tried, key=Tried.order))
        else:
            tried += patch_tried(net, in_place, sram, convention, dtype, grids, split_strides)
    fitting = [t for t in tried if t.peak_sram_bytes <= sram] if flash_fits else []
    if fitting:  # the fewest executed MACs; min() is stable: the simplest schedule first
        peak, executed, schedule = min(fitting, key=lambda t: t.executed_macs)
        kind = schedule.kind
    else:  # report the lowest peak tried, so a plot can place it
        peak, executed, _ = min(tried, key=Tried.order)
        schedule, kind = None, "none"
    return Candidate(**base, schedule=schedule, kind=kind, peak_sram_bytes=peak,
                     executed_macs=executed, flash_fits=flash_fits)


def patch_schedules(net, grids=GRIDS, split_strides=SPLIT_STRIDES):
    """The patch schedules the search may try on ``net``: every n in ``grids`` at every split of
    split_blocks (up to the split block's last op), skipping grids finer than the split output."""
    schedules = []
    for split in split_blocks(net, split_strides):
        last = net.ops[resolve_split(net, split)]
        schedules += [Schedule("patch", n, last.name) for n in grids if n <= last.out_shape[1]]
    return schedules


def patch_tried(net, in_place, sram, convention="exact", dtype="int8", grids=GRIDS,
                split_strides=SPLIT_STRIDES):
    """The patch schedules tried, cheapest first, up to the first that fits ``sram`` (bytes).

    Cheapest: the fewest executed MACs (overlap included), then the smaller grid, then split
    order. A patch schedule's peak is the larger of its stage's peak (worst op, worst patch) and
    the in-place peak of the ops after the split (``in_place``: the in-place SRAM per op).
    Returns a list of Tried (all of them when none fits).
    """
    plans = {s: patch_plan(net, s.split, s.patches) for s in patch_schedules(net, grids,
                                                                              split_strides)}
    tried = []
    for schedule in sorted(plans, key=lambda s: (executed_macs(plans[s]), s.patches)):
        plan = plans[schedule]
        rest_peak = max(in_place[plan.split_index + 1:], default=0)
        peak = max(stage_peak_bytes(plan, convention, dtype), rest_peak)
        tried.append(Tried(peak, executed_macs(plan), schedule))
        if peak <= sram:
            break
    return tried


@dataclass
class SearchResult:
    """All candidates (in sampling order), the best one, and how long the search took."""

    device: str
    seed: int
    sram_limit: int  # bytes
    flash_limit: int  # bytes
    objective: str
    candidates: list
    best: Candidate | None
    seconds: float

    @property
    def candidates_per_second(self):
        return len(self.candidates) / self.seconds if self.seconds else float("inf")

    def to_json(self, with_candidates=False):
        out = {"device": self.device, "seed": self.seed, "sram_limit": self.sram_limit,
               "flash_limit": self.flash_limit, "objective": self.objective,
               "candidates": len(self.candidates),
               "fitting": sum(c.fits for c in self.candidates),
               "by_schedule": {k: sum(c.kind == k for c in self.candidates)
                               for k in ("per-layer", "in-place", "patch", "none")},
               "best": self.best.to_json() if self.best else None,
               "seconds": round(self.seconds, 3)}
        if with_candidates:
            out["all"] = [c.to_json() for c in self.candidates]
        return out

    def summary(self):
        """A few readable lines: limits, counts by schedule, the best architecture."""
        j = self.to_json()
        lines = [f"search on {self.device} (SRAM {self.sram_limit // 1024} KiB, Flash "
                 f"{self.flash_limit // 1024} KiB), seed {self.seed}: {j['candidates']} "
                 f"candidate{'s' if j['candidates'] != 1 else ''} in {self.seconds:.1f} s, "
                 f"{j['fitting']} fit "
                 f"({', '.join(f'{k} {v}' for k, v in j['by_schedule'].items())})",
                 f"objective: {self.objective}"]
        if self.best:
            b = self.best
            lines.append(f"best: {b.name}, {b.depth} blocks, {b.macs / 1e6:.1f}M MACs "
                         f"({b.executed_macs / 1e6:.1f}M executed), {b.params / 1e6:.2f}M params, "
                         f"peak SRAM {b.peak_sram_bytes / 1024:.1f} KiB, Flash "
                         f"{b.flash_bytes / 1024:.1f} KiB, schedule {b.schedule}")
        else:
            lines.append("no candidate fits")
        return "\n".join(lines)


def search(device, candidates=2000, seed=0, space=SearchSpace(), convention="exact",
           dtype="int8", max_macs=None, progress=False, fast=True):
    """Sample ``candidates`` architectures, find each one's cheapest fitting schedule, pick the best.

    Best: the largest architecture MACs among those that fit SRAM and Flash (and whose executed
    MACs are <= ``max_macs``, when given). Identical specs are evaluated once (cached).
    fast=False evaluates through the readable patch_tried (same result, slower).
    Returns a SearchResult; the same seed gives the same result.
    """
    device = get_device(device)
    rng = np.random.default_rng(seed)
    cache = {}
    results = []
    start = time.perf_counter()
    indices = range(candidates)
    if progress:
        from tqdm.auto import tqdm
        indices = tqdm(indices, desc=f"search {device.name}", unit="arch")
    for i in indices:
        spec = sample_spec(rng, space)
        key = json.dumps(spec, sort_keys=True)
        if key not in cache:
            cache[key] = evaluate(spec, device, i, convention, dtype, space.grids,
                                  space.split_strides, fast)
        cand = cache[key]
        results.append(cand if cand.index == i else replace(cand, index=i))
    seconds = time.perf_counter() - start
    ok = [c for c in results if c.fits and (max_macs is None or c.executed_macs <= max_macs)]
    best = max(ok, key=lambda c: (c.macs, -c.executed_macs, -c.index)) if ok else None
    objective = "max architecture MACs s.t. peak SRAM <= SRAM and weights <= Flash (int8)"
    if max_macs is not None:
        objective += f" and executed MACs <= {max_macs / 1e6:.1f}M"
    return SearchResult(device.name, seed, device.sram_bytes, device.flash_bytes, objective,
                        results, best, seconds)
