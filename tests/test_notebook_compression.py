"""The lecture notebook 30_compression runs top to bottom and shows what the lecture quotes.

(Committed without outputs, with step comments: tools/check_course.py's gates. Its run time:
benchmarks/bench_notebooks.py.)
"""
import re

import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, images, shows_widget, stream_text
from tinyml_course.nas import stakes

pytestmark = pytest.mark.slow  # executes the notebook: tens of seconds


@pytest.fixture(scope="module")
def executed():
    return execute_notebook(REPO / "notebooks" / "30_compression.ipynb")


def test_prints_int8_accuracy_measured_peak_and_the_fit_line(executed):
    """Does it print int8 results, the measured = analytic peak and the Nano 33 fit line?"""
    text = stream_text(executed)
    assert "equal: True" in text
    assert "fits on the Arduino Nano 33 BLE Sense (nRF52840)? yes" in text
    assert "int8" in text and "50% channels" in text


def test_histograms_and_both_dashboards_displayed(executed):
    """Are the weight histograms shown as two images, and the digits and stakes dashboards shown?"""
    cells = [c for c in code_cells(executed) if c.source.startswith("# the weights: ")]
    assert [len(images(c)) for c in cells] == [1, 1], [c.source[:40] for c in cells]
    assert shows_widget(next(c for c in code_cells(executed) if c.source.startswith(
        "# the compression dashboard\n")))
    assert shows_widget(code_cells(executed)[-1])
    assert "model at stake" in code_cells(executed)[-1].source


STAKES_STEPS = ("# the model at stake", "# accuracy as compress_model measured",
                "# accuracy, Flash and SRAM of the model at stake")  # one slide each


def stakes_cells(executed):
    """The cells of 'Compression with stakes': memory verdicts, the table, the figure."""
    return [next(c for c in code_cells(executed) if c.source.startswith(step))
            for step in STAKES_STEPS]


def cell_text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_the_stakes_figure_is_an_image(executed):
    """Is the model at stake's float32 / int8 / peak block cut figure one PNG image?"""
    assert [len(images(c)) for c in stakes_cells(executed)] == [0, 0, 1]


def test_the_stakes_table_is_the_packages(executed):
    """Do the live memory verdicts say no, no, no, yes with the SRAM compress_model measured, and
    does every table row print the shipped results (nas.stakes, re-measured by test_stakes.py)
    with its standard error, and the gap to float32 the rows give?"""
    from tinyml_course.stats import standard_error

    text = "".join(cell_text(c) for c in stakes_cells(executed))
    shipped = stakes.shipped_results()
    live = [l for l in text.splitlines() if "fits: " in l]
    assert [l.endswith("yes") for l in live] == [False, False, False, True], live
    sram = [float(re.findall(r"SRAM +([\d.]+) KiB", l)[0]) for l in live]
    for printed, label in ((sram[0], "float32"), (sram[1], "int8"), (sram[3], "peak block cut + int8")):
        assert printed == round(shipped[label]["after"]["peak_sram_bytes"] / 1024, 1)
    for label, r in shipped.items():
        a = r["after"]
        row = next(l for l in text.splitlines() if re.match(re.escape(label) + r" +\d", l))
        numbers = re.findall(r"[\d.,]+", row[len(label):])
        se = standard_error(a["accuracy"], 2500)
        assert numbers[:4] == [f"{100 * a['accuracy']:.1f}", f"{100 * se:.1f}", f"{a['flash_bytes']:,}",
                               f"{a['peak_sram_bytes']:,}"], row
        assert row.endswith("yes" if r["fits"]["both"] else "no")
    acc = {label: r["after"]["accuracy"] for label, r in shipped.items()}
    assert f"is {100 * (acc['float32'] - acc['peak block cut + int8']):.1f} ± " in text


def test_the_block_scan_prints_the_shipped_scan(executed):
    """Does the scan cell print every cut of weights/stakes_scan.json, plain and recalibrated?"""
    cell = next(c for c in code_cells(executed) if c.source.startswith("# the block scan"))
    text = cell_text(cell)
    scan = stakes.shipped_scan()
    for name, r in scan.items():
        if isinstance(r, dict):
            assert re.search(rf"{name} +{100 * r['plain']:.1f}% +{100 * r['recalibrated']:.1f}%", text)
    alone = {k: r for k, r in scan.items() if k.startswith("block")}
    worst = max(scan["uncut"] - r["recalibrated"] for r in alone.values())
    assert "the most sensitive: block1, block4, block7 (the stride-2" in text
    assert f"no block alone loses more than {100 * worst:.1f} points" in text
