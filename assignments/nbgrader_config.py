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
- No markup a student wrote or printed reaches a TA's browser: `EscapeStudentHTML` runs at
  autograde (Formgrader shows the autograded notebook) and again at feedback; a markdown cell
  or an output with a `<script>`, `onerror=` or a `javascript:` link is shown as text.

Autograde never runs student code in nbgrader's process tree: `SandboxedExecute`
(tinyml_course_grading, installed with the course: this file imports it from any course folder)
replaces nbgrader's Execute. It runs each notebook in a bubblewrap sandbox, calls the student's
functions there with the inputs of `source/<assignment>/hidden_checks.py`, compares the plain-data
answers outside, and writes each checked cell's verdict as its output, which nbgrader grades as
usual. This holds for plain `nbgrader autograde` and for `tinyml-course-grade ASSIGNMENT`
(long-lived workers, several students at once, per-student failure reasons and a grading
report): docs/grading.md.
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor

from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades,
                                   IgnorePattern, LimitOutput, SaveAutoGrades)
from tinyml_course_grading.feedback_preprocessors import (ClearHiddenTestsInTests,
                                                          EscapeStudentHTML,
                                                          ScrubHiddenTracebacks)
from tinyml_course_grading.nbgrader_execute import SandboxedExecute

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

# --- autograde: the student's code runs sandboxed (tinyml_course_grading.nbgrader_execute),
# never in a kernel of nbgrader's; hidden checks decide the cells they name. Per-cell time limit
# in seconds; the sandbox is "required" (refuse to grade where bubblewrap cannot build it) or
# "off" (the instructor's explicit choice: `--SandboxedExecute.sandbox=off`, in the report).
c.Autograde.autograde_preprocessors = [SandboxedExecute, IgnorePattern, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, EscapeStudentHTML,
                                       CheckCellMetadata]
c.SandboxedExecute.timeout = 30
c.SandboxedExecute.sandbox = "required"
# before nbgrader creates the first submission: the instructor's solution, graded in the same
# sandbox, must earn full marks, or autograde ends with one line and writes no score
c.Autograde.pre_convert_hook = "tinyml_course_grading.canary.before_first_student"
# nbgrader validate (the student's Validate button) still runs a kernel: same cell limit
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
# never keep a huge output (a print in a loop) in the gradebook or the feedback
c.LimitOutput.max_lines = 200


# --- feedback: order matters. ScrubHiddenTracebacks must run before ClearHiddenTests, which
# deletes the delimiters it keys on; GetGrades and the CSS header are nbgrader's own defaults.
# ClearHiddenTestsInTests is nbgrader's ClearHiddenTests restricted to test cells: a marker
# typed in a student's solution no longer makes their feedback fail.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    ScrubHiddenTracebacks,
    ClearHiddenTestsInTests,
    EscapeStudentHTML,
    CSSHTMLHeaderPreprocessor,
]
