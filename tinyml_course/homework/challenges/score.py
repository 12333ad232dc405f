"""A challenge's result and the shape every published scale shares.

Every scale gives 0 for a wrong answer, ``floor_points`` for a right one that does no better than
the lecture's method (quality 0), and up to ``max_points`` for how close it comes to the best
known figure (quality 1): ``points = floor + (max - floor) * clamp(quality, 0, 1)``. Each
challenge's scale is a frozen dataclass (``streaming_depthwise.StreamingScale``, ...) holding its
constants, with ``quality(...)`` and ``points(...)`` (the score) and ``text()`` (the prose of
the notebooks, the docs and the feedback), so that the two are made from the same numbers.
"""

from dataclasses import asdict, dataclass, field


def clamp01(x):
    """``x`` clamped to [0, 1]."""
    return min(1.0, max(0.0, x))


@dataclass(frozen=True)
class Scale:
    """Points of a right answer from its quality (see the module doc)."""

    max_points: float = 4.0
    floor_points: float = 1.0  # a right answer of quality 0: no better than the lecture's method

    def points_for(self, quality):
        """Points (floor .. max) of a right answer of ``quality`` (clamped to [0, 1])."""
        return self.floor_points + (self.max_points - self.floor_points) * clamp01(quality)

    def points_phrase(self, quality):
        """'1 point', '2.5 points': the points of a right answer of ``quality``, in words."""
        points = self.points_for(quality)
        return f"{points:g} point{'' if points == 1 else 's'}"

    def formula(self, quality):
        """'1 + 3·<quality>': the points of a right answer, as the prose writes them."""
        return f"{self.floor_points:g} + {self.max_points - self.floor_points:g}·{quality}"


@dataclass
class ChallengeScore:
    """One student's result on one challenge (plain data: JSON-able with ``to_json``).

    points: earned on the published scale (0 .. max_points); measured: the figures behind it
    (bytes, MACs, accuracy); scale: the scale's text; message: one sentence for the feedback.
    """

    challenge: str
    points: float
    max_points: float
    measured: dict = field(default_factory=dict)
    scale: str = ""
    message: str = ""

    def to_json(self):
        return asdict(self)

    def summary(self):
        """The feedback sentence: 'name: P of M points. message'."""
        return f"{self.challenge}: {self.points:.2f} of {self.max_points:g} points. {self.message}"

    @property
    def fraction(self):
        """points / max_points: the share of the graded cell's points (0..1)."""
        return self.points / self.max_points
