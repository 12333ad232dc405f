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

The computed questions embed no expected value: their checks call the package when the TA
autogrades. After grading, each student's
feedback explains the key of every takeaway question (the release never holds it).
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
import build_notebooks  # noqa: E402
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
    source = (f"# {hint}\n{var} = None\n"
              f"### BEGIN SOLUTION\n{var} = {solution}\n### END SOLUTION")
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


COMPUTED_INTRO = """## Part 2: computed questions

All memory is in **bytes**, activations and weights in **int8** (1 byte per element), biases in
**int32** (4 bytes), as in the lecture. Work the numbers out by hand first (the next cell prints
every op's shapes); you may then check yourself with `tinyml_course`.
"""

COMPUTED_GIVEN = '''# the layer and the network of the computed questions (given; do not edit)
from tinyml_course import build_network
from tinyml_course.model.network import Network, Op

# one 3x3 depthwise convolution, stride 1, padding 1, on an int8 (C, H, W) = (96, 20, 20) input
dw_layer = Op("dw", "dwconv", ("input",), in_shape=(96, 20, 20), out_shape=(96, 20, 20),
              kernel=3, stride=1, padding=1)
dw_net = Network("one-depthwise", (96, 20, 20), [dw_layer])

QUIZ_SPEC = {
    "name": "quiz-net", "resolution": 32, "input_channels": 3,
    "stem": {"kernel": 3, "stride": 2, "out": 8},
    "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1},
               {"kernel": 3, "expand": 4, "out": 16, "stride": 2}],
    "classes": 10,
}
quiz_net = build_network(QUIZ_SPEC)
for op in quiz_net:
    print(f"{op.name:15s} {op.kind:7s} in {op.in_shape} -> out {op.out_shape} "
          f"kernel {op.kernel} stride {op.stride}")'''

# (id, heading text, [(answer var suffix, hint, solution expr, kind, unit, hidden expected expr)])
COMPUTED = [
    ("c1", "**c1.** The depthwise layer `dw_layer` above runs alone. How many bytes of SRAM does "
           "it need at its peak **(a)** run the standard way, the output in a buffer of its own "
           "beside the input; **(b)** run in place (MCUNet-v1): each output channel is computed into "
           "one temporary channel buffer and then written over its input channel? Count every "
           "tensor alive while it runs (the `exact` convention).",
     [("c1_standard", "(a) bytes, standard", "76800", "number", "bytes",
       'memory.profile(dw_net, schedule="per-layer", convention="exact", dtype="int8")'
       '.peak_sram_bytes'),
      ("c1_inplace", "(b) bytes, in place", "38800", "number", "bytes",
       'memory.profile(dw_net, schedule="in-place", convention="exact", dtype="int8")'
       '.peak_sram_bytes')]),
    ("c2", "**c2.** Patch-based inference (MCUNetV2) runs the ops of `quiz_net` up to and "
           "including block 0 (`stem`, `block0.*`) on a 2 x 2 grid of patches of block 0's "
           "16 x 16 output, one patch at a time. Which rows of the 32 x 32 input image does the "
           "bottom-right patch (grid row 1, column 1) read? Give the half-open range "
           "[r0, r1), cut to the image (the zero padding is never stored): **(a)** r0; "
           "**(b)** r1. The columns are the same, by symmetry.",
     [("c2_r0", "(a) first input row read, r0", "13", "number", "",
       'patch_plan.input_window(quiz_net, "block0", 2, 1, 1, clip=True).r0'),
      ("c2_r1", "(b) one past the last input row read, r1", "32", "number", "",
       'patch_plan.input_window(quiz_net, "block0", 2, 1, 1, clip=True).r1')]),
    ("c3", "**c3.** How many bytes of Flash do the weights and biases of `quiz_net` take? Every "
           "conv and linear op has int8 weights and one int32 bias per output channel.",
     [("c3", "bytes of Flash", "2024", "number", "bytes",
       'memory.flash_bytes(quiz_net, dtype="int8")')]),
    ("c4", "**c4.** How many multiply-accumulates (MACs) does block 1 of `quiz_net` (the ops "
           "named `block1.*`) take for one inference?",
     [("c4", "MACs", "116736", "number", "MACs",
       "sum(op.macs for op in quiz_net.blocks()[1])")]),
    ("c5", "**c5.** Does the zoo network `mcunet-in2` (int8, `exact` convention) fit the Arduino "
           "Nano 33 BLE Sense (256 KB SRAM, 1 MB Flash) **(a)** run per layer; **(b)** with "
           "in-place depthwise convolution?",
     [("c5_per_layer", "(a) True or False", "False", "bool", "",
       'bool(memory.fits(get_network("mcunet-in2"), "arduino-nano-33-ble-sense", '
       'schedule="per-layer", convention="exact", dtype="int8"))'),
      ("c5_inplace", "(b) True or False", "True", "bool", "",
       'bool(memory.fits(get_network("mcunet-in2"), "arduino-nano-33-ble-sense", '
       'schedule="in-place", convention="exact", dtype="int8"))')]),
]


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
                            f'{q.id}: the letters of every correct option, e.g. "AC"',
                            json.dumps("".join(letters))))
        cells.append(check(
            f"check-{q.id}",
            f"# format check of {q.id}: how your answer was read (it is graded later)\n"
            f'check_choice("{q.id}", answer_{q.id})',
            TAKEAWAY_POINTS))
    cells += [markdown("part-2", COMPUTED_INTRO), given("computed-setup", COMPUTED_GIVEN)]
    for qid, text, answers in COMPUTED:
        cells.append(markdown(f"question-{qid}", text))
        for suffix, hint, solution, kind, unit, expected in answers:
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


CHECKS_HEAD = '''"""Hidden checks of takeaway_quiz: WRITTEN BY instructor/build_takeaway_quiz.py FROM THE KEY.

Never released (the course ignores *.py) and hidden inside the grading sandbox. Each check reads
one answer variable in the sandbox and scores it here, outside, with the package's quiz scoring
under the POLICY of the source notebook's setup cell (docs/grading.md).
"""
import re
from pathlib import Path

from tinyml_course_grading.check_declarations import Case, Check

from tinyml_course import build_network, get_network, memory
from tinyml_course.memory import patch_plan
from tinyml_course.model.network import Network, Op
from tinyml_course.quiz import TAKEAWAY_QUESTIONS, get_question
from tinyml_course.quiz.grading import choice_explanation
from tinyml_course.quiz.scoring import score, score_bool, score_number

_SOURCE = Path(__file__).with_name("takeaway_quiz.ipynb")
POLICY = re.search(r'POLICY = \\\\?"([a-z-]+)\\\\?"', _SOURCE.read_text()).group(1)


def _fraction(result):
    return result.earned / result.possible if result.possible else 0.0, result.message


def _choice(qid):
    question = get_question(qid, TAKEAWAY_QUESTIONS)

    def grade(got, key):
        fraction, message = _fraction(score(got, key, 1.0, POLICY, question))
        return fraction, message + "\\n" + choice_explanation(question, got, key, EXPLANATIONS[qid])
    return grade


def _number(got, expected):
    return _fraction(score_number(got, expected, 1.0))


def _bool(got, expected):
    return _fraction(score_bool(got, expected, 1.0))

'''


def checks_source(key):
    """The text of hidden_checks.py for ``key``: the key, and what each computed answer is."""
    given = COMPUTED_GIVEN.split("\nfor op in quiz_net:")[0].split("\n", 1)[1]  # no printing
    lines = [CHECKS_HEAD, "# the layer and the network of the computed questions (as the notebook)",
             given, "", "KEY = {"]
    lines += [f"    {q.id!r}: {sorted(key[q.id].correct)!r}," for q in TAKEAWAY_QUESTIONS]
    lines += ["}", "", "EXPLANATIONS = {  # why each option is right or wrong: shown after grading"]
    lines += [f"    {q.id!r}: {key[q.id].explanation!r}," for q in TAKEAWAY_QUESTIONS]
    lines += ["}", "", "CHECKS = ["]
    for q in TAKEAWAY_QUESTIONS:
        lines.append(f"    Check('check-{q.id}', 'answer_{q.id}', solution='answer-{q.id}', "
                     f"grade=_choice({q.id!r}),")
        lines.append(f"          cases=[Case({q.id!r}, 'answer_{q.id}', KEY[{q.id!r}])]),")
    for _qid, _text, answers in COMPUTED:
        for suffix, _hint, _solution, kind, _unit, expected in answers:
            gid = suffix.replace("_", "-")
            grade = "_number" if kind == "number" else "_bool"
            lines.append(f"    Check('check-{gid}', 'answer_{suffix}', solution='answer-{gid}', "
                         f"grade={grade},")
            lines.append(f"          cases=[Case({suffix!r}, 'answer_{suffix}',")
            lines.append(f"                      lambda: {expected})]),")
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
