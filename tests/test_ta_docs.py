"""The TA's path as the README and docs/homework.md write it (issue 18, item 8): written answers
graded in Formgrader before feedback, the assignment count right, no command that does not
exist."""
import re

import pytest

from conftest import REPO

ASSIGNMENTS = sorted(p.name for p in (REPO / "assignments" / "source").iterdir() if p.is_dir())
NUMBERS = {"four": 4, "five": 5, "six": 6, "seven": 7}


def _grading_blocks(path):
    """The shell blocks of ``path`` that autograde and generate feedback."""
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / path).read_text(), re.S)
    return [b for b in blocks if "generate_feedback" in b and "autograde" in b]


@pytest.mark.parametrize("path", ["README.md", "docs/homework.md"])
def test_formgrader_comes_before_feedback(path):
    """Does every block that autogrades and generates feedback grade the written answers in
    Formgrader in between? (Without it, written answers show "Score: 0.0 / 2.0".)"""
    blocks = _grading_blocks(path)
    assert blocks, f"{path} has no grading block"
    for block in blocks:
        autograde = block.index("autograde")
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
