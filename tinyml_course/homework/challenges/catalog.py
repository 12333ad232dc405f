"""The homework's challenges: one typed entry each, with the assignment and scale it belongs to."""

from dataclasses import dataclass

from . import compressed_model, patch_plan, streaming_depthwise
from .score import Scale


@dataclass(frozen=True)
class Challenge:
    """One challenge: its leaderboard name, assignment, graded cell and published scale."""

    name: str
    assignment: str
    grade_id: str
    scale: Scale


CHALLENGES = {c.name: c for c in (
    Challenge(streaming_depthwise.NAME, "sram_accounting", "test-depthwise-streaming",
              streaming_depthwise.STREAMING_SCALE),
    Challenge(patch_plan.NAME, "patch_inference", "test-choose-patch-plan", patch_plan.PATCH_SCALE),
    Challenge(compressed_model.NAME, "compression", "test-compress-for-budget",
              compressed_model.COMPRESSION_SCALE),
)}
