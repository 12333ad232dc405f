"""tinyml_course: how a neural network fits in a microcontroller's SRAM and Flash.

The package behind the lecture demos, the homework graders and the quizzes of
"TinyML Basics" (MCUNet). Layout of every activation tensor: (C, H, W), batch 1.
Memory is always counted in bytes; 1 KiB = 1024 bytes, as the MCUNet papers do.
"""

from .errors import SpecError, SRAMOverflowError, TinyMLError, UnknownNameError
from .model.network import Network, Op, build_network, load_spec
from .model.zoo import ZOO_NAMES, get_network

__all__ = [
    "Network", "Op", "build_network", "load_spec", "get_network", "ZOO_NAMES",
    "TinyMLError", "SpecError", "SRAMOverflowError", "UnknownNameError",
]
