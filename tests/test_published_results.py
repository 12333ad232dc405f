"""MCUNet's published results as data, and the figures drawn from them."""
import pytest

from tinyml_course import memory
from tinyml_course.errors import UnknownNameError
from tinyml_course.model.published_results import (LIBRARIES, ZOO_ALIAS, library_result,
                                                   speedup_range, zoo_results)
from tinyml_course.model.units import KIB
from tinyml_course.model.zoo import get_network
from tinyml_course.ui.plots.results import imagenet_points

# published-figures.md's model-zoo table: MACs (M) and params (M) of our zoo
ZOO_TABLE = {"mbv2-w0.35": (23.5, 0.75), "proxyless-w0.3": (38.3, 0.75), "mcunet-in1": (12.8, 0.64),
             "mcunet-in2": (67.3, 0.73), "mcunet-in4": (125.9, 1.73)}


def test_aliases_name_the_same_networks():
    """Do the mcunet README rows we map to our zoo have published-figures.md's MACs and params?"""
    rows = {r.net_id: r for r in zoo_results("imagenet")}
    for readme_id, ours in ZOO_ALIAS.items():
        assert (rows[readme_id].macs / 1e6, rows[readme_id].params / 1e6) == ZOO_TABLE[ours]
        net = get_network(ours)
        assert abs(net.macs / 1e6 - ZOO_TABLE[ours][0]) < 0.1


def test_computed_activation_peak_is_below_the_measured_sram():
    """Is our tinyengine-convention activation peak within 10% below TinyEngine's measured SRAM
    (which adds im2col and kernel buffers) for every zoo model the table lists?"""
    for name in ("mcunet-in1", "mcunet-in2", "mcunet-in4", "mbv2-w0.35", "proxyless-w0.3"):
        mine = memory.profile(get_network(name), "in-place", "tinyengine").peak_sram_bytes
        measured = library_result(name, "TinyEngine").sram_bytes
        assert 0.9 * measured <= mine <= measured, (name, mine / KIB, measured / KIB)


def test_library_table_and_speedups():
    """Ten nets x four libraries; OOM is None; the CMSIS-NN speedup is the table's 642/280 etc."""
    assert len(LIBRARIES) == 40
    assert library_result("mcunet-in4", "CMSIS-NN").latency_ms is None
    low, high = speedup_range("CMSIS-NN")
    ratios = [(53, 27), (97, 51), (478, 234), (51, 25), (103, 56), (642, 280), (770, 336),
              (380, 176)]  # the nets CMSIS-NN ran (README latency columns)
    assert (low, high) == (min(a / b for a, b in ratios), max(a / b for a, b in ratios))
    with pytest.raises(UnknownNameError):
        library_result("resnet18", "TinyEngine")
    with pytest.raises(UnknownNameError):
        zoo_results("speech")


def test_imagenet_points_leave_out_oom():
    """Under TF-Lite Micro mcunet-512kB (mcunet-in4) ran out of memory: no point for it."""
    names = [p[0] for p in imagenet_points("mcunet", "TF-Lite Micro")]
    assert "mcunet-512kB" not in names and "mcunet-256kB" in names
    assert [p[0] for p in imagenet_points("mcunet")][-1] == "mcunet-512kB"  # slowest last
