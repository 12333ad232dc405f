"""The MBConv network spec: read it (``load_spec``) and check every field (``validate_spec``).

The format (``../shared/reference/architectures.md``)::

    {"name": "...", "resolution": 96, "input_channels": 3,
     "stem": {"kernel": 3, "stride": 2, "out": 16},
     "blocks": [{"kernel": 3, "expand": 1, "out": 8, "stride": 1}, ...],
     "feature_mix": null, "classes": 1000}

An optional ``"width"`` (a positive number) records the width multiplier a spec was made with
(the search's samples carry it); it is information only, the channel counts already include it.
Every object accepts only the keys listed in ``SPEC_KEYS`` (a typo such as ``"clases"`` is an
error, not a network without a classifier), every number must be finite and at most its limit
below (the resolution at most MAX_RESOLUTION), so a spec can never ask for a 300-digit channel
count. ``network.build_network`` builds it.
"""

import json
from pathlib import Path

from ..errors import SpecError
from ..validation import check_scalar

MAX_SPEC_SIZE = 2 ** 31 - 1  # channels, kernel: at most an int32 tensor dimension
# input resolution, pixels: 4.6x ImageNet's 224 (the zoo's largest input), 3.2x the dashboard's
# largest (320); a larger image is no microcontroller input, and its tables read in hundreds of GB
MAX_RESOLUTION = 1024
MAX_EXPAND = 64  # expansion ratio (MobileNetV2 uses 6, the MCUNet search space 3..6)

# allowed keys of each spec object -> required? (the rest are optional)
SPEC_KEYS = {
    "spec": {"name": False, "resolution": True, "input_channels": False, "stem": True,
             "blocks": True, "feature_mix": False, "classes": False, "width": False},
    "stem": {"kernel": True, "stride": True, "out": True},
    "block": {"kernel": True, "expand": True, "out": True, "stride": True},
}


def _check_keys(obj, kind, where):
    """Raise SpecError naming unknown keys (and the allowed ones) or missing required keys."""
    allowed = SPEC_KEYS[kind]
    unknown = sorted(set(obj) - allowed.keys())
    if unknown:
        raise SpecError(f"{where} has unknown key(s) {', '.join(repr(k) for k in unknown)}; "
                        f"allowed: {', '.join(allowed)}")
    missing = [k for k, required in allowed.items() if required and k not in obj]
    if missing:
        label = "missing required field(s)" if kind == "spec" else "missing"
        raise SpecError(f"{where} is {label}: {', '.join(repr(m) for m in missing)}")


def _positive_int(value, where):
    return check_scalar(value, where, int, min_val=1, max_val=MAX_SPEC_SIZE)


def _kernel(value, where):
    _positive_int(value, where)
    if value % 2 == 0:
        raise SpecError(f"{where} must be odd (padding is kernel // 2), got {value}")
    return value


def _stride(value, where):
    _positive_int(value, where)
    if value not in (1, 2):
        raise SpecError(f"{where} must be 1 or 2, got {value}")
    return value


def _expand(value, where):
    return check_scalar(value, where, float, min_val=0, max_val=MAX_EXPAND,
                        include_boundaries="right")


def _object(value, kind, where):
    if not isinstance(value, dict):
        fields = ", ".join(SPEC_KEYS[kind])
        raise SpecError(f"{where} must be an object with {fields}, got {type(value).__name__}")
    _check_keys(value, kind, where)
    return value


def validate_spec(spec):
    """Check an MBConv spec dict; return it unchanged or raise SpecError naming the bad field.

    Rejects unknown keys at every level (naming them and the allowed ones), missing keys, values of
    the wrong type, non-finite numbers and values above MAX_SPEC_SIZE / MAX_EXPAND.
    """
    if not isinstance(spec, dict):
        raise SpecError(f"a network spec must be a JSON object, got {type(spec).__name__}")
    _check_keys(spec, "spec", "spec")
    if not isinstance(spec.get("name", ""), str):
        raise SpecError(f"spec.name must be a string, got {spec['name']!r}")
    check_scalar(spec["resolution"], "spec.resolution", int, min_val=1, max_val=MAX_RESOLUTION)
    _positive_int(spec.get("input_channels", 3), "spec.input_channels")
    stem = _object(spec["stem"], "stem", "spec.stem")
    _kernel(stem["kernel"], "spec.stem.kernel")
    _stride(stem["stride"], "spec.stem.stride")
    _positive_int(stem["out"], "spec.stem.out")
    blocks = spec["blocks"]
    if not isinstance(blocks, list):
        raise SpecError("spec.blocks must be a list of block objects")
    for i, block in enumerate(blocks):
        where = f"spec.blocks[{i}]"
        _object(block, "block", where)
        _kernel(block["kernel"], f"{where}.kernel")
        _expand(block["expand"], f"{where}.expand")
        _positive_int(block["out"], f"{where}.out")
        _stride(block["stride"], f"{where}.stride")
    if "width" in spec:
        _expand(spec["width"], "spec.width")
    if spec.get("feature_mix") is not None:
        _positive_int(spec["feature_mix"], "spec.feature_mix")
    if spec.get("classes") is not None:
        _positive_int(spec["classes"], "spec.classes")
    return spec


def mid_channels(in_channels, expand, where):
    """Channels of a block's expansion: round(in_channels * expand), checked like a spec field."""
    mid = round(in_channels * expand)
    if mid < 1:
        raise SpecError(f"{where}: expand {expand} gives {mid} channels")
    if mid > MAX_SPEC_SIZE:
        raise SpecError(f"{where}: expand {expand} gives {mid} channels, more than {MAX_SPEC_SIZE}")
    return mid


def load_spec(source):
    """Read a spec from a dict, a JSON string or a path to a UTF-8 JSON file.

    Raises SpecError if the file is missing or unreadable, not UTF-8, or not a JSON object.
    (Fields are checked by ``validate_spec`` when the network is built.)
    """
    if isinstance(source, dict):
        return source
    text = str(source)
    if not text.lstrip().startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise SpecError(f"no such spec file: {text}")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            raise SpecError(f"spec file {text} is not UTF-8 text (byte {err.start}: "
                            f"{err.object[err.start:err.start + 1]!r})") from None
        except OSError as err:
            raise SpecError(f"cannot read spec file {text}: {err.strerror}") from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"spec is not valid JSON: {err}") from None
    except RecursionError:
        raise SpecError("spec is nested too deeply to be a network spec") from None
    if not isinstance(spec, dict):
        raise SpecError(f"a network spec must be a JSON object, got {type(spec).__name__}")
    return spec
