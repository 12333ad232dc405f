"""The lecture's slide figures read from the back of a 100-seat room (issue 20 item 16): drawn at
their own size, no two texts overlap, no text sits under a legend, no text is smaller than
10 pt (13.9 px at 100 dpi, 18.8 px on a 1920x1080 projector) and a bar's value reads in at most
three significant digits. What is checked is what matplotlib draws (harness.figures).

Each figure is built as its notebook builds it (00, 05, 10, 15, 20, 50); the dashboards' figures
are checked on the states their speaker notes name.
"""
import re

import pytest

from harness.figures import clipped_texts, collisions, small_texts, visible_texts
from tinyml_course import memory
from tinyml_course.model.hardware import HARDWARE
from tinyml_course.model.zoo import get_network, get_spec
from tinyml_course.ui.plots import comparison, edge, patch, results
from tinyml_course.ui.plots.memory import sram_figure

MIN_POINTS = 10


def _mbv2():
    return get_network("mobilenetv2")


def _redistribution():
    from tinyml_course.nas.redistribution import compare
    return patch.redistribution_figure(list(compare(get_spec("mobilenetv2"), 3)))


def _search():
    from tinyml_course.nas.search import search
    return patch.search_figure(search("stm32f746", candidates=200, seed=0))


FIT_DEVICES = [h.name for h in HARDWARE.values() if h.memory is not None and h.storage is not None]
FIGURES = {  # name -> builder, as the notebooks call them
    "00 edge devices": edge.edge_devices_figure,
    "00 model growth": edge.model_growth_figure,
    "05 memory gap": edge.memory_gap_figure,
    **{f"05 what fits {d}": (lambda d=d: edge.fit_figure(d)) for d in FIT_DEVICES},
    "10 per-op SRAM": lambda: sram_figure(memory.profile(_mbv2(), "in-place", "tinyengine"),
                                          "stm32f746"),
    "10 schedules": lambda: comparison.schedule_comparison_figure(_mbv2(), device="stm32f746"),
    "15 params vs peak": results.params_vs_peak_figure,
    "15 per-op SRAM resnet18": lambda: sram_figure(
        memory.profile(get_network("resnet18"), "per-layer", "mcunet"), "nano33"),
    "15 per-op SRAM mobilenetv2": lambda: sram_figure(
        memory.profile(_mbv2(), "per-layer", "mcunet"), "nano33"),
    "20 windows": lambda: patch.windows_figure(_mbv2(), "block3", 4, focus=(0, 1)),
    "20 per-op before and after": lambda: patch.memory_figure(_mbv2(), "block3", 4,
                                                              device="stm32f746"),
    "20 overhead": lambda: patch.overhead_figure(_mbv2(), "block3", grids=range(1, 9)),
    "20 redistribution": _redistribution,
    "20 search": _search,
    "50 accuracy vs memory": results.accuracy_vs_memory_figure,
    "50 accuracy vs latency": results.accuracy_vs_latency_figure,
    "50 libraries": results.library_figure,
    "50 MCUNetV2's gain": results.patch_gain_figure,
}


@pytest.fixture(scope="module", params=sorted(FIGURES))
def figure(request):
    return request.param, FIGURES[request.param]()


def test_no_text_overlaps_another_or_sits_under_a_legend(figure):
    """No text overlaps another, sits under a legend or runs past the figure's edge. Seen
    failing before the fix: 05's panels ran '16 MiB' into '256 KiB', 15's ResNet-18 ticks
    read 'stemmaxpoolb0', 50's legend covered the 'mbv2-320kB' label."""
    name, fig = figure
    assert collisions(fig) == [], name
    assert clipped_texts(fig) == [], name


def test_every_text_is_projector_sized(figure):
    """Seen failing before the fix: 20's legends and bar labels at 8 pt."""
    name, fig = figure
    assert small_texts(fig, MIN_POINTS) == [], name


BYTES_LABEL = re.compile(r"^\s*([\d.,]+) (bytes|KiB|MiB|GiB)$")


@pytest.mark.parametrize("device", FIT_DEVICES)
def test_what_fits_values_read_in_three_digits(device):
    """Does each bar of 05's 'what fits' carry its value in at most three significant digits,
    equal to the bar's length to that precision (it read '635.984 KiB', '1.33984 MiB')?"""
    fig = edge.fit_figure(device)
    units = {"bytes": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.texts]
        widths = [bar.get_width() for bar in ax.patches]
        assert len(labels) == len(widths) == len(edge.FIT_MODELS)
        for label, width in zip(labels, widths):
            number, unit = BYTES_LABEL.match(label).groups()
            digits = number.replace(".", "").replace(",", "").lstrip("0")
            assert len(digits) <= 3, label
            assert float(number) * units[unit] == pytest.approx(width, rel=5e-3), label


def test_the_checks_see_a_collision_and_a_small_text():
    """The harness itself: two texts at one place, an 8 pt one and a cut-off title are reported."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "first label", fontsize=12)
    ax.text(0.5, 0.5, "second label", fontsize=8)
    assert ("first label", "second label") in collisions(fig)
    assert small_texts(fig, MIN_POINTS) == [(8, "second label")]
    ax.set_title("a title far too long to fit the width of this small figure", loc="left")
    assert clipped_texts(fig) == ["a title far too long to fit the width of this small figure"]
    assert all(t.get_text() != "" for t, _ in visible_texts(fig))


def _deploy_figures():
    """40's figures on data of the notebook's shape (the digits model's layers; a linked
    mcunet-in1 on the F746; the MLPerf rows of the L4R5ZI), without running the emulator."""
    from types import SimpleNamespace

    from tinyml_course.compression import trained
    from tinyml_course.deploy.mlperf_deploy import MlperfRow
    from tinyml_course.ui.plots.deploy import instruction_bars, memory_map
    from tinyml_course.ui.plots.mlperf import mlperf_figure
    network, _ = trained.load_trained()
    names = [op.name for op in network]
    runs = {label: [{"name": n, "instructions": (i + 1) * scale * 1e5} for i, n in enumerate(names)]
            for label, scale in (("reference", 2), ("tinyengine", 1))}
    sections = {".text": 6_000, ".rodata": 770_000, ".data": 200, ".bss": 95_000}
    rows = []
    for model, arenas, ms in (("mlperf-kws", (16_000, 16_000, None), 68.0),
                              ("mlperf-vww", (55_296, 55_296, 18_432), 630.0),
                              ("mlperf-ic", (49_152, 49_152, 27_424), 1686.0),
                              ("mlperf-ad", (768, 768, None), None)):
        rows.append(MlperfRow(model, "nucleo-l4r5zi", runs=[
            SimpleNamespace(schedule=SimpleNamespace(kind=kind), arena_bytes=arena)
            for kind, arena in zip(("per-layer", "in-place", "patch"), arenas) if arena],
            estimated_ms=ms))
    return {"40 instructions": instruction_bars(runs),
            "40 memory map": memory_map(sections, 92_000, 2_000, 1024 * 1024, 320 * 1024,
                                        "mcunet-in1 (96x96) on the STM32F746"),
            "40 MLPerf": mlperf_figure(rows)}


def test_deployment_figures_are_legible():
    """Notebook 40's three figures: no overlapping texts, nothing under a legend or cut off at
    the edge, >= 10 pt. Seen failing before the fix: rotated layer names at 7 pt, legends at
    7-8 pt, the memory map's '758.0 of 1024 KiB' under its legend."""
    for name, fig in _deploy_figures().items():
        assert collisions(fig) == [], name
        assert clipped_texts(fig) == [], name
        assert small_texts(fig, MIN_POINTS) == [], name


def test_compression_figures_are_legible():
    """Notebook 30's weight histograms and the compression dashboard's bars, on the states its
    notes walk through (dense, 50% pruned + 4-bit, the model at stake): no overlapping or cut-off
    texts, >= 10 pt. Seen failing before the fix: tick labels and bar values at 8 pt, titles 9."""
    import numpy as np
    from tinyml_course.ui.plots.compression import compression_bars, weight_histogram
    rng = np.random.default_rng(0)
    weights = {"a": (rng.normal(0, 0.3, (500, 16)).astype(np.float32), np.zeros(500, np.float32))}
    pruned = {"a": (np.where(np.abs(weights["a"][0]) < 0.2, 0, weights["a"][0]), weights["a"][1])}
    before = {"accuracy": 0.49, "flash_bytes": 1_171_424, "peak_sram_bytes": 276_480}
    after = {"accuracy": 0.12, "flash_bytes": 244_264, "peak_sram_bytes": 51_840}
    for name, fig in (("histogram", weight_histogram(weights, pruned, "50% pruned + 4-bit")),
                      ("bars", compression_bars(before, after, 64 * 1024, 512 * 1024,
                                                examples=200, chance=0.125)),
                      ("bars, measuring", compression_bars(before, {**after, "accuracy": None},
                                                           64 * 1024, 512 * 1024, examples=200))):
        assert collisions(fig) == [], name
        assert clipped_texts(fig) == [], name
        assert small_texts(fig, MIN_POINTS) == [], name


def test_keyword_spotting_figures_are_legible():
    """Notebook 55's three figures (waveform over MFCCs, an utterance's MFCCs, the MCU's
    answer) on data of the notebook's shapes: no overlapping texts, >= 10 pt (passed as the
    figures were: checked, nothing to fix)."""
    import numpy as np
    from tinyml_course.kws.data import WORDS
    from tinyml_course.ui.plots.kws import answer_bars, mfcc_figure, utterance_figure
    rng = np.random.default_rng(0)
    mfccs = rng.normal(0, 20, (25, 13))
    for name, fig in (("utterance", utterance_figure(rng.normal(0, 0.3, 4800), 8000, mfccs, 25,
                                                     "a synthetic glide over a steady tone")),
                      ("mfccs", mfcc_figure(mfccs[:18], 25, "'seven' spoken by yweweler")),
                      ("answer", answer_bars(rng.integers(-50, 50, 10), WORDS, 7))):
        assert collisions(fig) == [], name  # (shown inline: the tight bounding box keeps edges)
        assert small_texts(fig, MIN_POINTS) == [], name


def _tinynas_figures():
    """60's figures on data of the notebook's shapes (its dimensions, resolutions, 3 seeds of
    28 evaluations, 12 spaces, three model groups), without the supernet."""
    import numpy as np
    from tinyml_course.nas import evaluate, space
    from tinyml_course.ui.plots import nas
    rng = np.random.default_rng(0)
    res = space.RESOLUTIONS
    curves = {label: [(r, 0.7 + 0.05 * i + 0.01 * k) for k, r in enumerate(res)]
              for i, label in enumerate(("largest subnet, width 1", "MobileNetV2-style, width 1",
                                         "largest subnet, width 0.5"))}
    sweeps = {dim: [(v, 0.78 + 0.01 * k) for k, v in enumerate(values)]
              for dim, values in (("width", space.WIDTHS), ("depth", space.DEPTHS),
                                  ("kernel", space.KERNELS), ("expand", space.EXPANDS))}
    histories = [list(np.maximum.accumulate(rng.uniform(0.6, 0.9, 28))) for _ in range(3)]
    spaces = {(w, r): rng.uniform(1e6, 3e7, 40) for w in space.WIDTHS for r in res}

    def models(n, acc, kib, ms):
        return [{"accuracy": acc + 0.01 * i, "accuracy_se": 0.007, "peak_sram_bytes":
                 (kib + 3 * i) * 1024, "latency_ms": ms + 100 * i, "fits": True} for i in range(n)]
    groups = {"random subnets (the loop)": models(24, 0.78, 30, 900),
              "baselines (fitting)": models(6, 0.72, 40, 600),
              "searched (evolution)": models(3, 0.88, 60, 3300)}
    images = {r: rng.uniform(0, 1, (6, 1, r, r)) for r in (28, 16)}
    return {"60 samples": nas.samples_figure(images, list(range(6)), [f"class {i}" for i in range(10)]),
            "60 resolution and sweeps": nas.resolution_figure(curves, sweeps,
                                                              evaluate.accuracy_spread, 0.1),
            "60 evolution": nas.evolution_figure(histories, histories),
            "60 space": nas.space_figure(spaces, (1.0, 28), "nRF52832"),
            "60 results": nas.results_figure(groups, 64 * 1024, "nRF52832")}


def test_tinynas_figures_are_legible():
    """Notebook 60's five figures: no overlapping or cut-off texts, >= 10 pt. Seen failing before
    the fix: legends at 6-8 pt, sample titles at 9 pt (issue 20 item 16, left by the lecture
    branch for the nas one)."""
    for name, fig in _tinynas_figures().items():
        assert collisions(fig) == [], name
        assert clipped_texts(fig) == [], name
        assert small_texts(fig, MIN_POINTS) == [], name
