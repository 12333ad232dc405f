"""Integrity of a solution, read from its source outside the sandbox: a reference imported by the
solution cell (`imported_reference`), and how similar a function is to the package's source
(`similarity`: difflib ratio over code tokens, comments and docstrings dropped).
"""
import ast
import difflib
import io
import tokenize


def _leaf(dotted):
    return dotted.partition(":")[2].split(".")[-1]


def imported_reference(source, references):
    """The reference a cell's code imports or reaches by attribute (``memory.profile``), or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    leaves = {_leaf(r): r for r in references}
    package_names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinyml_course"):
            for alias in node.names:
                if alias.name in leaves:
                    return leaves[alias.name]
                package_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tinyml_course"):
                    package_names.add((alias.asname or alias.name).split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in leaves:
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and (root.id in package_names or not package_names):
                return leaves[node.attr]
    return None


def _tokens(source):
    """Code tokens of `source` without comments, docstrings and layout."""
    out, prev = [], None
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in skip:
                prev = tok.type if tok.type in (tokenize.NEWLINE, tokenize.INDENT) else prev
                continue
            if tok.type == tokenize.STRING and prev in (tokenize.NEWLINE, tokenize.INDENT, None):
                prev = tok.type  # a docstring (a string statement)
                continue
            out.append(tok.string)
            prev = tok.type
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def function_source(source, name):
    """Source of the top-level ``def name`` in a cell (the whole cell when absent)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(source, node) or source
    return source


def similarity(student_source, reference_source):
    """0..1: how much of the two token sequences match (difflib ratio), docstrings ignored."""
    a, b = _tokens(student_source), _tokens(reference_source)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
