"""The SRAM dashboard without a browser: the state logic, and that every control changes the figure.

Redraw time is measured by benchmarks/bench_core.py, not asserted here (it depends on the machine).
"""
import numpy as np
import pytest

from tinyml_course.errors import SpecError, UnknownNameError
from tinyml_course.memory.accounting import profile
from tinyml_course.ui.plots.memory import sram_artists
from tinyml_course.ui.widgets.memory import DashboardState, SramDashboard, cached_network, dashboard_figure, default_resolution, sram_dashboard, summary_html
from tinyml_course.model.zoo import ZOO_NAMES, get_network

# a small, fast start; every change below is visible from here
START = DashboardState(model="mobilenetv2", resolution=96, width=1.0, schedule="per-layer",
                       convention="exact", device="stm32f746", dtype="int8")
CHANGES = [("model", "mcunet-in1"), ("resolution", 128), ("width", 0.5), ("schedule", "in-place"),
           ("convention", "mcunet"), ("device", "stm32f412"), ("dtype", "float32")]


def fingerprint(fig):
    """Everything the SRAM figure shows, as comparable values."""
    a = sram_artists(fig)
    heights = tuple(np.round([p.vertices[:, 1].max() for p in a["bars"].get_paths()], 6))
    return (heights, tuple(a["limit_line"].get_ydata()), a["title"].get_text(),
            a["flash_bar"].get_height(), tuple(a["flash_line"].get_ydata()))


def test_default_state_is_the_lecture_opening():
    """Does the dashboard open on MobileNetV2-224, per layer, the mcunet rule, on the F746, so that
    the speaker notes' first click (per-layer -> in-place) shows MCUNet-v1's saving, 1470 -> 1372
    KiB (MCUNetV2 Table 1)? Issue 20 item 13: it opened on tinyengine, 1372 KiB both ways."""
    s = DashboardState()
    assert (s.model, s.resolution, s.schedule, s.convention, s.device) == \
        ("mobilenetv2", 224, "per-layer", "mcunet", "stm32f746")
    assert s.profile().peak_sram_bytes == 1470 * 1024
    assert s.with_changes(schedule="in-place").profile().peak_sram_bytes == 1372 * 1024


def test_tinyengine_says_the_schedule_changes_nothing():
    """Under tinyengine (every depthwise in place) does the summary say the schedule buttons
    change nothing, and not under mcunet?"""
    assert "change nothing" in summary_html(DashboardState(convention="tinyengine"))
    assert "change nothing" not in summary_html(DashboardState())


def test_the_notebooks_resolution_question_can_answer_fits():
    """Issue 20 item 15: the question '10' asks (MobileNetV2 at width 0.35, in place, on the F746:
    how low must the resolution go?) has a fitting answer on the slider, and the full-width model
    never fits (its weights alone exceed the F746's 1 MiB of Flash)."""
    from tinyml_course.ui.widgets.memory import RESOLUTION_MAX, RESOLUTION_MIN, RESOLUTION_STEP
    slider = range(RESOLUTION_MIN, RESOLUTION_MAX + 1, RESOLUTION_STEP)
    narrow = [r for r in slider if DashboardState(width=0.35, resolution=r, schedule="in-place")
              .fit().fits]
    assert narrow and max(narrow) < 224, narrow
    assert not any(DashboardState(resolution=r, schedule="in-place").fit().fits for r in slider)


def test_model_change_resets_resolution_to_the_published_one():
    """Does picking a model without a resolution give its published resolution?"""
    s = START.with_changes(model="mcunet-in2")
    assert s.resolution == default_resolution("mcunet-in2") == 160
    assert START.with_changes(model="mcunet-in2", resolution=64).resolution == 64
    assert START.with_changes(resolution=64).model == "mobilenetv2"


@pytest.mark.parametrize("model", ZOO_NAMES)
def test_width_applies_to_mobilenetv2_only(model):
    """Is the width used for mobilenetv2 and ignored (None) for the fixed zoo models?"""
    s = START.with_changes(model=model, width=0.5)
    assert s.width_enabled == (model == "mobilenetv2")
    assert s.effective_width == (0.5 if model == "mobilenetv2" else None)
    expected = get_network(model, s.resolution, s.effective_width)
    assert s.network().macs == expected.macs


def test_state_profile_is_the_package_profile():
    """Is the dashboard's profile exactly memory.profile of the same network?"""
    s = START.with_changes(model="mcunet-in2", schedule="in-place", convention="tinyengine")
    expected = profile(get_network("mcunet-in2", 160), "in-place", "tinyengine", "int8")
    assert s.profile().to_json() == expected.to_json()
    assert s.fit().sram_bytes == expected.peak_sram_bytes == 200 * 1024


@pytest.mark.parametrize("field, value", [("model", "resnet"), ("schedule", "patch"),
                                          ("convention", "kB"), ("dtype", "int4"),
                                          ("device", "esp32")])
def test_bad_names_are_refused(field, value):
    """Is an unknown name refused with the known ones listed?"""
    with pytest.raises(UnknownNameError):
        START.with_changes(**{field: value})


def test_bad_resolution_is_refused():
    with pytest.raises(SpecError):
        START.with_changes(resolution=16)


def test_networks_are_cached():
    """Is the same Network object returned for the same choice (no rebuild per redraw)?"""
    assert START.network() is START.network()
    assert cached_network("mobilenetv2", 96, 1.0) is START.network()


def test_dashboard_figure_updates_in_place():
    """Does dashboard_figure reuse a figure it is given, and change what it shows?"""
    fig = dashboard_figure(START)
    before = fingerprint(fig)
    assert dashboard_figure(START.with_changes(schedule="in-place"), fig) is fig
    assert fingerprint(fig) != before


@pytest.fixture
def dashboard():
    return SramDashboard(START)


@pytest.mark.parametrize("field, value", CHANGES)
def test_each_control_changes_the_state_and_the_figure(dashboard, field, value):
    """Does moving each control change the state, the figure, the PNG and the summary?"""
    before, png, summary = fingerprint(dashboard.figure), dashboard.image.value, \
        dashboard.summary.value
    dashboard.controls[field].value = value
    assert getattr(dashboard.state, field) == value
    assert fingerprint(dashboard.figure) != before, f"{field}={value!r} left the figure unchanged"
    assert dashboard.image.value != png
    assert dashboard.summary.value != summary
    assert dashboard.last_redraw_s > 0
    expected = profile(dashboard.state.network(), dashboard.state.schedule,
                       dashboard.state.convention, dashboard.state.dtype)
    assert str(round(expected.peak_sram_bytes / 1024, 1)) in dashboard.summary.value


def test_width_slider_disabled_off_mobilenetv2(dashboard):
    """Is the width slider disabled for a fixed model and enabled again for mobilenetv2?"""
    assert not dashboard.controls["width"].disabled
    dashboard.controls["model"].value = "mcunet-in2"
    assert dashboard.controls["width"].disabled
    assert dashboard.controls["resolution"].value == 160  # synced to the model's default
    dashboard.controls["model"].value = "mobilenetv2"
    assert not dashboard.controls["width"].disabled
    assert dashboard.controls["resolution"].value == 224


def test_sliders_report_on_release():
    """Do the sliders redraw on release only (no redraw per pixel of a drag)?"""
    d = sram_dashboard(model="mcunet-in1")
    assert d.state.resolution == 96
    assert not d.controls["resolution"].continuous_update
    assert not d.controls["width"].continuous_update


def test_summary_says_whether_it_fits():
    """Does the summary name the peak op and say fit / miss for SRAM and Flash?"""
    text = summary_html(START.with_changes(model="mcunet-in2", convention="tinyengine",
                                           schedule="in-place", device="stm32f746"))
    assert "200.0 KiB" in text and "SRAM: needs 200.0 KiB of 320.0 KiB: fits" in text
    assert "Flash: needs" in text
