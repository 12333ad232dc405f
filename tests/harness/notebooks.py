"""Run a notebook top to bottom in a fresh kernel of this interpreter."""
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from .env import ensure_hermetic


class NotebookExecutionError(AssertionError):
    """A cell raised or timed out; the message names the notebook, the cell and its source."""


def _first_error(nb):
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, cell, output
    return None, None, None


FIGURE_TEXT = re.compile(r"<(?:matplotlib\.figure\.)?Figure size [^>]*>")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _figures_as_text(outputs):
    """The text/plain reprs of figures among `outputs` that came without an image/png."""
    bad = []
    for output in outputs:
        data = output.get("data", {})
        text = data.get("text/plain", "")
        if isinstance(text, list):
            text = "".join(text)
        if output.get("output_type") == "stream":
            text = output.get("text", "")
        if FIGURE_TEXT.search(text or "") and "image/png" not in data:
            bad.append(FIGURE_TEXT.search(text).group(0))
    return bad


def figures_shown_as_text(nb):
    """Where an executed notebook shows a figure as text (`<Figure size 640x480 with 1 Axes>`)
    instead of an image: a list of 'cell N: <Figure ...>' strings, empty when every figure is a PNG.

    Looks at the cells' outputs and at what ipywidgets Output widgets captured (the widget state
    nbclient stores in the notebook metadata).
    """
    found = [f"cell {i}: {text}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             for text in _figures_as_text(cell.get("outputs", []))]
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for model_id, model in state.items():
        outputs = model.get("state", {}).get("outputs", [])
        found += [f"widget {model_id}: {text}" for text in _figures_as_text(outputs)]
    return found


def execute_notebook(path, timeout=120, cwd=None):
    """Execute the notebook at `path` in a fresh `python3` kernel and return it with outputs.

    The kernel runs in sys.executable (see env.install_kernelspec); `cwd` defaults to the
    notebook's folder; `timeout` is per cell, in seconds. The file on disk is not modified.
    Raises NotebookExecutionError with the failing cell's index, source and error, or when a
    figure shows as text instead of an image (figures_shown_as_text).
    """
    ensure_hermetic()
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(cwd or path.parent)}},
    )
    try:
        client.execute()
    except CellTimeoutError as e:
        index = next((i for i, c in enumerate(nb.cells)
                      if c.cell_type == "code" and c.get("execution_count") is None
                      and c.source.strip()), "?")
        source = nb.cells[index].source if isinstance(index, int) else ""
        raise NotebookExecutionError(
            f"{path}: cell {index} ran past {timeout} s:\n{source}\n{e}") from None
    except CellExecutionError as e:
        index, cell, output = _first_error(nb)
        if cell is None:
            raise NotebookExecutionError(f"{path}: {e}") from None
        raise NotebookExecutionError(
            f"{path}: cell {index} failed:\n--- source ---\n{cell.source}\n--- error ---\n"
            f"{output.get('ename')}: {output.get('evalue')}\n\n{e}") from None
    as_text = figures_shown_as_text(nb)
    if as_text:
        raise NotebookExecutionError(
            f"{path}: figures shown as text, not as images (no inline backend?): "
            + "; ".join(as_text))
    return nb


def stream_text(nb):
    """Everything the notebook's code cells printed (stdout and stderr), as one string."""
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")


def code_cells(nb):
    """The notebook's code cells, in order."""
    return [c for c in nb.cells if c.cell_type == "code"]


def shows_widget(cell):
    """Whether an executed cell displayed an ipywidget."""
    return any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cell.get("outputs", []))


def images(cell):
    """The PNG images an executed cell displayed."""
    return [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
