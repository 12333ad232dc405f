"""Schedules: in what order and with which buffers a network's ops run.

- ``per-layer``: op after op; each op holds its input(s) and output in SRAM.
- ``in-place``: the same, but a depthwise conv writes its output over its input, channel by
  channel, through one temporary channel buffer (MCUNet-v1).
- ``patch``: the first ops, up to and including ``split``, run on an ``patches`` x ``patches`` grid
  of spatial patches, one patch at a time (MCUNetV2); the rest runs like ``in-place``.
"""

from dataclasses import dataclass

from ..errors import SpecError, UnknownNameError
from ..validation import check_scalar

SCHEDULE_KINDS = ("per-layer", "in-place", "patch")
# n of the n x n patch grid when none is given: MCUNetV2's 4x4 (its 172 kB MobileNetV2 figure,
# ../shared/reference/published-figures.md); a stage output with fewer rows asks for a smaller n
DEFAULT_PATCHES = 4


@dataclass(frozen=True)
class Schedule:
    """A schedule. ``patches`` and ``split`` are used by kind 'patch' only.

    stream_input (patch only): True when the camera streams the input image patch by patch, so the
    full image is never held in SRAM (the MCUNetV2 figure's assumption); False holds it whole.
    """

    kind: str = "per-layer"
    patches: int = 1
    split: str | None = None
    stream_input: bool = True

    def __post_init__(self):
        if self.kind not in SCHEDULE_KINDS:
            raise UnknownNameError(f"unknown schedule {self.kind!r}; use one of {', '.join(SCHEDULE_KINDS)}")
        if self.kind == "patch":
            check_scalar(self.patches, "patches (n of an n x n grid)", int, min_val=1)
            if not self.split:
                raise SpecError("a patch schedule needs a split op or block name (e.g. 'block4')")

    @property
    def inplace_depthwise(self):
        """Whether depthwise convs (outside a patch stage) update their input in place."""
        return self.kind in ("in-place", "patch")

    def __str__(self):
        if self.kind == "patch":
            return f"patch {self.patches}x{self.patches} up to {self.split}"
        return self.kind


def as_schedule(schedule, **options):
    """Accept a Schedule or a kind name (plus Schedule fields as keyword options)."""
    if isinstance(schedule, Schedule):
        return schedule
    if not isinstance(schedule, str):
        raise UnknownNameError(f"schedule must be a name or a Schedule, got {schedule!r}")
    return Schedule(schedule, **options)
