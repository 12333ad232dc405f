"""docs/deploy.md's generated tables equal what the package's shipped records say, and the records
follow the default kernels.

The records are written by the scripts that measure them (scripts/validate_estimate.py:
deploy/estimate_validation.json; scripts/mlperf_report.py: deploy/mlperf_report.json); here the
tables are rendered from them, without emulating, and compared with the doc line for line. A
number edited in the doc (or in a record) fails. tests/test_mlperf_deploy.py checks the MLPerf
record against a fresh run; the validation record's figures come from the emulator the same way.
"""

import re
from pathlib import Path

import pytest

from tinyml_course.deploy import kernels, latency, mlperf_report, validation

DOC = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"


def doc_blocks_match(text):
    """Whether each generated block of a deploy.md ``text`` is the one its record renders."""
    record = validation.load_record()
    expected = [validation.validation_table(record["rows"]),
                validation.tiers_table(record["tiers"])]
    if any(validation.block(text, lines[0], lines[-1]) != lines for lines in expected):
        return False
    mlperf = text.split(mlperf_report.BEGIN, 1)[1].split(mlperf_report.END, 1)[0]
    return mlperf.strip("\n").split("\n") == mlperf_report.markdown(mlperf_report.load_record())


def test_the_docs_tables_are_the_shipped_records():
    """Are the held-out validation, the three-tier and the MLPerf tables of docs/deploy.md those
    rendered from the shipped records?"""
    assert doc_blocks_match(DOC.read_text())


@pytest.mark.parametrize("block", ["estimate-validation", "kernel-tiers", "mlperf-report"])
def test_a_number_edited_in_the_docs_is_caught(block):
    """Would one digit changed in a generated table (a measured row's first number) fail?"""
    text = DOC.read_text()
    start = text.index(f"<!-- {block}")
    row = re.compile(r"^\| [a-z].*?\| (\d)", re.M).search(text, start)
    edited = text[:row.start(1)] + str((int(row.group(1)) + 1) % 10) + text[row.end(1):]
    assert edited != text and not doc_blocks_match(edited)


def test_the_records_follow_the_default_kernels():
    """Do the latency table, the held-out record's fitted row and the MLPerf sentences name the
    default kernel set (tinyengine), so that nothing shown follows the earlier kernels?"""
    assert kernels.DEFAULT_KERNELS == "tinyengine"
    assert latency.load_table()["kernels"] == kernels.DEFAULT_KERNELS
    record = validation.load_record()
    assert tuple(record["fit"]) == (validation.TIERS_NETWORK, kernels.DEFAULT_KERNELS)
    assert [t["kernels"] for t in record["tiers"]] == list(kernels.KERNEL_FLAVOURS)
    lines = mlperf_report.markdown(mlperf_report.load_record())
    sentences = [line for line in lines if line.startswith("- ") and "not built" not in line]
    assert sentences and all(f"our '{kernels.DEFAULT_KERNELS}' kernels" in s for s in sentences)


def test_every_device_records_its_memory_system_and_the_source():
    """Does every catalogue device carry its Flash wait states at its clock (or None, with the
    source saying it was not found), its caches and TCM, and the vendor document they come from;
    and does the cost model's docstring cite the Cortex-M4 TRM's table and say that the M7 has no
    published one?"""
    from tinyml_course.deploy import cost
    from tinyml_course.model.devices import DEVICES
    for device in DEVICES.values():
        memory = device.memory
        assert memory is not None and memory.caches and memory.tcm and memory.source, device.name
        if memory.flash_wait_states is None:
            assert "not found" in memory.source, device.name
        else:
            assert 0 <= memory.flash_wait_states <= 15 and "WS" in memory.source, device.name
    assert DEVICES["stm32f746"].memory.flash_wait_states == 7  # RM0385: 210-216 MHz, 2.7-3.6 V
    doc = " ".join(cost.__doc__.split())
    assert "Cortex-M4 Technical Reference Manual r0p1" in doc and "Table 3-1" in doc
    assert "publishes no per-instruction cycle table" in doc
