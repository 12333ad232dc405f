"""The package's layers: does any module import from a layer above its own, or hide an import
inside a function (where a cycle would go unnoticed)?

Layers, lowest first (README, "Package layout"): errors < validation < stats < model < memory
< runtime < compression < kws < deploy < nas < ui < cli. ``quiz`` stands beside them and imports only itself,
``errors`` and ``validation``.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinyml_course"
# 2026-12-06: kws (keyword spotting) trains with compression and is deployed by deploy and cli
# 2026-12-06: stats (an accuracy's standard error) is numpy only, used by kws and ui's figures
LAYERS = ["errors", "validation", "stats", "model", "memory", "runtime", "compression", "kws",
          "deploy", "nas", "ui", "cli"]
ASIDE = {"quiz": {"quiz", "errors", "validation"},  # packages outside the stack: what they may import
         # 2026-11-29: homework measures challenges with the layers below nas
         "homework": {"homework", "errors", "validation", "model", "memory", "runtime", "compression"}}


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _layer(relative_parts):
    """The top-level package (layer) of a module path relative to tinyml_course/."""
    head = relative_parts[0]
    return head[:-3] if head.endswith(".py") else head


def _imports(path):
    """(line, imported layer or None, inside a function) for every tinyml_course import."""
    tree = ast.parse(path.read_text())
    parts = path.relative_to(PACKAGE).parts
    found = []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = list(parts[:-1])[:len(parts) - node.level]
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # `from . import x` at the top: x is the layer
                    target = [node.names[0].name]
            elif node.module and node.module.split(".")[0] == "tinyml_course":
                target = node.module.split(".")[1:] or [node.names[0].name]
            else:
                continue
            found.append((node.lineno, target[0], id(node) in nested))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tinyml_course":
                    found.append((node.lineno, alias.name.split(".")[1], id(node) in nested))
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_layers(path):
    """Does every import of this module point at its own layer or a lower one, at module level?"""
    layer = _layer(path.relative_to(PACKAGE).parts)
    if layer == "__init__":  # the package's front door re-exports the model layer
        allowed = {"errors", "model"}
    elif layer in ASIDE:
        allowed = ASIDE[layer]
    else:
        allowed = set(LAYERS[:LAYERS.index(layer) + 1])
    problems = []
    for line, target, in_function in _imports(path):
        if target not in allowed:
            problems.append(f"line {line}: {layer} imports {target} (allowed: {sorted(allowed)})")
        if in_function and target != layer:  # a lazy import inside one layer is no cycle
            problems.append(f"line {line}: import of tinyml_course.{target} inside a function")
    assert not problems, "\n".join(problems)


def test_every_layer_is_a_package():
    """Is each layer named in LAYERS (and quiz) a folder or module that exists?"""
    missing = [name for name in LAYERS + list(ASIDE)
               if name != "deploy" and not (PACKAGE / name).is_dir()
               and not (PACKAGE / f"{name}.py").is_file()]
    assert not missing, missing
