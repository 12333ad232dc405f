"""The rule a wrong homework answer breaks, in one sentence, where the figures can tell.

The visible tests (in the student's notebook) and the grader's hidden checks (outside it) both
explain a failure with these, so a student reads the same reason in Validate and in feedback:
"your scratch buffer is H*W = 99 elements; after a stride-2 depthwise only Ho*Wo = 30 are
needed" instead of two numbers to subtract. Each function returns "" when it cannot tell.
"""

from collections.abc import Sequence


def _why_smaller(h, w, ho, wo, stride, padding, kernel):
    """Why an output channel is smaller than its input channel, in words."""
    reasons = []
    if stride > 1:
        reasons.append(f"a stride-{stride} depthwise")
    if kernel is not None and padding is not None and 2 * padding < kernel - 1:
        reasons.append(f"padding {padding} with a {kernel}x{kernel} kernel")
    return " and ".join(reasons) or f"this depthwise ({h}x{w} -> {ho}x{wo})"


def inplace_scratch_rule(shape: Sequence[int], out_shape: Sequence[int], peak_bytes: int,
                         itemsize: int = 4, stride: int = 1, padding: int = 0,
                         kernel: int | None = None) -> str:
    """What an in-place depthwise kernel's measured peak says about its scratch buffer.

    shape, out_shape: (C, H, W) of the input and the output; peak_bytes: the arena's high-water
    mark; itemsize: bytes per element (float32: 4). The right peak is C*H*W + Ho*Wo elements (one
    output channel of scratch); the common mistakes have their own sentence.
    """
    c, h, w = (int(d) for d in shape)
    _, ho, wo = (int(d) for d in out_shape)
    extra = int(peak_bytes) // itemsize - c * h * w
    if extra == ho * wo:
        return ""
    if extra == h * w and h * w != ho * wo:
        return (f"your scratch buffer is H*W = {h * w} elements; after "
                f"{_why_smaller(h, w, ho, wo, stride, padding, kernel)} only Ho*Wo = {ho * wo} "
                f"are needed")
    if c > 1 and extra == c * ho * wo:
        return (f"you hold a whole (C, Ho, Wo) output ({c * ho * wo} elements) beside the input; "
                f"one output channel of scratch ({ho * wo}) is enough")
    if extra < ho * wo:
        return (f"the arena held only {max(extra, 0)} elements beyond the input, less than one "
                f"output channel ({ho * wo}): the scratch must be allocated in the arena")
    return (f"you hold {extra} elements beyond the input; one output channel of scratch "
            f"(Ho*Wo = {ho * wo}) is enough")
