"""The supernet's architecture space: the elastic choices, ``Arch`` (one subnet) and its spec.

A subnet of the space is an MCUNet-like MBConv network (model/network.py spec format): a 3 x 3
stride-1 stem (the task's images are 28 x 28 at most), a first block (expand 1, kernel 3), then
``len(STAGES)`` elastic stages of up to ``MAX_DEPTH`` blocks, global pooling and a linear
classifier. Elastic: input resolution, width multiplier, depth per stage, depthwise kernel and
expansion ratio per block.
"""

from dataclasses import dataclass

from ..errors import SpecError
from ..model.network import build_network
from . import task

RESOLUTIONS = (16, 20, 24, 28)  # input pixels (28: Fashion-MNIST's own; less: area-downsampled)
WIDTHS = (0.5, 0.75, 1.0)  # channel multipliers
KERNELS = (3, 5, 7)  # depthwise kernel per block
EXPANDS = (3, 4, 6)  # expansion ratio per block
DEPTHS = (1, 2, 3)  # blocks per stage
STEM = 16  # stem channels at width 1 (a 3x3 conv of stride STEM_STRIDE)
STEM_STRIDE = 1  # full resolution into block 0: what makes the first stage's expansion bind SRAM
FIRST = 16  # channels of block 0 (expand 1, kernel 3, stride 1), at width 1
STAGES = ((24, 2), (48, 2), (96, 2))  # (channels at width 1, first stride) of each elastic stage
MAX_DEPTH = max(DEPTHS)
SLOTS = len(STAGES) * MAX_DEPTH  # elastic block positions
CLASSES = len(task.CLASSES)


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
                "stem": {"kernel": 3, "stride": STEM_STRIDE, "out": channels(STEM, self.width)},
                "blocks": blocks, "feature_mix": None, "classes": CLASSES}

    def network(self):
        """The subnet as a Network (shapes only; weights come from ``Supernet.subnet``)."""
        return build_network(self.spec())

    def to_json(self):
        return {"resolution": self.resolution, "width": self.width, "depths": list(self.depths),
                "kernels": list(self.kernels), "expands": list(self.expands)}

    @classmethod
    def from_name(cls, name):
        """The Arch whose ``name`` this is ('r24-w1-d122-k5e4-...'); the slots past a stage's depth
        (which a name leaves out) get kernel and expand min. SpecError for a malformed name."""
        try:
            res, width, depths, *blocks = name.split("-")
            depths = tuple(int(d) for d in depths.removeprefix("d"))
            kernels, expands = [min(KERNELS)] * SLOTS, [min(EXPANDS)] * SLOTS
            slots = [s * MAX_DEPTH + j for s, d in enumerate(depths) for j in range(d)]
            if len(blocks) != len(slots):
                raise ValueError(f"{len(blocks)} blocks for depths {depths}")
            for slot, block in zip(slots, blocks):
                k, e = block.removeprefix("k").split("e")
                kernels[slot], expands[slot] = int(k), int(e)
            return cls(int(res.removeprefix("r")), float(width.removeprefix("w")), depths,
                       tuple(kernels), tuple(expands))
        except ValueError as err:
            raise SpecError(f"not an arch name {name!r}: {err}") from None

    @classmethod
    def from_json(cls, data):
        """An Arch from ``to_json``'s dict; SpecError for missing or bad fields."""
        try:
            return cls(int(data["resolution"]), float(data["width"]), tuple(data["depths"]),
                       tuple(data["kernels"]), tuple(data["expands"]))
        except (KeyError, TypeError) as err:
            raise SpecError(f"an arch needs resolution, width, depths, kernels, expands: {err}") from None


def largest(resolution=max(RESOLUTIONS), width=max(WIDTHS)):
    """The largest subnet at ``resolution`` x ``width``: full depth, every kernel and expand max."""
    return Arch(resolution, width, (MAX_DEPTH,) * len(STAGES), (max(KERNELS),) * SLOTS,
                (max(EXPANDS),) * SLOTS)


def smallest(resolution=min(RESOLUTIONS), width=min(WIDTHS)):
    """The smallest subnet at ``resolution`` x ``width``: depth 1, every kernel and expand min."""
    return Arch(resolution, width, (min(DEPTHS),) * len(STAGES), (min(KERNELS),) * SLOTS,
                (min(EXPANDS),) * SLOTS)


def random_arch(rng, resolutions=RESOLUTIONS, widths=WIDTHS):
    """A uniformly random Arch (numpy Generator ``rng``), resolution and width from the given sets."""
    def pick(options, size=None):
        idx = rng.integers(len(options), size=size)
        return options[int(idx)] if size is None else tuple(options[int(i)] for i in idx)
    return Arch(pick(resolutions), pick(widths), pick(DEPTHS, len(STAGES)), pick(KERNELS, SLOTS),
                pick(EXPANDS, SLOTS))
