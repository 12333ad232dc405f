"""Units and dtypes. Memory is counted in bytes; 1 KiB = 1024 bytes (the papers' "kB").

``DTYPE_BYTES`` is the one table of bytes per element; every byte size in the package (a float32
scale, an int32 bias or zero point, a CSR index) is read from it through the names below.
"""

import numpy as np

from ..errors import UnknownNameError

KIB = 1024  # bytes
MIB = 1024 * KIB  # bytes

# bytes per element of every dtype the package stores or counts (numpy's itemsize)
DTYPE_BYTES = {"int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "float32": 4,
               "float64": 8}

# the activation and weight dtypes a network runs in (the --dtype choices), bytes per element
BYTES_PER_ELEMENT = {name: DTYPE_BYTES[name] for name in ("int8", "float32")}

# what is stored beside the weights, by dtype (TFLite int8 scheme: int32 biases and zero points)
BIAS_DTYPE = {"int8": "int32", "float32": "float32"}  # weight dtype -> bias dtype (BN folded in)
BIAS_BYTES = {weights: DTYPE_BYTES[bias] for weights, bias in BIAS_DTYPE.items()}
SCALE_BYTES = DTYPE_BYTES["float32"]  # a quantization scale or a codebook centroid
ZERO_POINT_BYTES = DTYPE_BYTES["int32"]  # a quantization zero point, as TFLite files store it


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
