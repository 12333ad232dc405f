"""The executor: measured arena peak == exact analytic peak, outputs == a plain forward pass."""

import numpy as np
import pytest

from tinyml_course import SpecError, SRAMOverflowError, build_network, get_network
from tinyml_course.runtime.executor import execute, reference_forward
from tinyml_course.runtime.backend import random_weights
from tinyml_course.memory.accounting import profile
from tinyml_course.model.zoo import ZOO_NAMES


def _inputs(net, rng):
    return random_weights(net, rng), rng.standard_normal(net.input_shape).astype(np.float32)


@pytest.mark.parametrize("schedule", ["per-layer", "in-place"])
@pytest.mark.parametrize("name", ZOO_NAMES)
def test_measured_trace_equals_exact_accounting_and_output_equals_plain_run(name, schedule, rng):
    net = get_network(name, resolution=64)  # reduced resolution: the full ones take seconds each
    weights, x = _inputs(net, rng)
    run = execute(net, x, weights, schedule)
    prof = profile(net, schedule, "exact", "float32")
    assert run.trace == [(layer.name, layer.sram_bytes) for layer in prof.layers]
    assert run.peak_sram_bytes == prof.peak_sram_bytes
    np.testing.assert_allclose(run.output, reference_forward(net, x, weights), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_full_resolution_mcunet_in2_measured_equals_exact(rng):
    net = get_network("mcunet-in2")
    weights, x = _inputs(net, rng)
    run = execute(net, x, weights, "in-place")
    assert run.peak_sram_bytes == profile(net, "in-place", "exact", "float32").peak_sram_bytes
    assert run.peak_sram_bytes == 4 * 200 * 1024  # float32: four times the 200 KiB int8 figure


def test_a_run_within_a_devices_sram_fits_exactly_at_the_peak_and_overflows_one_byte_below(rng):
    net = get_network("mcunet-in1")
    weights, x = _inputs(net, rng)
    prof = profile(net, "in-place", "exact", "float32")
    assert execute(net, x, weights, "in-place", capacity=prof.peak_sram_bytes).peak_sram_bytes == \
        prof.peak_sram_bytes
    with pytest.raises(SRAMOverflowError) as err:
        execute(net, x, weights, "in-place", capacity=prof.peak_sram_bytes - 1)
    assert err.value.op == prof.peak_layer.name


def test_in_place_is_skipped_when_the_depthwise_input_is_still_needed(rng):
    spec = {"name": "t", "resolution": 32, "stem": {"kernel": 3, "stride": 2, "out": 8},
            "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1}], "classes": None}
    net = build_network(spec)  # block0.dw reads the block input, which the add reads later
    weights, x = _inputs(net, rng)
    run = execute(net, x, weights, "in-place")
    np.testing.assert_allclose(run.output, reference_forward(net, x, weights), rtol=1e-6)
    assert dict(run.trace)["block0.dw"] == 2 * 8 * 16 * 16 * 4  # input + a separate output


def test_wrong_input_shape_is_rejected(rng):
    net = get_network("mcunet-in1")
    with pytest.raises(SpecError, match=r"\(3, 96, 96\)"):
        execute(net, np.zeros((96, 96, 3), np.float32), random_weights(net, rng))
