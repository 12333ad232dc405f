#!/usr/bin/env python3
"""Generate every lecture and assignment ``.ipynb`` from its jupytext percent ``.py`` source.

    python tools/build_notebooks.py            # rewrite the .ipynb of every source
    python tools/build_notebooks.py --check    # list the .ipynb that differ from their source (exit 1)
    python tools/build_notebooks.py FILE.py    # just these sources

The ``.py`` files are what people edit and review; the ``.ipynb`` beside each is generated, with
no outputs, and with stable cell ids (the nbgrader ``grade_id`` where a cell has one, else
``cell-<n>``) so that a regenerated notebook is byte-identical. ``tools/check_course.py`` runs
``--check`` as a release gate.
"""
import argparse
import json
import sys
from pathlib import Path

import jupytext
import nbformat

REPO = Path(__file__).resolve().parents[1]
SOURCE_GLOBS = ["notebooks/*.py", "assignments/source/*/*.py"]
JUPYTEXT_HEADER = "# ---\n# jupyter:\n"  # a percent source opens with this front matter
SLIDES_CONFIG = "slides.json"  # a folder's RISE settings, written into each notebook's metadata


def sources(root=REPO):
    """Every jupytext percent source under ``root``, sorted."""
    found = []
    for pattern in SOURCE_GLOBS:
        found += [p for p in root.glob(pattern) if p.read_text().startswith(JUPYTEXT_HEADER)]
    return sorted(found)


def slides_config(folder):
    """The RISE settings of the notebooks in ``folder`` (its slides.json, keys starting with '_'
    left out), or None when it has none."""
    path = Path(folder) / SLIDES_CONFIG
    if not path.exists():
        return None
    return {k: v for k, v in json.loads(path.read_text()).items() if not k.startswith("_")}


def build(source):
    """The notebook (nbformat v4 node) generated from the percent source at ``source``; a
    ``slides.json`` beside it becomes the notebook's ``rise`` metadata (the lecture slides)."""
    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    rise = slides_config(Path(source).parent)
    if rise is not None:
        nb.metadata["rise"] = rise
    seen = set()
    for index, cell in enumerate(nb.cells):
        cell_id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell-{index}"
        if cell_id in seen:  # duplicated grade_ids are the gates' business, not a crash here
            cell_id = f"{cell_id}-{index}"
        seen.add(cell_id)
        cell["id"] = cell_id
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    return nb


def render(source):
    """The exact text of the ``.ipynb`` generated from ``source``."""
    return nbformat.writes(build(source)) + "\n"


def out_of_date(paths):
    """The sources among ``paths`` whose ``.ipynb`` is missing or differs from what they generate."""
    stale = []
    for source in paths:
        target = source.with_suffix(".ipynb")
        if not target.exists() or target.read_text() != render(source):
            stale.append(source)
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="percent sources (default: all)")
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.files] or sources()
    stale = out_of_date(paths)
    if args.check:
        for source in stale:
            print(f"{source.relative_to(REPO)}: its .ipynb is stale; run tools/build_notebooks.py")
        return 1 if stale else 0
    for source in stale:
        source.with_suffix(".ipynb").write_text(render(source))
        print(f"wrote {source.with_suffix('.ipynb').relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
