"""nbgrader configuration of the tinyml-course course directory (run nbgrader from this folder).

Changes from nbgrader 0.9's defaults, each proved by tests/test_harness.py and
tests/test_grading_*.py:

- Autograde runs student code sandboxed (below), every cell under a time limit: on timeout the
  cell gets a `CellTimeoutError` and the run goes on, so an infinite loop costs the student the
  points of the cells it blocks and never hangs the run.
- Feedback hides hidden tests (the converted assignments have none in the notebook at all). nbgrader 0.9 puts the hidden tests back into the autograded
  notebook and its GenerateFeedback renders that notebook as is (jupyter/nbgrader#917, #1363:
  "by design"). We run `ClearHiddenTests` on it, and `ScrubHiddenTracebacks` replaces the
  traceback of a failed hidden-test cell with its last line, because IPython's traceback quotes
  the failing source line, which may be hidden test code. A hidden-test marker typed in a
  student's solution no longer makes that student's feedback fail (ClearHiddenTestsInTests).

Autograde never runs student code in nbgrader's process tree: `SandboxedExecute` (tools/grading)
replaces nbgrader's Execute. It runs each notebook in a bubblewrap sandbox, calls the student's
functions there with the inputs of `source/<assignment>/hidden_checks.py`, compares the plain-data
answers outside, and writes each checked cell's verdict as its output, which nbgrader grades as
usual. This holds for plain `nbgrader autograde` and for `python ../tools/autograde_class.py
ASSIGNMENT` (long-lived workers, several students at once, per-student failure reasons and a
grading report): docs/grading.md.
"""
import sys
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from traitlets import Bool

from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades,
                                   IgnorePattern, LimitOutput, SaveAutoGrades)


def _grading_tools():
    """The repository's tools/ folder: beside this course directory, else beside the package."""
    here = Path(__file__).resolve().parent.parent / "tools"
    if (here / "grading").is_dir():
        return here
    import tinyml_course
    return Path(tinyml_course.__file__).resolve().parents[1] / "tools"


if str(_grading_tools()) not in sys.path:
    sys.path.insert(0, str(_grading_tools()))
from grading.execute import SandboxedExecute  # noqa: E402
from grading.feedback import ClearHiddenTestsInTests  # noqa: E402

c = get_config()  # noqa: F821  (injected by traitlets when it loads this file)

c.CourseDirectory.course_id = "tinyml-course"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
# The percent .py beside each source notebook is its text source (tools/build_notebooks.py makes
# the .ipynb from it) and holds the solutions: it must never reach release/ or a student.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]

# --- student version: the stub left where a solution region was. nbgrader's default
# `raise NotImplementedError()` stops a student's "Run all" at the first unanswered cell (quiz
# answer cells read `answer_q1 = None` then the region); `...` is a valid statement there and as
# a function body, and an untouched function then returns None, which its tests reject.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\n..."}

# --- autograde: the student's code runs sandboxed (tools/grading/execute.py), never in a kernel
# of nbgrader's; hidden checks decide the cells they name. Per-cell time limit in seconds; the
# sandbox is "auto" (bubblewrap where the machine allows it, else resource limits, said once),
# "required" (refuse to grade without it) or "off".
c.Autograde.autograde_preprocessors = [SandboxedExecute, IgnorePattern, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.SandboxedExecute.timeout = 30
c.SandboxedExecute.sandbox = "auto"
# nbgrader validate (the student's Validate button) still runs a kernel: same cell limit
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
# never keep a huge output (a print in a loop) in the gradebook or the feedback
c.LimitOutput.max_lines = 200


class ScrubHiddenTracebacks(Preprocessor):
    """Reduce error outputs of cells with hidden tests to `Name: message`, with no code lines."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)
    begin_test_delimeter = "BEGIN HIDDEN TESTS"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


# --- feedback: order matters. ScrubHiddenTracebacks must run before ClearHiddenTests, which
# deletes the delimiters it keys on; GetGrades and the CSS header are nbgrader's own defaults.
# ClearHiddenTestsInTests is nbgrader's ClearHiddenTests restricted to test cells: a marker
# typed in a student's solution no longer makes their feedback fail.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    ScrubHiddenTracebacks,
    ClearHiddenTestsInTests,
    CSSHTMLHeaderPreprocessor,
]
