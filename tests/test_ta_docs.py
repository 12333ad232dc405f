"""The TA's path as the README and docs/homework.md write it (issue 18, item 8): written answers
graded in Formgrader before feedback, the assignment count right, no command that does not
exist."""
import re

import pytest

from conftest import REPO

ASSIGNMENTS = sorted(p.name for p in (REPO / "assignments" / "source").iterdir() if p.is_dir())
# the two commands that autograde a class: the course's sandboxed one and plain nbgrader's
AUTOGRADE = re.compile(r"^\s*(tinyml-course-grade|nbgrader autograde)\b", re.M)
NUMBERS = {"four": 4, "five": 5, "six": 6, "seven": 7}


def _grading_blocks(path):
    """The shell blocks of ``path`` that autograde and generate feedback."""
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / path).read_text(), re.S)
    return [b for b in blocks if "generate_feedback" in b and AUTOGRADE.search(b)]


@pytest.mark.parametrize("path", ["README.md", "docs/homework.md", "docs/grading.md"])
def test_formgrader_comes_before_feedback(path):
    """Does every block that autogrades and generates feedback grade the written answers in
    Formgrader in between? (Without it, written answers show "Score: 0.0 / 2.0". docs/grading.md's
    "Grading a class of 300 students" block, the one the README points a TA to, went straight from
    autograde to generate_feedback until 2026-12-07.)"""
    blocks = _grading_blocks(path)
    assert blocks, f"{path} has no grading block"
    for block in blocks:
        autograde = AUTOGRADE.search(block).start()
        feedback = block.index("generate_feedback")
        formgrader = block.find("Formgrader", autograde)
        assert autograde < formgrader < feedback, block


@pytest.mark.parametrize("path", ["README.md", "docs/homework.md", "docs/grading.md"])
def test_no_nbgrader_formgrader_command(path):
    """Is `nbgrader formgrader` (not a command of nbgrader 0.9) never given as one?"""
    assert not re.search(r"^\s*nbgrader formgrader\b", (REPO / path).read_text(), re.M)


def test_homework_doc_counts_the_assignments():
    """Does docs/homework.md say how many assignments there are, and list each one?"""
    text = (REPO / "docs" / "homework.md").read_text()
    match = re.search(r"The course has (\w+) nbgrader assignments", text)
    assert match and NUMBERS.get(match.group(1)) == len(ASSIGNMENTS), match
    table = text.split("## Student install")[0]
    assert sorted(re.findall(r"^\| `([a-z_]+)` \|", table, re.M)) == ASSIGNMENTS


@pytest.mark.parametrize("path", ["README.md", "docs/homework.md", "docs/grading.md"])
def test_grading_commands_need_nothing_outside_the_course_directory(path):
    """Does every command of a grading block run from a course directory copied anywhere: no
    path above it (`python ../tools/answer_leaks.py` exists only inside the repository's own
    assignments/), every `python -m` a module of the installed packages?"""
    import importlib.util
    for block in _grading_blocks(path):
        commands = [line.split("#")[0].strip() for line in block.splitlines()]
        commands = [c for c in commands if c]
        outside = [c for c in commands if re.search(r"(^|\s)\.\./", c)]
        assert not outside, f"{path}: {outside}"
        for module in re.findall(r"^python3? -m ([\w.]+)", "\n".join(commands), re.M):
            assert importlib.util.find_spec(module), f"{path}: no module {module}"
