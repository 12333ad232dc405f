"""The Flash of a compressed model: how each layer is stored, and what that costs in bytes.

``model_storage(weights, bits, fmt)`` is the one definition of a compressed model's Flash: the CLI
(``compress`` and its ``--json``), the compression API and dashboard, ``quantize_weights``, the
lecture notebook and the compression challenge's grader all call it. Weights are the executor's
dict {op name: (weight, bias)}; a weight's values are the real ones the model computes with
(float32, already quantized: an int8 model's codes times their scales). Per layer it keeps the
cheapest storage that reproduces those values exactly, because a deployment can choose the
format layer by layer and the cheapest valid choice is never worse than any fixed one (the
figure is checked against the weights serialised byte by byte in the chosen formats and read
back: tests/test_compressed_flash.py). Its bytes, with n weights in
``rows`` output channels of ``cols`` weights each, nnz of them nonzero, at ``bits`` bits a value:

values    ceil(stored * bits / 8); stored = n (dense) or nnz (bitmask, csr: zeros are not stored)
index     dense: 0 | bitmask: ceil(n / 8), one bit per weight | csr: nnz column indices of
          1 byte (cols <= 256) or 2, plus (rows + 1) row pointers of 2 bytes (nnz < 65536) or 4
decoder   what turns a stored value into the real one; at 32 bits none (float32 values), below
          32 bits the cheapest valid of
            linear per tensor   one float32 scale (+ an int32 zero point) for the whole layer
            linear per channel  a float32 scale (+ an int32 zero point) per output channel
            codebook            2^bits float32 entries for the layer
          A linear decoder is valid when the stored values lie on a uniform grid through 0 of at
          most 2^bits codes; the zero point is needed when the codes leave the symmetric range
          [-2^(bits-1), 2^(bits-1) - 1]. A codebook is valid when at most 2^bits distinct values
          are stored (so a sparse format's codebook need not hold 0).
biases    4 bytes each (float32, or int32 in an int8 model), dense

A layer whose values no decoder reproduces at its bits raises SpecError: the bits claimed are not
the bits stored. ``memory.flash_bytes(network, dtype)`` is the papers' count of an uncompressed
network from its shapes alone (dense values and biases, no decoder); ``model_storage(weights, 32,
'dense')`` equals it, and at 8 bits its values and biases do (tests/test_compressed_flash.py).
"""

import math
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from ..errors import SpecError
from ..model.units import BIAS_BYTES as _BIAS_BYTES, DTYPE_BYTES, SCALE_BYTES, ZERO_POINT_BYTES
from ..runtime.qscheme import MAX_BITS, MIN_BITS

FLOAT_BITS = 32  # "bits" of unquantized float32 weights
VALID_BITS = tuple(range(MIN_BITS, MAX_BITS + 1)) + (FLOAT_BITS,)
BIAS_BYTES = _BIAS_BYTES["int8"]  # an int32 bias (a float32 one is as large)
CODEBOOK_ENTRY_BYTES = DTYPE_BYTES["float32"]  # a float32 codebook entry
NARROW_INDEX_COLUMNS = 256  # a CSR column index is 1 byte (uint8) up to this many columns, else 2
NARROW_POINTER_NNZ = 65535  # a CSR row pointer is 2 bytes (uint16) up to this many nonzeros, else 4
GRID_TOLERANCE = 1e-3  # codes: a value is on the grid when value / step is this close to an integer


def _csr_index_bytes(rows, cols, nnz):
    index = DTYPE_BYTES["uint8" if cols <= NARROW_INDEX_COLUMNS else "uint16"]
    pointer = DTYPE_BYTES["uint16" if nnz <= NARROW_POINTER_NNZ else "int32"]
    return nnz * index + (rows + 1) * pointer


@dataclass(frozen=True)
class StorageFormat:
    """A layout of a weight tensor in Flash: whether it stores zeros, and its index's bytes."""

    name: str
    stores_zeros: bool
    index_bytes: Callable  # (rows, cols, nnz) -> bytes beyond the values


DENSE = StorageFormat("dense", True, lambda rows, cols, nnz: 0)
BITMASK = StorageFormat("bitmask", False, lambda rows, cols, nnz: math.ceil(rows * cols / 8))
CSR = StorageFormat("csr", False, _csr_index_bytes)
FORMATS = {f.name: f for f in (DENSE, BITMASK, CSR)}
SPARSE_FORMATS = tuple(FORMATS)  # 'dense', 'bitmask', 'csr'
BEST = "best"  # fmt: the cheapest of FORMATS, layer by layer


@dataclass(frozen=True)
class LayerStorage:
    """How one layer is stored and its bytes: values, index, decoder, biases."""

    name: str
    format: str  # a key of FORMATS
    decoder: str  # 'float32', 'linear per tensor', 'linear per channel' or 'codebook'
    value_bits: int
    stored_values: int  # values written (all of them, or the nonzeros)
    value_bytes: int
    index_bytes: int
    decoder_bytes: int
    bias_bytes: int

    @property
    def flash_bytes(self):
        return self.value_bytes + self.index_bytes + self.decoder_bytes + self.bias_bytes


PARTS = ("values", "index", "decoder", "biases")  # the parts of a layer's Flash, as in breakdown()


@dataclass(frozen=True)
class ModelStorage:
    """The storage of every layer of a model, in the weights' order; ``flash_bytes`` their sum."""

    layers: tuple

    @property
    def flash_bytes(self):
        return sum(layer.flash_bytes for layer in self.layers)

    def parts(self):
        """{'values', 'index', 'decoder', 'biases': bytes} over the whole model."""
        return {part: sum(getattr(layer, f"{field}_bytes") for layer in self.layers)
                for part, field in zip(PARTS, ("value", "index", "decoder", "bias"))}

    def breakdown(self):
        """{'layer/part': bytes} for every layer and part of PARTS (zeros included)."""
        return {f"{layer.name}/{part}": getattr(layer, f"{field}_bytes")
                for layer in self.layers
                for part, field in zip(PARTS, ("value", "index", "decoder", "bias"))}

    def table(self):
        """A readable per-layer table (bytes) with the model's total."""
        lines = [f"{'layer':<16}{'format':>8}{'decoder':>20}{'bits':>5}{'values':>8}{'index':>7}"
                 f"{'decoder':>8}{'biases':>7}{'total':>8}"]
        for s in self.layers:
            lines.append(f"{s.name:<16}{s.format:>8}{s.decoder:>20}{s.value_bits:>5}"
                         f"{s.value_bytes:>8,}{s.index_bytes:>7,}{s.decoder_bytes:>8,}"
                         f"{s.bias_bytes:>7,}{s.flash_bytes:>8,}")
        p = self.parts()
        lines.append(f"{'total':<49}{p['values']:>8,}{p['index']:>7,}{p['decoder']:>8,}"
                     f"{p['biases']:>7,}{self.flash_bytes:>8,}")
        return "\n".join(lines)

    def to_json(self):
        """{'flash_bytes', 'parts', 'layers': [LayerStorage as a dict, ...]} (plain data)."""
        return {"flash_bytes": int(self.flash_bytes), "parts": self.parts(),
                "layers": [asdict(layer) for layer in self.layers]}


# ---------------------------------------------------------------- decoders

def _grid_ranges(rows, value_bits):
    """Per row of ``rows`` (R, N) float64: the coarsest uniform grid through 0 that holds every
    value (step = gap / m, gap the row's smallest distance between two of its values or 0,
    m = 1, 2, ... while the nonzero values still span at most 2^bits - 1 steps). Returns
    (found (R,) bool, codes (R, N) float64: value / step, rounded; 0 where none was found)."""
    r = rows.shape[0]
    ordered = np.sort(np.concatenate([np.zeros((r, 1)), rows], axis=1), axis=1)  # (R, N+1), 0 in
    steps = np.diff(ordered, axis=1)
    steps[steps <= 0] = np.inf
    gap = steps.min(axis=1)  # inf: the row is all zeros
    nonzero = rows != 0
    span = (np.where(nonzero, rows, -np.inf).max(axis=1)
            - np.where(nonzero, rows, np.inf).min(axis=1))  # -inf: no nonzero
    levels = 2 ** value_bits - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        m_limit = np.where(span > 0, levels * gap / span * (1 + 1e-6), levels)
    codes = np.zeros_like(rows)
    found = ~np.isfinite(gap)  # an all-zero row is code 0 on any grid
    for m in range(1, levels + 1):
        todo = np.flatnonzero(~found & (m <= m_limit))
        if not todo.size:
            break
        guess = np.round(rows[todo] / (gap[todo, None] / m))  # (T, N) codes at step gap / m
        # the step fitted to all the row's values: a gap between two large float32 values has
        # lost digits (127 steps of float32 rounding would move the codes by ~1e-3)
        step = (rows[todo] * guess).sum(axis=1) / np.maximum((guess * guess).sum(axis=1), 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = rows[todo] / step[:, None]
        fits = np.abs(scaled - guess).max(axis=1) <= GRID_TOLERANCE
        codes[todo[fits]] = guess[fits]
        found[todo[fits]] = True
    return found, codes


class _LayerValues:
    """One layer's weight values as (rows, cols) float64, with the analyses the decoders share
    (each computed at most once)."""

    def __init__(self, w2d, value_bits):
        self.w2d, self.value_bits = w2d, value_bits
        self._grids, self._distinct = {}, {}

    def grid(self, per_channel):
        """_grid_ranges of the rows (per channel) or of the whole layer as one row."""
        if per_channel not in self._grids:
            rows = self.w2d if per_channel else self.w2d.reshape(1, -1)
            self._grids[per_channel] = (rows, *_grid_ranges(rows, self.value_bits))
        return self._grids[per_channel]

    def distinct(self, stores_zeros):
        """How many distinct values are stored (the nonzeros only when zeros are not)."""
        if stores_zeros not in self._distinct:
            stored = self.w2d if stores_zeros else self.w2d[self.w2d != 0]
            self._distinct[stores_zeros] = np.unique(stored).size
        return self._distinct[stores_zeros]


def _linear_bytes(values, per_channel, fmt):
    """Bytes of a linear decoder (one scale per row of the grid), or None if it is not valid."""
    rows, found, codes = values.grid(per_channel)
    if not found.all():
        return None
    stored = np.ones(rows.shape, bool) if fmt.stores_zeros else rows != 0
    lo = np.where(stored, codes, np.inf).min(axis=1)
    hi = np.where(stored, codes, -np.inf).max(axis=1)
    used = np.isfinite(lo)
    lo, hi = lo[used], hi[used]
    bits = values.value_bits
    if np.any(hi - lo > 2 ** bits - 1):
        return None
    half = 2 ** (bits - 1)
    zero_point = bool(np.any((lo < -half) | (hi > half - 1)))
    return rows.shape[0] * (SCALE_BYTES + (ZERO_POINT_BYTES if zero_point else 0))


def _codebook_bytes(values, fmt):
    levels = 2 ** values.value_bits
    return levels * CODEBOOK_ENTRY_BYTES if values.distinct(fmt.stores_zeros) <= levels else None


@dataclass(frozen=True)
class Decoder:
    """What turns stored values back into the layer's values, and its bytes."""

    name: str
    bytes_of: Callable  # (values: _LayerValues, fmt: StorageFormat) -> bytes, or None if invalid
    least_bytes: Callable  # (values) -> a lower bound of bytes_of, known without checking


FLOAT32 = Decoder("float32", lambda values, fmt: 0, lambda values: 0)
LINEAR_PER_TENSOR = Decoder("linear per tensor", lambda values, fmt: _linear_bytes(values, False, fmt),
                            lambda values: SCALE_BYTES)
LINEAR_PER_CHANNEL = Decoder("linear per channel",
                             lambda values, fmt: _linear_bytes(values, True, fmt),
                             lambda values: values.w2d.shape[0] * SCALE_BYTES)
CODEBOOK = Decoder("codebook", _codebook_bytes,
                   lambda values: 2 ** values.value_bits * CODEBOOK_ENTRY_BYTES)
FLOAT_DECODERS = (FLOAT32,)  # at FLOAT_BITS
QUANTIZED_DECODERS = (LINEAR_PER_TENSOR, LINEAR_PER_CHANNEL, CODEBOOK)  # below FLOAT_BITS


# ---------------------------------------------------------------- the storage of a model

def bits_per_layer(bits, names):
    """``bits`` (an int, or {op: int} naming every op of ``names``), each one of VALID_BITS.
    Returns {op: bits}; raises SpecError naming the valid values."""
    per_layer = bits if isinstance(bits, dict) else dict.fromkeys(names, bits)
    values = [per_layer.get(name) for name in names]
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v not in VALID_BITS
           for v in values):
        raise SpecError(f"bits must be an int or {{op: int}} for every layer, each one of "
                        f"{', '.join(map(str, VALID_BITS))}; got {bits!r:.200}")
    return {name: int(v) for name, v in zip(names, values)}


def check_format(fmt):
    """``fmt`` if it is 'best' or a key of FORMATS; raise SpecError naming them otherwise."""
    if fmt != BEST and fmt not in FORMATS:
        raise SpecError(f"unknown storage format {fmt!r}; use one of "
                        f"{', '.join(SPARSE_FORMATS + (BEST,))}")
    return fmt


def layer_storage(name, weight, bias, value_bits, fmt=BEST):
    """The cheapest LayerStorage of one layer whose values are ``weight`` (any shape, axis 0 the
    output channels) at ``value_bits``, in format ``fmt`` ('best': the cheapest). Raises
    SpecError when no decoder reproduces the values at ``value_bits`` in that format."""
    w2d = np.asarray(weight, np.float64).reshape(np.shape(weight)[0], -1)  # (rows, cols)
    rows, cols = w2d.shape
    nnz = int(np.count_nonzero(w2d))
    bias_bytes = int(np.size(bias)) * BIAS_BYTES
    decoders = FLOAT_DECODERS if value_bits == FLOAT_BITS else QUANTIZED_DECODERS
    values, best = _LayerValues(w2d, value_bits), None
    for storage in (FORMATS.values() if fmt == BEST else (FORMATS[fmt],)):
        stored = rows * cols if storage.stores_zeros else nnz
        value_bytes = math.ceil(stored * value_bits / 8)
        index_bytes = storage.index_bytes(rows, cols, nnz)
        base = value_bytes + index_bytes + bias_bytes
        for decoder in decoders:
            if best is not None and base + decoder.least_bytes(values) >= best.flash_bytes:
                continue  # it cannot be cheaper: no need to check that it is valid
            decoder_bytes = decoder.bytes_of(values, storage)
            if decoder_bytes is not None and (best is None
                                              or base + decoder_bytes < best.flash_bytes):
                best = LayerStorage(name, storage.name, decoder.name, value_bits, stored,
                                    value_bytes, index_bytes, decoder_bytes, bias_bytes)
    if best is None:
        where = "" if fmt == BEST else f" in {fmt} storage"
        raise SpecError(f"{name}: its values are neither at most 2^{value_bits} levels per "
                        f"layer nor a uniform {value_bits}-bit grid{where}")
    return best


def model_storage(weights, bits=FLOAT_BITS, fmt=BEST):
    """ModelStorage of {op: (weight, bias)} with weights at ``bits`` (int, or {op: int}; each one
    of VALID_BITS, 32 = float32), every layer in format ``fmt`` ('best': the cheapest per layer).
    Raises SpecError on bits or formats outside those, or a layer its bits cannot reproduce."""
    check_format(fmt)
    per_layer = bits_per_layer(bits, list(weights))
    return ModelStorage(tuple(layer_storage(name, w, b, per_layer[name], fmt)
                              for name, (w, b) in weights.items()))


def compressed_flash_bytes(weights, bits=FLOAT_BITS, fmt=BEST):
    """Flash bytes of {op: (weight, bias)} at ``bits`` in ``fmt``: model_storage(...).flash_bytes."""
    return model_storage(weights, bits, fmt).flash_bytes
