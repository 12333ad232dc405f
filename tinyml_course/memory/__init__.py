"""The memory layer: conventions (which tensors an op holds), accounting (peak SRAM, Flash, fits),
schedules, the SRAM arena, patch plans and their accounting. Analysis only: never imports the runtime.

The accounting API is re-exported here, so ``from tinyml_course import memory`` then
``memory.profile(net)`` reads as the lecture does.
"""

from .accounting import FitReport, MemoryProfile, fit_report, fits, profile
from .conventions import (
           CONVENTIONS,
           Convention,
           LayerMemory,
           flash_bytes,
           get_convention,
           totals,
)

__all__ = ["profile", "fits", "fit_report", "FitReport", "MemoryProfile", "CONVENTIONS", "Convention",
           "LayerMemory", "get_convention", "flash_bytes", "totals"]
