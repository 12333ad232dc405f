#!/usr/bin/env python3
"""Write the student edition of the lecture notebooks: no speaker notes, no outputs, and no
sentence that states a graded answer.

    python tools/student_edition.py OUT_DIR              # every notebooks/*.ipynb -> OUT_DIR
    python tools/student_edition.py OUT_DIR a.ipynb ...

The lecture notebooks are the instructor's slides: their speaker notes (cells whose RISE
``slide_type`` is ``notes``) say which slide answers which takeaway question. Everything a
student receives (tools/build_student.py's bundle, a deck exported for students) takes the
student edition instead: the notes cells dropped, outputs and execution counts cleared. Each
notebook is then scanned with tools/answer_leaks.py for the quiz key's answers; a notebook
that still states one is refused (``LeakError`` naming the file, the cell and the sentence),
so a new sentence in a slide that gives an answer away fails the build instead of reaching a
student. Standard library only.
"""
import argparse
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import answer_leaks  # noqa: E402

REPO = answer_leaks.REPO
NOTES = "notes"  # the RISE slide_type of a speaker-notes cell


class LeakError(Exception):
    """A student edition would still state a graded answer; the message names where."""


def is_notes(cell):
    """True for a speaker-notes cell (RISE ``slide_type`` ``notes``)."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == NOTES


def student_notebook(nb):
    """A copy of notebook ``nb`` (a dict) without speaker notes, outputs or execution counts."""
    out = copy.deepcopy(nb)
    out["cells"] = [c for c in out.get("cells", []) if not is_notes(c)]
    for cell in out["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return out


def write_student_edition(out_dir, paths=None, key=None):
    """Write the student edition of ``paths`` (default: every notebooks/*.ipynb) into
    ``out_dir``; return the written paths. Raises LeakError (nothing left half-written is
    trusted: the caller discards ``out_dir``) when one still states an answer of ``key``."""
    paths = sorted(Path(p) for p in paths) if paths else sorted((REPO / "notebooks").glob("*.ipynb"))
    if not paths:
        raise LeakError("no lecture notebooks to write (an empty edition proves nothing)")
    key = answer_leaks.load_key() if key is None else key
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written, leaks = [], []
    for path in paths:
        text = json.dumps(student_notebook(json.loads(path.read_text(encoding="utf-8"))),
                          indent=1, ensure_ascii=False) + "\n"
        leaks += answer_leaks.scan_bytes(path.name, text.encode(), key)
        target = out_dir / path.name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    if leaks:
        raise LeakError("the student edition states a graded answer: " + "; ".join(leaks[:5]))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write the notebooks into")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    args = parser.parse_args(argv)
    try:
        written = write_student_edition(args.out, args.notebooks or None)
    except LeakError as err:
        print(f"student_edition.py: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} student notebooks to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
