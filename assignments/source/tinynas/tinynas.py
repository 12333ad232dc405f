# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Homework: TinyNAS, the co-design loop
#
# The lecture's loop tries each sampled architecture with the schedules of the inference engine,
# keeps the first schedule that fits the device, and only then spends time on its accuracy.
# Here you write it yourself on the course's trained weight-sharing supernet (synthetic shape task,
# accuracies on its held-out split); the `tinyml_course` package is the oracle the tests compare
# you with.
#
# 1. **`can_fit_memory`**: int8 peak SRAM and Flash against a device (2 points),
# 2. **the search loop** of the slide (4 points),
# 3. **the most accurate model under the nRF52832's budget** (64 KiB SRAM, 512 KiB Flash), graded
#    against the instructor's search on a scale (4 points) and shown on a leaderboard.
#
# Memory in bytes (KiB = 1024), int8 activations and weights. Do not import the package's solutions
# (`tinyml_course.nas.tinynas`) in your answers to exercises 1 and 2.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the space, the schedules, the devices and the accuracy you may use
import numpy as np

from tinyml_course import memory
from tinyml_course.memory.schedule import Schedule
from tinyml_course.model.devices import get_device
from tinyml_course.nas import evaluate, supernet as sn
from tinyml_course.nas.tinynas import schedule_space as schedules  # per-layer, in-place, patch n x n

SMALL = get_device("nrf52832")  # 64 KiB SRAM, 512 KiB Flash
cache = evaluate.shipped_cache()


def get_acc(arch):
    """Held-out accuracy (0..1) of a subnet with inherited supernet weights (cached when known)."""
    return evaluate.get_valid_acc(arch, cache=cache)


rng = np.random.default_rng(0)
ARCHS = [sn.random_arch(rng) for _ in range(30)]  # an arch space: 30 random subnets
print(ARCHS[0].name, ARCHS[0].network())

# %% [markdown] nbgrader={"grade": false, "grade_id": "fit-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 1: can_fit_memory
#
# `memory.profile(net, schedule=schedule, dtype="int8")` gives `peak_sram_bytes` and `flash_bytes`
# of a network under a schedule. An arch fits a device when **both** are within the device's
# `sram_bytes` and `flash_bytes` (equal is fine).

# %% nbgrader={"grade": false, "grade_id": "can-fit-memory", "locked": false, "schema_version": 3, "solution": true, "task": false}
def can_fit_memory(arch, schedule, device):
    """True when arch.network() under ``schedule`` fits ``device`` (int8): SRAM and Flash.

    TODO: decide whether the arch's network runs on the device under this schedule.
    APPROACH: which two figures of a network's memory must be within which two figures of the
        device? The profile above gives the network's.
    EXAMPLE: can_fit_memory(sn.largest(80), Schedule("per-layer"), SMALL) -> False (187.5 KiB).
    HINT: return a plain bool.
    """
    ### BEGIN SOLUTION
    prof = memory.profile(arch.network(), schedule=schedule, dtype="int8")
    return bool(prof.peak_sram_bytes <= device.sram_bytes and prof.flash_bytes <= device.flash_bytes)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "fit-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** your answer against `memory.fits` on archs and schedules, SRAM and Flash.
# **Why it matters:** a model that misses by one byte does not run.
# **Expected:** `can_fit_memory(sn.largest(80), Schedule("per-layer"), SMALL) is False`.

# %% nbgrader={"grade": true, "grade_id": "test-can-fit-memory", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# test: can_fit_memory
assert can_fit_memory(sn.largest(80), Schedule("per-layer"), SMALL) is False
assert can_fit_memory(sn.smallest(), Schedule("per-layer"), SMALL) is True
for _arch in ARCHS[:8]:
    for _s in schedules(_arch)[:2]:
        _want = memory.fits(_arch.network(), SMALL, schedule=_s, dtype="int8").fits
        assert can_fit_memory(_arch, _s, SMALL) == _want, (_arch.name, str(_s))
### BEGIN HIDDEN TESTS
from tinyml_course.model.devices import Device

_flash_bound = Device("tiny-flash", "test", "none", 1, 10 * 1024 * 1024, 40 * 1024)
for _arch in ARCHS[8:16]:
    _want = memory.fits(_arch.network(), _flash_bound, dtype="int8").fits
    assert can_fit_memory(_arch, Schedule("per-layer"), _flash_bound) == _want, _arch.name
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "loop-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 2: the co-design loop
#
# ```
# for arch in arch_space:                    # TinyNAS: sample a DNN architecture
#     for schedule in schedule_space:        # TinyEngine: find a good schedule
#         if can_fit_memory(arch, schedule):
#             acc = get_valid_acc(arch)      # evaluate accuracy
#             best_acc = max(best_acc, acc)
#             break
# ```
#
# Return the best accuracy, the arch that reached it (the first one on ties) and the schedule it
# fitted with. Evaluate the accuracy only of archs that fit, at most once each.

# %% nbgrader={"grade": false, "grade_id": "search-loop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def search(arch_space, device, schedule_space, get_valid_acc):
    """(best_acc, best_arch, best_schedule); (0.0, None, None) when nothing fits.

    schedule_space(arch) -> list of Schedules, simplest first.
    TODO: the slide's two loops; break out of the schedules at the first that fits.
    """
    ### BEGIN SOLUTION
    best_acc, best_arch, best_schedule = 0.0, None, None
    for arch in arch_space:
        for schedule in schedule_space(arch):
            if can_fit_memory(arch, schedule, device):
                acc = get_valid_acc(arch)
                if acc > best_acc:
                    best_acc, best_arch, best_schedule = acc, arch, schedule
                break
    return best_acc, best_arch, best_schedule
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "loop-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** the best arch and its first fitting schedule, with a stand-in accuracy
# (an arch's MACs), against the package's loop; and that non-fitting archs are never evaluated.
# **Why it matters:** accuracy evaluations are what a search pays for.

# %% nbgrader={"grade": true, "grade_id": "test-search-loop", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# test: the co-design loop
from tinyml_course.nas.tinynas import codesign_loop


def _macs(arch):
    return arch.network().macs / 1e8


_got = search(ARCHS, SMALL, schedules, _macs)
_want = codesign_loop(ARCHS, SMALL, schedules=schedules, get_acc=_macs)[:3]
assert _got[0] == _want[0] and _got[1] == _want[1], (_got[1].name, _want[1].name)
assert str(_got[2]) == str(_want[2]), (str(_got[2]), str(_want[2]))
_seen = []
search(ARCHS, SMALL, schedules, lambda a: _seen.append(a) or 0.5)
assert all(any(can_fit_memory(a, s, SMALL) for s in schedules(a)) for a in _seen)
assert search([sn.largest(80)], SMALL, lambda a: [Schedule("per-layer")], _macs) == (0.0, None, None)
### BEGIN HIDDEN TESTS
_nano = get_device("nano33")
_arch_space = [sn.random_arch(np.random.default_rng(5)) for _ in range(12)]
_want = codesign_loop(_arch_space, _nano, schedules=schedules, get_acc=_macs)[:3]
_got = search(_arch_space, _nano, schedules, _macs)
assert _got[1] == _want[1] and str(_got[2]) == str(_want[2])
_calls = []
search(_arch_space, SMALL, schedules, lambda a: _calls.append(a.name) or 0.1)
assert len(_calls) == len(set(_calls)) or len(_arch_space) != len(set(a.name for a in _arch_space))
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "best-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 3: the most accurate model under the nRF52832's budget
#
# Set `my_arch` to the most accurate subnet you can find that fits `SMALL` (64 KiB SRAM, 512 KiB
# Flash) under one of `schedules(arch)`. Use your `search` on more or smarter samples (mutate the
# best ones?), or anything else: every `get_acc` of a new arch costs about a second.
# Graded on a scale (4 points): it fits (1); it beats the best width/resolution-scaled
# MobileNetV2-style baseline that fits (1); it is within 2 points of the instructor's evolutionary
# search (1); within 0.5 points (1).

# %% nbgrader={"grade": false, "grade_id": "my-arch", "locked": false, "schema_version": 3, "solution": true, "task": false}
my_arch = None
### BEGIN SOLUTION
from tinyml_course.nas.tinynas import EVOLUTION, evolution

my_arch = evolution(SMALL, seed=0, get_acc=get_acc, **EVOLUTION).best_arch
### END SOLUTION
print(my_arch.name if my_arch else None)

# %% nbgrader={"grade": false, "grade_id": "leaderboard", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the leaderboard: you, the baselines and the instructor's search, by held-out accuracy
from tinyml_course.nas.tinynas import codesign

_report = codesign(SMALL, seed=0, cache=cache, get_acc=get_acc)
INSTRUCTOR = _report["best"]["accuracy"]
BASELINE = _report["best_baseline"]["accuracy"]
MINE = get_acc(my_arch) if my_arch is not None else 0.0
_rows = [("you", MINE), ("instructor (evolution)", INSTRUCTOR), ("best scaled baseline", BASELINE)]
for _rank, (_who, _acc) in enumerate(sorted(_rows, key=lambda r: -r[1]), 1):
    print(f"{_rank}. {_who:<24}{100 * _acc:6.1f}%")

# %% nbgrader={"grade": true, "grade_id": "test-my-arch-fits", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: your model fits the nRF52832 under some schedule
assert my_arch is not None, "set my_arch"
assert any(memory.fits(my_arch.network(), SMALL, schedule=s, dtype="int8").fits
           for s in schedules(my_arch)), f"{my_arch.name} does not fit {SMALL.name}"

# %% nbgrader={"grade": true, "grade_id": "test-beats-baseline", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: more accurate than the best fitting scaled baseline
assert my_arch is not None and any(memory.fits(my_arch.network(), SMALL, schedule=s, dtype="int8").fits
                                   for s in schedules(my_arch))
assert MINE > BASELINE, f"{100 * MINE:.1f}% <= baseline {100 * BASELINE:.1f}%"

# %% nbgrader={"grade": true, "grade_id": "test-near-instructor", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: within 2 points of the instructor's search
assert my_arch is not None and any(memory.fits(my_arch.network(), SMALL, schedule=s, dtype="int8").fits
                                   for s in schedules(my_arch))
assert MINE >= INSTRUCTOR - 0.02, f"{100 * MINE:.1f}% vs instructor {100 * INSTRUCTOR:.1f}%"

# %% nbgrader={"grade": true, "grade_id": "test-matches-instructor", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: within 0.5 points of the instructor's search
assert my_arch is not None and any(memory.fits(my_arch.network(), SMALL, schedule=s, dtype="int8").fits
                                   for s in schedules(my_arch))
assert MINE >= INSTRUCTOR - 0.005, f"{100 * MINE:.1f}% vs instructor {100 * INSTRUCTOR:.1f}%"

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Done
#
# Run all cells, then **Validate**. The hidden tests check the same functions on more cases.
