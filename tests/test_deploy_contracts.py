"""Deploy's contracts, described once: the C structs (structs.py) against tinyml.h, the kernels'
counted blocks (kernels.py) against the C and the emulator, the typed program steps.

Each check is also fed a deliberate drift and must fail on it: a header whose struct differs
from its description, a trip formula off by one, a C kernel with one TM_TRIP mark removed.
Expected trip counts come from the emulator running the C, not from the formulas under test.
"""

import dataclasses
import shutil

import pytest

from tinyml_course.deploy import codegen, kernels, toolchain, trip_check
from tinyml_course.deploy.deploy import int8_model
from tinyml_course.deploy.program import InplaceDepthwise, OpCall, build_program
from tinyml_course.deploy.structs import Geom, c_initializer, c_typedefs, header_block
from tinyml_course.errors import SpecError, UnknownNameError
from tinyml_course.memory.schedule import Schedule
from tinyml_course.model.zoo import get_network

HEADER = codegen.KERNEL_DIR / "tinyml.h"
PATCH = Schedule("patch", 2, "block2")


def test_the_header_holds_the_generated_structs():
    """Is tinyml.h's struct block exactly what structs.py generates?"""
    assert header_block(HEADER.read_text()) == c_typedefs()


def test_a_header_that_drifted_from_the_description_is_caught():
    """Would a struct edited in the header alone (two fields swapped) differ from the description?"""
    text = HEADER.read_text()
    drifted = text.replace("int16_t cout, k, stride, pad;", "int16_t k, cout, stride, pad;")
    assert drifted != text and header_block(drifted) != c_typedefs()
    with pytest.raises(SpecError, match="no GENERATED STRUCTS block"):
        header_block("typedef struct { int x; } tm_geom;")


def test_initialisers_name_their_fields_and_check_the_c_range():
    """Is an initialiser designated (a renamed field cannot land elsewhere) and is a value that
    does not fit its C type refused?"""
    g = Geom(3, 8, 8, 0, 0, 8, 8, 4, 3, 1, 1, 0, 0, 8, 8, 64, 8)
    text = c_initializer(g)
    assert text.startswith("{.cin = 3, .in_h = 8,")
    assert text.endswith(".y_rstride = 8, .kw = 3, .pad_l = 1}")  # a square kernel: k, pad
    with pytest.raises(SpecError, match=r"tm_geom.in_w = 40000 does not fit int16_t"):
        c_initializer(dataclasses.replace(g, in_w=40000))


def test_every_kernel_step_dispatches_once_and_unknown_sets_are_named():
    """Does every step of a program find its kernel in both sets, and is a bad set refused?"""
    program = build_program(get_network("mcunet-in1", 32), "in-place")
    for name in kernels.KERNEL_FLAVOURS:
        called = {kernels.kernel_for(step, name).function for step in program.steps}
        assert {"tm_layer", "tm_copy", "tm_add", "tm_avgpool"} <= called
    with pytest.raises(UnknownNameError, match="unknown kernels 'fast'; use one of reference"):
        kernels.kernel_for(program.steps[0], "fast")
    inplace = next(s for s in program.steps if isinstance(s, InplaceDepthwise))
    assert inplace.family == (f"dwconv_inplace_k{inplace.geom.k}", "dwconv_inplace")
    linear = next(s for s in program.steps if isinstance(s, OpCall) and s.op.kind == "linear")
    assert kernels.kernel_for(linear, "reference").function == "tm_pwconv_ref"


@pytest.fixture(scope="module")
def digits():
    return int8_model("digits")


@pytest.mark.slow
@pytest.mark.parametrize("kernel_set", kernels.KERNEL_FLAVOURS)
@pytest.mark.parametrize("network,schedule", [("digits", "per-layer"), ("digits", PATCH),
                                              ("mcunet-in1", "in-place")])
def test_counted_trips_equal_the_descriptions(digits, kernel_set, network, schedule, tmp_path):
    """Does every TM_TRIP block run, per label, as often as kernels.py says (3x3, 5x5 and 7x7,
    strides 1 and 2, patch windows, in place), with the output still bit-exact?"""
    model, image = digits if network == "digits" else int8_model(get_network(network, 32))
    counted, exact, program = trip_check.count_trips(model, image, "stm32h743", schedule,
                                                     kernel_set, tmp_path)
    assert exact
    assert counted.sum() > 0
    assert trip_check.trip_mismatches(counted, trip_check.predicted_trips(program, kernel_set),
                                      program) == []


def _drifted_pwconv(monkeypatch):
    """kernels.py's tinyengine 1x1 with its tail-loop formula off by one per channel pair."""
    real = kernels.TINYENGINE["pwconv"]

    def trips(step):
        counts = real.trips(step)
        counts["pwconv_te_mac_tail"] += counts["pwconv_te_pair"]
        return counts

    drifted = dataclasses.replace(real, trips=trips)
    monkeypatch.setitem(kernels.KERNEL_SETS["tinyengine"], "pwconv", drifted)


@pytest.mark.slow
def test_a_description_that_drifted_from_the_c_is_caught(digits, monkeypatch, tmp_path):
    """Would a trip formula changed in kernels.py alone show as mismatches?"""
    model, image = digits
    counted, _, program = trip_check.count_trips(model, image, "stm32f746", "per-layer",
                                                 "tinyengine", tmp_path)
    _drifted_pwconv(monkeypatch)
    found = trip_check.trip_mismatches(counted, trip_check.predicted_trips(program, "tinyengine"),
                                       program)
    assert found and all("pwconv_te_mac_tail" in line for line in found), found


@pytest.mark.slow
def test_a_c_kernel_that_drifted_from_its_description_is_caught(digits, monkeypatch, tmp_path):
    """Would a C kernel whose counted block lost its mark (a loop rewritten without updating
    kernels.py) show as mismatches?"""
    kernel_dir = tmp_path / "kernels_c"
    shutil.copytree(codegen.KERNEL_DIR, kernel_dir)
    source = kernel_dir / "pwconv_te.h"
    text = source.read_text()
    assert text.count("TM_TRIP(pwconv_te_mac);") == 1
    source.write_text(text.replace("TM_TRIP(pwconv_te_mac);", ""))
    monkeypatch.setattr(toolchain, "KERNEL_DIR", kernel_dir)
    model, image = digits
    counted, exact, program = trip_check.count_trips(model, image, "stm32f746", "per-layer",
                                                     "tinyengine", tmp_path / "project")
    found = trip_check.trip_mismatches(counted, trip_check.predicted_trips(program, "tinyengine"),
                                       program)
    assert exact and found and all("pwconv_te_mac counted 0" in line for line in found), found
