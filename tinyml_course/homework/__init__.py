"""Homework support: feedback sentences for visible tests, and the challenges' measurements.

- :mod:`.feedback`: ``expect_equal``/``expect_close`` (an "expected ..., got ..." sentence on
  failure), ``require_answered`` ("not answered yet" for an untouched stub), ``same`` (tuples,
  lists and numpy values compared by value).
- :mod:`.challenges`: one scorer per open-ended challenge; each takes the student's artefact and
  returns a :class:`~.challenges.ChallengeScore` (plain data, ``to_json()``) on the published scale.
- :mod:`.records`: the challenge records read back from autograded notebooks (grading report,
  leaderboard).

Stands aside the layers (like ``quiz``): it measures with model, memory, runtime and compression.
"""

from .feedback import (NotAnswered, expect_all, expect_close, expect_equal, expect_mapping,
                       expect_true, is_stub, require_answered, same)

__all__ = ["NotAnswered", "expect_all", "expect_close", "expect_equal", "expect_mapping",
           "expect_true", "is_stub", "require_answered", "same"]
