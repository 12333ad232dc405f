"""Units and dtypes. Memory is counted in bytes; 1 KiB = 1024 bytes (the papers' "kB")."""

import numpy as np

from ..errors import UnknownNameError

KIB = 1024  # bytes
MIB = 1024 * KIB  # bytes

BYTES_PER_ELEMENT = {"int8": 1, "float32": 4}  # activation and weight dtypes we simulate
BIAS_BYTES = {"int8": 4, "float32": 4}  # int8 models keep int32 biases (TFLite int8 scheme)


def check_dtype(dtype):
    """Return ``dtype`` as one of the names in BYTES_PER_ELEMENT; raise UnknownNameError otherwise."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in BYTES_PER_ELEMENT:
        raise UnknownNameError(f"unknown dtype {dtype!r}; use one of {sorted(BYTES_PER_ELEMENT)}")
    return name


def bytes_per_element(dtype):
    """Bytes one element of ``dtype`` ('int8' or 'float32') takes."""
    return BYTES_PER_ELEMENT[check_dtype(dtype)]


def kib(nbytes):
    """Bytes -> KiB (float)."""
    return nbytes / KIB
