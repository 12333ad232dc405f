"""Network redistribution: the patch overhead falls from about 10% to about 3% on MobileNetV2."""
import pytest

from tinyml_course import build_network
from tinyml_course.errors import SpecError
from tinyml_course.nas.redistribution import compare, redistribute
from tinyml_course.model.zoo import get_spec

KIB = 1024


def test_redistributed_spec_shape():
    """Are stage kernels capped, one identity block dropped, capacity added after the split?"""
    spec = get_spec("mcunet-in4")
    new, split = redistribute(spec, 3)
    assert split == 2
    assert all(b["kernel"] <= 3 for b in new["blocks"][:split + 1])
    assert spec["blocks"][1]["kernel"] == 7  # the input spec is untouched
    added = len(new["blocks"]) - (len(spec["blocks"]) - 1)
    assert added >= 1 and all(b["stride"] == 1 for b in new["blocks"][split + 2:split + 2 + added])
    with pytest.raises(SpecError):
        redistribute(spec, 3, drop=5)


def test_mobilenetv2_overhead_falls_to_about_3_percent():
    """MobileNetV2-224, 4x4 up to the 28x28x32 stage: ~10% -> ~3% extra MACs, same peak?"""
    before, after = compare(get_spec("mobilenetv2"), 3)
    assert 0.08 < before.network_overhead < 0.11 and 0.025 < after.network_overhead < 0.04
    assert abs(after.macs / before.macs - 1) < 0.02  # capacity kept (297.0M vs 300.8M)
    assert before.peak_sram_bytes == after.peak_sram_bytes == 171.5 * KIB
    assert after.stage_peak_bytes < before.stage_peak_bytes
    # independent count of the redistributed stage (stem, block0, block1, old block3), naive:
    # by hand, tile 7 -> project/dw out 7, dw in 15 -> block1 out 15, dw in 31 -> block0 out 31,
    # dw in 33 -> stem out 33, stem in 67; 16 patches of every window
    assert after.input_window == (67, 67)
    new, _ = redistribute(get_spec("mobilenetv2"), 3)
    net = build_network(new)
    side = {"stem": 33, "block0.dw": 31, "block0.project": 31, "block1.expand": 31,
            "block1.dw": 15, "block1.project": 15, "block2.expand": 15, "block2.dw": 7,
            "block2.project": 7}
    naive = sum(net.op(name).macs // (net.op(name).out_shape[1] ** 2) * s * s * 16
                for name, s in side.items())
    assert naive / after.stage_macs - 1 == pytest.approx(after.stage_overhead_naive)
