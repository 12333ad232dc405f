"""TinyNAS on the supernet's space: the slide's loop against a brute force over every schedule,
the evolution's constraints and reproducibility, space optimisation, baselines, a patch schedule's
latency, and the CLI's accuracy objective. Accuracy is replaced by a known function of
the arch where the search logic is tested (the shipped supernet is tested in test_supernet.py)."""

import json

import pytest

from tinyml_course import memory
from tinyml_course.cli.main import main
from tinyml_course.memory.schedule import Schedule
from tinyml_course.model.devices import get_device
from tinyml_course.nas import evaluate, supernet as sn, tinynas as tn

SMALL = "nrf52832"  # 64 KiB SRAM: many archs do not fit per-layer


def fake_acc(arch):
    """A stand-in accuracy: grows with MACs, with a kernel bonus so ties are rare."""
    return arch.network().macs / 1e8 + sum(arch.kernels) * 1e-4


def test_loop_matches_a_brute_force_over_every_schedule():
    """Does the slide's loop pick the most accurate arch that fits under SOME schedule (checked
    with memory.profile on every per-layer/in-place/patch schedule), with its first fitting one?"""
    archs = tn.random_archs(25, seed=4)
    best_acc, best_arch, best_schedule, evaluated = tn.codesign_loop(archs, SMALL, get_acc=fake_acc)
    device = get_device(SMALL)
    fitting = []
    for arch in archs:
        net = arch.network()
        ok = [s for s in tn.schedule_space(arch)
              if memory.profile(net, schedule=s, dtype="int8").peak_sram_bytes <= device.sram_bytes
              and memory.profile(net, dtype="int8").flash_bytes <= device.flash_bytes]
        if ok:
            fitting.append((fake_acc(arch), arch, ok[0]))
    assert len(evaluated) == len(fitting) < len(archs)
    acc, arch, schedule = max(fitting, key=lambda t: t[0])
    assert (best_acc, best_arch, best_schedule) == (acc, arch, schedule)
    per_layer = tn.codesign_loop(archs, SMALL, schedules=tn.only(["per-layer"]), get_acc=fake_acc)
    assert len(per_layer[3]) < len(evaluated)  # in-place depthwise admits a model per-layer cannot
    assert per_layer[0] <= best_acc
    assert all(s.kind == "per-layer" for _, s, _ in per_layer[3])


def test_evolution_is_reproducible_and_keeps_to_the_budget():
    """Does the same seed give the same best, does every evaluated arch fit, and does the best
    beat the best of the random initial population?"""
    a = tn.evolution(SMALL, population=8, generations=3, parents=3, seed=1, get_acc=fake_acc)
    b = tn.evolution(SMALL, population=8, generations=3, parents=3, seed=1, get_acc=fake_acc)
    assert a.best_arch == b.best_arch and a.evaluations == b.evaluations
    assert all(any(tn.can_fit_memory(x, s, SMALL) for s in tn.schedule_space(x)) for x in a.archs)
    assert a.best_acc == max(fake_acc(x) for x in a.archs) >= a.history[7]
    assert a.history == sorted(a.history)


def test_describe_and_baselines_use_the_first_fitting_schedule():
    """Is a described model's peak the memory.profile peak of its schedule, and is the best
    baseline the most accurate fitting MobileNetV2-style model?"""
    arch = sn.largest(24)
    model = tn.describe(arch, SMALL, get_acc=fake_acc)
    assert model.fits and str(model.schedule) == "in-place"  # per-layer needs 67.5 KiB > 64 KiB
    net = arch.network()
    assert model.peak_sram_bytes == memory.profile(net, "in-place").peak_sram_bytes <= 64 * 1024
    assert memory.profile(net, "per-layer").peak_sram_bytes > 64 * 1024
    assert not tn.describe(sn.largest(28), SMALL, get_acc=fake_acc).fits  # 85.8 KiB in-place
    base = tn.baselines(SMALL, get_acc=fake_acc)
    assert len(base) == len(sn.WIDTHS) * len(sn.RESOLUTIONS)
    best = tn.best_fitting(base)
    assert best.accuracy == max(m.accuracy for m in base if m.fits)
    assert all(k == 3 for k in best.arch.kernels) and all(e == 6 for e in best.arch.expands)


def test_space_optimisation_picks_the_space_with_the_largest_fitting_macs():
    spaces, best = tn.space_optimisation(SMALL, samples=6, seed=0)
    assert set(spaces) == {(w, r) for w in sn.WIDTHS for r in sn.RESOLUTIONS}
    eligible = {k: v for k, v in spaces.items() if len(v) >= 6 / 4}
    assert best == max(eligible, key=lambda k: eligible[k].mean())


def test_patch_latency_counts_the_recomputed_overlaps():
    """Does a patch schedule's latency exceed the in-place one of the same arch (its overlapping
    windows recompute), while the architecture's MACs stay the same?"""
    arch = sn.smallest(24, 0.5)
    patch = next(s for s in tn.schedule_space(arch) if s.kind == "patch")
    net = arch.network()
    executed = sum(layer.macs for layer in memory.profile(net, schedule=patch, dtype="int8").layers)
    assert executed > net.macs
    only_patch = tn.describe(arch, SMALL, lambda a: [patch], accuracy=0.5)
    in_place = tn.describe(arch, SMALL, lambda a: [Schedule("in-place")], accuracy=0.5)
    assert only_patch.macs == in_place.macs == net.macs
    assert only_patch.instructions > in_place.instructions
    assert only_patch.latency_ms > in_place.latency_ms


def test_cli_accuracy_objective_json_and_errors(capsys, monkeypatch):
    """Does --objective accuracy --json print one object with device, the dataset (Fashion-MNIST,
    its held-out sizes), best and baselines, each model with the documented keys and the standard
    error of its accuracy, the best and the best baseline with their test accuracy; and is a bad
    objective one line with exit status 2?"""
    monkeypatch.setattr(tn, "get_valid_acc", lambda arch, cache=None: fake_acc(arch))
    monkeypatch.setattr(tn, "test_accuracy", lambda arch, cache=None: 0.9)
    status = main(["search", "--device", SMALL, "--objective", "accuracy", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0 and data["device"] == SMALL
    assert data["dataset"]["name"] == "Fashion-MNIST"
    assert data["dataset"]["test_examples"] == data["dataset"]["val_examples"] == 2500
    keys = {"arch", "schedule", "resolution", "accuracy", "accuracy_se", "peak_sram_bytes",
            "flash_bytes", "macs", "fits", "instructions", "latency_ms"}
    for model in (data["best"], data["best_baseline"]):
        assert model["test_accuracy"] == 0.9
        assert model["test_accuracy_se"] == pytest.approx((0.9 * 0.1 / 2500) ** 0.5, abs=1e-5)
    assert data["margin_over_best_baseline"]["test_points"] == 0
    assert data["latency"] == ("calibrated on the emulator (instruction counts exact, cycles an "
                               "estimate)")
    for model in [data["best"]] + data["baselines"]:
        assert keys <= model.keys()
    assert data["best"]["fits"] and data["best"]["peak_sram_bytes"] <= 64 * 1024
    assert main(["search", "--device", SMALL, "--objective", "speed"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'speed'" in err[0]


def test_cli_latency_budget_bounds_the_search(capsys, monkeypatch):
    """Does `search --objective accuracy --max-latency-ms X` return only models (searched and
    baselines) whose latency estimate is at most X, name the budget in its JSON, and give up a
    model the unbudgeted search picks when that one is slower than X?"""
    monkeypatch.setattr(tn, "get_valid_acc", lambda arch, cache=None: fake_acc(arch))
    monkeypatch.setattr(tn, "test_accuracy", lambda arch, cache=None: 0.9)
    assert main(["search", "--device", SMALL, "--objective", "accuracy", "--json"]) == 0
    free = json.loads(capsys.readouterr().out)
    budget = round(free["best"]["latency_ms"] / 2, 1)  # the unbudgeted best is over it
    assert main(["search", "--device", SMALL, "--objective", "accuracy", "--json",
                 "--max-latency-ms", str(budget)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["max_latency_ms"] == budget and free["max_latency_ms"] is None
    assert data["best"]["name"] != free["best"]["name"]
    fitting = data["top"] + [m for m in data["baselines"] if m["fits"]]
    assert fitting and all(m["latency_ms"] <= budget for m in fitting)


@pytest.mark.parametrize("argv,message", [
    (["--objective", "accuracy", "--max-latency-ms", "-5"],
     "argument --max-latency-ms: expected a number > 0, got '-5'"),
    (["--objective", "accuracy", "--max-latency-ms", "fast"],
     "argument --max-latency-ms: expected a number > 0, got 'fast'"),
    (["--max-latency-ms", "100"], "--max-latency-ms is a budget of --objective accuracy"),
    (["--objective", "accuracy", "--max-latency-ms", "0.01"],
     f"no subnet fits {SMALL} within 0.01 ms (latency ESTIMATE; the smallest subnet needs ~"),
])
def test_cli_latency_budget_errors_are_one_line(capsys, monkeypatch, argv, message):
    """Is a bad budget, a budget without the accuracy objective, or a budget no subnet meets one
    line on stderr with exit status 2?"""
    monkeypatch.setattr(tn, "get_valid_acc", lambda arch, cache=None: fake_acc(arch))
    assert main(["search", "--device", SMALL] + argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
