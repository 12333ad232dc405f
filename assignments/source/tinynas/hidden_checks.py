"""Hidden checks of tinynas (instructor only: never released, hidden in the sandbox).

Exercises 1 and 2 call the student's `can_fit_memory` and `search` in the sandbox on held-out
archs and devices (inputs built by HELPERS, from seeds); the grader compares with the package's
`memory.fits` and `codesign_loop` here, outside. Exercise 3: the sandbox returns only `my_arch`
as plain data (`Arch.to_json`); the grader rebuilds the arch (the space's own checks), decides
whether it fits the nRF52832 under one of its schedules and measures its held-out accuracy
itself (`evaluate.get_valid_acc`, the shipped cache first), against the instructor's search and
the best scaled baseline measured the same way. Nothing the student's kernel computes (its
`get_acc`, its leaderboard) enters a score; the leaderboard `tinynas-accuracy` ranks the
grader's measurements. Written against the nas layer's public API (space, schedule_space,
get_valid_acc, evolution, baselines), so a new dataset or supernet changes no line here.
"""
import inspect

import numpy as np

from tinyml_course_grading.check_declarations import Case, Check

from tinyml_course import memory
from tinyml_course.errors import SpecError
from tinyml_course.model.devices import Device, get_device
from tinyml_course.model.units import KIB, MIB
from tinyml_course.nas import evaluate, space
from tinyml_course.nas.tinynas import (EVOLUTION, baselines, best_fitting, codesign_loop, evolution,
                                       schedule_space)

SMALL = get_device("nrf52832")  # the notebook's device: 64 KiB SRAM, 512 KiB Flash
LEVELS = {"test-my-arch-fits": "fits", "test-beats-baseline": "baseline",
          "test-near-instructor": "near", "test-matches-instructor": "matches"}
NEAR, MATCH = 0.02, 0.005  # the notebook's scale: within 2 and 0.5 points of the instructor
# held out: the visible tests use archs of seed 0 on the nRF52832
FIT_CASES = [(seed, index, device) for seed in (11, 12, 13, 14)
             for index, device in ((0, "small"), (1, "small"), (0, "nano33"), (0, "flash-bound"))]
FIT_CASES += [(15, 0, "sram-equal"), (16, 0, "sram-one-short")]
SEARCH_CASES = [(21, 12, "nano33"), (22, 16, "small"), (23, 8, "flash-bound"), (24, 6, "none")]

_np, _space, _schedules, _memory = np, space, schedule_space, memory
_Device, _get_device, _KIB, _MIB = Device, get_device, KIB, MIB


def _grader_devices():
    """The devices of the cases by key: catalogue ones and three made to test the boundaries."""
    edge = _space.random_arch(_np.random.default_rng(15))
    peak = _memory.profile(edge.network(), schedule=_schedules(edge)[0],
                           dtype="int8").peak_sram_bytes
    short = _space.random_arch(_np.random.default_rng(16))
    peak_short = _memory.profile(short.network(), schedule=_schedules(short)[0],
                                 dtype="int8").peak_sram_bytes
    return {"small": _get_device("nrf52832"), "nano33": _get_device("nano33"),
            "flash-bound": _Device("flash-bound", "test", "none", 1, 10 * _MIB, 40 * _KIB),
            "sram-equal": _Device("sram-equal", "test", "none", 1, peak, 10 * _MIB),
            "sram-one-short": _Device("sram-short", "test", "none", 1, peak_short - 1, 10 * _MIB),
            "none": _Device("none-fits", "test", "none", 1, 1 * _KIB, 10 * _MIB)}


def _grader_fit_inputs(devices, seed, index, device):
    """(arch, schedule, device) of a can_fit_memory case."""
    arch = _space.random_arch(_np.random.default_rng(seed))
    return arch, _schedules(arch)[index], devices[device]


def _grader_space(seed, count):
    """``count`` distinct random archs (a search's arch space)."""
    rng, archs, names = _np.random.default_rng(seed), [], set()
    while len(archs) < count:
        arch = _space.random_arch(rng)
        if arch.name not in names:
            names.add(arch.name)
            archs.append(arch)
    return archs


def _stand_in_acc(arch):
    """The search's stand-in accuracy: an arch's MACs (no supernet needed)."""
    return arch.network().macs / 1e8


HELPERS = f'''
from numbers import Real as _Real

import numpy as _np
from tinyml_course import memory as _memory
from tinyml_course.model.devices import Device as _Device, get_device as _get_device
from tinyml_course.model.units import KIB as _KIB, MIB as _MIB
from tinyml_course.nas import space as _space
from tinyml_course.nas.tinynas import schedule_space as _schedules

{inspect.getsource(_grader_devices)}
{inspect.getsource(_grader_fit_inputs)}
{inspect.getsource(_grader_space)}
{inspect.getsource(_stand_in_acc)}
_GRADER_DEVICES = _grader_devices()


def _grader_fit(fn, seed, index, device):
    return fn(*_grader_fit_inputs(_GRADER_DEVICES, seed, index, device))


def _grader_search(fn, seed, count, device):
    """The student's search on a held-out arch space, as plain data (the grader judges it)."""
    seen = []

    def acc(arch):
        seen.append(arch.name)
        return _stand_in_acc(arch)
    result = fn(_grader_space(seed, count), _GRADER_DEVICES[device], _schedules, acc)
    if result is None:
        return None
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        return {{"returned": repr(result)[:100], "evaluated": seen}}
    best_acc, best_arch, best_schedule = result
    return {{"acc": float(best_acc) if isinstance(best_acc, _Real) else repr(best_acc)[:100],
             "arch": getattr(best_arch, "name", None if best_arch is None else repr(best_arch)[:100]),
             "schedule": None if best_schedule is None else str(best_schedule)[:100],
             "evaluated": seen}}


def _grader_arch(arch):
    """The student's my_arch as plain data (the grader rebuilds and measures it)."""
    if arch is None:
        return None
    if not callable(getattr(arch, "to_json", None)):
        return {{"not_an_arch": type(arch).__name__}}
    return {{key: (list(value) if isinstance(value, tuple) else value)
             for key, value in dict(arch.to_json()).items()}}
'''

DEVICES = _grader_devices()


def _fit_expected(seed, index, device):
    arch, schedule, dev = _grader_fit_inputs(DEVICES, seed, index, device)
    return bool(memory.fits(arch.network(), dev, schedule=schedule, dtype="int8").fits)


def _search_expected(seed, count, device):
    best_acc, best_arch, best_schedule, evaluated = codesign_loop(
        _grader_space(seed, count), DEVICES[device], schedules=schedule_space,
        get_acc=_stand_in_acc)
    return {"acc": float(best_acc), "arch": None if best_arch is None else best_arch.name,
            "schedule": None if best_schedule is None else str(best_schedule),
            "evaluated": [arch.name for arch, _, _ in evaluated]}


def _search_compare(got, expected):
    """The search's result field by field, the evaluations as a set of names (each once)."""
    if not isinstance(got, dict) or "returned" in got:
        returned = got.get("returned") if isinstance(got, dict) else repr(got)
        return f"search returned {returned}, expected (best_acc, best_arch, best_schedule)"
    if not isinstance(got.get("acc"), (int, float)) or abs(got["acc"] - expected["acc"]) > 1e-12:
        return f"best_acc {got.get('acc')!r}, expected {expected['acc']!r}"
    for key in ("arch", "schedule"):
        if got.get(key) != expected[key]:
            return f"best_{key} {got.get(key)!r}, expected {expected[key]!r}"
    return _evaluated_compare(got.get("evaluated"), expected["evaluated"])


def _evaluated_compare(got, expected):
    if not isinstance(got, list):
        return f"got {got!r}"
    repeated = sorted({name for name in got if got.count(name) > 1})
    if repeated:
        return f"evaluated {repeated[0]} {got.count(repeated[0])} times (once is enough)"
    extra = [name for name in got if name not in expected]
    if extra:
        return f"evaluated {extra[0]}, which fits under none of its schedules"
    missing = [name for name in expected if name not in got]
    return f"never evaluated {missing[0]}, which fits" if missing else None


_CACHE = {}  # grader-side: the shipped accuracy cache, the instructor's figures, students' archs


def _accuracy_cache():
    if "accuracy" not in _CACHE:
        _CACHE["accuracy"] = evaluate.shipped_cache()
    return _CACHE["accuracy"]


def _grader_acc(arch):
    return evaluate.get_valid_acc(arch, cache=_accuracy_cache())


def _instructor():
    """The instructor's evolutionary search and the best scaled baseline, measured here (once
    per grading process: the four checks of exercise 3 share it)."""
    if "instructor" not in _CACHE:
        searched = evolution(SMALL, seed=0, get_acc=_grader_acc, **EVOLUTION)
        baseline = best_fitting(baselines(SMALL, get_acc=_grader_acc))
        _CACHE["instructor"] = {"instructor": float(searched.best_acc),
                                "baseline": float(baseline.accuracy) if baseline else 0.0}
    return _CACHE["instructor"]


def _measure(data):
    """{arch, fits, schedule, accuracy} of the student's arch rebuilt from plain data; the
    accuracy is measured only for an arch that fits (None otherwise: it earns nothing, and the
    grader spends no time on a model the device cannot run)."""
    arch = space.Arch.from_json(data)  # SpecError for a value outside the space
    key = arch.name
    if key not in _CACHE:
        fitting = next((s for s in schedule_space(arch)
                        if memory.fits(arch.network(), SMALL, schedule=s, dtype="int8").fits), None)
        _CACHE[key] = {"arch": key, "fits": fitting is not None,
                       "schedule": None if fitting is None else str(fitting),
                       "accuracy": None if fitting is None else float(_grader_acc(arch))}
    return _CACHE[key]


def _arch_grade(level):
    """grade(got, expected) of one step of exercise 3's scale, from the grader's measurement."""
    def grade(got, expected):
        if got is None:
            return 0.0, (f"set my_arch to an architecture of the space (an Arch, e.g. from "
                         f"sn.random_arch) that fits {SMALL.name}")
        if not isinstance(got, dict) or "not_an_arch" in got:
            what = got.get("not_an_arch") if isinstance(got, dict) else type(got).__name__
            return 0.0, f"my_arch is a {what}, not an architecture of the space (an Arch)"
        try:
            m = _measure(got)
        except SpecError as err:
            return 0.0, f"my_arch is outside the search space: {err}"
        if not m["fits"]:
            passed = False
            why = (f"{m['arch']} fits {SMALL.name} under none of its schedules (int8 peak SRAM "
                   f"or Flash over the device's), so the grader does not measure its accuracy")
        else:
            acc = (f"{m['arch']} fits under {m['schedule']}; its held-out accuracy measured by "
                   f"the grader: {100 * m['accuracy']:.1f}%")
            if level == "fits":
                passed, why = True, f"{m['arch']} fits {SMALL.name} under {m['schedule']}"
            elif level == "baseline":
                passed = m["accuracy"] > expected["baseline"]
                why = (f"{acc}; the best scaled baseline that fits: "
                       f"{100 * expected['baseline']:.1f}% (above it earns this one)")
            else:
                margin = NEAR if level == "near" else MATCH
                passed = m["accuracy"] >= expected["instructor"] - margin
                why = (f"{acc}; the instructor's search: {100 * expected['instructor']:.1f}% "
                       f"(within {100 * margin:g} points earns this one)")
        record = {"challenge": "tinynas-accuracy", "points": float(passed), "measured": m,
                  "rank": m["accuracy"], "message": why} if level == "matches" else None
        return (1.0 if passed else 0.0), why, record
    return grade


# references the grading sandbox's student edition of the package keeps (package_edition.py):
# the package's evolution (the my-arch solution) and codesign (the leaderboard cell) call
# can_fit_memory, fits and fit_report (describe); only the tripwires guard them while
# can_fit_memory's check runs
KEEP_IN_GRADING = ["tinyml_course.nas.tinynas:can_fit_memory",
                   "tinyml_course.memory.accounting:fits",
                   "tinyml_course.memory.accounting:fit_report"]

CHECKS = [
    Check("test-can-fit-memory", "can_fit_memory", solution="can-fit-memory", scoring="fraction",
          property="peak SRAM and Flash both within the device's (equal fits), int8",
          reference=["tinyml_course.memory.accounting:fits",
                     "tinyml_course.memory.accounting:fit_report",
                     "tinyml_course.nas.tinynas:can_fit_memory",
                     "tinyml_course.nas.tinynas:codesign_loop"],
          similar_to=["tinyml_course.nas.tinynas:can_fit_memory"],
          cases=[Case(f"arch of seed {seed}, schedule {index}, device {device}",
                      f"_grader_fit(can_fit_memory, {seed}, {index}, {device!r})",
                      (lambda args=(seed, index, device): _fit_expected(*args)))
                 for seed, index, device in FIT_CASES]),
    Check("test-search-loop", "search", solution="search-loop", scoring="fraction",
          property="the most accurate fitting arch and its first fitting schedule, every "
                   "fitting arch evaluated once, no other",
          reference=["tinyml_course.nas.tinynas:codesign_loop"],
          similar_to=["tinyml_course.nas.tinynas:codesign_loop"],
          cases=[Case(f"{count} archs of seed {seed} on device {device}",
                      f"_grader_search(search, {seed}, {count}, {device!r})",
                      (lambda args=(seed, count, device): _search_expected(*args)),
                      compare=_search_compare)
                 for seed, count, device in SEARCH_CASES]),
] + [Check(grade_id, "my_arch", solution="my-arch", grade=_arch_grade(level),
           challenge="tinynas-accuracy" if level == "matches" else None,
           property="the grader's own measurement of your architecture",
           cases=[Case("my_arch, rebuilt and measured by the grader", "_grader_arch(my_arch)",
                       _instructor, timeout=60)])
     for grade_id, level in LEVELS.items()]
