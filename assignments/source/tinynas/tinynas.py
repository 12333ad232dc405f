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
# Here you write it yourself on the course's trained weight-sharing supernet (Fashion-MNIST,
# accuracies on its 2,500 held-out `val` images); the `tinyml_course` package is the oracle the tests compare
# you with.
#
# 1. **`can_fit_memory`**: int8 peak SRAM and Flash against a device (2 points),
# 2. **the search loop** of the slide (4 points),
# 3. **the most accurate model under the nRF52832's budget** (64 KiB SRAM, 512 KiB Flash), graded
#    against the instructor's search on a scale (4 points) and shown on a leaderboard.
#
# Memory in bytes (KiB = 1024), int8 activations and weights. Do not call or import the package's
# solutions (`memory.fits`, `tinyml_course.nas.tinynas`'s loop and searches) in your answers to
# exercises 1 and 2: an exercise answered with the package's reference earns no credit. The
# grader runs hidden checks outside your notebook; for exercise 3 it rebuilds your `my_arch`
# and measures its memory and accuracy itself.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the space, the schedules, the devices and the accuracy you may use
import numpy as np

from tinyml_course import memory
from tinyml_course.homework import expect_all, expect_equal, expect_true, require_answered
from tinyml_course.memory.schedule import Schedule
from tinyml_course.model.devices import Device, get_device
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
    EXAMPLE: can_fit_memory(sn.largest(28), Schedule("per-layer"), SMALL) -> False (91.9 KiB).
    HINT: return a plain bool.
    """
    ### BEGIN SOLUTION
    prof = memory.profile(arch.network(), schedule=schedule, dtype="int8")
    return bool(prof.peak_sram_bytes <= device.sram_bytes and prof.flash_bytes <= device.flash_bytes)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "fit-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What we're testing:** your answer on archs and schedules where SRAM decides and where Flash does.
# **Why it matters:** a model that misses by one byte does not run.
# **Expected:** `can_fit_memory(sn.largest(28), Schedule("per-layer"), SMALL) is False`.

# %% nbgrader={"grade": true, "grade_id": "test-can-fit-memory", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# test: can_fit_memory (the grader tries other archs, devices and the boundary cases)
require_answered(can_fit_memory)
FLASH_BOUND = Device("flash-bound", "test", "none", 1, 10 * 1024 * 1024, 7 * 1024)  # 7 KiB Flash
_cases = [("largest(28), per-layer, nRF52832", sn.largest(28), Schedule("per-layer"), SMALL,
           False),  # 94080 bytes of SRAM > 65536
          ("smallest(), per-layer, nRF52832", sn.smallest(), Schedule("per-layer"), SMALL,
           True),  # 8192 bytes of SRAM, 10364 of Flash
          ("smallest(), per-layer, 7 KiB of Flash", sn.smallest(), Schedule("per-layer"),
           FLASH_BOUND, False)]  # 10364 bytes of Flash > 7168: Flash decides here
_cases += [(f"ARCHS[{_i}], {_s}, nRF52832", ARCHS[_i], _s, SMALL, _want)
           for _i, _wants in [(0, (False, False)), (1, (True, True)), (7, (False, False)),
                              (2, (True, True))]
           for _s, _want in zip(schedules(ARCHS[_i])[:2], _wants)]
expect_all("can_fit_memory", [
    (_what, lambda a=_a, s=_s, d=_d, w=_w: expect_equal(
        "can_fit_memory", can_fit_memory(a, s, d), w, why="SRAM and Flash must both fit"))
    for _what, _a, _s, _d, _w in _cases])

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
# (an arch's MACs); that every fitting arch is evaluated once and no other.
# **Why it matters:** accuracy evaluations are what a search pays for.

# %% nbgrader={"grade": true, "grade_id": "test-search-loop", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# test: the co-design loop on ARCHS with a stand-in accuracy (an arch's MACs / 1e8); the grader
# tries other arch spaces and devices


def _macs(arch):
    return arch.network().macs / 1e8


require_answered(search)
_got = search(ARCHS, SMALL, schedules, _macs)
expect_true(isinstance(_got, tuple) and len(_got) == 3,
            f"search returns (best_acc, best_arch, best_schedule), got {_got!r}")
expect_equal("best_acc", _got[0], 0.07036272, tol=1e-12)
expect_equal("best_arch.name", getattr(_got[1], "name", _got[1]),
             "r28-w1-d122-k5e4-k7e6-k7e6-k7e3-k7e3")
expect_equal("best_schedule", str(_got[2]), "per-layer",
             why="the first schedule of its space that fits")
_seen = []
search(ARCHS, SMALL, schedules, lambda a: _seen.append(a.name) or 0.5)
expect_equal("the number of accuracy evaluations", len(_seen), 29,
             why="every arch that fits, once; none that does not")
expect_equal("search on an arch that fits nowhere",
             search([sn.largest(28)], SMALL, lambda a: [Schedule("per-layer")], _macs),
             (0.0, None, None))

# %% [markdown] nbgrader={"grade": false, "grade_id": "best-lead", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Exercise 3: the most accurate model under the nRF52832's budget
#
# Set `my_arch` to the most accurate subnet you can find that fits `SMALL` (64 KiB SRAM, 512 KiB
# Flash) under one of `schedules(arch)`. Use your `search` on more or smarter samples (mutate the
# best ones?), or anything else: every `get_acc` of a new arch costs seconds (a minute for the
# largest ones).
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
# your leaderboard, by your own get_acc (the class leaderboard is the grader's measurement)
from tinyml_course.nas.tinynas import codesign

_report = codesign(SMALL, seed=0, cache=cache, get_acc=get_acc)
INSTRUCTOR = _report["best"]["accuracy"]
BASELINE = _report["best_baseline"]["accuracy"]
MINE = get_acc(my_arch) if my_arch is not None else 0.0
_rows = [("you", MINE), ("instructor (evolution)", INSTRUCTOR), ("best scaled baseline", BASELINE)]
for _rank, (_who, _acc) in enumerate(sorted(_rows, key=lambda r: -r[1]), 1):
    print(f"{_rank}. {_who:<24}{100 * _acc:6.1f}%")

# %% nbgrader={"grade": true, "grade_id": "test-my-arch-fits", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: your model fits the nRF52832 under some schedule (the grader rebuilds my_arch and checks)
expect_true(my_arch is not None, "set my_arch to an architecture of the space")
expect_true(any(can_fit_memory(my_arch, s, SMALL) for s in schedules(my_arch)),
            f"{my_arch.name} fits {SMALL.name} under none of its schedules (by your can_fit_memory)")

# %% nbgrader={"grade": true, "grade_id": "test-beats-baseline", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: more accurate than the best fitting scaled baseline (the grader measures my_arch itself)
expect_true(MINE > BASELINE, f"your measurement {100 * MINE:.1f}% is not above the baseline's "
                             f"{100 * BASELINE:.1f}%")

# %% nbgrader={"grade": true, "grade_id": "test-near-instructor", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: within 2 points of the instructor's search (the grader measures my_arch itself)
expect_true(MINE >= INSTRUCTOR - 0.02, f"your measurement {100 * MINE:.1f}% is more than 2 points "
                                       f"below the instructor's {100 * INSTRUCTOR:.1f}%")

# %% nbgrader={"grade": true, "grade_id": "test-matches-instructor", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# test: within 0.5 points of the instructor's search (the grader measures my_arch itself)
expect_true(MINE >= INSTRUCTOR - 0.005, f"your measurement {100 * MINE:.1f}% is more than 0.5 "
                                        f"points below the instructor's {100 * INSTRUCTOR:.1f}%")

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Done
#
# Run all cells, then **Validate**. The hidden tests check the same functions on more cases.
