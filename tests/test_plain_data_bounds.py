"""Issue 19, finding 9 (unit level): the plain data a student's process returns (models,
arrays, notebooks) validated against limits written once, before anything is allocated, and the
grader's own measurement under a CPU budget. Each attack calls what the grader calls on a
student's data; its cost is printed beside the limit (not asserted: a loaded machine is slower).
"""
import json
import time
import tracemalloc

import nbformat
import numpy as np
import pytest

from tinyml_course.compression import trained
from tinyml_course.homework import plain_model as pm
from tinyml_course_grading import plain_data, submission, verdicts
from tinyml_course_grading.limits import GRADER, PLAIN, SANDBOX, SUBMISSION

MIB = 2**20

# --- 9: plain data validated before anything is allocated --------------------------------------

def padding_bomb(network, kernel=51, padding=50, layers=6):
    """A plain model that follows the op rules but costs the grader minutes: the stem, then
    ``layers`` depthwise ops of ``kernel`` x ``kernel`` with ``padding`` (the map grows by
    2 * padding - kernel + 1 each), a global pool and the classifier."""
    c, h, w = network.ops[0].out_shape
    ops = [list(pm.network_to_plain(network)["ops"][0])]
    weights = {ops[0][0]: [np.zeros((c, 1, 3, 3), np.float32), np.zeros(c, np.float32)]}
    prev = ops[0][0]
    for i in range(layers):
        grown = [c, h + 2 * padding - kernel + 1, w + 2 * padding - kernel + 1]
        ops.append([f"bomb{i}", "dwconv", [prev], [c, h, w], grown, kernel, 1, padding, None,
                    None, None])
        weights[f"bomb{i}"] = [np.zeros((c, kernel, kernel), np.float32), np.zeros(c, np.float32)]
        prev, (_, h, w) = f"bomb{i}", grown
    ops.append(["pool", "pool", [prev], [c, h, w], [c, 1, 1], 1, 1, 0, None, None, None])
    ops.append(["classifier", "linear", ["pool"], [c, 1, 1], [10, 1, 1], 1, 1, 0, None, None,
                None])
    weights["classifier"] = [np.zeros((10, c), np.float32), np.zeros(10, np.float32)]
    return {"network": {"name": "bomb", "input_shape": list(network.input_shape), "ops": ops},
            "weights": weights, "bits": 32}


@pytest.fixture(scope="module")
def digits_model():
    return trained.load_trained()


@pytest.mark.parametrize("kernel, padding, reason", [
    (51, 50, "kernel 51"), (3, 300, "padding 300 with a 3x3 kernel"), (7, 4, "padding 4"),
])
def test_costly_plain_models_are_refused_by_their_shapes(digits_model, kernel, padding, reason):
    """Is a model that follows the op rules but would cost the grader minutes (six 51x51
    depthwise with padding 50: 79 s a student before) refused before a weight is read, naming
    the op? The trained model itself is still rebuilt."""
    network, weights = digits_model
    bomb = padding_bomb(network, kernel, padding)
    tracemalloc.start()
    try:
        start = time.process_time()
        with pytest.raises(pm.ModelDataError, match=f"op 'bomb0': {reason}"):
            pm.model_from_plain(bomb, network)
        seconds, peak = time.process_time() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"refused in {seconds * 1000:.1f} ms CPU, {peak / MIB:.2f} MiB allocated "
          f"(limits: {GRADER.verdict_seconds:g} s, a few hundred MB)")
    assert pm.model_from_plain(pm.model_to_plain(network, weights, 8), network).network.ops == \
        network.ops


def test_a_model_over_the_mac_limit_is_refused(digits_model):
    """Kernel and padding within bounds but the MACs of many layers above 2^20: refused at the
    op that crosses the limit (the digits model needs 341,488)."""
    network, _ = digits_model
    assert network.macs == 341_488 < pm.LIMITS.macs == 2**20
    bomb = padding_bomb(network, kernel=7, padding=3, layers=40)  # 16x16 stays: 100,352 MACs each
    with pytest.raises(pm.ModelDataError, match=r"op 'bomb\d+': the network needs more than "
                                                r"1,048,576 MACs"):
        pm.model_from_plain(bomb, network)


def test_ops_are_counted_before_any_is_read(digits_model):
    """100,000 op rows that are not even ops: refused by their count, not by reading them."""
    network, _ = digits_model
    record = {"network": {"name": "n", "input_shape": list(network.input_shape),
                          "ops": [None] * 100_000}, "weights": {}, "bits": 8}
    with pytest.raises(pm.ModelDataError, match="1 to 64 ops, got 100000"):
        pm.model_from_plain(record, network)


def test_a_forged_array_header_allocates_nothing():
    """`(16000, 16000)` float64 (2 GB) with a few bytes of data: refused before allocating."""
    forged = {plain_data.ARRAY: "AAAA", "dtype": "float64", "shape": [16000, 16000]}
    tracemalloc.start()
    try:
        with pytest.raises(plain_data.PlainDataError, match="256000000 elements"):
            plain_data.restore({"weights": [forged]})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"forged header refused; {peak / 1024:.1f} KiB allocated (the header claims "
          f"{16000 * 16000 * 8 / MIB:,.0f} MiB)")
    assert peak < MIB


def test_extra_cells_are_counted_before_the_notebook_is_validated(tmp_path, monkeypatch):
    """100,000 extra cells: refused by their count, without nbformat's validation (a minute
    and hundreds of MB for one student before)."""
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
            "execution_count": None}
    nb = {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [cell] * 100_000}
    path = tmp_path / "s" / "hw.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(nb))
    calls = []
    monkeypatch.setattr(nbformat, "validate", lambda *a, **k: calls.append(1))
    monkeypatch.setattr(nbformat, "reads", lambda *a, **k: calls.append(1) or nb)
    start = time.process_time()
    failure = submission.problem(path.parent)
    seconds = time.process_time() - start
    print(f"{path.stat().st_size / MIB:.1f} MiB notebook of 100,000 cells refused in "
          f"{seconds:.2f} s CPU (limit: {SUBMISSION.cells} cells)")
    assert failure is not None and failure.detail == \
        f"hw.ipynb has 100000 cells (at most {SUBMISSION.cells})"
    assert calls == []


def test_the_graders_measurement_has_a_cpu_budget():
    """A check's `grade` that would run for minutes ends at the budget with one sentence; what
    it caught with `except Exception` does not stop the budget."""
    def endless():
        while True:
            try:
                sum(range(10**6))
            except Exception:
                pass
    start = time.process_time()
    with pytest.raises(verdicts.BudgetExceeded, match="budget of 0.5 CPU seconds"):
        with verdicts.cpu_budget(0.5):
            endless()
    spent = time.process_time() - start
    print(f"stopped after {spent:.2f} s CPU (budget 0.5 s; the grader's: "
          f"{GRADER.verdict_seconds:g} s)")
    # the profiling timer and process_time() tick apart: 0.497 s was read at load 10
    assert 0.45 <= spent < 30
    with verdicts.cpu_budget(5):  # within the budget: nothing happens, the timer is cleared
        sum(range(1000))
    import signal
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_limits_are_written_once():
    """The grading limits the issue names, each in limits.py (the plain model's in plain_model:
    the course package cannot import the grading package)."""
    assert (SANDBOX.tmp_mb, SANDBOX.work_mb, SANDBOX.answer_mb) == (512, 512, 16)
    assert (pm.LIMITS.kernel, pm.LIMITS.macs, pm.LIMITS.ops) == (7, 2**20, 64)
    assert PLAIN.array_elements == 8 * 2**20 and 0 < GRADER.verdict_seconds <= 10
