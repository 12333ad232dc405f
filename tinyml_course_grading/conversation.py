"""The grader's conversation with the sandboxed runner, one step at a time.

The runner learns what the hidden checks hold only once the student's cells can no longer show
it: the grader sends the cells, and only after the runner has answered with their outputs (the
feedback, now fixed) does it send the helpers' source, then one call at a time. So nothing a cell
finds in its own process (gc, sys.modules, frames) holds a helper, a call or a tripwire list.

grader -> runner, one JSON line each (`send`):

    {"step": "cells",   "body": Start}       the cells, limits, and the modules to import first
    {"step": "helpers", "body": Helpers}     the hidden checks' helpers (after the cells ran)
    {"step": "call",    "body": CallRequest}  one call
    {"step": "reply",   "body": Reply}       the grader's answer to an Ask (see below)
    {"step": "done",    "body": {}}

runner -> grader, on the result descriptor:

    {"step": "cells",   "body": CellsDone}    every cell's outputs
    {"step": "helpers", "body": HelpersDone}  "" or why the helpers failed
    {"step": "ask",     "body": Ask}          during a call: a figure the grader measures itself
    {"step": "call",    "body": CallDone}      the call's plain answer

An `Ask` is how a measurement stays out of the student's process: the challenge's evaluator
(patch_inference's `evaluate(split, n)`) asks the grader, which measures the plan, counts the
asks and refuses past the budget. `read_line` bounds what it reads from the runner (bytes and
time): the runner's lines are untrusted. Standard library, messages and plain_data only.
"""
import json
import os
import select
import time
import typing
from dataclasses import dataclass

from . import messages, plain_data
from .messages import CallRequest, CallResult, CellResult, CellSource


@dataclass(frozen=True)
class Start:
    cells: typing.Tuple[CellSource, ...]
    preload: typing.Tuple[str, ...] = ()   # modules imported (and snapshot) before the cells
    cell_seconds: float = 30.0
    output_chars: int = 20000
    cwd: str = "."
    environ: typing.Tuple[str, ...] = ()   # "NAME=value", set before the cells (the student's id)


@dataclass(frozen=True)
class Helpers:
    source: str


@dataclass(frozen=True)
class Reply:
    ok: bool
    value: typing.Any = None        # plain data
    error: str = ""


@dataclass(frozen=True)
class CellsDone:
    cells: typing.Tuple[CellResult, ...] = ()


@dataclass(frozen=True)
class HelpersDone:
    error: str = ""


@dataclass(frozen=True)
class Ask:
    oracle: str                     # the name a hidden check registered (ORACLES)
    args: typing.Tuple[typing.Any, ...] = ()


@dataclass(frozen=True)
class CallDone:
    id: str
    result: CallResult


GRADER_STEPS = {"cells": Start, "helpers": Helpers, "call": CallRequest, "reply": Reply,
                "done": None}
RUNNER_STEPS = {"cells": CellsDone, "helpers": HelpersDone, "ask": Ask, "call": CallDone}


OUT_OF_STEP = 125  # the runner's exit status when the grader's steps come out of order


class ConversationError(RuntimeError):
    """The other side broke the conversation: a step out of order, too large, or too late."""


def encode(step, body=None):
    """One line (bytes) of the conversation: step name and the message's plain data."""
    data = {} if body is None else messages.dump(body)
    return (json.dumps({"step": step, "body": data}, allow_nan=False,
                       separators=(",", ":")) + "\n").encode()


def decode(line, steps):
    """(step, message) of one line; ConversationError names what is wrong."""
    try:
        data = json.loads(line)
        step, body = data["step"], data["body"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConversationError(f"not a conversation step ({exc})"[:300]) from None
    if step not in steps:
        raise ConversationError(f"unknown step {step!r:.40}")
    if steps[step] is None:
        return step, None
    try:
        return step, messages.load(steps[step], body)
    except messages.MessageError as exc:
        raise ConversationError(str(exc)[:300]) from None


class LineReader:
    """Lines from file descriptor ``fd``, at most ``limit`` bytes in all, each by a deadline."""

    def __init__(self, fd, limit):
        self.fd, self.limit, self.buffer, self.total = fd, limit, b"", 0

    def line(self, deadline, alive=lambda: True):
        """The next line (bytes), waiting until time.monotonic() reaches ``deadline``;
        ConversationError when the other side closed, sent too much, or ran out of time
        (``alive()`` False for a second: it has exited)."""
        exited_at = None
        while b"\n" not in self.buffer:
            now = time.monotonic()
            if now > deadline:
                raise ConversationError("timeout")
            ready, _, _ = select.select([self.fd], [], [], min(0.1, max(0.0, deadline - now)))
            if not ready:
                if not alive():
                    exited_at = exited_at or now
                    if now - exited_at > 1.0:
                        raise ConversationError("closed")
                continue
            block = os.read(self.fd, 1 << 20)
            if not block:
                raise ConversationError("closed")
            self.total += len(block)
            if self.total > self.limit:
                raise ConversationError("too large")
            self.buffer += block
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


# ---------------------------------------------------------------- the runner's side

class Channel:
    """The runner's ends of the conversation (py): steps in, answers out."""

    def __init__(self, steps, answers):
        self.steps, self.answers = steps, answers

    def next(self):
        line = self.steps.readline()
        if not line:
            os._exit(0)  # the grader hung up: nothing more is asked
        return decode(line, GRADER_STEPS)

    def send(self, step, body):
        self.answers.write(encode(step, body))


_CHANNEL = []  # the runner's one Channel, for ask(): a student's code may ask too (counted)


def open_channel(steps_fd, answers_fd):
    """The runner's Channel on its two descriptors (once per process)."""
    channel = Channel(os.fdopen(steps_fd, "rb"), os.fdopen(answers_fd, "wb", buffering=0))
    _CHANNEL.append(channel)
    return channel


def ask(oracle, *args):
    """A figure the grader measures outside this process (a hidden check's ORACLES[oracle] of
    ``args``, plain data); RuntimeError with the grader's reason when it refuses."""
    channel = _CHANNEL[0]
    channel.send("ask", Ask(str(oracle), tuple(plain_data.plain(list(args)))))
    step, reply = channel.next()
    if step != "reply":
        os._exit(OUT_OF_STEP)  # out of step: the conversation cannot go on
    if not reply.ok:
        raise RuntimeError(reply.error)
    return reply.value


def preload(helpers):
    """The modules the helpers' source imports (their top-level statements), for the runner to
    import and snapshot before the student's cells; () when the source does not parse."""
    import ast
    try:
        tree = ast.parse(helpers or "")
    except SyntaxError:
        return ()
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return tuple(dict.fromkeys(names))
