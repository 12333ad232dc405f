"""A Once-for-All-style weight-sharing supernet of MCUNet-like MBConv blocks, trained in numpy.

One set of weights holds every subnet of the space: elastic input resolution, width multiplier,
depth per stage, depthwise kernel and expansion ratio per block. A subnet inherits

* the first ``c`` output / input channels of each layer (width and expansion: channel slicing),
* the centre k x k of each 7 x 7 depthwise kernel (elastic kernel: centre crop),
* the first ``d`` blocks of each stage (elastic depth).

Layers are conv -> batch norm -> ReLU6 while training (so that one set of weights serves subnets
whose activations have different scales); to evaluate a subnet its batch-norm statistics are
recalibrated on a few training-like images (``calibrate``) and folded into the convolutions
(``fold``): the result is an ordinary ``Network`` (``build_network`` of ``Arch.spec()``) and its
float32 weights, which the package's accounting, executor and int8 conversion run unchanged.

Training (``train_step``): the sandwich rule (BigNAS / US-Nets) - every step the largest, the
smallest and ``random`` random subnets each see the same batch of fresh synthetic scenes at their own
resolution, and their summed gradients update the shared weights with Adam. Forward and backward
of the convolutions are the package's (``runtime.batched.op_forward``, ``compression.train.op_backward``).
Shapes: images (N, 1, R, R) float32; every weight float32.
"""

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..compression.train import Adam, cross_entropy, op_backward
from ..errors import SpecError
from ..model.network import build_network
from ..model.ops import GroupOp
from ..runtime.backend import as_backend
from ..runtime.batched import op_forward as batched_op_forward
from . import task


def op_forward(op, inputs, weights):
    """One op over a batch (``runtime.batched.op_forward``) with float ``weights`` {name: (w, b)}."""
    return batched_op_forward(op, inputs, as_backend(weights))

RESOLUTIONS = (32, 48, 64, 80)  # input pixels
WIDTHS = (0.5, 0.75, 1.0)  # channel multipliers
KERNELS = (3, 5, 7)  # depthwise kernel per block
EXPANDS = (3, 4, 6)  # expansion ratio per block
DEPTHS = (1, 2, 3)  # blocks per stage
STEM = 16  # stem channels at width 1 (a 3x3 stride-2 conv)
FIRST = 16  # channels of block 0 (expand 1, kernel 3, stride 1), at width 1
STAGES = ((24, 2), (40, 2), (64, 2))  # (channels at width 1, first stride) of each elastic stage
MAX_DEPTH = max(DEPTHS)
SLOTS = len(STAGES) * MAX_DEPTH  # elastic block positions
CLASSES = len(task.CLASSES)
BN_EPS = 1e-5
WEIGHTS_PATH = Path(__file__).parent / "weights" / "supernet.npz"

# The recipe scripts/train_supernet.py runs by default: sandwich steps, images per step, Adam
# learning rate (cosine decay to 0), random subnets per step besides the largest (at a random
# resolution) and the smallest, seed. The SHIPPED weights came from 450 steps of it run in four
# legs on the shared course machine (docs/tinynas.md, "Training"): steps 0-75 of a 300-step
# cosine; resumed at 75 with a 210-step cosine to step 200; resumed at 200 with a 280-step cosine
# at lr 4e-3 to 280; resumed at 280 with a 460-step cosine at lr 3e-3, kept at step 450. Each
# resume restarts Adam's moments.
RECIPE = {"steps": 450, "batch": 32, "lr": 6e-3, "random": 1, "seed": 0}


def channels(base, width):
    """Channels of a layer with ``base`` channels at width 1: base * width rounded to a multiple of 4."""
    return max(4, int(base * width + 2) // 4 * 4)


def _check_choice(value, options, what):
    if value not in options:
        raise SpecError(f"{what} must be one of {options}, got {value!r}")


@dataclass(frozen=True)
class Arch:
    """One subnet: resolution, width, depth per stage; kernel and expand per slot (SLOTS of each).

    Slot s * MAX_DEPTH + j is block j of stage s; slots beyond a stage's depth are ignored (keep
    them at any valid value). Raises SpecError for a value outside the space.
    """

    resolution: int
    width: float
    depths: tuple
    kernels: tuple
    expands: tuple

    def __post_init__(self):
        _check_choice(self.resolution, RESOLUTIONS, "resolution")
        _check_choice(self.width, WIDTHS, "width")
        for name, values, options, count in (("depths", self.depths, DEPTHS, len(STAGES)),
                                             ("kernels", self.kernels, KERNELS, SLOTS),
                                             ("expands", self.expands, EXPANDS, SLOTS)):
            if len(tuple(values)) != count:
                raise SpecError(f"{name} must have {count} entries, got {len(tuple(values))}")
            for v in values:
                _check_choice(v, options, name[:-1])
        object.__setattr__(self, "depths", tuple(self.depths))
        object.__setattr__(self, "kernels", tuple(self.kernels))
        object.__setattr__(self, "expands", tuple(self.expands))

    def active_slots(self):
        """Slot indices of the blocks this subnet runs, in order."""
        return [s * MAX_DEPTH + j for s, d in enumerate(self.depths) for j in range(d)]

    @property
    def name(self):
        blocks = "-".join(f"k{self.kernels[i]}e{self.expands[i]}" for i in self.active_slots())
        return f"r{self.resolution}-w{self.width:g}-d{''.join(map(str, self.depths))}-{blocks}"

    def spec(self):
        """The MBConv spec (model/network.py format) of this subnet, for ``build_network``."""
        blocks = [{"kernel": 3, "expand": 1, "out": channels(FIRST, self.width), "stride": 1}]
        for s, (base, stride) in enumerate(STAGES):
            for j in range(self.depths[s]):
                slot = s * MAX_DEPTH + j
                blocks.append({"kernel": self.kernels[slot], "expand": self.expands[slot],
                               "out": channels(base, self.width), "stride": stride if j == 0 else 1})
        return {"name": self.name, "resolution": self.resolution, "input_channels": 1,
                "stem": {"kernel": 3, "stride": 2, "out": channels(STEM, self.width)},
                "blocks": blocks, "feature_mix": None, "classes": CLASSES}

    def network(self):
        """The subnet as a Network (shapes only; weights come from ``Supernet.subnet``)."""
        return build_network(self.spec())

    def to_json(self):
        return {"resolution": self.resolution, "width": self.width, "depths": list(self.depths),
                "kernels": list(self.kernels), "expands": list(self.expands)}

    @classmethod
    def from_json(cls, data):
        """An Arch from ``to_json``'s dict; SpecError for missing or bad fields."""
        try:
            return cls(int(data["resolution"]), float(data["width"]), tuple(data["depths"]),
                       tuple(data["kernels"]), tuple(data["expands"]))
        except (KeyError, TypeError) as err:
            raise SpecError(f"an arch needs resolution, width, depths, kernels, expands: {err}") from None


def largest(resolution=max(RESOLUTIONS), width=max(WIDTHS)):
    return Arch(resolution, width, (MAX_DEPTH,) * len(STAGES), (max(KERNELS),) * SLOTS,
                (max(EXPANDS),) * SLOTS)


def smallest(resolution=min(RESOLUTIONS), width=min(WIDTHS)):
    return Arch(resolution, width, (min(DEPTHS),) * len(STAGES), (min(KERNELS),) * SLOTS,
                (min(EXPANDS),) * SLOTS)


def random_arch(rng, resolutions=RESOLUTIONS, widths=WIDTHS):
    """A uniformly random Arch (numpy Generator ``rng``), resolution and width from the given sets."""
    def pick(options, size=None):
        idx = rng.integers(len(options), size=size)
        return options[int(idx)] if size is None else tuple(options[int(i)] for i in idx)
    return Arch(pick(resolutions), pick(widths), pick(DEPTHS, len(STAGES)), pick(KERNELS, SLOTS),
                pick(EXPANDS, SLOTS))


# ---------------------------------------------------------------- the shared weights

def _slot_names(arch):
    """Shared-weight prefix of each block of the subnet: 'b0', then 's<stage>.<j>'."""
    return ["b0"] + [f"s{slot // MAX_DEPTH}.{slot % MAX_DEPTH}" for slot in arch.active_slots()]


def _super_key(op, slots=None):
    """Shared-weight name of a subnet op: 'stem', 'classifier' or '<slot>.<expand|dw|project>'
    (its role, ``model.ops.Role``; ``slots``: _slot_names of the arch, needed for block ops)."""
    return str(op.role) if op.block is None else f"{slots[op.block]}.{op.role}"


def init_supernet(seed=0):
    """Shared weights of the largest subnet: {name: (weight, gamma, beta)} (linear: (weight, bias)).

    He-normal weights, batch-norm gamma 1 and beta 0 (the last BN of every block: gamma 0, so each
    residual block starts as the identity). float32.
    """
    rng = np.random.default_rng(seed)
    net = largest().network()
    slots = _slot_names(largest())
    weights = {}
    for op in net:
        if op.weight_shape is None:
            continue
        fan_in = op.weight_count // op.out_shape[0]
        w = (rng.standard_normal(op.weight_shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        cout = op.out_shape[0]
        if op.kind == "linear":
            weights[_super_key(op)] = (w * 0.5, np.zeros(cout, np.float32))
        else:
            gamma = np.ones(cout, np.float32)
            weights[_super_key(op, slots)] = (w, gamma, np.zeros(cout, np.float32))
    return weights


def _slice(op, w):
    """The part of shared weight ``w`` a subnet op uses: first channels, centre k x k."""
    cout, cin = op.out_shape[0], op.in_shape[0]
    if op.kind == "dwconv":
        off = (w.shape[1] - op.kernel) // 2
        return w[:cout, off:off + op.kernel, off:off + op.kernel]
    if op.kind == "conv":
        return w[:cout, :cin]
    return w[:cout, :cin]  # pwconv, linear


def _slice_index(op, shape):
    """Index tuple of ``_slice`` (to add a subnet gradient into a full-size array)."""
    cout, cin = op.out_shape[0], op.in_shape[0]
    if op.kind == "dwconv":
        off = (shape[1] - op.kernel) // 2
        return (slice(0, cout), slice(off, off + op.kernel), slice(off, off + op.kernel))
    return (slice(0, cout), slice(0, cin))


def _no_act(op):
    return replace(op, act=None)


def forward_train(net, arch, shared, x):
    """Training forward of subnet ``net`` with batch statistics: (logits (N, K), cache)."""
    slots = _slot_names(arch)
    tensors, cache = {"input": x}, {}
    for op in net:
        inputs = [tensors[t] for t in op.inputs]
        if op.kind in GroupOp.CONV:
            key = _super_key(op, slots)
            w, gamma, beta = shared[key]
            c = op.out_shape[0]
            wt = np.ascontiguousarray(_slice(op, w))
            z = op_forward(_no_act(op), inputs, {op.name: (wt, np.zeros(c, np.float32))})
            mean = z.mean(axis=(0, 2, 3), keepdims=True)
            var = z.var(axis=(0, 2, 3), keepdims=True)
            inv = 1.0 / np.sqrt(var + BN_EPS)
            zhat = (z - mean) * inv
            y = zhat * gamma[:c, None, None] + beta[:c, None, None]
            if op.act == "relu6":
                np.clip(y, 0, 6, out=y)
            cache[op.name] = (key, wt, zhat, inv)
        elif op.kind == "linear":
            w, b = shared[_super_key(op)]
            y = op_forward(op, inputs, {op.name: (np.ascontiguousarray(_slice(op, w)), b)})
        else:
            y = op_forward(op, inputs, {})
        tensors[op.name] = y
    return tensors[net.ops[-1].name].reshape(x.shape[0], -1), (tensors, cache)


def backward_train(net, shared, cache, dlogits, grads):
    """Add the gradients of one subnet's loss into ``grads`` (full-size arrays, shared's layout)."""
    tensors, bn = cache
    last = net.ops[-1].name
    dt = {last: dlogits.reshape(tensors[last].shape)}
    for op in reversed(net.ops):
        dy = dt.pop(op.name, None)
        if dy is None:
            continue
        inputs = [tensors[t] for t in op.inputs]
        need_dx = any(t != "input" for t in op.inputs)
        if op.name in bn:
            key, wt, zhat, inv = bn[op.name]
            gamma = shared[key][1]
            c = op.out_shape[0]
            if op.act == "relu6":
                y = tensors[op.name]
                dy = dy * ((y > 0) & (y < 6))
            m = dy.shape[0] * dy.shape[2] * dy.shape[3]
            dgamma = (dy * zhat).sum(axis=(0, 2, 3))
            dbeta = dy.sum(axis=(0, 2, 3))
            dzhat = dy * gamma[:c, None, None]
            dz = inv * (dzhat - dzhat.mean(axis=(0, 2, 3), keepdims=True)
                        - zhat * (dzhat * zhat).mean(axis=(0, 2, 3), keepdims=True))
            dxs, (dw, _) = op_backward(_no_act(op), inputs, None, dz.astype(np.float32),
                                       {op.name: (wt, None)}, need_dx)
            g = grads.setdefault(key, tuple(np.zeros_like(a) for a in shared[key]))
            g[0][_slice_index(op, g[0].shape)] += dw
            g[1][:c] += dgamma
            g[2][:c] += dbeta
            del m
        elif op.kind == "linear":
            key = _super_key(op)
            wt = np.ascontiguousarray(_slice(op, shared[key][0]))
            dxs, (dw, db) = op_backward(op, inputs, tensors[op.name], dy, {op.name: (wt, None)})
            g = grads.setdefault(key, tuple(np.zeros_like(a) for a in shared[key]))
            g[0][_slice_index(op, g[0].shape)] += dw
            g[1][:op.out_shape[0]] += db
        else:
            dxs, _ = op_backward(op, inputs, tensors[op.name], dy, {})
        for name, dx in zip(op.inputs, dxs or []):
            if name != "input":
                dt[name] = dt[name] + dx if name in dt else dx
    return grads


# ---------------------------------------------------------------- evaluation: recalibrate, fold

def calibrate(net, arch, shared, x):
    """Batch-norm statistics of subnet ``net`` on images x: {op name: (mean (C,), var (C,))}.

    Each layer's statistics are those of its input under the already recalibrated layers before it
    (one forward pass over x, layer by layer), as OFA recalibrates a subnet's BN.
    """
    slots = _slot_names(arch)
    tensors, stats = {"input": x}, {}
    for op in net:
        inputs = [tensors[t] for t in op.inputs]
        if op.kind in GroupOp.CONV:
            w, gamma, beta = shared[_super_key(op, slots)]
            c = op.out_shape[0]
            z = op_forward(_no_act(op), inputs, {op.name: (np.ascontiguousarray(_slice(op, w)),
                                                          np.zeros(c, np.float32))})
            mean, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
            stats[op.name] = (mean, var)
            y = (z - mean[:, None, None]) / np.sqrt(var[:, None, None] + BN_EPS)
            y = y * gamma[:c, None, None] + beta[:c, None, None]
            tensors[op.name] = np.clip(y, 0, 6) if op.act == "relu6" else y
        elif op.kind == "linear":
            w, b = shared[_super_key(op)]
            tensors[op.name] = op_forward(op, inputs, {op.name: (_slice(op, w), b)})
        else:
            tensors[op.name] = op_forward(op, inputs, {})
    return stats


def fold(net, arch, shared, stats):
    """Plain weights {op name: (weight, bias)} of ``net`` with each batch norm folded in (float32).

    BN(W * x) = gamma * (W * x - mean) / sqrt(var + eps) + beta = (s W) * x + (beta - s mean)
    with s = gamma / sqrt(var + eps) per output channel.
    """
    slots = _slot_names(arch)
    weights = {}
    for op in net:
        if op.kind == "linear":
            w, b = shared[_super_key(op)]
            weights[op.name] = (np.ascontiguousarray(_slice(op, w)), b.copy())
        elif op.name in stats:
            w, gamma, beta = shared[_super_key(op, slots)]
            c = op.out_shape[0]
            mean, var = stats[op.name]
            s = gamma[:c] / np.sqrt(var + BN_EPS)
            wt = _slice(op, w) * s.reshape((-1,) + (1,) * (w.ndim - 1))
            weights[op.name] = (wt.astype(np.float32), (beta[:c] - s * mean).astype(np.float32))
    return weights


class Supernet:
    """The shared weights and what to do with them: ``subnet(arch)`` -> (Network, folded weights)."""

    def __init__(self, shared):
        self.shared = shared

    @classmethod
    def load(cls, path=WEIGHTS_PATH):
        """The shipped trained supernet (``scripts/train_supernet.py`` makes it)."""
        with np.load(path) as data:
            groups = {}
            for key in data.files:
                name, i = key.rsplit(".", 1)
                groups.setdefault(name, {})[int(i)] = data[key].astype(np.float32)
        return cls({name: tuple(parts[i] for i in sorted(parts)) for name, parts in groups.items()})

    def save(self, path=WEIGHTS_PATH):
        """Write the shared weights to a compressed .npz (float16 to keep it small; loads as float32)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **{f"{name}.{i}": a.astype(np.float16)
                                     for name, parts in self.shared.items()
                                     for i, a in enumerate(parts)})

    def subnet(self, arch, calib=None):
        """(Network, {op: (weight, bias)}) of ``arch`` with BN recalibrated on ``calib`` and folded.

        calib: images (N, 1, R, R) at the arch's resolution; default: the task's 'calib' split.
        """
        if calib is None:
            calib = task.load_split("calib", arch.resolution)[0]
        net = arch.network()
        return net, fold(net, arch, self.shared, calibrate(net, arch, self.shared, calib))


# ---------------------------------------------------------------- training

def sandwich(rng, random=2):
    """The subnets of one sandwich-rule step: the largest (at a random resolution, which halves its
    cost on average), the smallest, then ``random`` random ones."""
    top = largest(resolution=RESOLUTIONS[int(rng.integers(len(RESOLUTIONS)))])
    return [top, smallest()] + [random_arch(rng) for _ in range(random)]


def train_step(shared, optimizer, canvases, labels, archs, noise_seed):
    """One sandwich step on a batch of canvases; updates ``shared`` in place; returns the losses."""
    grads, losses = {}, []
    for arch in archs:
        x = task.downsample(canvases, arch.resolution, seed=noise_seed + arch.resolution)
        net = arch.network()
        logits, cache = forward_train(net, arch, shared, x)
        loss, dlogits = cross_entropy(logits, labels)
        backward_train(net, shared, cache, dlogits, grads)
        losses.append(loss)
    optimizer.step(shared, grads)
    return losses


def train(steps, batch=32, lr=3e-3, seed=0, random=2, shared=None, start_step=0, log=None,
          checkpoint=None, checkpoint_every=50):
    """Train the supernet for ``steps`` sandwich steps on fresh scenes; return the shared weights.

    Every step renders ``batch`` new scenes (seeded by the step, so a run is reproducible and never
    sees the validation scenes, whose seeds differ) and runs ``sandwich``. Adam with cosine decay.
    log(step, losses, seconds) is called every step; checkpoint(shared, step) every
    ``checkpoint_every`` steps.
    """
    shared = shared if shared is not None else init_supernet(seed)
    optimizer = Adam(lr=lr)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for step in range(start_step, steps):
        optimizer.lr = lr * 0.5 * (1 + np.cos(np.pi * step / steps))
        canvases, labels = task.render_canvases(batch, seed=10_000 + step)
        losses = train_step(shared, optimizer, canvases, labels, sandwich(rng, random),
                            noise_seed=100_000 * (step + 1))
        if log:
            log(step, losses, time.perf_counter() - start)
        if checkpoint and (step + 1) % checkpoint_every == 0:
            checkpoint(shared, step + 1)
    return shared
