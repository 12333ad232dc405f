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


def hand_worked_answers(student):
    """{answer variable: value} of the quiz's computed answers for ``student``, worked out the
    way the instructor's solution cells do (by hand from the shapes), not by the grader's
    package calls: the right answers a test student submits as literals."""
    import re

    import nbformat

    from tinyml_course.homework.quiz_variant import quiz_variant

    source = REPO / "assignments" / "source" / "takeaway_quiz" / "takeaway_quiz.ipynb"
    v = quiz_variant(student)
    answers = {}
    for cell in nbformat.read(source, as_version=4).cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        match = re.search(r"### BEGIN SOLUTION\n(.*)### END SOLUTION", cell.source, re.S)
        if gid.startswith("answer-c") and match:
            ns = {"variant": v, "dw_layer": v.dw_layer(), "dw_net": v.dw_net(),
                  "quiz_net": v.quiz_net()}
            exec(match.group(1), ns)
            name = "answer_" + gid[len("answer-"):].replace("-", "_")
            answers[name] = ns[name]
    return answers


def load_answer_leaks():
    """tools/answer_leaks.py as a module (the scan of what a student receives for the key)."""
    spec = importlib.util.spec_from_file_location("answer_leaks", REPO / "tools" / "answer_leaks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
