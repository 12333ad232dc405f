"""Test helpers: hermetic Jupyter environment, notebook execution, the nbgrader pipeline.

    from harness.notebooks import execute_notebook
    from harness.nbgrader_pipeline import Course, solved_submission, untouched_submission
"""
