"""argparse value types shared by the subcommands: each rejects bad text with a one-line message."""

import argparse


def _integer(text, lo, hi, what):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < lo or (hi is not None and value > hi):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_int(text):
    """'3' -> 3; anything that is not an integer >= 1 -> ArgumentTypeError."""
    return _integer(text, 1, None, "a positive integer")


def seed_int(text):
    """'0' -> 0; a seed of numpy's generator is an integer >= 0, anything else -> ArgumentTypeError."""
    return _integer(text, 0, None, "a seed: an integer >= 0")


def int_at_most(maximum):
    """An argparse type: an integer from 1 to ``maximum``, else ArgumentTypeError naming the bound."""
    def parse(text):
        return _integer(text, 1, maximum, f"an integer from 1 to {maximum}")
    parse.__name__ = f"int_at_most_{maximum}"
    return parse


def positive_float(text):
    """'0.5' -> 0.5; anything that is not a number > 0 -> ArgumentTypeError."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
