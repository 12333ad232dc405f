"""The ResNet-18 baseline of the zoo against torchvision's published size and an independent count."""
import pytest

from tinyml_course import memory
from tinyml_course.errors import SpecError
from tinyml_course.model.zoo import get_network

# torchvision's model card for resnet18 (IMAGENET1K_V1): 11,689,512 parameters, 1.81 GFLOPS
# (multiply-adds); its parameters count batch norm as 2 per channel, ours fold it into 1 bias
TORCHVISION_PARAMS = 11_689_512
BN_CHANNELS = 64 + 4 * 64 + (4 * 128 + 128) + (4 * 256 + 256) + (4 * 512 + 512)  # 4800


def test_parameters_and_macs_match_torchvision():
    """Are the params torchvision's less one per BN channel, and the MACs 1.81G?"""
    net = get_network("resnet18")
    assert net.params == TORCHVISION_PARAMS - BN_CHANNELS
    assert round(net.macs / 1e9, 2) == 1.81


def test_shapes_follow_the_paper_table():
    """Does the 224 input shrink to 112 (stem), 56 (max pool), 28, 14, 7 with 64..512 channels?"""
    net = get_network("resnet18")
    assert net.op("stem").out_shape == (64, 112, 112)
    assert net.op("maxpool").out_shape == (64, 56, 56)
    assert [net.op(f"block{b}.add").out_shape for b in (1, 3, 5, 7)] == [
        (64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)]
    assert net.output_shape == (1000, 1, 1)


def test_peak_activation_is_the_stem():
    """Is the int8 peak (input + output rule) the stem's 3x224x224 + 64x112x112 bytes, and under
    the exact rule the stem output held while the max pool writes 64x56x56?"""
    net = get_network("resnet18")
    assert memory.profile(net, "per-layer", "mcunet").peak_sram_bytes == 3 * 224 * 224 + 64 * 112 * 112
    exact = memory.profile(net, "per-layer", "exact")
    assert exact.peak_sram_bytes == 64 * 112 * 112 + 64 * 56 * 56


def test_resnet_has_no_width():
    with pytest.raises(SpecError, match="width"):
        get_network("resnet18", width=0.5)
