"""Every notebook in git (lecture demos and assignment sources) has no outputs and no counts."""
import json

from conftest import REPO
from test_check_course import check_course

NOTEBOOKS = sorted(set(check_course.find_notebooks(REPO, "all")))


def test_notebook_discovery_is_sound():
    """Do the globs find notebooks where they should, and only there?"""
    assert set(check_course.SCOPES["all"]) >= set(check_course.SCOPES["assignments"])
    for path in NOTEBOOKS:
        rel = path.relative_to(REPO)
        assert path.suffix == ".ipynb" and ".ipynb_checkpoints" not in rel.parts
        assert rel.parts[0] in ("notebooks", "assignments"), rel
    on_disk = {p for pattern in check_course.SCOPES["all"] for p in REPO.glob(pattern)
               if ".ipynb_checkpoints" not in p.parts}
    assert set(NOTEBOOKS) <= on_disk


def test_notebooks_are_stripped():
    """Is every notebook free of outputs and execution counts? (one test, so that no notebooks
    yet means a pass, not a skip)"""
    dirty = {}
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [(i, len(c.get("outputs", [])), c.get("execution_count"))
                 for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                 and (c.get("outputs") or c.get("execution_count") is not None)]
        if cells:
            dirty[str(path.relative_to(REPO))] = cells
    assert not dirty, f"(cell, outputs, execution_count) per notebook: {dirty}; strip with " \
        "`jupyter nbconvert --clear-output --inplace`"
