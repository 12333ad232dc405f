"""Compute an expensive fixture value once per test run, even across pytest-xdist workers."""
import os
import pickle
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no cross-process lock; each worker computes its own
    fcntl = None


@contextmanager
def _locked(path):
    with open(path, "a+") as f:
        if fcntl is not None:
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(f, fcntl.LOCK_UN)


def once(tmp_path_factory, key, compute):
    """Return `compute(folder)` computed by the first worker that asks; the others unpickle it.

    `folder` is an empty directory private to this run; the value must be picklable and may
    refer to files in `folder` (all workers of one run share the file system). Without xdist
    this is just `compute(tmp_path_factory.mktemp(key))`.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return compute(tmp_path_factory.mktemp(key))
    shared = Path(tmp_path_factory.getbasetemp()).parent  # pytest-N/, one per run
    done = shared / f"{key}.pickle"
    with _locked(shared / f"{key}.lock"):
        if done.exists():
            return pickle.loads(done.read_bytes())
        folder = shared / key
        folder.mkdir()
        value = compute(folder)
        done.write_bytes(pickle.dumps(value))
        return value
