"""Shared test setup: a hermetic Jupyter/IPython/matplotlib environment, `rng`, the `slow` marker.

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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: takes more than a few seconds (still part of the default run)")
    config.addinivalue_line(
        "markers", "hub: the JupyterHub end-to-end test (root; creates throwaway system users)")


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test: tests stay independent and reproducible."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def repo_root():
    return REPO
