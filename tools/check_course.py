#!/usr/bin/env python3
"""Release gates for the course notebooks: run before tagging a release and in the test suite.

    python tools/check_course.py                # the repository this file lives in
    python tools/check_course.py --root DIR     # another checkout
    python tools/check_course.py a.ipynb ...    # just these files (as assignment notebooks)

Each gate is a small function, registered with `@gate("category: what must be true")`, that
takes the notebooks in its scope and returns a list of offenders (strings naming the file, the
cell and what is wrong); an empty list is a pass. Exit status 1 when any gate has an offender.
Every new gate gets a dated comment naming the defect it was added to catch.

Standard library only, so it runs before the course environment exists.
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GATES = []  # (description, scope, function) in registration order
CHECKED_ROOT = [REPO]  # the repository run_gates is checking (gates get notebooks, not the root)

# scope name -> globs, relative to the repository root
SCOPES = {
    "assignments": ["assignments/source/**/*.ipynb"],
    "lectures": ["notebooks/**/*.ipynb"],
    "all": ["notebooks/**/*.ipynb", "assignments/source/**/*.ipynb"],
}

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"

# The nbgrader header shapes allowed (STYLE.md §9): name -> (cell types, required flag values).
# `points` > 0 is required exactly for graded cells; `task` cells are not used in this course.
# 2026-11-29: written analysis questions (issue 10) are nbgrader's "manually graded answer": a
# markdown cell the student edits, graded by a TA against instructor/homework_rubrics.md.
HEADER_SHAPES = {
    "exercise": ({"code"}, {"grade": False, "solution": True, "locked": False}),
    "locked test": ({"code"}, {"grade": True, "solution": False, "locked": True}),
    "written answer": ({"markdown"}, {"grade": True, "solution": True, "locked": False}),
    "given": ({"code", "markdown", "raw"}, {"grade": False, "solution": False, "locked": True}),
}
GRADED_SHAPES = ("locked test", "written answer")  # the shapes that carry points


def gate(description, scope="assignments"):
    """Register the decorated function `fn(notebooks) -> list[str]` as a release gate."""
    def register(fn):
        GATES.append((description, scope, fn))
        return fn
    return register


def _cells(notebooks):
    """Yield (name, index, cell, nbgrader metadata or None) over loaded notebooks."""
    for name, nb in notebooks:
        for index, cell in enumerate(nb.get("cells", [])):
            yield name, index, cell, cell.get("metadata", {}).get("nbgrader")


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


# 2026-11-25: a test cell without `locked` let students edit the test that grades them, and a
# test cell without points silently graded nothing.
@gate("nbgrader: every cell header has one of the allowed shapes (exercise, locked test, "
      "written answer, given)")
def header_shapes(notebooks):
    offenders = []
    for name, index, cell, meta in _cells(notebooks):
        if meta is None:
            continue
        flags = {k: bool(meta.get(k, False)) for k in ("grade", "solution", "locked")}
        shape = next((s for s, (types, want) in HEADER_SHAPES.items()
                      if cell.get("cell_type") in types and flags == want), None)
        where = f"{name} cell {index} ({meta.get('grade_id', 'no grade_id')})"
        if shape is None:
            offenders.append(f"{where}: header {flags} on a {cell.get('cell_type')} cell "
                             f"is none of {sorted(HEADER_SHAPES)}")
        elif meta.get("task"):
            offenders.append(f"{where}: task cells are not used in this course")
        elif shape in GRADED_SHAPES and not (isinstance(meta.get("points"), (int, float))
                                             and meta["points"] > 0):
            offenders.append(f"{where}: a {shape} needs points > 0, got "
                             f"{meta.get('points')!r}")
        elif shape not in GRADED_SHAPES and meta.get("points"):
            offenders.append(f"{where}: only locked tests and written answers carry points, "
                             f"got {meta['points']!r}")
    return offenders


# 2026-11-25: nbgrader keys grades by grade_id; a duplicate overwrites another cell's grade and
# a renamed id orphans every stored grade (STYLE.md §9: kebab-case, unique, stable).
@gate("nbgrader: grade_ids are kebab-case and unique per notebook")
def grade_ids(notebooks):
    offenders = []
    for name, nb in notebooks:
        seen = {}
        for index, name_, cell, meta in _cells([(name, nb)]):
            if meta is None:
                continue
            gid = meta.get("grade_id")
            if not isinstance(gid, str) or not KEBAB.match(gid):
                offenders.append(f"{name} cell {index}: grade_id {gid!r} is not kebab-case")
            elif gid in seen:
                offenders.append(f"{name} cell {index}: grade_id {gid!r} already used by "
                                 f"cell {seen[gid]}")
            else:
                seen[gid] = index
    return offenders


# 2026-11-25: a solution cell without markers is replaced whole by nbgrader's stub, so the
# student loses the TODO/APPROACH/EXAMPLE/HINT scaffold (STYLE.md §9).
@gate("nbgrader: every solution code cell has one BEGIN SOLUTION ... END SOLUTION region")
def solution_markers(notebooks):
    offenders = []
    for name, index, cell, meta in _cells(notebooks):
        if not meta or not meta.get("solution") or cell.get("cell_type") != "code":
            continue
        lines = [line.strip() for line in _source(cell).splitlines()]
        begins = [i for i, line in enumerate(lines) if BEGIN_SOLUTION in line]
        ends = [i for i, line in enumerate(lines) if END_SOLUTION in line]
        where = f"{name} cell {index} ({meta.get('grade_id')})"
        if not begins or not ends:
            offenders.append(f"{where}: missing {BEGIN_SOLUTION if not begins else END_SOLUTION}")
        elif len(begins) != len(ends) or any(b > e for b, e in zip(begins, ends)) or any(
                e > b for e, b in zip(ends, begins[1:])):
            offenders.append(f"{where}: unbalanced or nested solution markers")
    return offenders


# 2026-11-25: committed outputs leak answers of solved runs and make every diff noisy
# (DESIGN.md: outputs stripped in git).
@gate("notebooks: no outputs and no execution counts in git", scope="all")
def stripped(notebooks):
    offenders = []
    for name, index, cell, meta in _cells(notebooks):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            offenders.append(f"{name} cell {index}: has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            offenders.append(f"{name} cell {index}: execution_count "
                             f"{cell['execution_count']}")
    return offenders


# 2026-11-25: each lecture notebook test re-checked this by hand (STYLE.md 8: cells are steps,
# each opens with a lowercase comment naming it).
@gate("lectures: every code cell opens with a lowercase comment naming its step", scope="lectures")
def step_comments(notebooks):
    offenders = []
    for name, index, cell, meta in _cells(notebooks):
        if cell.get("cell_type") != "code":
            continue
        first = (_source(cell).splitlines() or [""])[0]
        if not (first.startswith("# ") and first[2:3].islower()):
            offenders.append(f"{name} cell {index}: starts {first!r}, not '# <step>'")
    return offenders


# 2026-11-29 (issue 9): lectures are taught as RISE slideshows; a cell without slide metadata
# lands on whatever slide came before, and a deck without notes leaves the instructor guessing.
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


@gate("slides: every lecture cell has a slide_type, and every deck has speaker notes", scope="lectures")
def slide_metadata(notebooks):
    offenders = []
    with_notes = set()
    for name, index, cell, _ in _cells(notebooks):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if kind not in SLIDE_TYPES:
            offenders.append(f"{name} cell {index}: slide_type {kind!r}, not one of "
                             f"{sorted(SLIDE_TYPES)}")
        if kind == "notes":
            with_notes.add(name)
    offenders += [f"{name}: no speaker notes (a markdown cell with slide_type 'notes')"
                  for name, _ in notebooks if name not in with_notes]
    return offenders


# 2026-11-29: the .ipynb were edited by hand and nothing showed the change in review; they are
# generated from percent .py sources now, and a stale one fails here.
@gate("sources: every .ipynb is exactly what tools/build_notebooks.py generates from its .py", scope="all")
def generated_from_source(notebooks):
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import build_notebooks
    except ImportError as err:  # jupytext is in the lab and dev extras
        return [f"cannot check the notebook sources without jupytext: {err}"]
    offenders = []
    for name, _ in notebooks:
        if not name.startswith(("notebooks/", "assignments/source/")):  # not a course notebook
            continue
        source = (CHECKED_ROOT[0] / name).with_suffix(".py")
        if not source.exists():
            offenders.append(f"{name}: no percent source {source.name} beside it")
        elif build_notebooks.out_of_date([source]):
            offenders.append(f"{name}: differs from {source.name}; run tools/build_notebooks.py")
    return offenders


# 2026-12-03 (issue 18, item 7): hints handed over the code: tinynas's APPROACH was the solution's
# first line. A scaffold (what the student keeps: docstring, comments) may not share a run of
# HINT_TOKENS code tokens with the solution region it introduces.
HINT_TOKENS = 8
SOLUTION_REGION_ONLY = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)


def _code_tokens(text):
    return re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\s\w]", text)


@gate("exercises: no scaffold (TODO, APPROACH, HINT, comments) repeats the solution's code")
def hints_not_code(notebooks):
    offenders = []
    for name, index, cell, meta in _cells(notebooks):
        if not meta or not meta.get("solution") or cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        solution = "\n".join(SOLUTION_REGION_ONLY.findall(source))
        scaffold = _code_tokens(SOLUTION_REGION_ONLY.sub("", source))
        code = _code_tokens(solution)
        runs = {tuple(code[i:i + HINT_TOKENS]) for i in range(len(code) - HINT_TOKENS + 1)}
        for i in range(len(scaffold) - HINT_TOKENS + 1):
            if tuple(scaffold[i:i + HINT_TOKENS]) in runs:
                offenders.append(f"{name} cell {index} ({meta.get('grade_id')}): the scaffold "
                                 f"repeats the solution's {' '.join(scaffold[i:i + HINT_TOKENS])!r}")
                break
    return offenders


# 2026-12-03 (issue 18): the lecture notebooks a student received said "takeaway question 4: A and
# B, not C" (in slides and speaker notes) and the quiz's hints showed one key as the example
# format. What a student receives is the student edition (speaker notes dropped) and the
# release (solutions cleared); neither may state an answer of instructor/takeaway_key.json.
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION|### BEGIN HIDDEN TESTS.*?"
                             r"### END HIDDEN TESTS", re.S)


def _as_student_receives(name, nb):
    """The cell texts of ``nb`` as a student receives them: a lecture's student edition, an
    assignment's release (solution and hidden-test regions cleared, written answers empty)."""
    import student_edition
    if name.startswith("notebooks/"):
        nb = student_edition.student_notebook(nb)
    texts = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if cell.get("cell_type") == "markdown" and meta.get("solution"):
            continue  # a written answer: nbgrader hands it out as "YOUR ANSWER HERE"
        texts.append(SOLUTION_REGION.sub("", _source(cell)))
    return texts


@gate("students: the student edition of each lecture and each released assignment state no "
      "answer of the takeaway quiz's key", scope="all")
def no_quiz_answers(notebooks):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import answer_leaks
    keys = [root / "instructor" / "takeaway_key.json" for root in (CHECKED_ROOT[0], REPO)]
    key_path = next((k for k in keys if k.exists()), None)
    if key_path is None:
        return [f"no quiz key at {keys[0]}: nothing to check the notebooks against"]
    key = answer_leaks.load_key(key_path)
    offenders = []
    for name, nb in notebooks:
        for text in _as_student_receives(name, nb):
            offenders += [f"{name}: {leak}" for leak in answer_leaks.find_leaks(text, key)]
    return offenders


def find_notebooks(root, scope):
    """Notebook paths of `scope` under `root`: git-tracked or new (not ignored) files when
    `root` is a git checkout, else every matching file. Checkpoints are skipped."""
    root = Path(root)
    paths = set()
    for pattern in SCOPES[scope]:
        paths.update(p for p in root.glob(pattern) if ".ipynb_checkpoints" not in p.parts)
    try:  # ':(glob)': '**/' matches zero or more folders, as in Path.glob (a plain git
        # pathspec 'notebooks/**/*.ipynb' needs a subfolder, and matched nothing: issue 20)
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--",
             *(f":(glob){pattern}" for pattern in SCOPES[scope])], cwd=root,
            capture_output=True, text=True, check=True).stdout
        tracked = {root / p for p in listed.split("\0") if p}
        paths &= tracked
    except (OSError, subprocess.CalledProcessError):
        pass  # not a git checkout: every file counts
    return sorted(paths)


def load(paths, root):
    """[(display name, notebook dict)] and offenders for files that are not valid JSON."""
    loaded, broken = [], []
    for path in paths:
        path = Path(path)
        try:
            name = str(path.resolve().relative_to(Path(root).resolve()))
        except ValueError:
            name = str(path)
        try:
            loaded.append((name, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as e:
            broken.append(f"{name}: not a readable JSON notebook ({e})")
    return loaded, broken


def run_gates(root=REPO, paths=None):
    """{gate description: offenders} for the repository at `root` (or only `paths`)."""
    results = {}
    unreadable = []
    CHECKED_ROOT[0] = Path(root).resolve()
    for description, scope, fn in GATES:
        files = paths if paths is not None else find_notebooks(root, scope)
        notebooks, broken = load(files, root)
        unreadable += [b for b in broken if b not in unreadable]
        # 2026-12 (issue 20 item 4): a gate whose scope finds no file passes vacuously
        empty = [] if files else [f"{scope}: no notebooks found ({', '.join(SCOPES[scope])})"]
        results[description] = empty + fn(notebooks)
    results["notebooks: every notebook is valid JSON"] = unreadable
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="repository root to check")
    parser.add_argument("paths", nargs="*", type=Path,
                        help="check only these notebooks (every gate applies to them)")
    args = parser.parse_args(argv)
    results = run_gates(args.root, args.paths or None)
    failed = 0
    for description, offenders in results.items():
        print(f"{'FAIL' if offenders else 'ok  '} {description}")
        for offender in offenders:
            print(f"     - {offender}")
        failed += bool(offenders)
    print(f"{len(results) - failed}/{len(results)} gates pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
