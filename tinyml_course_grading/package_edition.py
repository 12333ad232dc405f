"""The student edition of the course package: what the grading sandbox shows as `tinyml_course`.

The package a student installs keeps every reference implementation (the lecture notebooks are
its demos). Inside the grading sandbox the runner imports instead a copy in which the bodies of
an assignment's graded references are withheld: each such function keeps its signature and
docstring, and raises

    RuntimeError: tinyml_course.memory.accounting.profile is withheld in grading: the grader's
    copy of the package does not hold the reference of an exercise you are asked to write

So a second, private import of the package's files (importlib.util.spec_from_file_location, a
copied source, a reloaded module) finds no reference either: there is none in the sandbox. What
is withheld (`withheld_names`) is every `reference` of the assignment's hidden checks, except a
name the instructor's own solution or given code calls (it must run in the sandbox: the
tripwires of student_runner.py guard it for the exercise that lists it).

`edition(names)` builds the copy once per process and set of names (a private folder, readable
by the sandbox's user, compiled so that importing it costs what importing the installed package
does) and returns its folder; sandbox_layout.bwrap_command binds it where the interpreter finds
the package. `EditionError` says in one line when a name cannot be withheld.
"""
import ast
import atexit
import compileall
import os
import shutil
import stat
import tempfile
from pathlib import Path

WITHHELD = "is withheld in grading"
_EDITIONS = {}  # frozenset of names -> folder, per process


class EditionError(RuntimeError):
    """A reference that cannot be withheld (not a function defined in a module of the package)."""


def _leaf(dotted):
    return dotted.partition(":")[2].split(".")[-1]


def _names(source):
    """(names a cell's code refers to: attribute leaves, plain names, imported names such as
    `memory.profile`, `profile`; the functions and classes it defines); empty sets when it
    does not parse."""
    try:
        tree = ast.parse(source or "")
    except SyntaxError:
        return set(), set()
    names, defined = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[-1])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
    return names, defined


def withheld_names(references, kept_sources=()):
    """The names ("module:qualname") of ``references`` to withhold: all of them except one whose
    function name the code of ``kept_sources`` (the instructor's source notebook's code cells,
    as strings: given code and solutions) refers to without defining it anywhere (a student's
    own `depthwise_inplace` is not a use of the package's)."""
    used, defined = set(), set()
    for source in kept_sources:
        names, defs = _names(source)
        used |= names
        defined |= defs
    return tuple(sorted({r for r in references if _leaf(r) not in used - defined}))


def _function_node(tree, qual):
    body, node = tree.body, None
    for part in qual.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def withhold_source(source, quals, module):
    """``source`` (a module's text) with the bodies of the functions ``quals`` (qualified names)
    replaced by a raise that names ``module``.qual; EditionError when one is not a function
    defined there."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []
    for qual in quals:
        node = _function_node(tree, qual)
        if node is None:
            raise EditionError(f"{module}:{qual} is not a function defined in {module}: it cannot "
                               "be withheld in grading")
        first = node.body[0]
        keep = first if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                         and isinstance(first.value.value, str)) else None
        start = (keep.end_lineno if keep else node.body[0].lineno - 1)
        if not keep and node.body[0].lineno == node.lineno:  # `def f(): return x` on one line
            raise EditionError(f"{module}:{qual} has its body on the def line: write it on lines "
                               "of its own so that it can be withheld in grading")
        indent = " " * (node.col_offset + 4)
        message = (f"{module}.{qual} {WITHHELD}: the grader's copy of the package does not hold "
                   "the reference of an exercise you are asked to write")
        edits.append((start, node.end_lineno, f"{indent}raise RuntimeError({message!r})\n"))
    for start, end, text in sorted(edits, reverse=True):
        lines[start:end] = [text]
    return "".join(lines)


def _readable(folder):
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP
                     | stat.S_IROTH)


def edition(names, package_dir=None):
    """The folder of the student edition of tinyml_course (``package_dir``: the installed
    package's folder) with ``names`` ("module:qualname") withheld; built once per process."""
    import tinyml_course
    package_dir = Path(package_dir or Path(tinyml_course.__file__).parent).resolve()
    key = (frozenset(names), str(package_dir))
    if key in _EDITIONS and _EDITIONS[key].is_dir():
        return _EDITIONS[key]
    by_module = {}
    for dotted in names:
        module, _, qual = dotted.partition(":")
        if module.split(".")[0] != "tinyml_course" or not qual:
            raise EditionError(f"{dotted!r} is not a 'tinyml_course...:qualname' name")
        by_module.setdefault(module, []).append(qual)
    holder = Path(tempfile.mkdtemp(prefix="tinyml-edition-"))
    atexit.register(shutil.rmtree, holder, True)
    folder = holder / "tinyml_course"
    shutil.copytree(package_dir, folder, symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for module, quals in by_module.items():
        rel = Path(*module.split(".")[1:])
        path = folder / rel.with_suffix(".py")
        if not path.is_file():
            path = folder / rel / "__init__.py"
        if not path.is_file():
            raise EditionError(f"{module} is not a module of the package: it cannot be withheld")
        path.write_text(withhold_source(path.read_text(), quals, module))
    compileall.compile_dir(str(folder), quiet=2, ddir=str(package_dir), workers=1)
    _readable(holder)
    _EDITIONS[key] = folder
    return folder
