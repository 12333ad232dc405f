"""One validator for types and bounds (``validation.check_scalar``), one table of byte sizes
(``model.units.DTYPE_BYTES``): do they say what they must, and does every caller go through them?"""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from tinyml_course.errors import SpecError
from tinyml_course.validation import check_scalar

PACKAGE = Path(__file__).resolve().parents[1] / "tinyml_course"


@pytest.mark.parametrize("value, kwargs, message", [
    (100000, dict(target_type=int, min_val=32, max_val=1024),
     "resolution must be an integer from 32 to 1024, got 100000"),
    (1.0, dict(target_type=float, min_val=0, max_val=1, include_boundaries="left"),
     "resolution must be a number in [0, 1), got 1.0"),
    (0, dict(target_type=float, min_val=0, include_boundaries="neither"),
     "resolution must be a number > 0, got 0"),
    (0, dict(target_type=int, min_val=0, include_boundaries="neither"),  # > 0 is >= 1
     "resolution must be an integer >= 1, got 0"),
    (9, dict(target_type=int, max_val=8), "resolution must be an integer <= 8, got 9"),
    (True, dict(target_type=int, min_val=1), "resolution must be an integer >= 1, got True (bool)"),
    ("64", dict(target_type=int, min_val=1), "resolution must be an integer >= 1, got '64' (str)"),
    (2.0, dict(target_type=int), "resolution must be an integer, got 2.0"),
    (float("nan"), dict(target_type=float), "resolution must be a finite number, got nan"),
    (float("inf"), dict(target_type=float, max_val=4), "resolution must be a number <= 4, got inf"),
    (np.int64(0), dict(target_type=int, min_val=1), "resolution must be an integer >= 1, got 0"),
])
def test_check_scalar_names_the_valid_range(value, kwargs, message):
    """Does every refusal say what the value must be (type and range) and what it was?"""
    with pytest.raises(SpecError) as err:
        check_scalar(value, "resolution", **kwargs)
    assert str(err.value) == message


def test_check_scalar_returns_plain_python_numbers_and_keeps_big_integers_exact():
    """Do numpy scalars come back as int/float, and is a 400-digit integer compared exactly?"""
    got = check_scalar(np.int32(5), "n", int, min_val=1)
    assert got == 5 and type(got) is int
    assert type(check_scalar(3, "x", float)) is float
    with pytest.raises(SpecError, match="must be a number <= 64"):
        check_scalar(10 ** 400, "expand", float, max_val=64)
    assert check_scalar(10 ** 400, "n", int) == 10 ** 400


def test_check_scalar_raises_the_error_class_its_caller_names():
    with pytest.raises(ValueError, match="points must be a number >= 0, got -1") as err:
        check_scalar(-1, "points", float, min_val=0, error=ValueError)
    assert type(err.value) is ValueError


@pytest.mark.parametrize("call, message", [
    ("get_network('mobilenetv2', 16)", "resolution must be an integer from 32 to 1024, got 16"),
    ("mobilenetv2_spec(width=5)", "width multiplier must be a number in (0, 4], got 5"),
    ("check_sparsity(1.0)", "sparsity must be a number in [0, 1), got 1.0"),
    ("check_bits(9)", "bit width must be an integer from 2 to 8, got 9"),
    ("Arena(0)", "arena capacity (bytes) must be an integer >= 1, got 0"),
    ("Schedule('patch', 0, 'block1')", "patches (n of an n x n grid) must be an integer >= 1"),
    ("grid_tiles(8, True)", "the grid (n of n x n patches) must be an integer >= 1, got True"),
    ("conv2d(np.zeros((1, 4, 4), np.float32), np.zeros((1, 1, 1, 1), np.float32), stride=0)",
     "stride must be an integer >= 1, got 0"),
])
def test_the_package_checks_its_scalars_with_the_validator(call, message):
    """Do the package's entry points refuse a bad scalar with the validator's message?"""
    from tinyml_course.compression.prune import check_sparsity  # noqa: F401
    from tinyml_course.memory.arena import Arena  # noqa: F401
    from tinyml_course.memory.patch_plan import grid_tiles  # noqa: F401
    from tinyml_course.memory.schedule import Schedule  # noqa: F401
    from tinyml_course.model.zoo import get_network, mobilenetv2_spec  # noqa: F401
    from tinyml_course.runtime.kernels import conv2d  # noqa: F401
    from tinyml_course.runtime.qscheme import check_bits  # noqa: F401
    with pytest.raises(SpecError) as err:
        eval(call)
    assert message in str(err.value)


# ---------------------------------------------------------------- byte sizes, defined once

def test_the_byte_table_is_numpys():
    """Does DTYPE_BYTES give numpy's itemsize for every dtype it lists?"""
    from tinyml_course.model.units import BIAS_BYTES, DTYPE_BYTES, SCALE_BYTES, ZERO_POINT_BYTES
    assert DTYPE_BYTES == {name: np.dtype(name).itemsize for name in DTYPE_BYTES}
    assert SCALE_BYTES == np.dtype(np.float32).itemsize
    assert ZERO_POINT_BYTES == np.dtype(np.int32).itemsize
    assert BIAS_BYTES == {"int8": 4, "float32": 4}


def test_int8_biases_take_the_bytes_the_accounting_says(rng):
    """Does the int8 converter store biases at BIAS_BYTES['int8'] each, as Flash counts them?"""
    from tinyml_course.compression.int8_convert import convert
    from tinyml_course.model.units import BIAS_BYTES
    from tinyml_course.model.zoo import get_network
    from tinyml_course.runtime.backend import random_weights
    net = get_network("mcunet-in1", 32)
    model = convert(net, random_weights(net, rng), rng.standard_normal((2, *net.input_shape)))
    sizes = {q.bias.dtype.itemsize for q in model.ops.values() if q.weight is not None}
    assert sizes == {BIAS_BYTES["int8"]}


def _byte_constants(path):
    """(line, name) of module-level NAME = <int literal> assignments whose name says BYTES."""
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, int):
            found += [(node.lineno, t.id) for t in node.targets
                      if isinstance(t, ast.Name) and re.search("BYTES", t.id)]
    return found


def test_byte_sizes_are_defined_once_in_units():
    """Does no module but model/units.py write a byte size as a bare number (FLOAT32_BYTES = 4)?"""
    offenders = [f"{p.relative_to(PACKAGE)}:{line} {name}" for p in sorted(PACKAGE.rglob("*.py"))
                 if p.name != "units.py" for line, name in _byte_constants(p)]
    assert not offenders, offenders
