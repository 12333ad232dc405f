#!/usr/bin/env python3
"""How long each lecture notebook takes to run top to bottom, beside an empty notebook's time.

    python benchmarks/bench_notebooks.py [notebooks/10_sram_dashboard.ipynb ...]

The empty notebook measures the kernel's start and stop alone, so "cells" is what the lecture
itself costs. Each notebook runs in a fresh kernel of this interpreter, as the tests run it.
Wall clock (time.perf_counter), one run each: run it on a quiet machine.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.notebooks import execute_notebook  # noqa: E402


def timed(path):
    start = time.perf_counter()
    execute_notebook(path, timeout=300)
    return time.perf_counter() - start


def main(paths):
    paths = [Path(p) for p in paths] or sorted((REPO / "notebooks").glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("# nothing\n")]
        nbformat.write(nb, empty)
        baseline = timed(empty)
    print(f"{'notebook':<34}{'total s':>9}{'cells s':>9}")
    print(f"{'(empty: kernel start + stop)':<34}{baseline:>9.1f}{0:>9.1f}")
    total = 0.0
    for path in paths:
        seconds = timed(path)
        total += seconds
        print(f"{path.name:<34}{seconds:>9.1f}{seconds - baseline:>9.1f}")
    print(f"{f'all {len(paths)}, one after the other':<34}{total:>9.1f}")
    print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to time (default: all lecture notebooks)")
    args = parser.parse_args()
    missing = [p for p in args.notebooks if not Path(p).is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    main(args.notebooks)
