"""The SRAM conventions: which tensors an op holds while it runs. One rule per convention, here.

SRAM holds activations (and temporary buffers); Flash holds weights and biases. Three conventions
count the SRAM an op needs (see CONVENTIONS, docs/memory-conventions.md and the README's table):

- ``exact``: what the arena executor measures. While an op runs, SRAM holds every tensor still to
  be read (the network input until the stem has read it, a block's input until its residual add),
  the op's output, and temporary buffers (the channel buffer of an in-place depthwise).
- ``mcunet``: the mcunet repository's ``count_peak_activation_size``: a conv or linear op costs
  input + output; a block's input is added only while its depthwise runs (if it has a shortcut);
  adds and pooling are not counted. A depthwise run in place (the ``in-place`` schedule) costs
  max(input, output), as MCUNetV2 Table 1 counts it.
- ``tinyengine``: TinyEngine's measured figures (STM32F746): the mcunet rule with every depthwise
  in place, whatever the schedule (the runtime always does it).

``Convention.held(view)`` is the one place these rules are written. An ``OpView`` says what an op
sees while it runs (which tensors are live, how big its input and output are); the walks that
build views are ``live_set.layer_views`` (per layer: sizes are ints) and
``patch_accounting.patch_views`` (a patch stage: sizes are (n, n) arrays, one entry per patch).
profile, patch accounting and the search all count through ``held``.

Breakdown keys are ``layer/tensor``: the op's own tensors are ``<op>/input``, ``<op>/output``,
``<op>/scratch`` (an in-place depthwise's one-channel buffer) and ``<op>/inplace`` (the buffer an
in-place depthwise reads and overwrites, mcunet rule); any other held tensor is named by the op
that produced it, ``<producer>/output`` (the network input: ``input/image``); a tensor held at
full size through a patch stage is ``<producer>/full`` (``input/full`` for a held image).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UnknownNameError
from ..model.ops import GroupOp


def tensor_key(tensor, suffix="output"):
    """Breakdown key of a held tensor that is not the op's own: '<producer>/output' ('input/image'
    for the network input; suffix 'full' for a tensor held at full size through a patch stage)."""
    if tensor == "input":
        return "input/image" if suffix == "output" else f"input/{suffix}"
    return f"{tensor}/{suffix}"


@dataclass
class OpView:
    """What one op sees while it runs. Sizes are elements (multiply by bytes per element): ints
    for an op run per layer, (n, n) int arrays for an op of a patch stage (one entry per patch).

    live: tensor -> elements of every window or tensor held while the op runs, other than what
      the op writes and the full-size ``resident`` ones (its inputs included, until their last
      reader). A walk updates one dict between ops: read it, do not keep it.
    resident: tensor -> elements held at full size all along (a patch stage's assembled boundary
      tensors and a held input image; empty per layer).
    input, output: elements of the op's first input and of its output as the op holds them;
      0 when that tensor is counted in ``resident`` (a held image; an output written straight into
      a full-size tensor: then ``direct`` is True).
    channel: elements of one output channel (Ho * Wo): an in-place depthwise's temporary buffer.
    shortcut, shortcut_elements: the block input its residual add keeps (None, 0 without one).
    inplace: the schedule runs depthwise convs in place; input_free: no later op reads the input
      (only then may a depthwise overwrite it).
    """

    op: Any
    live: dict
    resident: dict
    input: Any
    output: Any
    channel: Any
    shortcut: str | None = None
    shortcut_elements: Any = 0
    inplace: bool = False
    input_free: bool = False
    direct: bool = False


@dataclass(frozen=True)
class Convention:
    """A named rule for counting activation SRAM; ``summary`` says what it counts, ``held`` counts."""

    name: str
    summary: str
    live_set: bool  # True: count every live tensor (exact); False: the op's input + output rule
    always_inplace: bool = False  # depthwise counted in place whatever the schedule

    def held(self, view):
        """dict ``layer/tensor`` -> elements (int, or (n, n) array) the op of ``view`` holds.

        The op's SRAM is the sum of the values (times bytes per element); the key names say what
        is counted (see the module doc). Mutates nothing.
        """
        op = view.op
        if self.live_set:  # exact: everything live, then what the op writes
            held = {tensor_key(t, "full"): n for t, n in view.resident.items()}
            held.update({f"{op.name}/input" if t == op.inputs[0] else tensor_key(t): n
                         for t, n in view.live.items()})
            if view.direct:
                pass  # writes its tile straight into a full-size (resident) tensor
            elif view.inplace and op.kind == "dwconv" and view.input_free:
                held[f"{op.name}/scratch"] = view.channel  # one (Ho, Wo) channel buffer
            else:
                held[f"{op.name}/output"] = view.output
            return held
        if op.kind not in GroupOp.WEIGHTED:  # the mcunet rule counts no adds and no pooling
            return {}
        if op.kind == "dwconv" and (view.inplace or self.always_inplace):
            held = {f"{op.name}/inplace": np.maximum(view.input, view.output)}
        else:
            held = {f"{op.name}/input": view.input, f"{op.name}/output": view.output}
        if op.kind == "dwconv" and view.shortcut is not None:  # the block input, for the add
            held[tensor_key(view.shortcut)] = view.shortcut_elements
        held.update({tensor_key(t, "full"): n for t, n in view.resident.items()})
        return held


CONVENTIONS = {c.name: c for c in [
    Convention("exact", "every tensor alive while the op runs: inputs still to be read, residuals "
               "until their add, the output, temporary buffers; what the arena measures", True),
    Convention("mcunet", "input + output of each conv/linear; block input added during the "
               "depthwise of a block with a shortcut; max(in, out) for an in-place depthwise", False),
    Convention("tinyengine", "the mcunet rule with every depthwise in place (TinyEngine's measured "
               "STM32F746 figures)", False, always_inplace=True),
]}


def get_convention(name):
    """The Convention called ``name``; UnknownNameError lists the known ones otherwise."""
    if isinstance(name, Convention):
        return name
    if name not in CONVENTIONS:
        raise UnknownNameError(f"unknown convention {name!r}; use one of {', '.join(CONVENTIONS)}")
    return CONVENTIONS[name]
