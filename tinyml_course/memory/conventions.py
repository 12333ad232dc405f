"""Analytic SRAM and Flash accounting under named conventions. Every figure is in bytes.

SRAM holds activations (and temporary buffers); Flash holds weights and biases. Three conventions
count the SRAM an op needs (see CONVENTIONS and the README's table):

- ``exact``: what the arena executor measures. While an op runs, SRAM holds every tensor still to
  be read (the network input until the stem has read it, a block's input until its residual add),
  the op's output, and temporary buffers (the channel buffer of an in-place depthwise).
- ``mcunet``: the mcunet repository's ``count_peak_activation_size``: a conv or linear op costs
  input + output; a block's input is added only while its depthwise runs (if it has a shortcut);
  adds and pooling are not counted. A depthwise run in place (the ``in-place`` schedule) costs
  max(input, output), as MCUNetV2 Table 1 counts it.
- ``tinyengine``: TinyEngine's measured figures (STM32F746): the mcunet rule with every depthwise
  in place, whatever the schedule (the runtime always does it).

The peak of a network is the largest per-op figure.
"""

from dataclasses import dataclass, field

from ..errors import UnknownNameError
from ..model.network import (
    can_run_inplace,  # one definition of when in-place is allowed
)
from ..model.units import BIAS_BYTES, bytes_per_element, check_dtype


@dataclass(frozen=True)
class Convention:
    """A named rule for counting activation SRAM; ``summary`` says what it counts."""

    name: str
    summary: str
    live_set: bool  # True: count every live tensor (exact); False: the op's input + output rule
    always_inplace: bool = False  # depthwise counted in place whatever the schedule


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


@dataclass
class LayerMemory:
    """SRAM of one op: ``sram_bytes`` and its ``breakdown`` (what is counted -> bytes)."""

    name: str
    op: str
    input_shape: tuple
    output_shape: tuple
    sram_bytes: int
    macs: int
    breakdown: dict = field(default_factory=dict)


def totals(network, dtype="int8"):
    """(Flash bytes, MACs, params) of ``network`` in one pass (the search asks for thousands).

    Flash: the weights at ``dtype`` and the biases (int32 for int8, float32 for float32). MACs and
    params: Network.macs and Network.params (each op's macs; its weights + biases).
    """
    dtype = check_dtype(dtype)
    weight_bytes, bias_bytes = bytes_per_element(dtype), BIAS_BYTES[dtype]
    flash = macs = params = 0
    for op in network.ops:
        weights, biases = op.weight_count, op.bias_count
        flash += weights * weight_bytes + biases * bias_bytes
        macs += op.macs
        params += weights + biases
    return flash, macs, params


def flash_bytes(network, dtype="int8"):
    """Flash bytes of the weights (at ``dtype``) and biases (int32 for int8, float32 for float32)."""
    return totals(network, dtype)[0]


def _block_inputs(network):
    """Map block index -> the tensor its residual add keeps alive (blocks with a shortcut only)."""
    return {op.block: op.inputs[1] for op in network.ops if op.kind == "add"}


def live_tensors(network, ops_range, last_use=None):
    """Yield (i, live, held) for each op i in ``ops_range``: the one definition of what is live.

    live maps every tensor held while op i runs, other than what op i writes, to its element
    count: the tensors produced before op i (the network input included) that op i or a later op
    still reads. held is their total. A tensor is live from its op until its last reader
    (network.last_use()). ``live`` is one dict updated between ops: copy it to keep it.
    """
    last_use = network.last_use() if last_use is None else last_use
    start = ops_range.start
    c, h, w = network.input_shape
    live = {"input": c * h * w} if last_use["input"] >= start else {}
    live.update({op.name: op.out_elements for op in network.ops[:start]
                 if last_use[op.name] >= start})
    held = sum(live.values())
    ops = network.ops
    for i in ops_range:
        yield i, live, held
        op = ops[i]
        for t in op.inputs:
            if last_use[t] == i and t in live:  # op i was its last reader
                held -= live.pop(t)
        if last_use[op.name] > i:  # someone reads it later
            c, h, w = op.out_shape
            live[op.name] = c * h * w
            held += c * h * w


def _inplace_scratch(network, i, last_use):
    """Elements of the one (Ho, Wo) channel buffer op i needs when run in place, or None when it
    cannot be (only a depthwise whose input no later op reads can): then it writes its output."""
    if can_run_inplace(network, i, last_use):
        _, h, w = network.ops[i].out_shape
        return h * w
    return None


def live_set_sram(network, ops_range, dtype):
    """(per-layer, in-place) exact SRAM in bytes of each op in ``ops_range``: the sram_bytes of
    live_set_layers(..., False) and (..., True) from one walk, without the breakdowns (the search
    asks for thousands of networks; only a depthwise can run in place, so only a depthwise asks
    _inplace_scratch)."""
    nbytes = bytes_per_element(dtype)
    last_use = network.last_use()
    ops = network.ops
    per_layer, in_place = [], []
    for i, _, held in live_tensors(network, ops_range, last_use):
        c, h, w = ops[i].out_shape
        per_layer.append((held + c * h * w) * nbytes)
        scratch = _inplace_scratch(network, i, last_use) if ops[i].kind == "dwconv" else None
        in_place.append((held + (c * h * w if scratch is None else scratch)) * nbytes)
    return per_layer, in_place


def live_set_layers(network, ops_range, dtype, inplace):
    """Exact per-op SRAM for ops in ``ops_range`` run per layer (the arena executor's rule).

    Returns a list of LayerMemory whose breakdown names every live tensor (live_tensors). Mirrors
    executor.run_layers: a tensor is live from its op until its last reader; an in-place depthwise
    adds one (Ho, Wo) channel buffer instead of an output.
    """
    nbytes = bytes_per_element(dtype)
    last_use = network.last_use()
    layers = []
    for i, tensors, _ in live_tensors(network, ops_range, last_use):
        op = network.ops[i]
        live = {name: elements * nbytes for name, elements in tensors.items()}
        scratch = _inplace_scratch(network, i, last_use) if inplace else None
        if scratch is not None:
            live[f"{op.inputs[0]} -> {op.name} (in place)"] = live.pop(op.inputs[0])
            live[f"{op.name}/scratch"] = scratch * nbytes
        else:
            live[op.name] = op.out_elements * nbytes
        layers.append(LayerMemory(op.name, op.kind, op.in_shape, op.out_shape,
                                  sum(live.values()), op.macs, live))
    return layers


def io_rule_layers(network, ops_range, dtype, inplace):
    """Per-op SRAM by the mcunet repository's input + output rule (see the module docstring)."""
    nbytes = bytes_per_element(dtype)
    block_inputs = _block_inputs(network)
    layers = []
    for i in ops_range:
        op = network.ops[i]
        counted = {}
        if op.kind in ("conv", "pwconv", "linear") or (op.kind == "dwconv" and not inplace):
            counted = {f"{op.name}/input": op.in_elements * nbytes,
                       f"{op.name}/output": op.out_elements * nbytes}
        elif op.kind == "dwconv":
            counted = {f"{op.name}/input=output (in place)": max(op.in_elements, op.out_elements) * nbytes}
        if op.kind == "dwconv" and op.block in block_inputs:
            tensor = block_inputs[op.block]
            counted[f"{tensor} (block input, for the shortcut)"] = network.shape_of(tensor)[0] * \
                network.shape_of(tensor)[1] * network.shape_of(tensor)[2] * nbytes
        layers.append(LayerMemory(op.name, op.kind, op.in_shape, op.out_shape,
                                  sum(counted.values()), op.macs, counted))
    return layers


def layer_memory(network, ops_range, convention, dtype, inplace):
    """Per-op SRAM of ops_range run per layer, by ``convention`` (a name or Convention)."""
    convention = get_convention(convention)
    inplace = inplace or convention.always_inplace
    rule = live_set_layers if convention.live_set else io_rule_layers
    return rule(network, ops_range, dtype, inplace)


def layer_sram(network, ops_range, convention, dtype):
    """(per-layer, in-place): the sram_bytes of layer_memory(..., False) and (..., True), as two
    lists of ints; for the live-set rule from one walk without LayerMemory rows (live_set_sram)."""
    convention = get_convention(convention)
    if convention.live_set:
        per_layer, in_place = live_set_sram(network, ops_range, dtype)
    else:
        per_layer, in_place = ([m.sram_bytes
                                for m in io_rule_layers(network, ops_range, dtype, inplace)]
                               for inplace in (False, True))
    return (in_place if convention.always_inplace else per_layer), in_place
