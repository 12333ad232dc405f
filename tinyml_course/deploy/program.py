"""The program a deployed network runs: a list of kernel calls with arena offsets, per schedule.

``build_program`` walks a schedule the way the arena executor runs it (``runtime.layerwise`` and
``runtime.patch_exec``: the same allocations and frees, in the same order) but, instead of running
kernels, records each call with the byte offsets of its tensors in a ``memory.arena.Arena`` whose
capacity is the package's analytic peak (``memory.profile(..., convention="exact")``). The arena's
placement (first fit; compaction as memmove steps) then IS the static C layout, and the C arena is
exactly the planned peak, to the byte. Each step is plain data that ``codegen`` turns into C.

Window convention (patch-based inference): a kernel computes the rows/cols ``out`` of the FULL op
from an input buffer holding the rows/cols ``win`` of the full input (see ``kernels_c/tinyml.h``).
"""

from dataclasses import dataclass

from ..errors import SpecError, SRAMOverflowError
from ..memory.accounting import profile
from ..memory.arena import Arena
from ..memory.patch_plan import Window, patch_plan
from ..memory.schedule import as_schedule
from ..model.network import Op, can_run_inplace
from .structs import Geom

INT8 = "int8"


@dataclass(frozen=True)
class Region:
    """A (c, h, w) region inside a buffer: byte offset of its first pixel, channel and row strides
    in elements (int8: bytes)."""

    offset: int
    cstride: int
    rstride: int


# Program steps: one frozen dataclass per kind. ``family`` names the kernel kinds that can run a
# step, most specific first (``kernels.kernel_for`` picks one from a kernel set); codegen writes
# each kind's C call, the latency model counts its kernel's loops. Offsets are bytes from the
# arena's start.

@dataclass(frozen=True)
class Mark:
    """The start of label ``label`` (0: the input copy, i + 1: op i): ``tm_layer(label)``."""

    label: int
    family = ("mark",)


@dataclass(frozen=True)
class Copy:
    """Copy a (c, h, w) region between arena buffers (a patch's tile into its full tensor)."""

    src: Region
    dst: Region
    c: int
    h: int
    w: int
    family = ("copy",)


@dataclass(frozen=True)
class Camera(Copy):
    """Copy the (c, h, w) region ``src`` of the input image (in Flash) to ``dst`` in the arena."""


@dataclass(frozen=True)
class Move:
    """memmove of ``nbytes`` from ``src`` to ``dst``: the arena's compaction."""

    dst: int
    src: int
    nbytes: int
    family = ("move",)


@dataclass(frozen=True)
class Add:
    """Residual add of op ``op``: (c, h, w) regions a + b -> y."""

    op: Op
    a: Region
    b: Region
    y: Region
    c: int
    h: int
    w: int
    family = ("add",)


@dataclass(frozen=True)
class Pool:
    """Global average pool of op ``op``: (c, h, w) at ``x`` -> (c,) at ``y``."""

    op: Op
    x: int
    y: int
    c: int
    h: int
    w: int
    family = ("pool",)


@dataclass(frozen=True)
class OpCall:
    """A conv, dwconv, pwconv or linear op's kernel computing ``geom``'s output region."""

    op: Op
    x: int
    y: int
    geom: Geom

    @property
    def family(self):
        kind = "pwconv" if self.op.kind == "linear" else self.op.kind
        g = self.geom
        return (f"{kind}_k{g.k}" if g.kw == g.k else f"{kind}_k{g.k}x{g.kw}", kind)


@dataclass(frozen=True)
class InplaceDepthwise:
    """In-place depthwise of op ``op``: the input at ``x`` becomes the output, through one
    channel's ``scratch``."""

    op: Op
    x: int
    scratch: int
    geom: Geom

    @property
    def family(self):
        return (f"dwconv_inplace_k{self.geom.k}", "dwconv_inplace")


@dataclass
class Program:
    """Steps, labels (label 0 is the input copy, label i + 1 is op i), arena bytes, output place."""

    network: object
    schedule: object
    arena_bytes: int  # = the analytic peak under the exact convention, int8
    steps: list
    labels: list
    output_offset: int
    output_shape: tuple


def _geom(op, win, out, y_strides):
    """The Geom of ``op`` computing region ``out`` from an input buffer holding ``win``."""
    cin, in_h, in_w = op.in_shape
    (kh, kw), (top, _, left, _) = op.kernel_hw, op.pads  # below / right: implied by in_h, in_w
    return Geom(cin=cin, in_h=in_h, in_w=in_w, win_r0=win.r0, win_c0=win.c0, win_h=win.h,
                win_w=win.w, cout=op.out_shape[0], k=kh, stride=op.stride, pad=top,
                out_r0=out.r0, out_c0=out.c0, out_h=out.h, out_w=out.w,
                y_cstride=y_strides[0], y_rstride=y_strides[1], kw=kw, pad_l=left)


def _whole(shape):
    return Window(0, shape[1], 0, shape[2])


def _region(offset, win, region):
    """The Region of ``region`` inside a buffer at ``offset`` holding ``win`` (every channel)."""
    return Region(offset + (region.r0 - win.r0) * win.w + (region.c0 - win.c0), win.h * win.w, win.w)


def _add(op, sources, out_off, out_win, y_strides):
    (a_off, a_win), (b_off, b_win) = sources
    return Add(op, _region(a_off, a_win, out_win), _region(b_off, b_win, out_win),
               Region(out_off, *y_strides), op.out_shape[0], out_win.h, out_win.w)


def _pool(op, sources, out_off, out_win, y_strides):
    return Pool(op, sources[0][0], out_off, *op.in_shape)


def _op_call(op, sources, out_off, out_win, y_strides):
    x_off, x_win = sources[0]
    return OpCall(op, x_off, out_off, _geom(op, x_win, out_win, y_strides))


_OP_STEPS = {"add": _add, "pool": _pool}  # op kind -> its step (others: an OpCall)


def _camera(network, dst, win):
    """The Camera step copying window ``win`` of the input image into the arena at ``dst``."""
    c, h, w = network.input_shape
    return Camera(Region(win.r0 * w + win.c0, h * w, w), Region(dst, win.h * win.w, win.w), c,
                  win.h, win.w)


class _Walk:
    """Allocations in an Arena of the planned size; every compaction becomes 'move' steps."""

    def __init__(self, capacity):
        self.steps = []
        walk = self

        class _Recording(Arena):
            def compact(self):
                before = {id(b): b.offset for b in self.buffers}
                super().compact()
                for b in self.buffers:
                    if b.offset != before[id(b)]:
                        walk.steps.append(Move(b.offset, before[id(b)], b.nbytes))

        self.arena = _Recording(capacity)

    def mark(self, label):
        self.steps.append(Mark(label))

    def op_step(self, op, sources, out_off, out_win, y_strides):
        """The step computing ``out_win`` of ``op``; sources: [(offset, Window held)]."""
        self.steps.append(_OP_STEPS.get(op.kind, _op_call)(op, sources, out_off, out_win, y_strides))

    def layers(self, network, start, stop, tensors, inplace):
        """ops[start:stop] per layer (as ``runtime.layerwise.run_layers``); tensors: name -> Buffer."""
        last_use = network.last_use()
        for i in range(start, stop):
            op = network.ops[i]
            self.mark(i + 1)
            if inplace and can_run_inplace(network, i, last_use):
                buf = tensors.pop(op.inputs[0])
                _, ho, wo = op.out_shape
                temp = self.arena.alloc(f"{op.name}/scratch", (ho, wo), INT8)
                self.steps.append(InplaceDepthwise(
                    op, buf.offset, temp.offset,
                    _geom(op, _whole(op.in_shape), _whole(op.out_shape), (ho * wo, wo))))
                self.arena.free(temp)
                tensors[op.name] = self.arena.shrink(buf, op.out_shape, op.name)
                continue
            out = self.arena.alloc(op.name, op.out_shape, INT8)
            sources = [(tensors[t].offset, _whole(tensors[t].shape)) for t in op.inputs]
            _, h, w = op.out_shape
            self.op_step(op, sources, out.offset, _whole(op.out_shape), (h * w, w))
            tensors[op.name] = out
            for t in set(op.inputs):
                if last_use[t] == i:
                    self.arena.free(tensors.pop(t))

    def patches(self, network, schedule):
        """The patch stage (as ``runtime.patch_exec.execute_patch_based``), then the rest per layer."""
        plan = patch_plan(network, schedule.split, schedule.patches)
        last_use, stage_last = network.last_use(), plan.stage_last_use
        full = {t: self.arena.alloc(t, network.shape_of(t), INT8) for t in plan.boundary}
        whole_in = _whole(network.input_shape)
        held = None
        if not schedule.stream_input:
            held = self.arena.alloc("input", network.input_shape, INT8)
            self.mark(0)
            self.steps.append(_camera(network, held.offset, whole_in))
        for i, j in plan.patch_order():
            win, tile = plan.windows(i, j), plan.tile(i, j)
            live = {}
            if held is None:
                w = win["input"]
                live["input"] = self.arena.alloc("input[patch]", (network.input_shape[0], w.h, w.w),
                                                 INT8)
                self.mark(0)
                self.steps.append(_camera(network, live["input"].offset, w))

            def source(t):
                return (held.offset, whole_in) if t == "input" and held is not None else \
                    (live[t].offset, win[t])

            for index, op in enumerate(plan.stage):
                self.mark(index + 1)
                ow = win[op.name]
                if op.name in plan.direct:  # straight into the full-size tensor
                    f = full[op.name]
                    _, fh, fw = f.shape
                    y = _region(f.offset, _whole(f.shape), ow)
                    self.op_step(op, [source(t) for t in op.inputs], y.offset, ow, (fh * fw, fw))
                elif schedule.inplace_depthwise and can_run_inplace(network, index, last_use):
                    buf = live.pop(op.inputs[0])
                    temp = self.arena.alloc(f"{op.name}/scratch", (ow.h, ow.w), INT8)
                    self.steps.append(InplaceDepthwise(
                        op, buf.offset, temp.offset,
                        _geom(op, win[op.inputs[0]], ow, (ow.h * ow.w, ow.w))))
                    self.arena.free(temp)
                    live[op.name] = self.arena.shrink(buf, (op.out_shape[0], ow.h, ow.w), op.name)
                else:
                    buf = self.arena.alloc(op.name, (op.out_shape[0], ow.h, ow.w), INT8)
                    live[op.name] = buf
                    self.op_step(op, [source(t) for t in op.inputs], buf.offset, ow,
                                 (ow.h * ow.w, ow.w))
                if op.name in plan.boundary and op.name not in plan.direct:  # keep its tile
                    f = full[op.name]
                    self.steps.append(Copy(_region(live[op.name].offset, ow, tile),
                                           _region(f.offset, _whole(f.shape), tile),
                                           op.out_shape[0], tile.h, tile.w))
                for t in set(op.inputs):
                    if stage_last[t] == index and t in live:
                        self.arena.free(live.pop(t))
        if held is not None:
            self.arena.free(held)
        tensors = dict(full)
        self.layers(network, plan.split_index + 1, len(network.ops), tensors,
                    schedule.inplace_depthwise)
        return tensors


def build_program(network, schedule="per-layer", **schedule_options):
    """The Program of ``network`` under ``schedule`` ('per-layer', 'in-place', 'patch' with
    patches=, split=; or a Schedule), its arena sized to the analytic peak (exact, int8, bytes).

    Raises SpecError if the walk needs more than the planned arena (planner and executor disagree).
    """
    schedule = as_schedule(schedule, **schedule_options)
    planned = profile(network, schedule, convention="exact", dtype=INT8).peak_sram_bytes
    walk = _Walk(planned)
    try:
        if schedule.kind == "patch":
            tensors = walk.patches(network, schedule)
        else:
            tensors = {"input": walk.arena.alloc("input", network.input_shape, INT8)}
            walk.mark(0)
            walk.steps.append(_camera(network, tensors["input"].offset,
                                      _whole(network.input_shape)))
            walk.layers(network, 0, len(network.ops), tensors, schedule.inplace_depthwise)
    except SRAMOverflowError as err:
        raise SpecError(f"the static arena layout needs more than the planned {planned} bytes: "
                        f"{err}") from None
    out = tensors[network.ops[-1].name]
    labels = ["input"] + [op.name for op in network.ops]
    return Program(network, schedule, planned, walk.steps, labels, out.offset, tuple(out.shape))
