"""Shared test setup: a hermetic Jupyter/IPython/matplotlib environment and `rng`.

The markers (slow, remeasure, hub) are registered once, in pyproject.toml.

The environment is fixed at import time, before any test module imports matplotlib or Jupyter:
all per-user dirs point into one throwaway folder (kept as is when `course.py test` made it),
MPLBACKEND=Agg, and a `python3` kernelspec that runs this interpreter.
"""
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # `import harness` works however pytest was started
    sys.path.insert(0, str(TESTS))

from harness.env import ensure_hermetic  # noqa: E402

ensure_hermetic()

import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = TESTS.parent


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test: tests stay independent and reproducible."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def repo_root():
    return REPO
