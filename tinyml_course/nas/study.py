"""The experiments of notebooks/60_tinynas.py, one function each (the notebook and
``scripts/measure_supernet.py`` call the same ones, so the shipped accuracy cache covers them).

Every accuracy comes from ``get_acc(arch)`` (default: the supernet's ``get_valid_acc`` through the
shipped cache); figures are in bytes, MACs, 0..1 accuracy.
"""

import numpy as np

from . import supernet as sn
from .tinynas import EVOLUTION, _fits_any, baseline_arch, codesign_loop, evolution, only, \
    random_archs, schedule_space

MIDDLE = dict(depths=(2, 2, 2), kernels=(5,) * sn.SLOTS, expands=(4,) * sn.SLOTS)
DEVICES = ("arduino-nano-33-ble-sense", "nrf52832")  # the Nano 33 and a smaller device
LOOP_ARCHS, LOOP_SEED = 24, 0  # random archs of the slide's loop, and their seed
LIVE = (sn.smallest(), sn.smallest(20))  # re-measured live by the notebook against the cache
SEEDS = (0, 1, 2)  # seeds of the evolution-vs-random comparison
COMPARE_DEVICE = "nrf52832"  # where memory binds: the comparison's device


def resolution_curve(get_acc, width=1.0):
    """Accuracy vs input resolution at ``width``: [(resolution, largest-subnet acc, baseline acc)]."""
    return [(r, get_acc(sn.largest(r, width)), get_acc(baseline_arch(r, width)))
            for r in sn.RESOLUTIONS]


def dimension_sweeps(get_acc, resolution=24, width=0.75):
    """Accuracy when one dimension varies around a middle arch (depth 2, kernel 5, expand 4).

    Returns {'kernel': [(k, acc)], 'depth': [(d, acc)], 'expand': [(e, acc)], 'width': [(w, acc)]}.
    """
    base = dict(resolution=resolution, width=width, **MIDDLE)
    out = {"kernel": [], "depth": [], "expand": [], "width": []}
    for k in sn.KERNELS:
        out["kernel"].append((k, get_acc(sn.Arch(**{**base, "kernels": (k,) * sn.SLOTS}))))
    for d in sn.DEPTHS:
        out["depth"].append((d, get_acc(sn.Arch(**{**base, "depths": (d,) * len(sn.STAGES)}))))
    for e in sn.EXPANDS:
        out["expand"].append((e, get_acc(sn.Arch(**{**base, "expands": (e,) * sn.SLOTS}))))
    for w in sn.WIDTHS:
        out["width"].append((w, get_acc(sn.Arch(**{**base, "width": w}))))
    return out


def loops(device, get_acc):
    """The slide's loop on ``device`` with every schedule and with per-layer only (no TinyEngine)."""
    archs = random_archs(LOOP_ARCHS, LOOP_SEED)
    return {"all schedules": codesign_loop(archs, device, get_acc=get_acc),
            "per-layer only": codesign_loop(archs, device, schedules=only(["per-layer"]),
                                            get_acc=get_acc)}


def evolution_vs_random(device, get_acc, seed):
    """The evolution (``EVOLUTION`` settings, ``seed``) and the slide's random loop at the SAME
    number of accuracy evaluations: random archs (seeded ``seed``) until as many fit.

    Returns (evolution history, loop history): best accuracy so far after each evaluation.
    """
    evo = evolution(device, seed=seed, get_acc=get_acc, **EVOLUTION)
    rng = np.random.default_rng(1000 + seed)
    archs = []
    while len(archs) < evo.evaluations:
        arch = sn.random_arch(rng)
        if _fits_any(arch, device, schedule_space):
            archs.append(arch)
    loop = codesign_loop(archs, device, get_acc=get_acc)
    return evo.history, list(np.maximum.accumulate([acc for _, _, acc in loop[3]]))
