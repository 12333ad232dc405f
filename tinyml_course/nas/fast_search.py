"""The fast path of the search's patch step. Read ``search.patch_tried`` first: this must equal it.

``fast_patch_tried`` gives the search the same Candidate as ``search.patch_tried`` (every patch
schedule planned on its own, cheapest first), with less work; tests/test_search.py checks the two
agree on random networks, devices and conventions. What it saves:

- one backward window walk per split serves every grid (memory.patch_plan.patch_plans), and
  the executed MACs of all grids come from it at once (patch_accounting.grid_stage_macs); a grid's
  PatchPlan is sliced out only when its stage peak is needed;
- a split whose rest of the network (the in-place per-layer peak after it) alone exceeds SRAM
  cannot fit, so it is not planned, unless nothing fits and it could still hold the lowest peak
  tried (the Candidate then reports that lowest peak).
"""

from dataclasses import dataclass

from ..memory.patch_accounting import grid_stage_macs, stage_peak_bytes
from ..memory.patch_plan import patch_plans, resolve_split
from ..memory.schedule import Schedule
from .tried import Tried


@dataclass
class _Split:
    """One patch split of a network: its last op, the rest's peak, the grids that fit it."""

    index: int  # of the split's last op
    rest_peak: int  # in-place peak (bytes) of the ops after the split (0 if none)
    grids: list  # n of the n x n grids tried (n <= the split output's height)
    plans: object = None  # patch_plans(...), built when first needed
    options: list = None  # [(executed MACs, n, grid k)], built with plans


def _options(net, split):
    """(executed MACs, n, k) of every grid of ``split``, from one window walk for all grids."""
    if split.options is None:
        split.plans = patch_plans(net, split.index, split.grids) if split.grids else []
        rest_macs = sum(op.macs for op in net.ops[split.index + 1:])
        split.options = [(rest_macs + stage, n, k)
                         for k, (n, stage) in enumerate(zip(split.grids,
                                                            grid_stage_macs(split.plans)))]
    return split.options


def fast_patch_tried(net, in_place, sram, convention, dtype, grids, splits, lowest):
    """What search.patch_tried decides, as a list of Tried: the cheapest patch schedule that fits
    ``sram`` (bytes), or, when none fits, every one that could have a peak below ``lowest`` (the
    lowest Tried so far).

    in_place: the in-place SRAM per op (bytes); splits: block names (search.split_blocks).
    """
    rest = in_place[1:] + [0]  # rest[i]: the in-place peak of ops[i + 1:]
    for i in range(len(rest) - 2, -1, -1):
        rest[i] = max(rest[i], rest[i + 1])
    chosen = []
    for name in splits:
        end = resolve_split(net, name)
        size = net.ops[end].out_shape[1]
        chosen.append(_Split(end, rest[end], [n for n in grids if n <= size]))
    peaks = {}  # (split index, n) -> Tried

    def tried(split, executed, n, k):
        if (split.index, n) not in peaks:
            stage = stage_peak_bytes(split.plans[k], convention, dtype)
            schedule = Schedule("patch", n, net.ops[split.index].name)
            peaks[split.index, n] = Tried(max(stage, split.rest_peak), executed, schedule)
        return peaks[split.index, n]

    # cheapest first (executed MACs, then n; split order among ties), only splits that can fit
    options = [(executed, n, order, split, k)
               for order, split in enumerate(s for s in chosen if s.rest_peak <= sram)
               for executed, n, k in _options(net, split)]
    for executed, n, _, split, k in sorted(options, key=lambda o: o[:3]):
        t = tried(split, executed, n, k)
        if t.peak_sram_bytes <= sram:
            return [t]
    # nothing fits: only a split whose rest peak is at most the lowest peak so far can hold the
    # lowest peak tried; splits go lowest rest peak first
    out = []
    for split in sorted(chosen, key=lambda s: s.rest_peak):
        if split.rest_peak > lowest.peak_sram_bytes:
            break
        for executed, n, k in _options(net, split):
            t = tried(split, executed, n, k)
            out.append(t)
            lowest = min(lowest, t, key=Tried.order)
    return out
