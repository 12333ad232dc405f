"""The compression dashboard: sliders for sparsity, bit width and channel pruning (thin widgets).

Each redraw is one call to ``compress.quick_compress`` and the two figures of
``plots.compression``; no logic lives here.
"""

import ipywidgets as widgets
from IPython.display import display

from ..compress import DEFAULT_DEVICE, quick_compress
from ..devices import get_device
from ..plots.compression import compression_bars, weight_histogram
from ..units import KIB


def fit_line(result, device=DEFAULT_DEVICE):
    """'fits on the Arduino Nano 33 BLE Sense? yes/no' with the figures against its limits."""
    d = get_device(device)
    return (f"accuracy {100 * result['accuracy']:.1f}%, Flash {result['flash_bytes'] / KIB:.1f} KiB "
            f"(of {d.flash_bytes // KIB}), peak SRAM {result['peak_sram_bytes'] / KIB:.1f} KiB "
            f"(of {d.sram_bytes // KIB}, {result['activation_dtype']} activations) -> fits on the "
            f"{d.title}? {'yes' if result['fits'] else 'no'}")


def compression_dashboard(network, weights, x_test, y_test, device=DEFAULT_DEVICE):
    """Sliders (global sparsity, weight bits, channel pruning ratio) over the trained model."""
    d = get_device(device)
    baseline = quick_compress(network, weights, x_test, y_test, device=device)
    sparsity = widgets.FloatSlider(0.0, min=0.0, max=0.95, step=0.05, description="sparsity")
    bits = widgets.SelectionSlider(options=[2, 3, 4, 5, 6, 7, 8, 32], value=32, description="bits")
    ratio = widgets.FloatSlider(0.0, min=0.0, max=0.75, step=0.125, description="channels cut")

    def redraw(sparsity, bits, channel_ratio):
        result = quick_compress(network, weights, x_test, y_test, sparsity, bits, channel_ratio, device)
        print(fit_line(result, device))
        display(compression_bars(baseline, result, d.sram_bytes, d.flash_bytes))
        display(weight_histogram(weights, result["weights"], f"{bits}-bit, {sparsity:.0%} sparse"))

    out = widgets.interactive_output(redraw, {"sparsity": sparsity, "bits": bits, "channel_ratio": ratio})
    return widgets.VBox([widgets.HBox([sparsity, bits, ratio]), out])
