"""One validator for a scalar argument's type and bounds, in the manner of scikit-learn's
``check_scalar``: every public function that takes a count, a size, a share or a bit width checks
it here, so every such error reads the same way and names the valid range::

    check_scalar(resolution, "resolution", int, min_val=32, max_val=1024)
    # SpecError: resolution must be an integer from 32 to 1024, got 100000
    check_scalar(sparsity, "sparsity", float, min_val=0, max_val=1, include_boundaries="left")
    # SpecError: sparsity must be a number in [0, 1), got 1.0

``target_type`` is ``int`` (int or a numpy integer; never a bool) or ``float`` (any finite real
number: int, float, numpy integer or floating; never a bool). The value comes back as a plain
Python ``int`` / ``float``.
"""

import math
import numbers

from .errors import SpecError

BOUNDARIES = ("both", "left", "right", "neither")  # which of min_val / max_val are allowed values
_TYPE_WORDS = {int: "an integer", float: "a number"}


def describe_range(target_type, min_val=None, max_val=None, include_boundaries="both"):
    """The words a message uses for a valid value: 'an integer from 2 to 8', 'a number in [0, 1)',
    'an integer >= 32', 'a number > 0'. Integer ranges are said with inclusive ends."""
    if target_type not in _TYPE_WORDS:
        raise TypeError(f"target_type must be int or float, got {target_type!r}")
    if include_boundaries not in BOUNDARIES:
        raise TypeError(f"include_boundaries must be one of {BOUNDARIES}, "
                        f"got {include_boundaries!r}")
    low_in = include_boundaries in ("both", "left")
    high_in = include_boundaries in ("both", "right")
    if target_type is int:  # an integer bound is said inclusively: > 0 is >= 1
        if min_val is not None and not low_in:
            min_val, low_in = math.floor(min_val) + 1, True
        if max_val is not None and not high_in:
            max_val, high_in = math.ceil(max_val) - 1, True
    words = _TYPE_WORDS[target_type]
    if min_val is not None and max_val is not None:
        if target_type is int:
            return f"{words} from {min_val} to {max_val}"
        return f"{words} in {'[' if low_in else '('}{min_val}, {max_val}{']' if high_in else ')'}"
    if min_val is not None:
        return f"{words} {'>=' if low_in else '>'} {min_val}"
    if max_val is not None:
        return f"{words} {'<=' if high_in else '<'} {max_val}"
    return words if target_type is int else f"a finite {words[2:]}"


def _of_type(value, target_type):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if isinstance(value, numbers.Integral):  # compared exactly, however many digits
        return True
    return target_type is float and math.isfinite(value)


def check_scalar(value, name, target_type, *, min_val=None, max_val=None,
                 include_boundaries="both", error=SpecError):
    """Return ``value`` as a Python int/float if it is of ``target_type`` within the bounds.

    name: what the value is, as the message should say it ('resolution', 'spec.stem.out');
    target_type: ``int`` or ``float`` (see the module docstring); min_val / max_val: bounds, None
    for none; include_boundaries: 'both', 'left' (min only), 'right' (max only) or 'neither' --
    which bounds are themselves valid. Raises ``error`` (default SpecError; pass another
    exception class, e.g. ValueError or argparse.ArgumentTypeError, where a caller's contract
    names one) with the message '<name> must be <range>, got <value>'.
    """
    words = describe_range(target_type, min_val, max_val, include_boundaries)
    if not _of_type(value, target_type):
        kind = "" if isinstance(value, numbers.Real) and not isinstance(value, bool) \
            else f" ({type(value).__name__})"
        raise error(f"{name} must be {words}, got {value!r:.80}{kind}")
    # numpy scalars become Python numbers; integers stay exact (a 400-digit int is no float)
    plain = int(value) if isinstance(value, numbers.Integral) else float(value)
    low_in = include_boundaries in ("both", "left")
    high_in = include_boundaries in ("both", "right")
    if ((min_val is not None and (plain < min_val if low_in else plain <= min_val))
            or (max_val is not None and (plain > max_val if high_in else plain >= max_val))):
        raise error(f"{name} must be {words}, got {plain!r:.80}")
    if target_type is float:
        try:
            return float(plain)
        except OverflowError:
            raise error(f"{name} must be {words}, got {plain!r:.80}") from None
    return plain
