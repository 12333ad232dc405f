#!/usr/bin/env python3
"""Export each lecture notebook as a static reveal.js slide deck (HTML), with its figures.

    python tools/export_slides.py                 # every notebooks/*.ipynb -> build/slides/
    python tools/export_slides.py --out DIR notebooks/00_why_tinyml.ipynb
    python tools/export_slides.py --no-execute    # the decks as committed: no outputs

Each notebook is executed first in a fresh kernel (its folder as working directory), so the
figures are in the deck, then written by nbconvert's slides exporter (RISE's slide metadata:
slide, subslide, fragment, skip, notes) as ``<name>.slides.html``, on the lecture's canvas
(notebooks/slides.json: 1280x800, scaled to the window). A dashboard (an ipywidget) becomes what
it showed when the run ended: its figures as PNG images and its readouts as HTML, read from the
widget state the run stored (``static_widgets``), so the deck needs no kernel and no network; the
live ones need the notebook in JupyterLab (RISE). For a PDF, open the deck in Chromium with
``?print-pdf`` after its name and print to PDF. Nothing in notebooks/ changes. Exit status 1 with
one line per notebook that failed.
"""
import argparse
import json
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import ExecutePreprocessor

REPO = Path(__file__).resolve().parents[1]


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _widget_outputs(model_id, state, seen=None):
    """display_data outputs for the widget ``model_id`` and its children, in order: a PNG per
    Image widget (its value from the stored buffers), the HTML of HTML widgets."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]
    name, values = model.get("model_name"), model.get("state", {})
    if name == "ImageModel":
        data = next((b["data"] for b in model.get("buffers", []) if b.get("path") == ["value"]), None)
        return [nbformat.v4.new_output("display_data", {"image/png": data})] if data else []
    if name == "HTMLModel" and values.get("value"):
        return [nbformat.v4.new_output("display_data", {"text/html": values["value"]})]
    found = []
    for child in values.get("children", []):
        found += _widget_outputs(str(child).removeprefix("IPY_MODEL_"), state, seen)
    return found


def static_widgets(nb):
    """Replace every widget view among ``nb``'s outputs by its figures and readouts as they were
    when the run ended (from ``nb.metadata.widgets``, which the execution stores); in place."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            view = output.get("data", {}).get(WIDGET_VIEW)
            outputs += _widget_outputs(view["model_id"], state) if view else [output]
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return nb


def export(path, out_dir, execute=True, timeout=300):
    """Write ``out_dir/<stem>.slides.html`` from the notebook at ``path``; return its path."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if execute:
        ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
            nb, {"metadata": {"path": str(path.parent)}})
        static_widgets(nb)
    rise = nb.metadata.get("rise", {})
    canvas = {f"reveal_{k}": str(rise[k]) for k in ("width", "height") if k in rise}
    exporter = SlidesExporter(reveal_scroll=True, **canvas)
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
