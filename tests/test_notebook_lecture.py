"""The first-half and results notebooks (00, 05, 15, 50) run top to bottom, show every figure as
an image (execute_notebook checks it) and quote the figures the lecture needs.

Expected values are independent of the notebooks: the lecture text and devices.md (device
counts, GPT-3, AlphaGo), published-figures.md (1372 / 172 kB), the tinyengine README's table
(latencies) and patch-based figure (MCUNetV2's gains), the MCUNet abstract (wake words), plain arithmetic (3x224x224 + 64x112x112 bytes for ResNet-18's stem).
"""
import pytest

from conftest import REPO
from harness.notebooks import code_cells, execute_notebook, images, shows_widget, stream_text

pytestmark = pytest.mark.slow  # executes the lecture notebooks: tens of seconds

QUOTES = {
    "00_why_tinyml": ["mobile phones: 15,000,000,000", "cars:  1,400,000,000",
                      "security cameras:    770,000,000", "robots:     15,000,000",
                      "GPT-3: 355 GPU-years to train, $4,600,000",
                      "AlphaGo: 1,920 CPUs and 280 GPUs, $3,000"],
    "05_edge_hardware": ["stm32f746                 216 MHz 320 KiB 1 MiB   462 DMIPS",
                         "nvidia-v100               -       16 GiB",
                         "iphone-11                 -       4 GiB   64 GiB",
                         "apple-a14-neural-engine   -       -       -       11 Tops/s"],
    "15_mobilenet_vs_peak": [
        f"resnet18: 11.68M params = 11.14 MiB int8 weights; peak activation "
        f"{(3 * 224 * 224 + 64 * 112 * 112) / 1024:7.1f} KiB at stem",
        "mobilenetv2:  3.49M params", "peak activation  1470.0 KiB at block1.dw",
        # issue 20 item 12: the max pool the mcunet rule leaves out (64x112x112 + 64x56x56 bytes)
        f"exact: peak {(64 * 112 * 112 + 64 * 56 * 56) / 1024:.1f} KiB at maxpool"],
    "50_mcunet_results": ["mcunet-320kB-vww: top-1 91.8%",  # the mcunet README's VWW table
                          "MCUNet-v1 schedule (in place): 1372.0 KiB", "MCUNetV2 4x4 patches:          171.5 KiB",
                          # slowest-to-fastest ratio: proxyless-w0.3 and mcunet-in0
                          f"TinyEngine vs TF-Lite Micro: {3801 / 176:4.1f}x to {586 / 25:5.1f}x",
                          # the tinyengine README's patch-based figure and the MCUNet abstract
                          "stm32f412: MCUNetV2 +4.6 points over MCUNet-v1",
                          "stm32f746: MCUNetV2 +3.3 points over MCUNet-v1",
                          "MCUNet 3.7-4.1x smaller peak SRAM"],
}
MIN_IMAGES = {"00_why_tinyml": 2, "05_edge_hardware": 1, "15_mobilenet_vs_peak": 3,
              "50_mcunet_results": 4}


@pytest.fixture(scope="module", params=sorted(QUOTES))
def executed(request):
    return request.param, execute_notebook(REPO / "notebooks" / f"{request.param}.ipynb")


def test_quotes_the_lecture_figures_and_shows_images(executed):
    """Does each notebook print its quoted figures and display at least its figures as PNGs?"""
    name, nb = executed
    text = stream_text(nb)
    for quoted in QUOTES[name]:
        assert quoted in text, f"{name}: {quoted!r} not in\n{text}"
    assert sum(len(images(c)) for c in code_cells(nb)) >= MIN_IMAGES[name]
    if name == "05_edge_hardware":
        assert any(shows_widget(c) for c in code_cells(nb))
