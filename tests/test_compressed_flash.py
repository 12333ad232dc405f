"""The Flash of a compressed model: one definition (compression.storage), every path reports it.

The CLI (`compress` and its `--json`), the compression API, the lecture dashboard, quantize's
figure and the compression challenge's grader all report the same bytes for the same model; the
figure is the length of the weights actually serialised, here, in the format it chose (and read
back to the same values); its byte costs are the ones counted by hand.
"""
import json
import math
import re

import numpy as np
import pytest

from tinyml_course import memory
from tinyml_course.cli.main import main as cli_main
from tinyml_course.compression import prune, storage, trained
from tinyml_course.compression import quantize as Q
from tinyml_course.compression.data import load_digits
from tinyml_course.errors import SpecError
from tinyml_course.homework.challenges import compressed_model, probes
from tinyml_course.ui.widgets.compression import CompressionLab, CompressionState

SPARSITIES = (0.5, 0.8, 0.95)  # global magnitude pruning of the 1x1 and linear weights
BIG = 1 << 30  # bytes: a budget nothing exceeds


@pytest.fixture(scope="module")
def model():
    return trained.load_trained()


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def lab(model, digits):
    return CompressionLab(*model, *digits[2:], sync_accuracy_s=0)


def cli_json(capsys, *args):
    assert cli_main(["compress", *args, "--json"]) in (0, None)
    return json.loads(capsys.readouterr().out)


def graded_flash(network, weights, bits, digits):
    """The compression challenge's grader on this model (probe, plain data, rebuilt, measured):
    its measured Flash (bytes)."""
    run = probes.run_compress_for_budget(lambda n, w, d: (network, weights, bits), network,
                                         weights, digits)
    score = compressed_model.score_compression_run(run, network, 0.0, BIG, BIG, digits)
    return score.measured["flash_bytes"]


# ---------------------------------------------------------------- every path, one number

@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_every_path_reports_one_flash_for_global_pruning(sparsity, model, digits, lab, capsys):
    """Do the CLI, the dashboard and the grader report the same Flash for the digits model
    globally pruned to 50 / 80 / 95 % (float32 weights), and is it the bytes serialised?"""
    network, weights = model
    pruned, _ = prune.prune_global(weights, sparsity)
    cli = cli_json(capsys, "--prune", "global", "--sparsity", str(sparsity))["after"]["flash_bytes"]
    dashboard = lab.memory(CompressionState(sparsity=sparsity))["flash_bytes"]
    grader = graded_flash(network, pruned, 32, digits)
    assert cli == dashboard == grader, (cli, dashboard, grader)
    assert cli == len(serialise(pruned, storage.model_storage(pruned)))


def test_every_path_reports_one_flash_for_channel_pruning_and_int8(model, digits, lab, capsys):
    """Channel-pruned by half, then int8: do the CLI (`--quantize int8` and `--quantize linear
    --bits 8`), the dashboard at 8 bits, quantize's figure and the grader agree?"""
    network, weights = model
    small_net, small_w = prune.channel_prune(network, weights, 0.5)
    cli_int8 = cli_json(capsys, "--prune", "channel", "--sparsity", "0.5", "--quantize", "int8")
    cli_linear = cli_json(capsys, "--prune", "channel", "--sparsity", "0.5", "--quantize", "linear",
                          "--bits", "8")
    dashboard = lab.memory(CompressionState(bits=8, channel_ratio=0.5))["flash_bytes"]
    q8, quantized = Q.quantize_weights(small_w, 8)
    grader = graded_flash(small_net, q8, 8, digits)
    figures = (cli_int8["after"]["flash_bytes"], cli_linear["after"]["flash_bytes"], dashboard,
               quantized, grader)
    assert len(set(figures)) == 1, figures
    assert figures[0] == len(serialise(q8, storage.model_storage(q8, 8),
                                       quantizer_scales(small_w, 8)))
    assert sum(cli_int8["after"]["flash_parts"].values()) == figures[0]


# ---------------------------------------------------------------- an independent count

def quantizer_scales(float_weights, bits):
    """{op: (rows,) scales} of symmetric per-channel linear quantization of ``float_weights`` at
    ``bits``: the quantizer's own (tensor_qparams), not what storage inferred."""
    return {name: np.asarray(Q.tensor_qparams(w, bits)[0], np.float64)
            for name, (w, _) in float_weights.items()}


def pack(codes, bits):
    """``codes`` (non-negative ints < 2^bits) packed ``bits`` bits each, most significant first."""
    bit_rows = (codes[:, None] >> np.arange(bits - 1, -1, -1)) & 1  # (n, bits)
    return np.packbits(bit_rows.astype(np.uint8).ravel()).tobytes()


def unpack(data, count, bits):
    """The ``count`` codes of pack(...) ``data``."""
    flat = np.unpackbits(np.frombuffer(data, np.uint8))[:count * bits].reshape(count, bits)
    return (flat.astype(np.int64) << np.arange(bits - 1, -1, -1)).sum(axis=1)


def encode(layer, w2d, mask, scales):
    """(decoder bytes, codes (rows, cols) ints >= 0, decode(codes, rows) -> values) of a
    quantized layer in the decoder ``layer`` names: a codebook of the stored distinct values,
    or the quantizer's per-channel scales (symmetric codes, offset by 2^(bits-1))."""
    bits = layer.value_bits
    if layer.decoder == "codebook":
        levels = np.unique(w2d[mask])
        book = np.zeros(2 ** bits)
        book[:levels.size] = levels
        codes = np.searchsorted(levels, w2d).clip(0, max(levels.size - 1, 0))
        return book.astype("<f4").tobytes(), codes, lambda c, rows: book[c]
    assert layer.decoder == "linear per channel", layer
    scale = scales[layer.name].reshape(-1, 1)  # (rows, 1)
    half = 2 ** (bits - 1)
    codes = np.rint(w2d / scale).astype(np.int64)
    assert codes.min() >= -half and codes.max() < half  # symmetric: no zero point
    return scale.astype("<f4").tobytes(), codes + half, lambda c, rows: (c - half) * scale[rows, 0]


def serialise(weights, chosen, scales=None):
    """The model's bytes in the formats and decoders ``chosen`` (a ModelStorage) names, written
    here with numpy's own byte layouts, then read back and compared with ``weights``: bytes."""
    out = bytearray()
    for layer in chosen.layers:
        w, b = weights[layer.name]
        w2d = np.asarray(w, np.float64).reshape(w.shape[0], -1)  # (rows, cols)
        rows, cols = w2d.shape
        mask = np.ones(w2d.shape, bool) if layer.format == "dense" else w2d != 0
        stored_rows = np.nonzero(mask)[0]  # row of each stored value, row-major
        if layer.value_bits == 32:
            header, values = b"", w2d[mask].astype("<f4").tobytes()
            restored = np.frombuffer(values, "<f4").astype(np.float64)
        else:
            header, codes, decode = encode(layer, w2d, mask, scales)
            values = pack(codes[mask], layer.value_bits)
            restored = decode(unpack(values, stored_rows.size, layer.value_bits), stored_rows)
        if layer.format == "bitmask":
            index = np.packbits(mask.ravel().astype(np.uint8)).tobytes()
        elif layer.format == "csr":
            column = np.nonzero(mask)[1].astype(np.uint8 if cols <= 256 else "<u2")
            pointers = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype("<u2")
            index = column.tobytes() + pointers.tobytes()
        else:
            index = b""
        rebuilt = np.zeros(w2d.shape)
        rebuilt[mask] = restored
        assert np.allclose(rebuilt, w2d, rtol=1e-6, atol=1e-12), layer.name
        out += values + index + header + np.asarray(b, "<f4").tobytes()
    return bytes(out)


def test_each_format_serialises_to_its_flash(model):
    """Is the 80%-pruned model, written in each format for every layer, as long as that format's
    Flash (the formats' index costs are real bytes)?"""
    _, weights = model
    pruned, _ = prune.prune_global(weights, 0.8)
    sizes = {fmt: storage.model_storage(pruned, 32, fmt) for fmt in storage.SPARSE_FORMATS}
    for fmt, chosen in sizes.items():
        assert chosen.flash_bytes == len(serialise(pruned, chosen)), fmt
    assert len({chosen.flash_bytes for chosen in sizes.values()}) == 3


def test_quantized_pruned_models_serialise_to_their_flash(model):
    """Are 4-bit linear (50% pruned) and 3-bit k-means (80% pruned) models, written byte for byte
    in the chosen formats and decoders and read back to their values, as long as their Flash?"""
    network, weights = model
    pruned, masks = prune.prune_global(weights, 0.5)
    q4, quantized = Q.quantize_weights(pruned, 4, masks=masks)
    assert np.array_equal(q4["classifier"][0], prune.apply_masks(Q.quantize_weights(pruned, 4)[0],
                                                                 masks)["classifier"][0])
    chosen = storage.model_storage(q4, 4)
    assert quantized == chosen.flash_bytes
    assert {layer.format for layer in chosen.layers} >= {"dense", "bitmask"}
    assert chosen.flash_bytes == len(serialise(q4, chosen, quantizer_scales(pruned, 4)))
    pruned, masks = prune.prune_global(weights, 0.8)
    km = prune.apply_masks(Q.quantize_weights(pruned, 3, method="kmeans")[0], masks)
    chosen = storage.model_storage(km, 3)
    assert {layer.decoder for layer in chosen.layers} == {"codebook"}
    assert chosen.flash_bytes == len(serialise(km, chosen))


# ---------------------------------------------------------------- the byte costs by hand

W = np.array([[0, 1.5, 0, 0], [0, 0, 0, 0], [2, 0, 3, -1]], np.float32)  # 3 rows, 4 nonzeros
B = np.zeros(3, np.float32)


@pytest.mark.parametrize("fmt, bits, values, index", [
    ("dense", 32, 12 * 4, 0), ("bitmask", 32, 4 * 4, 2),  # 12 bits of mask -> 2 bytes
    ("csr", 32, 4 * 4, 4 * 1 + 4 * 2),  # a 1-byte column per nonzero, 4 two-byte row pointers
])
def test_storage_formats_hand_computed(fmt, bits, values, index):
    """Are dense / bitmask / CSR bytes those counted by hand for a 3x4 matrix with 4 nonzeros?"""
    layer = storage.model_storage({"w": (W, B)}, bits, fmt).layers[0]
    assert (layer.value_bytes, layer.index_bytes, layer.decoder_bytes, layer.bias_bytes) == \
        (values, index, 0, 3 * 4)


def test_decoders_hand_computed():
    """Codebook: 2^bits float32 per layer; symmetric grid: a scale per channel (per tensor when
    the layer shares one grid); codes off the symmetric range: plus a zero point; values no
    decoder reproduces: refused, naming the layer."""
    rng = np.random.default_rng(0)
    scales = rng.uniform(0.01, 0.1, size=(6, 1))
    per_channel = (rng.integers(-7, 8, size=(6, 20)) * scales).astype(np.float32)
    layer = storage.layer_storage("a", per_channel, np.zeros(6), 4)
    assert (layer.decoder, layer.decoder_bytes, layer.value_bytes) == ("linear per channel", 6 * 4, 60)
    shifted = (rng.integers(0, 16, size=(6, 20)) * scales).astype(np.float32)  # codes 0..15
    assert storage.layer_storage("a", shifted, np.zeros(6), 4).decoder_bytes == 6 * (4 + 4)
    shared = (rng.integers(-7, 8, size=(6, 20)) * 0.03).astype(np.float32)
    assert storage.layer_storage("a", shared, np.zeros(6), 4).decoder == "linear per tensor"
    few = np.array([[0.5, -0.25], [0.125, 0.5], [0.5, 0.125]], np.float32)  # 3 values in all
    layer = storage.layer_storage("a", few, np.zeros(3), 2)  # cheaper than 3 scales + 3 zero points
    assert (layer.decoder, layer.decoder_bytes) == ("codebook", 4 * 4)
    with pytest.raises(SpecError, match="block9: its values are neither at most 2\\^4 levels"):
        storage.layer_storage("block9", rng.standard_normal((6, 20)), np.zeros(6), 4)


def test_a_sparse_codebook_need_not_hold_zero():
    """Are 2^bits nonzero values and zeros storable in a sparse format (the zeros are not
    stored) but not dense, and is forcing dense refused with the reason?"""
    w = np.array([[0.1, 0.0, 0.2, 0.3], [0.0, 0.4, 0.1, 0.0]], np.float32)  # 4 levels + 0
    assert storage.layer_storage("a", w, np.zeros(2), 2).format != "dense"
    with pytest.raises(SpecError, match="in dense storage"):
        storage.layer_storage("a", w, np.zeros(2), 2, fmt="dense")


def test_bad_bits_and_formats_name_the_valid_ones():
    """Are bits outside 2-8/32 (or a dict missing a layer) and unknown formats refused, naming
    the valid values?"""
    weights = {"w": (W, B), "v": (W, B)}
    for bits in (1, 9, 16, True, {"w": 8}, "8"):
        with pytest.raises(SpecError, match="each one of 2, 3, 4, 5, 6, 7, 8, 32"):
            storage.model_storage(weights, bits)
    with pytest.raises(SpecError, match="use one of dense, bitmask, csr, best"):
        storage.model_storage(weights, 32, "coo")


def test_wide_rows_and_many_nonzeros_widen_the_csr_index():
    """Does a CSR column index take 2 bytes past 256 columns, a row pointer 4 past 65535
    nonzeros?"""
    wide = np.zeros((2, 300), np.float32)
    wide[:, :3] = 1.0
    assert storage.layer_storage("a", wide, np.zeros(2), 32, "csr").index_bytes == 6 * 2 + 3 * 2
    many = np.ones((2, 40000), np.float32)
    assert storage.layer_storage("a", many, np.zeros(2), 32, "csr").index_bytes == \
        80000 * 2 + 3 * 4


def test_dense_storage_is_the_papers_count(model):
    """Is the dense float32 model the accounting's Flash, and the int8 model's values and biases
    too (its decoder is the scales the papers leave out: 4 bytes per output channel)?"""
    network, weights = model
    assert storage.model_storage(weights, 32, "dense").flash_bytes == \
        memory.flash_bytes(network, "float32")
    parts = storage.model_storage(Q.quantize_weights(weights, 8)[0], 8, "dense").parts()
    assert parts["values"] + parts["biases"] == memory.flash_bytes(network, "int8")
    assert parts["decoder"] == 4 * sum(w.shape[0] for w, _ in weights.values()) and parts["index"] == 0


def test_the_sparse_formats_pay_only_past_their_index(model):
    """Does the bitmask format cost more than dense at 0% sparsity, and the best format less at
    80%, chosen layer by layer (never more than any one format for the whole model)?"""
    network, weights = model
    dense = storage.compressed_flash_bytes(weights, 32, "dense")
    assert storage.compressed_flash_bytes(weights, 32, "bitmask") > dense
    pruned, _ = prune.prune_global(weights, 0.8)
    best = storage.model_storage(pruned)
    assert best.flash_bytes < 0.6 * dense  # 80% of the 1x1/linear weights = 62% of all
    assert len({layer.format for layer in best.layers}) > 1
    assert best.flash_bytes <= min(storage.compressed_flash_bytes(pruned, 32, f)
                                   for f in storage.SPARSE_FORMATS)
    assert sum(best.breakdown().values()) == best.flash_bytes
    assert best.to_json()["flash_bytes"] == best.flash_bytes
    assert best.table().splitlines()[-1].endswith(f"{best.flash_bytes:>8,}")
    assert math.isclose(sum(best.parts().values()), best.flash_bytes)


def test_the_lecture_table_quotes_the_packages_flash(model):
    """Are the Flash figures notebook 30's table quotes (float32 rows, and the int8 rows whose
    storage does not depend on fine-tuning: dense layers) the dashboard's for the same model?"""
    from conftest import REPO
    from tinyml_course.compression.compress import quick_memory

    network, weights = model
    text = (REPO / "notebooks" / "30_compression.py").read_text()

    def quoted(row):
        line = next(l for l in text.splitlines() if l.startswith(f"# | {row}"))
        return [int(v.replace(",", "")) for v in re.findall(r"([\d,]+) B", line)[:2]]

    def flash(**settings):
        return quick_memory(network, weights, **settings)["flash_bytes"]

    assert quoted("none") == [flash(), flash(bits=8)]
    for row, sparsity in (("50% of the 1x1", 0.5), ("70%", 0.7), ("80%", 0.8)):
        assert quoted(row)[0] == flash(sparsity=sparsity), row
    for row, ratio in (("25% of the expanded", 0.25), ("50% of the expanded", 0.5)):
        assert quoted(row) == [flash(channel_ratio=ratio), flash(bits=8, channel_ratio=ratio)], row


def test_the_int8_model_stores_what_its_deployed_arrays_hold(model, digits):
    """Are an int8 model's stored values and biases the bytes of its int8 weight and int32 bias
    arrays (what deploy writes into Flash), and its decoder one 4-byte scale per output channel
    (the deployed C keeps a multiplier and a shift per channel in its place)?"""
    from tinyml_course.compression.int8_convert import convert, real_weights

    network, weights = model
    int8 = convert(network, weights, digits[0][:256])
    parts = storage.model_storage(real_weights(int8), 8, "dense").parts()
    arrays = [q for q in int8.ops.values() if q.weight is not None]
    assert parts["values"] == sum(q.weight.nbytes for q in arrays)
    assert parts["biases"] == sum(q.bias.nbytes for q in arrays) == int8.flash_bytes - parts["values"]
    assert parts["decoder"] == sum(4 * q.weight_scale.size for q in arrays)
