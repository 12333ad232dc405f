"""The Flash of a compressed model: one definition, and every path reports it.

The CLI (`compress` and its `--json`), the compression API, the lecture dashboard, quantize's
figure and the compression challenge's grader all report the same bytes for the same model.
"""
import json

import numpy as np
import pytest

from tinyml_course.cli.main import main as cli_main
from tinyml_course.compression import compress, prune, trained
from tinyml_course.compression import quantize as Q
from tinyml_course.compression.data import load_digits
from tinyml_course.homework import challenges as ch
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
    """The compression challenge's grader on this model: its measured Flash (bytes)."""
    run = ch.run_compress_for_budget(lambda n, w, d: (network, weights, bits), network, weights,
                                     digits)
    score = ch.score_compression_run(run, network, 0.0, BIG, BIG, digits)
    return score.measured["flash_bytes"]


@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_every_path_reports_one_flash_for_global_pruning(sparsity, model, digits, lab, capsys):
    """Do the CLI, the dashboard and the grader report the same Flash for the digits model
    globally pruned to 50 / 80 / 95 % (float32 weights)?"""
    network, weights = model
    pruned, _ = prune.prune_global(weights, sparsity)
    cli = cli_json(capsys, "--prune", "global", "--sparsity", str(sparsity))["after"]["flash_bytes"]
    dashboard = lab.memory(CompressionState(sparsity=sparsity))["flash_bytes"]
    grader = graded_flash(network, pruned, 32, digits)
    assert cli == dashboard == grader, (cli, dashboard, grader)


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
