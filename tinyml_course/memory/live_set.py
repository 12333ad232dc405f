"""The one live-set walk: which tensors are alive while each op runs, and the per-layer SRAM of
each op under a convention. Every figure is in bytes (sizes inside a walk are elements).

A tensor is live from the op that writes it until its last reader (``Network.last_use``); the
network input is live until the stem has read it. ``live_tensors`` walks that set op by op, for
whole tensors (per layer) or for patch windows (``patch_accounting.patch_views`` hands it the
stage's last uses and window sizes); ``layer_views`` turns it into an ``OpView`` per op, and
``Convention.held`` (conventions.py) says what the op holds.
"""

from dataclasses import dataclass, field

from ..model.units import bytes_per_element
from .conventions import OpView, get_convention


@dataclass
class LayerMemory:
    """SRAM of one op: ``sram_bytes`` and its ``breakdown`` ('layer/tensor' key -> bytes)."""

    name: str
    op: str
    input_shape: tuple
    output_shape: tuple
    sram_bytes: int
    macs: int
    breakdown: dict = field(default_factory=dict)


def tensor_sizes(network):
    """dict tensor -> elements (C*H*W) of the network input ('input') and of every op's output."""
    c, h, w = network.input_shape
    return {"input": c * h * w, **{op.name: op.out_elements for op in network.ops}}


def live_tensors(network, ops_range, last_use=None, sizes=None):
    """Yield (i, live) for each op i in ``ops_range``: the one definition of what is live.

    live maps every tensor held while op i runs, other than what op i writes, to its size: the
    tensors produced before op i (the network input included) that op i or a later op still reads
    (``last_use[t] >= i``). last_use: tensor -> index of its last reader (default
    network.last_use()). sizes: tensor -> elements (ints, or arrays over a patch grid; default
    tensor_sizes); a tensor missing from it is not tracked (it is counted elsewhere). ``live`` is
    one dict updated between ops: copy it to keep it.
    """
    last_use = network.last_use() if last_use is None else last_use
    sizes = tensor_sizes(network) if sizes is None else sizes
    start, ops = ops_range.start, network.ops
    live = {t: sizes[t] for t in ["input"] + [op.name for op in ops[:start]]
            if last_use[t] >= start and t in sizes}
    for i in ops_range:
        yield i, live
        op = ops[i]
        for t in op.inputs:
            if last_use[t] == i:  # op i was its last reader
                live.pop(t, None)
        if last_use[op.name] > i and op.name in sizes:  # someone reads it later
            live[op.name] = sizes[op.name]


def layer_views(network, ops_range, inplace):
    """Yield the OpView of each op in ``ops_range`` run per layer (sizes: ints, elements).

    inplace: the schedule runs depthwise convs in place (a depthwise whose input no later op
    reads then overwrites it). The views share one ``live`` dict (see live_tensors).
    """
    last_use = network.last_use()
    sizes = tensor_sizes(network)
    shortcuts = {op.block: op.inputs[1] for op in network.ops if op.kind == "add"}
    for i, live in live_tensors(network, ops_range, last_use, sizes):
        op = network.ops[i]
        _, h, w = op.out_shape
        shortcut = shortcuts.get(op.block) if op.block is not None else None
        yield OpView(op, live, {}, sizes[op.inputs[0]], sizes[op.name], h * w, shortcut,
                     sizes[shortcut] if shortcut else 0, inplace, last_use[op.inputs[0]] == i)


def layer_memory(network, ops_range, convention, dtype, inplace):
    """Per-op SRAM of ``ops_range`` run per layer, by ``convention`` (a name or Convention).

    Returns a list of LayerMemory: sram_bytes and a breakdown ('layer/tensor' -> bytes) from
    Convention.held. inplace: the schedule runs depthwise convs in place.
    """
    convention = get_convention(convention)
    nbytes = bytes_per_element(dtype)
    layers = []
    for view in layer_views(network, ops_range, inplace):
        op = view.op
        held = {k: int(n) * nbytes for k, n in convention.held(view).items()}
        layers.append(LayerMemory(op.name, op.kind, op.in_shape, op.out_shape,
                                  sum(held.values()), op.macs, held))
    return layers


def layer_sram(network, ops_range, convention, dtype):
    """(per-layer, in-place): the sram_bytes of layer_memory(..., False) and (..., True), two
    lists of ints from one walk (the search asks for thousands of networks)."""
    convention = get_convention(convention)
    nbytes = bytes_per_element(dtype)
    per_layer, in_place = [], []
    for view in layer_views(network, ops_range, False):
        per_layer.append(int(sum(convention.held(view).values())) * nbytes)
        if view.op.kind == "dwconv":  # the in-place schedule changes depthwise convs only
            view.inplace = True
            in_place.append(int(sum(convention.held(view).values())) * nbytes)
        else:
            in_place.append(per_layer[-1])
    return per_layer, in_place
