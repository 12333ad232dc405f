"""The uncertainty of a measured accuracy, one definition for every notebook, figure and CLI.

An accuracy p measured on n held-out examples is a binomial proportion: its standard error is
sqrt(p (1 - p) / n) (the normal approximation). Figures draw ERROR_BAR_SE standard errors (about
95%), so a difference smaller than the bars is not read as a result.
"""

import numpy as np

ERROR_BAR_SE = 2  # standard errors an error bar spans on each side (about a 95% interval)


def standard_error(accuracy, n):
    """Binomial standard error sqrt(p (1 - p) / n) of an accuracy p (0..1) measured on n examples
    (n >= 1); a float for a scalar p, an array for an array."""
    if n < 1:
        raise ValueError(f"an accuracy needs at least one example, got n={n}")
    p = np.asarray(accuracy, float)
    se = np.sqrt(p * (1.0 - p) / n)
    return float(se) if se.ndim == 0 else se
