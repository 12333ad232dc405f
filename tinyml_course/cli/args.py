"""argparse value types shared by the subcommands: each rejects bad text with a one-line message;
and UsageError, the command line's own error (``cli.main`` prints it as one line, exit status 2)."""

import argparse

from ..validation import check_scalar, describe_range


class UsageError(Exception):
    """A command-line usage error (exit status 2)."""


def scalar_arg(target_type, min_val=None, max_val=None, include_boundaries="both", label=None):
    """An argparse type: text -> ``target_type`` (int or float) within the bounds (checked by
    ``validation.check_scalar``), else ArgumentTypeError 'expected <range>, got <text>'.

    label: what the value is, said before its range ('a seed' -> 'expected a seed: an integer
    >= 0').
    """
    words = describe_range(target_type, min_val, max_val, include_boundaries)
    expected = f"{label}: {words}" if label else words

    def parse(text):
        try:
            return check_scalar(target_type(text), "value", target_type, min_val=min_val,
                                max_val=max_val, include_boundaries=include_boundaries)
        except (ValueError, OverflowError):  # not a number, or out of range (SpecError)
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None

    parse.__name__ = label or words  # argparse names the type in some messages
    return parse


positive_int = scalar_arg(int, min_val=1)
seed_int = scalar_arg(int, min_val=0, label="a seed")  # numpy's generators take seeds >= 0
positive_float = scalar_arg(float, min_val=0, include_boundaries="right")


def int_at_most(maximum):
    """An argparse type: an integer from 1 to ``maximum``, else ArgumentTypeError naming it."""
    return scalar_arg(int, min_val=1, max_val=maximum)
