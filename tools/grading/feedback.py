"""Feedback preprocessors: nbgrader's hidden-test clearing, applied to test cells only.

nbgrader's ClearHiddenTests raises on a hidden-test marker in any other cell, so a student who
types `### BEGIN HIDDEN TESTS` in a solution made `generate_feedback` fail for themselves. A
student's own text is never hidden test code: only locked graded test cells are cleared here.
"""
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class ClearHiddenTestsInTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        if not (utils.is_grade(cell) and not utils.is_solution(cell)):
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)
