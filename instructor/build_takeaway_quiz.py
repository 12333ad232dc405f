"""Write the nbgrader source assignments/source/takeaway_quiz/takeaway_quiz.py (and its .ipynb)
and its hidden checks, assignments/source/takeaway_quiz/hidden_checks.py.

Instructor-only. The notebook holds no key and no hidden test: its check cells only say how an
answer was read. The key (correct letters only), read from instructor/takeaway_key.json, the one
source of truth, goes into hidden_checks.py, which the grader (tinyml_course_grading, docs/grading.md)
uses outside the student's sandbox; the scoring policy is the `POLICY` of the notebook's setup
cell. tests/test_quiz_key.py checks that the committed files equal what this script writes.
After editing the key or this script:

    python instructor/build_takeaway_quiz.py                 # rewrite the source notebook
    python instructor/build_takeaway_quiz.py --policy all-or-nothing
    cd assignments && nbgrader generate_assignment takeaway_quiz --force

The computed questions are per student: their parameters come from the student's id
(tinyml_course.homework.quiz_variant), and their checks compute each student's expected values
with the package when the TA autogrades; the reference solutions work them out by hand from the
printed shapes (so the pipeline tests' full marks check the grader's figures against another
derivation). Feedback gives each question's score and where the lecture teaches it, never the
key (tools/answer_leaks.py scans it).
"""

import argparse
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat

REPO = Path(__file__).resolve().parents[1]
KEY_PATH = REPO / "instructor" / "takeaway_key.json"
SOURCE_PATH = REPO / "assignments" / "source" / "takeaway_quiz" / "takeaway_quiz.py"
CHECKS_NAME = "hidden_checks.py"
DEFAULT_POLICY = "partial"
TAKEAWAY_POINTS = 1  # per takeaway question
COMPUTED_POINTS = 1  # per computed answer

sys.path.insert(0, str(REPO))  # the public questions come from the package in this checkout
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_notebooks  # noqa: E402
import quiz_computed  # noqa: E402
from tinyml_course.quiz import TAKEAWAY_QUESTIONS, get_policy, load_key  # noqa: E402


def _meta(grade_id, *, solution=False, grade=False, locked=True, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(grade_id, text):
    return nbformat.v4.new_markdown_cell(text, metadata=_meta(grade_id))


def given(grade_id, source):
    return nbformat.v4.new_code_cell(source, metadata=_meta(grade_id))


def answer(grade_id, var, hint, solution):
    """An answer cell: ``var = None``, then the solution region (``solution``: an expression,
    or lines of code that end by setting ``var``)."""
    body = solution if f"{var} = " in solution else f"{var} = {solution}"
    source = (f"# {hint}\n{var} = None\n"
              f"### BEGIN SOLUTION\n{body}\n### END SOLUTION")
    return nbformat.v4.new_code_cell(source, metadata=_meta(grade_id, solution=True, locked=False))


def check(grade_id, visible, points):
    return nbformat.v4.new_code_cell(visible, metadata=_meta(grade_id, grade=True, points=points))


INTRO = """# Takeaway quiz: TinyML basics and MCUNet

Two parts: the seven takeaway questions of the lecture, then computed questions about
memory and compute on a microcontroller.

**How to answer.** Each answer goes in its own cell, replacing `None`:

- *multiple choice* (one or more options may be correct): the letters of **every** correct
  option, in any form: `"AC"`, `"a, c"`, `"A C"`, `{"A", "C"}` or `["a", "c"]`;
- *numbers*: a plain integer in the unit asked for (bytes, MACs), e.g. `12544`;
- *yes/no*: `True` or `False`.

The cell under each answer checks its **format** and tells you how it was read; it does not
grade. An answer that cannot be read (or is left as `None`) scores 0. Run all cells before you
submit: nothing here raises an error, whatever you write.

**Scoring.** The scoring policy of the multiple-choice questions is `POLICY`, set in the next
cell. With `"partial"`, each of the `n` options of a question is *right* when you chose it and
it is correct, or left it out and it is incorrect; a question scores
`points * max(0, (right - wrong) / n)`, never below zero. With `"all-or-nothing"`, a question
scores its points only if you chose exactly the correct options. Computed answers must be
exact.
"""


def setup_source(policy):
    return (
        "# setup: quiz helpers and the scoring policy of the multiple-choice questions\n"
        "from tinyml_course.quiz import (check_bool, check_choice, check_number, grade_bool,\n"
        "                                grade_choice, grade_number)\n"
        f'POLICY = "{policy}"  # "partial" or "all-or-nothing" (set by the instructor)\n'
        'print(f"multiple-choice scoring policy: {POLICY}")')


def build(key, policy=DEFAULT_POLICY):
    """The source notebook (a NotebookNode) for ``key`` ({id: KeyEntry}) and ``policy``."""
    policy = get_policy(policy).name
    cells = [markdown("intro", INTRO), given("setup", setup_source(policy)),
             markdown("part-1", "## Part 1: takeaway questions\n\nOne or more options may be "
                               "correct.")]
    for q in TAKEAWAY_QUESTIONS:
        letters = sorted(key[q.id].correct)
        cells.append(markdown(f"question-{q.id}", q.to_markdown()))
        cells.append(answer(f"answer-{q.id}", f"answer_{q.id}",
                            f"{q.id}: your letters, in any form of 'How to answer' above",
                            json.dumps("".join(letters))))
        cells.append(check(
            f"check-{q.id}",
            f"# format check of {q.id}: how your answer was read (it is graded later)\n"
            f'check_choice("{q.id}", answer_{q.id})',
            TAKEAWAY_POINTS))
    student_id = nbformat.v4.new_code_cell(quiz_computed.STUDENT_ID_CELL, metadata=_meta(
        "student-id", solution=True, locked=False))
    cells += [markdown("part-2", quiz_computed.INTRO), student_id,
              given("computed-setup", quiz_computed.GIVEN)]
    for qid, text, answers in quiz_computed.QUESTIONS:
        cells.append(markdown(f"question-{qid}", text))
        for suffix, hint, solution, kind, unit, _expected, _rule in answers:
            var, gid = f"answer_{suffix}", suffix.replace("_", "-")
            cells.append(answer(f"answer-{gid}", var, f"{suffix}: {hint}", solution))
            if kind == "number":
                visible = f'check_number("{suffix}", {var}, unit="{unit}")'
            else:
                visible = f'check_bool("{suffix}", {var})'
            cells.append(check(f"check-{gid}",
                               f"# format check of {suffix} (it is graded later)\n{visible}",
                               COMPUTED_POINTS))
    for cell in cells:  # stable ids, so rebuilding an unchanged notebook changes nothing
        cell.id = cell.metadata["nbgrader"]["grade_id"]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    return nb


CHECKS_HEAD = """\"\"\"Hidden checks of takeaway_quiz: WRITTEN BY instructor/build_takeaway_quiz.py FROM THE KEY.

Never released (the course ignores *.py) and hidden inside the grading sandbox. Each check reads
one answer variable in the sandbox and scores it here, outside, with the package's quiz scoring
under the POLICY of the source notebook's setup cell (docs/grading.md). The computed answers
are per student: `expected(student)` computes them with the package for the id being graded
(tinyml_course.homework.quiz_variant). Feedback gives scores, the rule a wrong computed answer
breaks and where the lecture teaches each takeaway question; never the key.
\"\"\"
import re
from pathlib import Path

from tinyml_course_grading.check_declarations import Case, Check

from tinyml_course import get_network, memory
from tinyml_course.homework.quiz_variant import quiz_variant
from tinyml_course.memory import patch_plan
from tinyml_course.quiz import TAKEAWAY_QUESTIONS, get_question
from tinyml_course.quiz.scoring import score, score_bool, score_number

_SOURCE = Path(__file__).with_name("takeaway_quiz.ipynb")
POLICY = re.search(r'POLICY = \\\\?"([a-z-]+)\\\\?"', _SOURCE.read_text()).group(1)


def _fraction(result):
    return result.earned / result.possible if result.possible else 0.0, result.message


def _choice(qid):
    question = get_question(qid, TAKEAWAY_QUESTIONS)

    def grade(got, key):
        fraction, message = _fraction(score(got, key, 1.0, POLICY, question))
        if fraction < 1.0:
            message += f"; the lecture teaches it in {READ_AGAIN[qid]}"
        return fraction, f"{qid}: {message}"
    return grade


def _id_note(typed, student):
    if isinstance(typed, str) and typed.strip() and typed.strip() != student:
        return (f" (your notebook's STUDENT_ID is {typed.strip()[:40]!r}, but you are graded as "
                f"{student!r}: the expected values are those of {student!r})")
    return ""


def _computed(name, kind, rule):
    scorer = score_number if kind == "number" else score_bool

    def grade(got, expected):
        answer, typed = got if isinstance(got, list) and len(got) == 2 else (None, None)
        result = scorer(answer, expected["value"], 1.0)
        fraction, message = _fraction(result)
        if fraction < 1.0 and result.error is None:
            message += f"; the rule: {rule}"
        return fraction, f"{name}: {message}{_id_note(typed, expected['student'])}"
    return grade


_EXPECTED = {}


def _expected(name):
    def value(student):
        if student not in _EXPECTED:
            _EXPECTED[student] = expected(student)
        return {"value": _EXPECTED[student][name], "student": student}
    return value

"""


def checks_source(key):
    """The text of hidden_checks.py for ``key``: the key, and what each computed answer is."""
    lines = [CHECKS_HEAD, quiz_computed.expected_source(), "", "", "KEY = {"]
    lines += [f"    {q.id!r}: {sorted(key[q.id].correct)!r}," for q in TAKEAWAY_QUESTIONS]
    lines += ["}", "", "READ_AGAIN = {  # where the lecture teaches each question: the feedback"]
    lines += [f"    {q.id!r}: {quiz_computed.READ_AGAIN[q.id]!r}," for q in TAKEAWAY_QUESTIONS]
    lines += ["}", "", "CHECKS = ["]
    for q in TAKEAWAY_QUESTIONS:
        lines.append(f"    Check('check-{q.id}', 'answer_{q.id}', solution='answer-{q.id}', "
                     f"grade=_choice({q.id!r}),")
        lines.append(f"          cases=[Case({q.id!r}, 'answer_{q.id}', KEY[{q.id!r}])]),")
    for _qid, _text, answers in quiz_computed.QUESTIONS:
        for suffix, _hint, _solution, kind, _unit, _expected, rule in answers:
            gid = suffix.replace("_", "-")
            lines.append(f"    Check('check-{gid}', 'answer_{suffix}', solution='answer-{gid}',")
            lines.append(f"          grade=_computed({suffix!r}, {kind!r}, {rule!r}),")
            lines.append(f"          cases=[Case({suffix!r}, "
                         f"'[answer_{suffix}, globals().get(\"STUDENT_ID\")]',")
            lines.append(f"                      _expected({suffix!r}), per_student=True)]),")
    lines.append("]")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default=DEFAULT_POLICY,
                        help='scoring of the multiple-choice questions: "partial" or "all-or-nothing"')
    parser.add_argument("--key", default=KEY_PATH, type=Path)
    parser.add_argument("--out", default=SOURCE_PATH, type=Path, help="the percent source to write")
    args = parser.parse_args(argv)
    nb = build(load_key(args.key), args.policy)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = jupytext.writes(nb, fmt="py:percent")
    args.out.write_text(re.sub(r"#       jupytext_version: .*\n", "", text))  # no version churn
    (args.out.parent / CHECKS_NAME).write_text(checks_source(load_key(args.key)))
    if args.out.resolve() == SOURCE_PATH:
        build_notebooks.main([str(args.out)])  # the .ipynb beside it
    print(f"wrote {args.out} ({len(nb.cells)} cells, policy {get_policy(args.policy).name})")


if __name__ == "__main__":
    main()
