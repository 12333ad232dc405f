#!/usr/bin/env python3
"""Export each lecture notebook as a static reveal.js slide deck (HTML), with its figures.

    python tools/export_slides.py                 # every notebooks/*.ipynb -> build/slides/
    python tools/export_slides.py --out DIR notebooks/00_why_tinyml.ipynb
    python tools/export_slides.py --no-execute    # the decks as committed: no outputs

Each notebook is executed first in a fresh kernel (its folder as working directory), so the
figures are in the deck, then written by nbconvert's slides exporter (RISE's slide metadata:
slide, subslide, fragment, skip, notes) as ``<name>.slides.html``. Widgets show as their last
state: the live ones need the notebook in JupyterLab (RISE). Nothing in notebooks/ changes.
Exit status 1 with one line per notebook that failed.
"""
import argparse
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import ExecutePreprocessor

REPO = Path(__file__).resolve().parents[1]


def export(path, out_dir, execute=True, timeout=300):
    """Write ``out_dir/<stem>.slides.html`` from the notebook at ``path``; return its path."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if execute:
        ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
            nb, {"metadata": {"path": str(path.parent)}})
    exporter = SlidesExporter(reveal_scroll=True)
    body, _ = exporter.from_notebook_node(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.slides.html"
    target.write_text(body)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "build" / "slides")
    parser.add_argument("--no-execute", action="store_true", help="export without running")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((REPO / "notebooks").glob("*.ipynb"))
    failed = 0
    for path in paths:
        try:
            print(f"wrote {export(path, args.out, not args.no_execute)}")
        except Exception as err:  # one line per failing deck; the others still get written
            failed += 1
            print(f"FAILED {path}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
