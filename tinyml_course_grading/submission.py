"""A submission folder checked before nbgrader or the sandbox sees it.

`problem(folder)` -> a typed `Failure`, or None when the folder can be graded: it holds a
notebook; no symbolic link anywhere (nbgrader would follow one: a link to the instructor's
source would be graded as the source, a link named notes.html to the hidden checks would be
copied into the feedback); at most `limits.SUBMISSION` files and bytes; each notebook within its
size, valid JSON and a valid notebook, with no graded cell twice and no more cells or code than
allowed. Nothing is read before its size is known.
"""
import json
import os
import stat
from pathlib import Path

from .limits import SUBMISSION
from .messages import Failure, FailureKind


def _source_chars(cell):
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        return sum(len(line) for line in source if isinstance(line, str))
    return len(source) if isinstance(source, str) else 0


def _notebook_problem(path, limits):
    """Why the notebook at ``path`` cannot be graded (one sentence), or None. Its size, then
    its cells and characters of code are counted on the raw JSON before nbformat reads and
    validates it (validating 100,000 cells costs the grader a minute)."""
    import nbformat

    size = path.stat().st_size
    if size > limits.notebook_bytes:
        return f"{path.name} is {size} bytes (at most {limits.notebook_bytes})"
    try:
        raw = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return f"{path.name} is not JSON"
    cells = raw.get("cells") if isinstance(raw, dict) else None
    if not isinstance(cells, list):
        return f"{path.name} is not a valid notebook"
    if len(cells) > limits.cells:
        return f"{path.name} has {len(cells)} cells (at most {limits.cells})"
    chars = sum(_source_chars(c) for c in cells if isinstance(c, dict)
                and c.get("cell_type") == "code")
    if chars > limits.source_chars:
        return f"{path.name} has {chars} characters of code (at most {limits.source_chars})"
    try:
        nb = nbformat.from_dict(raw)
        nbformat.validate(nb)
    except (ValueError, nbformat.ValidationError, KeyError, TypeError, AttributeError):
        return f"{path.name} is not a valid notebook"
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells]
    ids = [g for g in ids if g]
    twice = sorted({g for g in ids if ids.count(g) > 1})
    if twice:
        return f"the graded cell {twice[0]!r} appears more than once"
    return None


def problem(folder, limits=SUBMISSION):
    """Why the submission ``folder`` cannot be graded as it is (a Failure), or None."""
    folder = Path(folder)
    if os.path.islink(folder):
        return Failure(FailureKind.INVALID_SUBMISSION, f"{folder.name} is a symbolic link")
    files, total = [], 0
    for root, dirs, names in os.walk(folder, followlinks=False):
        for name in dirs + names:
            path = Path(root) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                rel = path.relative_to(folder.parent)
                return Failure(FailureKind.INVALID_SUBMISSION, f"{rel} is a symbolic link "
                               "(submissions are graded as regular files only)")
            if stat.S_ISREG(mode):
                files.append(path)
                total += os.lstat(path).st_size
            elif not stat.S_ISDIR(mode):
                return Failure(FailureKind.INVALID_SUBMISSION,
                               f"{path.relative_to(folder.parent)} is not a regular file")
        if len(files) > limits.files or total > limits.total_bytes:
            return Failure(FailureKind.INVALID_SUBMISSION, f"more than {limits.files} files or "
                           f"{limits.total_bytes} bytes")
    notebooks = sorted(p for p in folder.glob("*.ipynb"))
    if not notebooks:
        return Failure(FailureKind.NO_NOTEBOOK, "no .ipynb in the submission folder")
    for nb in notebooks:
        why = _notebook_problem(nb, limits)
        if why:
            return Failure(FailureKind.INVALID_NOTEBOOK, why)
    return None
