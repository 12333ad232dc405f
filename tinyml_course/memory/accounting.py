"""Peak SRAM, Flash and fit of a whole network: ``profile``, ``fits``, ``fit_report``, ``totals``.

``profile`` walks a network's ops under a schedule and a convention (``Convention.held`` in
conventions.py says which tensors an op holds), and returns a ``MemoryProfile``: per-op SRAM, the
peak (the largest per-op figure), Flash (weights and biases), MACs and parameters. Every figure is
in bytes; KiB = 1024.
"""

from dataclasses import dataclass

from ..model.devices import get_device
from ..model.units import BIAS_BYTES, KIB, bytes_per_element, check_dtype
from .conventions import get_convention
from .live_set import layer_memory
from .patch_summary import PatchSummary, patch_layer_memory
from .schedule import Schedule, as_schedule


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


# the per-op table's columns: (title, usual width in characters, alignment)
TABLE_COLUMNS = (("op", 22, "<"), ("kind", 8, "<"), ("input (C,H,W)", 17, "<"),
                 ("output (C,H,W)", 17, "<"), ("SRAM KiB", 10, ">"), ("MACs", 12, ">"))


@dataclass
class MemoryProfile:
    """The per-op SRAM of a network under a schedule and convention, its Flash, MACs and params."""

    network: str
    schedule: Schedule  # str(schedule): 'per-layer', 'in-place', 'patch 4x4 up to block3'
    convention: str
    dtype: str
    layers: list  # LayerMemory per op, in execution order
    flash_bytes: int
    macs: int
    params: int
    patch: PatchSummary | None = None  # a patch schedule's stage figures (None otherwise)

    @property
    def peak_layer(self):
        """The LayerMemory with the largest SRAM (the first one if tied)."""
        return max(self.layers, key=lambda layer: layer.sram_bytes)

    @property
    def peak_sram_bytes(self):
        return self.peak_layer.sram_bytes

    def table(self):
        """A readable per-op table (KiB = 1024 bytes) with the peak marked."""
        peak = self.peak_layer.name
        rows = [(layer.name, layer.op, _shape(layer.input_shape), _shape(layer.output_shape),
                 f"{layer.sram_bytes / KIB:.1f}", f"{layer.macs:,}") for layer in self.layers]
        # each column as wide as its widest cell plus a two-space gap, at least its usual width
        widths = [max(width, 2 + max((len(row[i]) for row in rows), default=0))
                  for i, (_, width, _) in enumerate(TABLE_COLUMNS)]

        def line(cells):
            return "".join(f"{cell:{align}{width}}"
                           for cell, width, (_, _, align) in zip(cells, widths, TABLE_COLUMNS))

        lines = [f"{self.network}: schedule {self.schedule}, convention {self.convention}, "
                 f"{self.dtype} activations ({bytes_per_element(self.dtype)} byte(s) each)",
                 line([title for title, _, _ in TABLE_COLUMNS])]
        headings, marks = {}, {}
        if self.patch:  # which patch the stage rows show, what their MACs count
            headings, marks = self.patch.table_notes()
        for index, (layer, row) in enumerate(zip(self.layers, rows)):
            mark = marks.get(index, "") + ("  <- peak" if layer.name == peak else "")
            if index in headings:
                lines.append(headings[index])
            lines.append(line(row) + mark)
        lines.append(f"peak SRAM {self.peak_sram_bytes:,} bytes = {self.peak_sram_bytes / KIB:.1f} KiB "
                     f"at {peak}; Flash {self.flash_bytes:,} bytes = {self.flash_bytes / KIB:.1f} KiB "
                     f"(weights {self.dtype}, biases {8 * BIAS_BYTES[self.dtype]}-bit); "
                     f"MACs {self.macs / 1e6:.1f}M; params {self.params / 1e6:.2f}M")
        return "\n".join(lines)

    def to_json(self):
        """A JSON-ready dict: peak_sram_bytes, flash_bytes, macs, params (ints), layers (with
        their 'layer/tensor' breakdowns), and 'patch' (PatchSummary.to_json) for a patch schedule."""
        return {
            "network": self.network, "schedule": str(self.schedule), "convention": self.convention,
            "dtype": self.dtype, "peak_sram_bytes": int(self.peak_sram_bytes),
            "peak_layer": self.peak_layer.name, "flash_bytes": int(self.flash_bytes),
            "macs": int(self.macs), "params": int(self.params),
            "layers": [{"name": l.name, "op": l.op, "input_shape": list(l.input_shape),
                        "output_shape": list(l.output_shape), "sram_bytes": int(l.sram_bytes),
                        "macs": int(l.macs), "breakdown": {k: int(v) for k, v in l.breakdown.items()}}
                       for l in self.layers],
            **({"patch": self.patch.to_json()} if self.patch else {}),
        }


def _shape(shape):
    return "x".join(str(d) for d in shape)


def profile(network, schedule="per-layer", convention="exact", dtype="int8", **schedule_options):
    """Per-op SRAM, peak, Flash, MACs and params of ``network`` (bytes; int8 by default).

    schedule: 'per-layer', 'in-place' or 'patch' (with patches=, split=, stream_input=), or a
    Schedule. Raises UnknownNameError for an unknown schedule, convention or dtype.
    """
    schedule = as_schedule(schedule, **schedule_options)
    dtype = check_dtype(dtype)
    convention = get_convention(convention)
    patch = None
    if schedule.kind == "patch":
        layers, patch = patch_layer_memory(network, schedule, convention, dtype)
    else:
        layers = layer_memory(network, range(len(network.ops)), convention, dtype,
                              schedule.inplace_depthwise)
    return MemoryProfile(network.name, schedule, convention.name, dtype, layers,
                         *totals(network, dtype), patch)


@dataclass
class FitReport:
    """Whether a network fits a device; every figure in bytes. Margins are limit - need."""

    device: str
    sram_bytes: int
    sram_limit: int
    flash_bytes: int
    flash_limit: int

    @property
    def sram_fits(self):
        return self.sram_bytes <= self.sram_limit

    @property
    def flash_fits(self):
        return self.flash_bytes <= self.flash_limit

    @property
    def fits(self):
        return self.sram_fits and self.flash_fits

    def __bool__(self):
        return self.fits

    def describe(self):
        """One line per memory: e.g. 'SRAM: needs 325.0 KiB of 256.0 KiB: misses by 69.0 KiB'."""
        def line(kind, need, limit):
            verdict = (f"fits with {(limit - need) / KIB:.1f} KiB to spare" if need <= limit
                       else f"misses by {(need - limit) / KIB:.1f} KiB")
            return f"{kind}: needs {need / KIB:.1f} KiB of {limit / KIB:.1f} KiB: {verdict}"
        return "\n".join([f"{self.device}: {'fits' if self.fits else 'does NOT fit'}",
                          line("SRAM", self.sram_bytes, self.sram_limit),
                          line("Flash", self.flash_bytes, self.flash_limit)])


def fits(network, device, schedule="per-layer", convention="exact", dtype="int8", **schedule_options):
    """Check SRAM (peak activations) and Flash (weights) of ``network`` against ``device``.

    device: a name from the catalogue (devices.get_device) or a Device. Returns a FitReport.
    """

    return fit_report(profile(network, schedule, convention, dtype, **schedule_options),
                      get_device(device))


def fit_report(prof, device):
    """The FitReport of an already computed MemoryProfile against a Device."""
    return FitReport(device.name, prof.peak_sram_bytes, device.sram_bytes, prof.flash_bytes,
                     device.flash_bytes)
