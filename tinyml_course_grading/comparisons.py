"""Comparisons a hidden check's Case may use: (got, expected) -> None when right, else one short
reason for the feedback. `got` is the plain data the runner sent back (plain_data.restore'd);
tuples and lists compare equal, numpy scalars are numbers.
"""


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def equal(got, expected):
    """Exact equality of plain data (tuples and lists alike), with a pointed reason."""
    if isinstance(expected, dict) and isinstance(got, dict):
        if list(got) != list(expected):
            missing = [k for k in expected if k not in got]
            extra = [k for k in got if k not in expected]
            if missing or extra:
                return f"keys differ (missing {_short(missing, 60)}, unexpected {_short(extra, 60)})"
            return f"keys in the wrong order: {_short(list(got), 80)}"
        for key in expected:
            reason = equal(got[key], expected[key])
            if reason:
                return f"[{key!r}]: {reason}"
        return None
    if hasattr(expected, "shape"):  # numpy array
        return close(0, 0)(got, expected)
    if isinstance(expected, list) and isinstance(got, list) and len(got) == len(expected):
        for i, (g, e) in enumerate(zip(got, expected)):
            reason = equal(g, e)
            if reason:
                return f"[{i}]: {reason}"
        return None
    if isinstance(expected, bool) or isinstance(got, bool):
        same = type(got) is type(expected) and got == expected
    else:
        same = got == expected
    return None if same else f"got {_short(got)}, expected {_short(expected)}"


def close(rtol=1e-5, atol=1e-5):
    """Arrays equal in shape and within tolerance."""
    def compare(got, expected):
        import numpy as np
        if not hasattr(got, "shape"):
            return f"got {type(got).__name__}, expected an array of shape {tuple(expected.shape)}"
        if tuple(got.shape) != tuple(expected.shape):
            return f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        if not np.allclose(got, expected, rtol=rtol, atol=atol):
            err = float(np.max(np.abs(np.asarray(got, float) - np.asarray(expected, float))))
            return f"values differ by up to {err:.3g}"
        return None
    return compare


def contains(got, expected):
    """Every key of the expected dict present in the answer and `equal` there (any order, extra
    keys allowed)."""
    if not isinstance(got, dict):
        return f"got {_short(got)}, expected a dict"
    for key, value in expected.items():
        if key not in got:
            return f"no {key!r} in the result"
        reason = equal(got[key], value)
        if reason:
            return f"[{key!r}]: {reason}"
    return None


def fields(**compares):
    """Compare dicts field by field, each with its own compare (default `equal`)."""
    def compare(got, expected):
        if not isinstance(got, dict):
            return f"got {_short(got)}"
        for key, value in expected.items():
            if key not in got:
                return f"no {key!r} in the result"
            reason = (compares.get(key) or equal)(got[key], value)
            if reason:
                return f"{key}: {reason}"
        return None
    return compare
