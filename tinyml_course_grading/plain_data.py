"""Plain data across the sandbox's wall: JSON only, numpy arrays as tagged base64, never pickle.

`plain(value)` (run inside the sandbox, on what a student's function returned) makes JSON-safe
data: tuples and sets become lists, numpy scalars Python numbers, a non-finite float its repr,
an array ``{"__ndarray__": base64 of its bytes, "dtype": "float32", "shape": [..]}``; anything
else ``{"__unsupported__": type name}``, which no expected value equals. `restore(data)` (run by
the grader) turns the tagged arrays back into numpy arrays, after checking each one against
`limits.PlainLimits` (a dtype from a short list, a shape whose size matches the bytes, no more
elements than allowed) before anything is allocated, and counts the items of the whole answer.
Unpickling is code execution, so nothing here ever unpickles.

Stand-alone on purpose (standard library; numpy only when an array occurs): the sandboxed
runner imports it.
"""
import base64
import binascii
import json
import math

ARRAY = "__ndarray__"
UNSUPPORTED = "__unsupported__"
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64")
MAX_DEPTH = 40  # limits.PlainLimits.depth, repeated here: the runner imports nothing else


class PlainDataError(ValueError):
    """Plain data that the grader will not restore (too large, too deep, a forged array)."""


def plain(value, depth=0):
    """JSON-safe copy of ``value`` (see the module doc); raises nothing."""
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
    if type(value).__module__.split(".")[0] == "numpy":
        import numpy as np
        if isinstance(value, np.ndarray):
            if value.dtype.name not in DTYPES:
                return {UNSUPPORTED: f"array of {value.dtype}"}
            data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
            return {ARRAY: data, "dtype": value.dtype.name, "shape": [int(d) for d in value.shape]}
        if isinstance(value, np.generic):
            return plain(value.item(), depth + 1)
    return {UNSUPPORTED: type(value).__name__}


def _array(data, limits, budget):
    import numpy as np
    dtype, shape, text = data.get("dtype"), data.get("shape"), data.get(ARRAY)
    if dtype not in DTYPES:
        raise PlainDataError(f"an array of dtype {str(dtype)[:40]!r} (allowed: {', '.join(DTYPES)})")
    if not isinstance(shape, list) or len(shape) > 32 or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d for d in shape):
        raise PlainDataError(f"an array whose shape is not a list of sizes: {str(shape)[:80]}")
    size = math.prod(shape)
    if size > limits.array_elements:
        raise PlainDataError(f"an array of {size} elements (at most {limits.array_elements})")
    itemsize = np.dtype(dtype).itemsize
    if not isinstance(text, str) or len(text) != 4 * math.ceil(size * itemsize / 3):
        raise PlainDataError(f"an array whose data is not {size} x {dtype}")
    budget[0] -= size
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PlainDataError("an array whose data is not base64") from None
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def restore(data, limits=None):
    """Inverse of `plain` for tagged arrays, checked against ``limits`` (a PlainLimits; default
    the grader's). Raises PlainDataError naming what is too large, too deep or forged."""
    if limits is None:
        from .limits import PLAIN as limits
    budget = [limits.items]

    def walk(node, depth):
        if depth > limits.depth:
            raise PlainDataError(f"data nested deeper than {limits.depth}")
        if isinstance(node, str):
            if len(node) > limits.string_chars:
                raise PlainDataError(f"a string of {len(node)} characters "
                                     f"(at most {limits.string_chars})")
            return node
        if isinstance(node, list):
            budget[0] -= len(node)
            if budget[0] < 0:
                raise PlainDataError(f"more than {limits.items} items")
            return [walk(v, depth + 1) for v in node]
        if isinstance(node, dict):
            if ARRAY in node:
                out = _array(node, limits, budget)
                if budget[0] < 0:
                    raise PlainDataError(f"more than {limits.items} items")
                return out
            budget[0] -= len(node)
            if budget[0] < 0:
                raise PlainDataError(f"more than {limits.items} items")
            return {k: walk(v, depth + 1) for k, v in node.items()}
        return node
    return walk(data, 0)


def dumps(data):
    """JSON text of plain data (no NaN: `plain` wrote non-finite floats as text)."""
    return json.dumps(data, allow_nan=False, separators=(",", ":"))


def loads(text):
    """Plain data from JSON text (ValueError when it is not JSON)."""
    return json.loads(text)
