"""The first-half and results figures: what each draws, read back from the artists."""
import pytest
from matplotlib.colors import to_hex

from tinyml_course import memory
from tinyml_course.model.zoo import get_network
from tinyml_course.ui.plots.edge import (FIT_COLOR, MISS_COLOR, edge_devices_figure, fit_figure,
                                         memory_gap_figure, model_growth_figure)
from tinyml_course.ui.plots.results import (accuracy_vs_latency_figure, accuracy_vs_memory_figure,
                                            library_figure, params_vs_peak_figure,
                                            patch_gain_figure)


def test_fit_figure_colours_each_model_by_its_own_fit():
    """On the STM32F746 (320 KiB SRAM), is each SRAM bar green exactly when the model's
    tinyengine peak is at most 320 KiB, and is the bar as long as that peak?"""
    fig = fit_figure("stm32f746", models=("mcunet-in2", "mobilenetv2"))
    sram_ax = fig.axes[0]
    bars = sram_ax.patches
    for bar, name in zip(bars, ("mcunet-in2", "mobilenetv2")):
        peak = memory.profile(get_network(name), "in-place", "tinyengine").peak_sram_bytes
        assert bar.get_width() == peak
        assert to_hex(bar.get_facecolor()) == (FIT_COLOR if peak <= 320 * 1024 else MISS_COLOR)
    with pytest.raises(ValueError, match="no published memory"):
        fit_figure("coral-edge-tpu")


def test_params_vs_peak_bars_are_the_profiles():
    fig = params_vs_peak_figure(("resnet18", "mobilenetv2"))
    peaks = [bar.get_height() for bar in fig.axes[1].patches]
    assert peaks == [(3 * 224 * 224 + 64 * 112 * 112) / 1024, 1470.0]


def test_every_figure_is_projector_sized():
    """At least 1000 px wide (at 100 dpi) with fonts of 12 pt or more on the tick labels."""
    for fig in (edge_devices_figure(), model_growth_figure(), memory_gap_figure(),
                accuracy_vs_memory_figure(), accuracy_vs_latency_figure(), library_figure(),
                patch_gain_figure()):
        assert fig.get_size_inches()[0] * fig.dpi >= 1000
        ax = fig.axes[0]
        assert ax.xaxis.get_label().get_fontsize() >= 12 or not ax.get_xlabel()


def test_byte_axes_say_kib_and_mib():
    """Do the results and first-half figures label bytes in KiB / MiB (the course's unit), never
    KB / MB?"""
    texts = []
    for fig in (params_vs_peak_figure(("resnet18", "mobilenetv2")), accuracy_vs_memory_figure(),
                library_figure(), memory_gap_figure(), fit_figure("stm32f746")):
        fig.canvas.draw()  # tick labels are made at draw time
        for ax in fig.axes:
            texts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title(loc="left")]
            texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() + ax.texts]
        texts += [t.get_text() for t in fig.texts]
    units = [word for text in texts for word in text.replace("(", " ").replace(")", " ").split()
             if word in ("KB", "MB", "GB", "KiB", "MiB", "GiB")]
    assert "KiB" in units and "MiB" in units
    assert not {"KB", "MB", "GB"} & set(units), [t for t in texts if " KB" in t or " MB" in t]


def test_fit_figure_names_the_memories_and_shows_values():
    """Issue 20 item 16: does a phone's memory read DRAM (not SRAM), an MCU's SRAM; does every
    bar carry its value; does the log axis have more than two labelled ticks?"""
    phone, mcu = fit_figure("iphone-11"), fit_figure("stm32f746")
    assert "DRAM" in phone.axes[0].get_title("left") and "SRAM" not in phone.axes[0].get_title("left")
    assert "SRAM" in mcu.axes[0].get_title("left") and "Flash" in mcu.axes[1].get_title("left")
    for ax in mcu.axes:
        labels = [t.get_text().strip() for t in ax.texts]
        assert len(labels) == len(ax.patches) and all("B" in t for t in labels), labels
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.xaxis.get_major_locator().tick_values(lo, hi) if lo <= t <= hi]
        assert len(ticks) >= 4, ticks


def test_patch_gain_bars_start_at_zero_and_say_the_budget():
    """Issue 20 item 5: are the compared bars on y-axes from zero, and is the higher budget's
    panel titled with 512 KiB (the review), not the F746's 320 KiB?"""
    fig = patch_gain_figure()
    assert all(ax.get_ylim()[0] == 0 for ax in fig.axes)
    assert "512 KiB" in fig.axes[1].get_title("left") and "320" not in fig.axes[1].get_title("left")
