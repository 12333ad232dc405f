"""Per-student parameters of the takeaway quiz's computed questions, derived from the student id.

Every student gets their own depthwise layer, small network, patch grid and network/device
pair, so an answer copied from someone else does not transfer. The parameters are a pure
function of the id (SHA-256 of ``VARIANT_SALT`` and the id, read as digits in mixed radix over
the choices below): the same id gives the same numbers in the student's notebook and in the
grader, on any machine and Python version. Nothing here computes an answer: the notebook shows
the parameters, the grader (assignments/source/takeaway_quiz/hidden_checks.py) computes the
expected values for the id it grades with the package's accounting.

Which id: the grader's (``$TINYML_STUDENT_ID``, set in the grading sandbox to the id the
submission is graded under), else the course hub's login (``$JUPYTERHUB_USER``), else the one
the student typed into the notebook. :func:`resolve_student_id` says which it used.
"""

import hashlib
import os
from dataclasses import dataclass

from ..model.devices import get_device
from ..model.network import Network, Op, build_network
from ..model.units import KIB

VARIANT_SALT = "tinyml-course takeaway quiz v1"  # changing it gives every student new numbers
STUDENT_ID_ENV = "TINYML_STUDENT_ID"             # set by the grader inside its sandbox
HUB_USER_ENV = "JUPYTERHUB_USER"                 # set by JupyterHub in a student's server

# the choices (each a tuple; a variant picks one entry of each)
DW_CHANNELS = (32, 48, 64, 80, 96, 112, 128)       # C of the depthwise layer (c1)
DW_SIZES = (10, 12, 14, 15, 16, 18, 20, 24)        # H = W of its input; odd sizes included
DW_KERNELS = (3, 5)                                # k, padding k // 2
DW_STRIDES = (1, 2)
RESOLUTIONS = (32, 40, 48)                         # input H = W of the small network (c2-c4)
STEM_CHANNELS = (8, 12, 16)                        # stem output = block 0's channels
BLOCK0_KERNELS = (3, 5)
BLOCK1_EXPANDS = (3, 4, 6)
BLOCK1_CHANNELS = (16, 24)
GRIDS = ((2, 1), (3, 1), (4, 1), (4, 2))           # (n of the n x n grid, patch i of (i, i))
# (zoo network, device) of c5: both answers true, both false, and per-layer false / in place true
FIT_CASES = (("mcunet-in2", "arduino-nano-33-ble-sense"), ("mcunet-in2", "stm32f746"),
             ("mcunet-in2", "stm32f765"), ("mcunet-in4", "stm32h743"),
             ("mcunet-in4", "stm32f746"), ("mbv2-w0.35", "stm32f746"),
             ("mbv2-w0.35", "arduino-nano-33-ble-sense"), ("proxyless-w0.3", "stm32f412"))


@dataclass(frozen=True)
class QuizVariant:
    """One student's parameters; every shape is (C, H, W), int8."""

    student_id: str
    dw_channels: int
    dw_size: int
    dw_kernel: int
    dw_stride: int
    resolution: int
    stem_channels: int
    block0_kernel: int
    block1_expand: int
    block1_channels: int
    grid: int           # n: patches on an n x n grid of block 0's output
    patch: int          # i: the patch (row i, column i), counted from 0
    fit_network: str    # a zoo name
    fit_device: str     # a device name of the catalogue

    def dw_layer(self) -> Op:
        """The depthwise layer of c1: k x k, padding k // 2, on a (C, H, W) int8 input."""
        c, h, k, s = self.dw_channels, self.dw_size, self.dw_kernel, self.dw_stride
        out = (h + 2 * (k // 2) - k) // s + 1
        return Op("dw", "dwconv", ("input",), in_shape=(c, h, h), out_shape=(c, out, out),
                  kernel=k, stride=s, padding=k // 2)

    def dw_net(self) -> Network:
        """The depthwise layer alone, as a network."""
        layer = self.dw_layer()
        return Network("one-depthwise", layer.in_shape, [layer])

    def net_spec(self) -> dict:
        """The JSON spec of the small network of c2-c4 (tinyml_course.build_network)."""
        return {"name": "quiz-net", "resolution": self.resolution, "input_channels": 3,
                "stem": {"kernel": 3, "stride": 2, "out": self.stem_channels},
                "blocks": [{"kernel": self.block0_kernel, "expand": 1,
                            "out": self.stem_channels, "stride": 1},
                           {"kernel": 3, "expand": self.block1_expand,
                            "out": self.block1_channels, "stride": 2}],
                "classes": 10}

    def quiz_net(self) -> Network:
        return build_network(self.net_spec())

    def describe(self) -> str:
        """The parameters in words, as the notebook prints them."""
        layer, device = self.dw_layer(), get_device(self.fit_device)
        return "\n".join([
            f"your quiz parameters (student id {self.student_id!r}):",
            f"  c1: dw_layer, a {layer.kernel}x{layer.kernel} depthwise convolution, stride "
            f"{layer.stride}, padding {layer.padding}, int8 input {layer.in_shape} -> output "
            f"{layer.out_shape}",
            f"  c2-c4: quiz_net (printed below), input 3 x {self.resolution} x {self.resolution}",
            f"  c2: a {self.grid} x {self.grid} grid of patches; the patch in grid row {self.patch}"
            f", column {self.patch} (counted from 0)",
            f"  c5: network {self.fit_network!r} (tinyml_course.get_network) on device "
            f"{self.fit_device!r}: {device.sram_bytes // KIB} KiB SRAM, "
            f"{device.flash_bytes // KIB} KiB Flash"])


def _pick(digest: int, *choices):
    """One entry of each tuple of ``choices``, read from ``digest`` as mixed-radix digits."""
    picked = []
    for options in choices:
        digest, index = divmod(digest, len(options))
        picked.append(options[index])
    return picked


def quiz_variant(student_id) -> QuizVariant:
    """The parameters of ``student_id`` (a non-empty string; surrounding spaces ignored)."""
    if not isinstance(student_id, str) or not student_id.strip():
        raise ValueError(f"a student id is a non-empty string, got {student_id!r}")
    sid = student_id.strip()
    digest = int.from_bytes(hashlib.sha256(f"{VARIANT_SALT}\0{sid}".encode()).digest(), "big")
    (c, h, k, s, res, stem, k0, expand, c1, grid, fit) = _pick(
        digest, DW_CHANNELS, DW_SIZES, DW_KERNELS, DW_STRIDES, RESOLUTIONS, STEM_CHANNELS,
        BLOCK0_KERNELS, BLOCK1_EXPANDS, BLOCK1_CHANNELS, GRIDS, FIT_CASES)
    return QuizVariant(sid, c, h, k, s, res, stem, k0, expand, c1, grid[0], grid[1], *fit)


def resolve_student_id(typed=None):
    """(id, where it came from): the grader's, the hub's login, or ``typed``; (None, why) when
    there is none."""
    for env, where in ((STUDENT_ID_ENV, "the grader"), (HUB_USER_ENV, "your course hub login")):
        value = os.environ.get(env, "").strip()
        if value:
            return value, where
    if isinstance(typed, str) and typed.strip():
        return typed.strip(), "STUDENT_ID"
    return None, ("set STUDENT_ID to the id your submission is graded under (your course "
                  f"login), as a string; got {typed!r}")


def student_variant(typed=None):
    """Print the parameters of this student (see resolve_student_id) and return them, or print
    what to fix and return None. Never raises: a notebook runs on whatever STUDENT_ID holds."""
    sid, where = resolve_student_id(typed)
    if sid is None:
        print(f"no student id yet: {where}")
        return None
    variant = quiz_variant(sid)
    print(variant.describe())
    if where != "STUDENT_ID" and isinstance(typed, str) and typed.strip() not in ("", sid):
        print(f"note: STUDENT_ID is {typed.strip()!r}, but {where} says {sid!r}; the numbers "
              f"above are those of {sid!r}")
    return variant
