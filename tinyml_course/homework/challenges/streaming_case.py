"""One graded case of the streaming-depthwise challenge, as its own measured process runs it.

The grader measures a student's ``depthwise_streaming`` from outside: each case runs in a fresh
sandboxed process (tinyml_course_grading.case_harness), and the kernel reports that process's
peak memory; a baseline process runs the same steps with ``null_kernel``. What the case process
does is here, so that the baseline and the student's run do the same before the call:
``prepare`` builds the inputs straight into the arena (no temporary copy whose peak could hide
the kernel's scratch) and ``CasePrepared.run`` calls the kernel and describes its result.

Imports numpy and the arena only (the case process stays small and cheap to start).
"""

import numpy as np

from ...memory.arena import Arena, Buffer

ARENA_SLACK_BYTES = 1 << 16  # the arena: twice the input plus this (pages count once written)


def case_inputs(c, h, w, k, seed, out=None):
    """(x (C, H, W), weight (C, k, k), bias (C,)), float32, of one graded case from ``seed``;
    ``out``: a float32 (C, H, W) array that receives x (no other copy of x is made)."""
    rng = np.random.default_rng(seed)
    x = np.empty((c, h, w), np.float32) if out is None else out
    rng.standard_normal(dtype=np.float32, out=x)
    weight = rng.standard_normal((c, k, k), dtype=np.float32)
    bias = rng.standard_normal(c, dtype=np.float32)
    return x, weight, bias


def null_kernel(arena, buf, weight, bias=None):
    """The baseline's kernel: does nothing and returns ``buf`` (its process's peak is what the
    case process holds without any kernel)."""
    return buf


class CasePrepared:
    """A case's arena, input buffer (x written into it) and weights, ready for one call."""

    def __init__(self, c, h, w, k, seed):
        self.shape, self.kernel = [int(c), int(h), int(w)], int(k)
        self.arena = Arena(2 * 4 * c * h * w + ARENA_SLACK_BYTES)
        self.buf = self.arena.alloc("x", (c, h, w), np.float32)
        _, self.weight, self.bias = case_inputs(c, h, w, k, seed, out=self.buf.array)
        self.in_offset = int(self.buf.offset)

    def run(self, fn):
        """Call ``fn(arena, buf, weight, bias)``; -> (record, output array or None).

        record (plain data): 'shape', 'kernel', 'returned' (the result's type name; None when
        it raised), 'problem' ('' or why there is no output), 'in_offset' / 'out_offset'
        (bytes), 'live_bytes' (allocated in the arena after the call). The output array is
        the returned buffer's view into the arena (no copy: a copy would add to the peak).
        """
        record = {"shape": self.shape, "kernel": self.kernel, "returned": None, "problem": "",
                  "in_offset": self.in_offset, "out_offset": None, "live_bytes": None}
        try:
            out = fn(self.arena, self.buf, self.weight, self.bias)
            record["returned"] = type(out).__name__
        except Exception as err:  # a student's error is a wrong answer, with its reason
            record["problem"] = f"it raised {type(err).__name__}: {err}"[:300]
            return record, None
        record["live_bytes"] = int(self.arena.live_bytes)
        if out is None:
            record["problem"] = "it returned None (not answered yet)"
        elif not isinstance(out, Buffer):
            record["problem"] = f"it returned a {type(out).__name__}, not the arena Buffer"
        elif out.dtype != np.float32 or tuple(out.shape) != tuple(self.shape):
            record["problem"] = (f"it returned a {out.dtype} buffer of shape {tuple(out.shape)}, "
                                 f"expected float32 {tuple(self.shape)}")
        else:
            record["out_offset"] = int(out.offset)
            return record, out.array
        return record, None


def prepare(c, h, w, k, seed):
    """The case (C, H, W, k, seed) made ready in this process: a CasePrepared."""
    return CasePrepared(c, h, w, k, seed)
