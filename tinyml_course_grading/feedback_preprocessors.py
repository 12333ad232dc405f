"""Feedback preprocessors (the course's `GenerateFeedback.preprocessors`, nbgrader_config.py).

- `ScrubHiddenTracebacks`: the error output of a cell with hidden tests becomes `Name: message`,
  no code lines (IPython's traceback quotes the failing line, which may be hidden test code).
  It must run before ClearHiddenTestsInTests, which deletes the delimiters it keys on.
- `ClearHiddenTestsInTests`: nbgrader's ClearHiddenTests on graded test cells only. nbgrader's
  raises on a hidden-test marker in any other cell, so a student who typed `### BEGIN HIDDEN
  TESTS` in a solution made `generate_feedback` fail for themselves; a student's own text is
  never hidden test code.
"""
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool


class ScrubHiddenTracebacks(Preprocessor):
    """Reduce error outputs of cells with hidden tests to `Name: message`, with no code lines."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)
    begin_test_delimeter = "BEGIN HIDDEN TESTS"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: "
                                       f"{output.get('evalue', '')}"]
        return cell, resources


class ClearHiddenTestsInTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, applied to locked graded test cells only."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not (utils.is_grade(cell) and not utils.is_solution(cell)):
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)
