"""The instructor-only material of instructor/ (outside the package), for the quiz tests."""
import importlib.util

from .nbgrader_pipeline import REPO

KEY_PATH = REPO / "instructor" / "takeaway_key.json"


def load_builder():
    """instructor/build_takeaway_quiz.py as a module (it is a script, not a package module)."""
    spec = importlib.util.spec_from_file_location(
        "build_takeaway_quiz", REPO / "instructor" / "build_takeaway_quiz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
