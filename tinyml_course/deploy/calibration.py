"""Calibrate ``latency``'s table on the emulator: deploy networks, count instructions per layer and
per class, fit instructions per unit of every loop trip count by least squares.

``measure(network, schedule, device)`` deploys one network (generated weights,
``deploy.int8_model``) with counting and returns a ``Sample``: per label, the trip-count features
of its steps and the emulator's instructions per class (plus LDM/STM registers). ``fit(samples)``
solves one least-squares problem over every label of every sample: row = label, columns =
(kernel key, feature), targets = ``latency.TARGETS``. ``scripts/calibrate_latency.py`` chooses the networks and writes the JSON.
"""

from dataclasses import dataclass

import numpy as np

from ..memory.schedule import as_schedule
from ..model.devices import get_device
from .cost import CLASSES
from .deploy import deploy, int8_model
from .latency import (DEFAULT_KERNELS, FEATURES, label_features, loops_of, predict_features,
                      sum_features)
from .program import build_program
from .toolchain import cpu_of

DIGITS = 7  # significant digits kept of each coefficient (instructions per trip: 1e-7 relative)


@dataclass
class Sample:
    """One emulated deployment: per-label features and measured targets (instructions per class,
    registers), the total instructions (exact, emulator)."""

    network: str
    schedule: str
    cpu: str
    features: list  # per label: {key: feature vector}
    targets: np.ndarray  # (labels, len(TARGETS)) float64
    instructions: int


def measure(network, schedule, device, seed=0, kernels=DEFAULT_KERNELS):
    """Sample of ``network`` deployed under ``schedule`` on ``device`` with kernel set ``kernels``
    (generated He weights and input from ``seed``). About a second per few million instructions."""
    device = get_device(device)
    schedule = as_schedule(schedule)
    model, image = int8_model(network, seed)
    run = deploy(model, image, device, schedule=schedule, kernels=kernels)
    targets = np.array([[layer["classes"][c] for c in CLASSES] + [layer["registers"]]
                        for layer in run.layers], np.float64)
    features = label_features(build_program(network, schedule), kernels)
    return Sample(network.name, str(schedule), cpu_of(device), features, targets, run.instructions)


def _columns(samples):
    """[(key, feature index)] of every key the samples use, in FEATURES order (then variant)."""
    used = {key for s in samples for row in s.features for key in row}
    order = {name: i for i, name in enumerate(FEATURES)}
    keys = sorted(used, key=lambda k: (order[k.split("/")[0]], k))
    return [(key, i) for key in keys for i in range(len(loops_of(key)))]


def fit(samples):
    """Least-squares coefficients {key: [[per target] per feature]} over every label of ``samples``.

    Columns are scaled to unit maximum before solving; collinear columns (e.g. a marker's call
    beside a kernel's call in every label) get the minimum-norm split, which predicts the same.
    A feature that is zero in every sample (e.g. odd output channels: the supernet has none) gets
    None: ``latency`` refuses to predict a call that has it rather than guess."""
    columns = _columns(samples)
    index = {c: j for j, c in enumerate(columns)}
    rows, targets = [], []
    for s in samples:
        for row, target in zip(s.features, s.targets):
            x = np.zeros(len(columns))
            for key, values in row.items():
                for i, v in enumerate(values):
                    x[index[key, i]] = v
            rows.append(x)
            targets.append(target)
    x, y = np.array(rows), np.array(targets)
    scale = np.abs(x).max(axis=0)
    scale[scale == 0] = 1.0
    solution, *_ = np.linalg.lstsq(x / scale, y, rcond=None)
    solution /= scale[:, None]
    out = {}
    for (key, i), coef, seen in zip(columns, solution, np.abs(x).max(axis=0) > 0):
        out.setdefault(key, []).append([float(f"{v:.{DIGITS}g}") for v in coef] if seen else None)
    return out


def errors(samples, coefficients, clock_mhz=1):
    """[(network, schedule, measured instructions, predicted instructions, relative error)]."""
    table = {"cpus": {s.cpu: {"coefficients": coefficients} for s in samples}}
    out = []
    for s in samples:
        predicted = predict_features(sum_features(s.features), s.cpu, clock_mhz, table).instructions
        out.append((s.network, s.schedule, s.instructions, predicted,
                    (predicted - s.instructions) / s.instructions))
    return out

