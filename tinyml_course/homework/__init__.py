"""Homework support: feedback sentences for visible tests, and the challenges' measurements.

- :mod:`.feedback`: ``expect_equal``/``expect_close`` (an "expected ..., got ..." sentence on
  failure), ``require_answered`` ("not answered yet" for an untouched stub), ``same`` (tuples,
  lists and numpy values compared by value).
- :mod:`.challenges`: one module per open-ended challenge (its scale as data, its judge and
  scorers, each returning a ``ChallengeScore``: plain data) and the probes that run the student's
  artefacts (:mod:`.challenges.probes`).
- :mod:`.plain_model`: a model as plain data and back, checked before it is measured.
- :mod:`.records`: the challenge records the grader wrote into autograded notebooks (grading
  report, leaderboard).

Stands aside the layers (like ``quiz``): it measures with model, memory, runtime and compression.
"""

from .feedback import (NotAnswered, expect_all, expect_close, expect_equal, expect_mapping,
                       expect_true, is_stub, require_answered, same)

__all__ = ["NotAnswered", "expect_all", "expect_close", "expect_equal", "expect_mapping",
           "expect_true", "is_stub", "require_answered", "same"]
