"""Plain data across the sandbox wall: JSON only, numpy arrays as tagged lists, never pickle.

`plain(value)` turns what a student's function returned into JSON-safe data (tuples and sets
become lists,
numpy scalars Python numbers, arrays {"__ndarray__": nested list, "dtype", "shape"}); anything
else becomes {"__unsupported__": type name}, which no expected value equals. `restore(data)`
turns tagged arrays back into numpy arrays on the grader's side. Unpickling is code execution,
so nothing here ever unpickles.
"""
import json
import math

ARRAY = "__ndarray__"
UNSUPPORTED = "__unsupported__"
MAX_DEPTH = 40


def plain(value, depth=0):
    """JSON-safe copy of ``value`` (see module doc); raises nothing."""
    if depth > MAX_DEPTH:
        return {UNSUPPORTED: "nesting too deep"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else repr(float(value))
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):  # e.g. a quiz answer {"A", "C"}: sorted list
        return sorted((plain(v, depth + 1) for v in value), key=repr)
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {str(k): plain(v, depth + 1) for k, v in value.items()}
        return {UNSUPPORTED: "dict with non-string keys"}
    kind = type(value).__module__.split(".")[0]
    if kind == "numpy":
        import numpy as np
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                return {UNSUPPORTED: f"array of {value.dtype}"}
            return {ARRAY: plain(value.tolist(), depth + 1), "dtype": str(value.dtype),
                    "shape": list(value.shape)}
        if isinstance(value, np.generic):
            return plain(value.item(), depth + 1)
    return {UNSUPPORTED: type(value).__name__}


def restore(data):
    """Inverse of `plain` for tagged arrays (numpy imported only when one occurs)."""
    if isinstance(data, list):
        return [restore(v) for v in data]
    if isinstance(data, dict):
        if ARRAY in data:
            import numpy as np
            return np.asarray(data[ARRAY], dtype=data["dtype"]).reshape(data["shape"])
        return {k: restore(v) for k, v in data.items()}
    return data


def dumps(data):
    return json.dumps(data, allow_nan=False, separators=(",", ":"))


def loads(text):
    return json.loads(text)
