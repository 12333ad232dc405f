"""The search's latency model (deploy/latency.py) against the emulator it was calibrated on.

Expected values come from elsewhere: the trip counts from plain Python loops written like the C
kernels' loops, the instruction counts from deploying and emulating the subnet for real (one
deployment each, about a second at 28 px, the largest resolution of the search space), and the subnets checked are not among the fitted ones.
"""

import numpy as np
import pytest

from tinyml_course.deploy import calibration, kernels, latency
from tinyml_course.deploy.program import build_program
from tinyml_course.deploy.structs import Geom
from tinyml_course.deploy.deploy import deploy, int8_model
from tinyml_course.errors import SpecError
from tinyml_course.memory.schedule import Schedule
from tinyml_course.nas import supernet as sn

# relative error of the predicted instruction count (docs/tinynas.md): the tinyengine kernels are
# specialised per op by the compiler, so instructions per trip vary a little with the op's
# constants; the calibration's held-out deployments are within 5.1%, its fitted ones 4.8%
TOLERANCE = 0.06
CYCLES_TOLERANCE = 0.03  # of the cycle estimate from predicted vs from measured class counts

CASES = [  # (arch, schedule, device): none of them is in the calibration's fit
    (sn.smallest(28, 0.5), Schedule("in-place"), "arduino-nano-33-ble-sense"),
    (sn.Arch(28, 0.5, (1, 2, 1), (5, 7, 3) * 3, (4, 6, 3) * 3), Schedule("patch", 2, "block2"),
     "arduino-nano-33-ble-sense"),
    (sn.Arch(28, 0.75, (2, 1, 1), (7, 3, 5) * 3, (3, 4, 6) * 3), Schedule("per-layer"),
     "stm32f746"),
]


def _loop_counts(g, fast_path):
    """(pixels, fast, border, valid rows over border pixels, taps over border pixels) of one
    channel, counted by plain loops over the output pixels and their window taps."""
    k, s, pad = g["k"], g["stride"], g["pad"]
    pixels = fast = border = rows = taps = 0
    for oy in range(g["out_h"]):
        iy0 = (g["out_r0"] + oy) * s - pad
        for ox in range(g["out_w"]):
            ix0 = (g["out_c0"] + ox) * s - pad
            pixels += 1
            inside = 0 <= iy0 and iy0 + k <= g["in_h"] and 0 <= ix0 and ix0 + k <= g["in_w"]
            if fast_path and inside:
                fast += 1
                continue
            border += 1
            for ky in range(k):
                if not 0 <= iy0 + ky < g["in_h"]:
                    continue
                rows += 1
                taps += sum(0 <= ix0 + kx < g["in_w"] for kx in range(k))
    return pixels, fast, border, rows, taps


@pytest.mark.parametrize("k,stride,region", [(3, 1, (0, 7, 0, 7)), (3, 2, (0, 4, 0, 4)),
                                             (5, 1, (2, 3, 0, 7)), (7, 2, (1, 2, 1, 3))])
def test_window_counts_match_plain_loops(k, stride, region):
    """Are the vectorised window counts those of plain loops, also for a patch's output window?
    (tests/test_deploy_contracts.py checks the kernels' formulas against the C itself.)"""
    r0, h, c0, w = region
    g = Geom(cin=1, in_h=7, in_w=7, win_r0=0, win_c0=0, win_h=7, win_w=7, cout=1, k=k,
             stride=stride, pad=k // 2, out_r0=r0, out_c0=c0, out_h=h, out_w=w, y_cstride=1,
             y_rstride=1)
    window = kernels.Window.of(g)
    pixels, interior, border, rows, taps = _loop_counts(vars(g), True)
    assert (window.pixels, window.interior, window.border_rows, window.border_taps) == \
        (pixels, interior, rows, taps) and border == pixels - interior
    pixels, _, _, rows, taps = _loop_counts(vars(g), False)
    assert (window.rows, window.taps) == (rows, taps)


@pytest.mark.slow
@pytest.mark.parametrize("arch,schedule,device", CASES,
                         ids=[f"{a.name[:13]}-{s.kind}-{d[:5]}" for a, s, d in CASES])
def test_predicted_instructions_match_the_emulator(arch, schedule, device):
    """Is the calibrated model's instruction count within TOLERANCE of the emulated deployment's,
    and its cycle estimate within CYCLES_TOLERANCE of the one from the measured class counts?"""
    fitted = {row["network"] for cpu in latency.load_table()["cpus"].values()
              for row in cpu["fit"]["train"]}
    assert arch.name not in fitted
    net = arch.network()
    model, image = int8_model(net)
    run = deploy(model, image, device, schedule=schedule)
    assert run.bit_exact
    predicted = latency.predict(net, schedule, device)
    assert abs(predicted.instructions - run.instructions) <= TOLERANCE * run.instructions, \
        (predicted.instructions, run.instructions)
    assert predicted.ms == pytest.approx(run.estimated_ms, rel=CYCLES_TOLERANCE)


def test_a_sample_reemulated_matches_the_shipped_table(tmp_path):
    """Does the smallest subnet at 16 px (not among the fitted ones), deployed with the default
    kernels and emulated now, execute within TOLERANCE of what the shipped table predicts? A table
    left behind by a kernel change fails here (the earlier optimized kernels' table did: it has no
    coefficients for the tinyengine kernels)."""
    arch = sn.smallest(16, 0.5)
    fitted = {row["network"] for cpu in latency.load_table()["cpus"].values()
              for row in cpu["fit"]["train"]}
    assert arch.name not in fitted
    net = arch.network()
    model, image = int8_model(net)
    run = deploy(model, image, "stm32f746", "in-place", out_dir=tmp_path)
    assert run.bit_exact and run.kernels == kernels.DEFAULT_KERNELS
    predicted = latency.predict(net, "in-place", "stm32f746")
    assert abs(predicted.instructions - run.instructions) <= TOLERANCE * run.instructions, \
        (predicted.instructions, run.instructions)


def test_the_table_reports_its_fit_and_the_label():
    """Does the shipped table carry its held-out error (within TOLERANCE) for both CPUs, for the
    default kernels?"""
    table = latency.load_table()
    assert set(table["cpus"]) == {"cortex_m4", "cortex_m7"}
    assert table["kernels"] == kernels.DEFAULT_KERNELS
    for cpu in table["cpus"].values():
        assert cpu["fit"]["max_abs_error_held_out"] <= TOLERANCE
        assert any(row["network"].startswith("r24") for row in cpu["fit"]["held_out"])
    assert table["label"] == latency.LABEL and "emulator" in latency.LABEL


def test_unknown_cpu_and_uncalibrated_kernel_are_one_line_errors():
    """Is a CPU, a kernel or a loop the fit never saw refused with a SpecError naming it?"""
    key = "pwconv_te/g20"  # the tinyengine 1x1 with a loop over pairs of 4-channel groups
    features = {key: np.ones(len(latency.loops_of(key)))}
    with pytest.raises(SpecError, match="no latency calibration for cortex_m0"):
        latency.predict_features(features, "cortex_m0", 64)
    table = {"cpus": {"cortex_m4": {"coefficients": {}}}}
    with pytest.raises(SpecError, match="kernel 'pwconv_te/g20'"):
        latency.predict_features(features, "cortex_m4", 64, table)
    with pytest.raises(SpecError, match="kernel 'pwconv_te/g20' with .*pwconv_te_odd"):  # the
        latency.predict_features(features, "cortex_m4", 64)  # supernet has no odd channel count


def test_fit_recovers_a_known_linear_cost_and_marks_unseen_features():
    """Given per-label targets made from known instructions per trip (no emulator), does ``fit``
    reproduce every total, and give None for a feature no sample has (odd output channels)?"""
    rng = np.random.default_rng(0)
    truth = {}  # table key (a kernel, or kernel/variant) -> instructions per trip, per target

    def cost(key):
        if key not in truth:
            truth[key] = rng.uniform(1, 20, (len(latency.loops_of(key)), len(latency.TARGETS)))
        return truth[key]

    samples = []
    for i, schedule in enumerate(["per-layer", "in-place", "per-layer", "in-place"] * 2):
        arch = sn.random_arch(np.random.default_rng(i), (28,))
        rows = latency.label_features(build_program(arch.network(), schedule))
        targets = np.array([sum(np.asarray(v) @ cost(k) for k, v in row.items()) for row in rows])
        samples.append(calibration.Sample(arch.name, schedule, "cortex_m4", rows, targets,
                                          int(targets[:, :-1].sum())))
    coefficients = calibration.fit(samples)
    for _, _, measured, predicted, _ in calibration.errors(samples, coefficients):
        assert predicted == pytest.approx(measured, rel=1e-5)
    odd = latency.FEATURES["pwconv_te"].index("pwconv_te_odd")
    assert coefficients["pwconv_te/g20"][odd] is None
