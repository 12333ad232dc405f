"""The memory layer: conventions (which tensors an op holds), the live-set walk, accounting (peak
SRAM, Flash, fits), schedules, the SRAM arena, patch plans and their accounting. Analysis only:
never imports the runtime.

The accounting API is re-exported here, so ``from tinyml_course import memory`` then
``memory.profile(net)`` reads as the lecture does.
"""

from .accounting import FitReport, MemoryProfile, fit_report, fits, flash_bytes, profile, totals
from .conventions import CONVENTIONS, Convention, OpView, get_convention
from .live_set import LayerMemory
from .patch_summary import PatchSummary, StageOpPatches
from .schedule import Schedule

__all__ = ["profile", "fits", "fit_report", "FitReport", "MemoryProfile", "CONVENTIONS", "Convention",
           "OpView", "LayerMemory", "get_convention", "flash_bytes", "totals", "PatchSummary",
           "StageOpPatches", "Schedule"]
