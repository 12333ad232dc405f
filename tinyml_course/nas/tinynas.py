"""TinyNAS for real: accuracy-aware co-design search on the trained supernet (the lecture's slide).

The slide, as a function you can read next to it (``codesign_loop``)::

    for arch in arch_space:                    # TinyNAS: sample a DNN architecture
        for schedule in schedule_space:        # TinyEngine: find a good schedule
            if can_fit_memory(arch, schedule):
                acc = get_valid_acc(arch)      # evaluate accuracy
                best_acc = max(best_acc, acc)
                break

plus what makes it practical:

* ``evolution``: an evolutionary search (mutation + crossover of fitting archs, OFA / MCUNet style)
  started from the largest subnet that fits; notebook 60 compares it with the loop at equal
  accuracy evaluations over seeds;
* ``space_optimisation``: MCUNet's search-space optimisation - for every (width, resolution) space,
  the MACs of the random subnets that fit the device; pick the space whose fitting models have the
  most MACs (FLOPs = 2 x MACs);
* ``baselines``: MobileNetV2-style models (every block kernel 3, expand 6, full depth) scaled by
  width and resolution, the most accurate one that fits under the same budget;
* latency from ``deploy.latency``: the instruction count of the emulated deployment (tinyengine
  kernels, the chosen schedule: a patch schedule's recomputed overlaps included), predicted by a
  model calibrated on the emulator, times ``deploy.cost``'s cycles per instruction class, on the
  device's clock - instruction counts exact (up to the calibration's error), cycles an ESTIMATE.

Memory is the package's: ``memory.fits(net, device, schedule=..., dtype="int8")`` for the slide's
``can_fit_memory`` (per-layer, in-place, patch n x n up to a split), bytes everywhere.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from .. import memory
from ..deploy import latency
from ..errors import SpecError
from ..memory.patch_plan import resolve_split
from ..memory.schedule import Schedule
from ..model.devices import get_device
from . import supernet as sn
from . import task
from .evaluate import accuracy_spread, get_valid_acc, shipped_cache, test_accuracy
from .search import split_blocks

PATCH_GRIDS = (2, 3, 4)  # n of the n x n patch schedules tried

# ---------------------------------------------------------------- the slide

def schedule_space(arch):
    """The schedules tried for ``arch``, simplest first: per-layer, in-place, then patch n x n up to
    each sensible split (the last block at output stride 4, 8, 16; grids no finer than the split's
    output)."""
    net = arch.network()
    out = [Schedule("per-layer"), Schedule("in-place")]
    for split in split_blocks(net):
        size = net.ops[resolve_split(net, split)].out_shape[1]  # the split's output side
        out += [Schedule("patch", n, split) for n in PATCH_GRIDS if n <= size]
    return out


def can_fit_memory(arch, schedule, device):
    """Whether ``arch`` under ``schedule`` fits ``device``: int8 peak SRAM <= SRAM and Flash <= Flash."""
    return memory.fits(arch.network(), device, schedule=schedule, dtype="int8").fits


def within_latency(arch, schedule, device, max_latency_ms=None):
    """Whether ``arch`` under ``schedule`` runs on ``device`` within ``max_latency_ms`` ms by
    ``deploy.latency``'s ESTIMATE (always, with no budget)."""
    return max_latency_ms is None or \
        latency.predict(arch.network(), schedule, device).ms <= max_latency_ms


def codesign_loop(arch_space, device, schedules=schedule_space, get_acc=get_valid_acc):
    """The slide's loop, line for line: the most accurate arch that fits, and its first schedule.

    arch_space: an iterable of Arch; schedules(arch) -> the schedule space of an arch. Returns
    (best_acc, best_arch, best_schedule, evaluated) where evaluated lists (arch, schedule, acc) of
    every arch that fitted.
    """
    best_acc, best_arch, best_schedule, evaluated = 0.0, None, None, []
    for arch in arch_space:                          # TinyNAS: sample a DNN architecture
        for schedule in schedules(arch):             # TinyEngine: find a good schedule
            if can_fit_memory(arch, schedule, device):
                acc = get_acc(arch)                  # evaluate accuracy
                evaluated.append((arch, schedule, acc))
                if acc > best_acc:
                    best_acc, best_arch, best_schedule = acc, arch, schedule
                break
    return best_acc, best_arch, best_schedule, evaluated


def random_archs(n, seed=0, resolutions=sn.RESOLUTIONS, widths=sn.WIDTHS):
    """``n`` random archs (seeded): the loop's ``arch_space``."""
    rng = np.random.default_rng(seed)
    return [sn.random_arch(rng, resolutions, widths) for _ in range(n)]


def only(kinds):
    """A schedule space restricted to the given kinds, e.g. only(['per-layer']) (no TinyEngine)."""
    return lambda arch: [s for s in schedule_space(arch) if s.kind in kinds]


# ---------------------------------------------------------------- a model, fully described

@dataclass
class Model:
    """An arch with the first schedule that fits and its figures (bytes, MACs, 0..1 accuracy)."""

    arch: object
    schedule: object
    accuracy: float
    peak_sram_bytes: int
    flash_bytes: int
    macs: int  # of the architecture (a patch schedule executes more: see instructions)
    instructions: int  # of the emulated deployment under the schedule, predicted (deploy.latency)
    latency_ms: float  # cycles ESTIMATED from those instructions (deploy.cost) / device clock
    fits: bool

    def to_json(self):
        return {"arch": self.arch.to_json(), "name": self.arch.name,
                "schedule": str(self.schedule) if self.schedule else None,
                "resolution": self.arch.resolution, "accuracy": float(self.accuracy),
                "accuracy_se": round(float(accuracy_spread(self.accuracy)), 5),
                "peak_sram_bytes": int(self.peak_sram_bytes), "flash_bytes": int(self.flash_bytes),
                "macs": int(self.macs), "instructions": int(self.instructions),
                "latency_ms": round(float(self.latency_ms), 2), "fits": bool(self.fits)}


def describe(arch, device, schedules=schedule_space, get_acc=get_valid_acc, accuracy=None,
             max_latency_ms=None):
    """The Model of ``arch`` on ``device``: its first fitting schedule (else the lowest-peak one),
    with the latency of deploying it under that schedule (``deploy.latency.predict``). With
    ``max_latency_ms``, fitting also means within that latency (ms, ESTIMATE)."""
    device = get_device(device)
    net = arch.network()
    chosen, lowest = None, None
    for schedule in schedules(arch):
        prof = memory.profile(net, schedule=schedule, dtype="int8")
        report = memory.fit_report(prof, device)
        if lowest is None or prof.peak_sram_bytes < lowest[1].peak_sram_bytes:
            lowest = (schedule, prof)
        if report.fits and within_latency(arch, schedule, device, max_latency_ms):
            chosen = (schedule, prof)
            break
    schedule, prof = chosen or lowest
    speed = latency.predict(net, schedule, device)
    acc = accuracy if accuracy is not None else get_acc(arch)
    return Model(arch, schedule if chosen else None, acc, prof.peak_sram_bytes, prof.flash_bytes,
                 prof.macs, speed.instructions, speed.ms, chosen is not None)


# ---------------------------------------------------------------- baselines

def baseline_arch(resolution, width):
    """MobileNetV2-style: every block kernel 3, expand 6, full depth; scaled by width/resolution."""
    return sn.Arch(resolution, width, (sn.MAX_DEPTH,) * len(sn.STAGES), (3,) * sn.SLOTS,
                   (6,) * sn.SLOTS)


def baselines(device, schedules=schedule_space, get_acc=get_valid_acc, max_latency_ms=None):
    """Every width x resolution baseline as a Model on ``device`` (fitting or not)."""
    return [describe(baseline_arch(r, w), device, schedules, get_acc,
                     max_latency_ms=max_latency_ms) for w in sn.WIDTHS for r in sn.RESOLUTIONS]


def best_fitting(models):
    """The most accurate fitting Model (ties: lower peak SRAM), or None."""
    ok = [m for m in models if m.fits]
    return max(ok, key=lambda m: (m.accuracy, -m.peak_sram_bytes)) if ok else None


# ---------------------------------------------------------------- search-space optimisation

def space_optimisation(device, samples=100, seed=0, schedules=schedule_space):
    """MCUNet's search-space optimisation on ``device``.

    For every (width, resolution) space: ``samples`` random archs, and the MACs of those that fit
    (first fitting schedule). Returns {(width, resolution): sorted array of fitting MACs} and the
    chosen space: the one whose fitting models have the largest mean MACs (spaces where fewer than
    a quarter fit are passed over: they mostly fail).
    """
    device = get_device(device)
    rng = np.random.default_rng(seed)
    out = {}
    for w in sn.WIDTHS:
        for r in sn.RESOLUTIONS:
            macs = []
            for _ in range(samples):
                arch = sn.random_arch(rng, (r,), (w,))
                if _fits_any(arch, device, schedules):
                    macs.append(arch.network().macs)
            out[w, r] = np.sort(np.array(macs, dtype=np.int64))
    eligible = {k: v for k, v in out.items() if len(v) >= samples / 4}
    best = max(eligible, key=lambda k: eligible[k].mean()) if eligible else None
    return out, best


# ---------------------------------------------------------------- evolutionary search

@dataclass
class EvolutionResult:
    best_acc: float
    best_arch: object
    history: list = field(default_factory=list)  # best accuracy after each evaluation
    archs: list = field(default_factory=list)  # every evaluated arch, in evaluation order
    evaluations: int = 0
    seconds: float = 0.0


def _fits_any(arch, device, schedules, max_latency_ms=None):
    """Whether ``arch`` fits ``device`` under some schedule of ``schedules(arch)`` (and within
    ``max_latency_ms`` ms under it, when given)."""
    return any(can_fit_memory(arch, s, device) and within_latency(arch, s, device, max_latency_ms)
               for s in schedules(arch))


def _mutate(arch, rng, prob):
    def maybe(value, options):
        return options[int(rng.integers(len(options)))] if rng.random() < prob else value
    return sn.Arch(maybe(arch.resolution, sn.RESOLUTIONS), maybe(arch.width, sn.WIDTHS),
                   tuple(maybe(d, sn.DEPTHS) for d in arch.depths),
                   tuple(maybe(k, sn.KERNELS) for k in arch.kernels),
                   tuple(maybe(e, sn.EXPANDS) for e in arch.expands))


def _crossover(a, b, rng):
    def mix(x, y):
        return tuple(xi if rng.random() < 0.5 else yi for xi, yi in zip(x, y))
    return sn.Arch(a.resolution if rng.random() < 0.5 else b.resolution,
                   a.width if rng.random() < 0.5 else b.width, mix(a.depths, b.depths),
                   mix(a.kernels, b.kernels), mix(a.expands, b.expands))


def evolution(device, population=12, generations=6, parents=4, mutate_prob=0.2, seed=0,
              schedules=schedule_space, get_acc=get_valid_acc, max_latency_ms=None):
    """Evolutionary search for the most accurate arch that fits ``device`` (some schedule).

    The first population: the largest subnet (kernel 7, expand 6, full depth) at the largest
    resolution x width that fits (the sandwich rule trains it every step, so it is the supernet's
    best-trained corner), then random fitting archs. Each generation keeps the ``parents`` most
    accurate, and fills the rest with mutations and crossovers of them that fit (children that do
    not fit are redrawn, and never evaluated). ``max_latency_ms``: fitting also means within that
latency (ms, ``deploy.latency``'s ESTIMATE). Returns an EvolutionResult (best_arch None when
nothing fits); the same seed gives the same result.
    """
    device = get_device(device)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    scored, history = {}, []

    def score(arch):
        if arch.name not in scored:
            scored[arch.name] = (get_acc(arch), arch)
            history.append(max(s[0] for s in scored.values()))
        return scored[arch.name][0]

    def fitting(make):
        for _ in range(200):
            arch = make()
            if _fits_any(arch, device, schedules, max_latency_ms):
                return arch
        return None

    corners = sorted((sn.largest(r, w) for r in sn.RESOLUTIONS for w in sn.WIDTHS),
                     key=lambda a: -a.network().macs)
    seed_arch = next((a for a in corners if _fits_any(a, device, schedules, max_latency_ms)), None)
    pop = [seed_arch] if seed_arch else []  # the largest subnet that fits: the sandwich trains it
    pop += [a for a in (fitting(lambda: sn.random_arch(rng)) for _ in range(population - len(pop)))
            if a]
    if not pop:
        return EvolutionResult(0.0, None, seconds=time.perf_counter() - start)
    for _ in range(generations):
        ranked = sorted(pop, key=lambda a: (-score(a), a.name))
        top = ranked[:parents]
        children = []
        while len(children) < population - parents:
            if rng.random() < 0.5:
                p = top[int(rng.integers(len(top)))]
                child = fitting(lambda: _mutate(p, rng, mutate_prob))
            else:
                a, b = top[int(rng.integers(len(top)))], top[int(rng.integers(len(top)))]
                child = fitting(lambda: _crossover(a, b, rng))
            if child is None:
                break
            children.append(child)
        pop = top + children
    for a in pop:
        score(a)
    best_acc, best_arch = max(scored.values(), key=lambda s: (s[0], s[1].name))
    return EvolutionResult(best_acc, best_arch, history, [a for _, a in scored.values()],
                           len(scored), time.perf_counter() - start)


# ---------------------------------------------------------------- the whole co-design, one call

EVOLUTION = {"population": 10, "generations": 4, "parents": 3, "mutate_prob": 0.25}


def codesign(device, seed=0, top=3, cache=None, get_acc=None, max_latency_ms=None):
    """Search ``device`` for accuracy: evolution, then describe the best ``top`` and the baselines.

    max_latency_ms: a latency budget (ms, ``deploy.latency``'s ESTIMATE on the device's clock)
    that the searched models and the baselines must also meet; SpecError, in one line, when no
    subnet meets it.

    get_acc: the accuracy function (default: ``get_valid_acc`` with ``cache``, the shipped cache
    when None). Returns a JSON-ready dict: device, objective, best (a model), top (models),
    baselines (every width x resolution baseline, fitting or not), best_baseline,
    best_within_baseline_sram (the most accurate searched model whose peak SRAM is at most the best
    baseline's), evaluations, seconds, dataset (``task.dataset_card``). Models: see
    ``Model.to_json`` (accuracy and its standard error accuracy_se, 0..1, on the 'val' split,
    bytes); best, best_baseline and best_within_baseline_sram also carry test_accuracy and
    test_accuracy_se (the 'test' split, cached like the rest), and margin_over_best_baseline
    compares best_within_baseline_sram with best_baseline on test: the difference in points, its
    standard error (the two errors independent) and whether it exceeds two of them.
    """
    device = get_device(device)
    cache = cache if cache is not None else shipped_cache()
    get_acc = get_acc or (lambda arch: get_valid_acc(arch, cache=cache))
    start = time.perf_counter()
    result = evolution(device, seed=seed, get_acc=get_acc, max_latency_ms=max_latency_ms,
                       **EVOLUTION)
    if result.best_arch is None:
        fastest = describe(sn.smallest(), device, accuracy=0.0)
        raise SpecError(f"no subnet fits {device.name}" + (
            f" within {max_latency_ms:g} ms (latency ESTIMATE; the smallest subnet needs "
            f"~{fastest.latency_ms:.1f} ms)" if max_latency_ms is not None else ""))
    models = sorted((describe(a, device, get_acc=get_acc, max_latency_ms=max_latency_ms)
                     for a in result.archs),
                    key=lambda m: (-m.accuracy, m.peak_sram_bytes, m.arch.name))
    best = [m for m in models if m.fits][:top]
    base = baselines(device, get_acc=get_acc, max_latency_ms=max_latency_ms)
    best_base = best_fitting(base)
    within = best_fitting([m for m in models
                           if best_base and m.peak_sram_bytes <= best_base.peak_sram_bytes])
    def with_test(model):
        if model is None:
            return None
        acc = test_accuracy(model.arch, cache=cache)
        return {**model.to_json(), "test_accuracy": float(acc),
                "test_accuracy_se": round(float(accuracy_spread(acc)), 5)}

    best_json, base_json = with_test(best[0] if best else None), with_test(best_base)
    within_json, margin = with_test(within), None
    if within_json and base_json:
        diff = within_json["test_accuracy"] - base_json["test_accuracy"]
        se = float(np.hypot(within_json["test_accuracy_se"], base_json["test_accuracy_se"]))
        margin = {"test_points": round(100 * diff, 2), "se_points": round(100 * se, 2),
                  "more_than_two_se": bool(diff > 2 * se)}
    return {"device": device.name, "sram_limit": device.sram_bytes, "dataset": task.dataset_card(),
            "flash_limit": device.flash_bytes,
            "objective": "max held-out accuracy (supernet, inherited weights) s.t. int8 peak SRAM "
                         "<= SRAM and Flash <= Flash under some schedule",
            "latency": latency.LABEL, "max_latency_ms": max_latency_ms,
            "best": best_json, "top": [m.to_json() for m in best],
            "baselines": [m.to_json() for m in base],
            "best_baseline": base_json, "best_within_baseline_sram": within_json,
            "margin_over_best_baseline": margin,
            "evaluations": result.evaluations, "seconds": round(time.perf_counter() - start, 2)}


def codesign_summary(report):
    """A few readable lines of a ``codesign`` report."""
    def line(m):
        test = (f" (test {100 * m['test_accuracy']:.1f} +- {100 * m['test_accuracy_se']:.1f}%)"
                if "test_accuracy" in m else "")
        return (f"{100 * m['accuracy']:.1f} +- {100 * m['accuracy_se']:.1f}%{test}  SRAM {m['peak_sram_bytes'] / 1024:.1f} KiB  Flash "
                f"{m['flash_bytes'] / 1024:.1f} KiB  {m['macs'] / 1e6:.1f}M MACs  "
                f"{m['instructions'] / 1e6:.1f}M instructions ~{m['latency_ms']:.0f} ms  "
                f"{m['schedule']}  {m['name']}")
    data = report["dataset"]
    lines = [f"accuracy search on {report['device']} (SRAM {report['sram_limit'] // 1024} KiB, "
             f"Flash {report['flash_limit'] // 1024} KiB): {report['evaluations']} archs evaluated "
             f"in {report['seconds']:.1f} s",
             f"dataset: {data['name']} (val {data['val_examples']}, test {data['test_examples']} "
             "held-out images; accuracy +- one standard error)",
             f"latency: {report['latency']}" + (f"; budget {report['max_latency_ms']:g} ms"
                                                 if report.get("max_latency_ms") else ""),
             "best models:"]
    lines += ["  " + line(m) for m in report["top"]]
    b = report["best_baseline"]
    lines.append("best scaled MobileNetV2-style baseline: " + (line(b) if b else "none fits"))
    w = report["best_within_baseline_sram"]
    if w:
        lines.append("best searched at <= the baseline's SRAM: " + line(w))
    g = report["margin_over_best_baseline"]
    if g:
        lines.append(f"margin on test: {g['test_points']:+.2f} points, standard error "
                     f"{g['se_points']:.2f}: " + ("more than" if g["more_than_two_se"] else "not more than")
                     + " two standard errors")
    return "\n".join(lines)
