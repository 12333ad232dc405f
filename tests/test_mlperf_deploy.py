"""The MLPerf Tiny reference models deployed: every schedule bit-exact on the emulated MLPerf
boards (NUCLEO-L4R5ZI, Cortex-M4; NUCLEO-H7A3ZI-Q, Cortex-M7) at the full resolution (each
deployment takes about a second), the linked arena equal to the planner's peak, and what the
deploy code refuses for them said in one line."""

from pathlib import Path

import pytest

from tinyml_course.cli.main import main
from tinyml_course.deploy import mlperf_report
from tinyml_course.deploy.mlperf_deploy import PATCH_MAC_LIMIT, patch_choice
from tinyml_course.deploy.mlperf_report import (doc_lines, explanation, markdown, report_rows,
                                                table_row)
from tinyml_course.errors import SpecError
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.patch_plan import patch_splits
from tinyml_course.model.zoo import get_network
from tinyml_course.ui.plots.mlperf import mlperf_figure

DOC = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"


def test_an_fc_only_model_has_no_patch_stage_in_one_line(capsys):
    """mlperf-ad is ten linear layers: asking for a patch schedule names the model and says it has
    no patch stage (it used to say 'split before it', with nothing before the first op)."""
    net = get_network("mlperf-ad")
    assert patch_splits(net) == []
    with pytest.raises(SpecError, match="mlperf-ad has no patch stage"):
        profile(net, "patch", patches=2, split="block0")
    assert main(["deploy", "mlperf-ad", "--schedule", "patch", "--split", "block0",
                 "--patches", "2", "--no-count"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mlperf-ad has no patch stage" in err[0]
    assert "split before it" not in err[0]


@pytest.fixture(scope="module")
def rows():
    """Every MLPerf model on both boards, every schedule deployed (about 20 s)."""
    return report_rows()


# the int8 tensors live at each model's per-layer peak, counted by hand from the architectures:
# the DS-CNN's 1x1 convs read and write 64x25x5; VWW block0's 1x1 conv reads 8x48x48 and writes
# 16x48x48; ResNet-8's first stack holds its input (the shortcut), conv1's and conv2's 16x32x32
# outputs; the autoencoder's first layer 640 + 128
HAND_PEAKS = {"mlperf-kws": 2 * 64 * 25 * 5, "mlperf-vww": 8 * 48 * 48 + 16 * 48 * 48,
              "mlperf-ic": 3 * 16 * 32 * 32, "mlperf-ad": 640 + 128}


@pytest.mark.slow
def test_every_schedule_deploys_bit_exact_with_the_planned_arena(rows):
    assert {(r.model, r.device) for r in rows} == {
        (m, d) for m in HAND_PEAKS for d in ("nucleo-l4r5zi", "nucleo-h7a3zi-q")}
    for row in rows:
        kinds = [run.schedule.kind for run in row.runs]
        patched = row.model not in ("mlperf-ad", "mlperf-kws")  # none helps these two
        assert kinds == ["per-layer", "in-place"] + (["patch"] if patched else [])
        for run in row.runs:
            assert run.bit_exact, (row.model, row.device, str(run.schedule))
            assert run.arena_bytes == run.planned_bytes
            assert run.sram_bytes > run.arena_bytes  # the stack and .data come on top
        assert row.run("per-layer").arena_bytes == HAND_PEAKS[row.model]
        patch = row.run("patch")
        if patch:  # a patch plan is kept only where it lowers the peak within 1.25x the MACs
            assert patch.arena_bytes < row.run("in-place").arena_bytes
            assert row.macs < patch.executed_macs <= PATCH_MAC_LIMIT * row.macs
        assert row.instructions > row.macs and row.estimated_ms > 0


@pytest.mark.slow
def test_the_shipped_record_is_the_reports_output(rows):
    """Is the shipped record (what docs/deploy.md's table is rendered from:
    tests/test_deploy_docs_tables.py) what the report gives today (rerun scripts/mlperf_report.py
    --write-doc docs/deploy.md after a change to the kernels or the cycle model)?"""
    assert markdown(mlperf_report.load_record()) == markdown(rows)
    assert doc_lines(DOC) == markdown(rows)


@pytest.mark.slow
def test_each_row_sentence_states_the_ratio_to_the_published_latency(rows):
    by_key = {(r.model, r.device): r for r in rows}
    vww = by_key["mlperf-vww", "nucleo-l4r5zi"]
    text = explanation(vww)
    assert f"{vww.estimated_ms / 88.9:.1f}x X-CUBE-AI's measured 88.9 ms" in text
    assert f"{vww.estimated_ms / 600.6:.2f}x TFLM + CMSIS-NN's 600.6 ms" in text
    assert f"{88.9e-3 * 120e6 / 7489664:.1f} cycles/MAC" in text  # 1.4: derived from the anchor
    kws = by_key["mlperf-kws", "nucleo-l4r5zi"]
    text = explanation(kws)
    assert f"{kws.estimated_ms / 43.2:.1f}x X-CUBE-AI's measured 43.2 ms" in text
    assert f"{kws.estimated_ms / 181.9:.2f}x TFLM + CMSIS-NN's 181.9 ms" in text
    assert "16,000 B, 6,272 B below X-CUBE-AI's reported 22,272 B" in text
    h7 = by_key["mlperf-kws", "nucleo-h7a3zi-q"]
    assert table_row(h7)[2] == "16,000" and table_row(h7)[4] == "none helps"
    assert table_row(h7)[-2:] == ["11.3", "-"]  # X-CUBE-AI on the H7A3; no TFLM result there


def test_patch_choice_of_each_model():
    """VWW's lowest peak within 1.25x the MACs is the 4x4 grid up to block3; the FC autoencoder
    and the DS-CNN have none; every choice beats the in-place peak."""
    vww = patch_choice(get_network("mlperf-vww"))
    assert (vww.split, vww.patches) == ("block3", 4)
    assert vww.peak_bytes == profile(get_network("mlperf-vww"), vww.schedule).peak_sram_bytes
    assert vww.peak_bytes < HAND_PEAKS["mlperf-vww"]
    assert patch_choice(get_network("mlperf-ad")) is None
    ic = patch_choice(get_network("mlperf-ic"))
    assert ic.executed_macs <= PATCH_MAC_LIMIT * get_network("mlperf-ic").macs
    assert ic.peak_bytes < HAND_PEAKS["mlperf-ic"]
    # the 25 x 5 maps of the DS-CNN: grids up to 5 x 5 only (a 6 x 6 once raised), none helps
    assert patch_choice(get_network("mlperf-kws")) is None


def test_no_patch_plan_helps_the_ds_cnn_cheaply():
    """Notebook 40's sentence: a patch stage of mlperf-kws that stops before block3 leaves a later
    1x1 conv's 16,000 B peak; through block3, the lower peaks cost 4.2x the MACs or more."""
    from tinyml_course.memory.patch_accounting import mac_overhead
    net = get_network("mlperf-kws")
    for split in ("block0", "block1", "block2", "block3"):
        for n in range(2, 6):
            peak = profile(net, "patch", "exact", "int8", patches=n, split=split).peak_sram_bytes
            macs = mac_overhead(net, split, n).network_macs_clipped / net.macs
            assert peak >= HAND_PEAKS["mlperf-kws"] or (split == "block3" and macs > 4.2)


def test_report_refuses_a_doc_without_markers_in_one_line(tmp_path, capsys, monkeypatch):
    doc = tmp_path / "x.md"
    doc.write_text("no table here\n")
    monkeypatch.setattr(mlperf_report, "report_rows", lambda: [])
    assert mlperf_report.main(["--write-doc", str(doc)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no mlperf-report markers" in err[0]
    assert doc.read_text() == "no table here\n"


@pytest.mark.slow
def test_notebook_figure_shows_the_linked_arenas_and_the_published_latencies(rows):
    """Notebook 40's MLPerf figure: left, every schedule's linked arena and X-CUBE-AI's reported
    RAM (KiB); right, our estimate and the two published latencies of KWS, VWW and IC (ms)."""
    board = [r for r in rows if r.device == "nucleo-l4r5zi"]
    memory_ax, latency_ax = mlperf_figure(board).axes
    heights = sorted(round(p.get_height() * 1024) for p in memory_ax.patches)
    expected = [run.arena_bytes for r in board for run in r.runs]
    expected += [22272, 58624, 56672, 2048]  # X-CUBE-AI 9.0's activation RAM: KWS, VWW, IC, AD
    assert heights == sorted(expected)
    ms = sorted(round(p.get_height(), 1) for p in latency_ax.patches)
    ours = [round(r.estimated_ms, 1) for r in board if r.model != "mlperf-ad"]
    assert ms == sorted(ours + [43.2, 88.9, 165.1, 181.9, 600.6, 704.2])
    assert latency_ax.get_yscale() == "log"


@pytest.mark.slow
def test_an_arena_above_x_cube_ais_says_above(rows, monkeypatch):
    """Where ours were the larger (X-CUBE-AI's figure set to 500 B for the 768 B autoencoder
    arena), the sentence says 268 B above, never a negative 'below'."""
    from tinyml_course.deploy import mlperf_report
    ad = next(r for r in rows if r.model == "mlperf-ad")
    monkeypatch.setitem(mlperf_report.XCUBE_ACTIVATION_BYTES, "mlperf-ad", 500)
    text = explanation(ad)
    assert "768 B, 268 B above X-CUBE-AI's reported 500 B" in text, text[:200]
