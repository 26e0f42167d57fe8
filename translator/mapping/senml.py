"""SenML (RFC 8428) packs resolved into self-contained records before any path runs.

``resolve_pack`` applies the base fields of RFC 8428 §4.1 in pack order (``bn`` prefixed to
``n``, ``bt`` added to ``t``, ``bu`` when a record has no ``u``, ``bv``/``bs`` added to
``v``/``s``) and turns relative times (below 2**28 s, §4.5.3) into absolute epoch seconds
against the arrival time. Record order is kept. Every resolved record has ``n`` and ``t``,
``u`` when known, one of ``v``/``vs``/``vb``/``vd`` and/or ``s``, and any extension field the
pack carried. CBOR packs (§6) use integer labels; ``labels_from_cbor`` renames them first.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["CBOR_LABELS", "SenMLError", "labels_from_cbor", "labels_to_cbor", "resolve_pack"]

CBOR_LABELS: Final[Mapping[int, str]] = {
    -1: "bver",
    -2: "bn",
    -3: "bt",
    -4: "bu",
    -5: "bv",
    -6: "bs",
    0: "n",
    1: "u",
    2: "v",
    3: "vs",
    4: "vb",
    5: "s",
    6: "t",
    7: "ut",
    8: "vd",
    9: "l",
}
"""RFC 8428 Table 6: CBOR integer labels."""

RELATIVE_TIME_LIMIT: Final = 2**28
"""Times below this many seconds are relative to "now" (RFC 8428 §4.5.3)."""

SUPPORTED_VERSION: Final = 10

_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-:./_]*")
_BASE_FIELDS: Final = frozenset({"bn", "bt", "bu", "bv", "bs", "bver"})
_VALUE_FIELDS: Final = ("v", "vs", "vb", "vd")


class SenMLError(ValueError):
    """A pack breaks RFC 8428; the message names the record and the field."""


def labels_from_cbor(record: Mapping[Any, Any], index: int) -> dict[str, Any]:
    """Rename integer labels to their JSON names; encode ``vd`` bytes as base64url."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        kind = type(key)
        if kind is int or (kind is not str and isinstance(key, int) and not isinstance(key, bool)):
            name = CBOR_LABELS.get(key)
            if name is None:
                raise SenMLError(f"record {index}: unknown CBOR label {key}")
        elif kind is str or isinstance(key, str):
            name = key
        else:
            raise SenMLError(f"record {index}: a label must be an integer or text")
        if isinstance(value, bytes):
            if name != "vd":
                raise SenMLError(f"record {index}: {name!r} cannot be a byte string")
            value = base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")
        out[name] = value
    return out


def labels_to_cbor(record: Mapping[str, Any]) -> dict[Any, Any]:
    """The inverse of ``labels_from_cbor`` (used to encode examples and in tests)."""
    codes = {name: code for code, name in CBOR_LABELS.items()}
    out: dict[Any, Any] = {}
    for name, value in record.items():
        if name == "vd" and isinstance(value, str):
            value = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        out[codes.get(name, name)] = value
    return out


def resolve_pack(pack: Any, now: float) -> list[dict[str, Any]]:
    """Resolve a decoded pack (a list of records with JSON labels).

    Args:
        pack: the decoded JSON array (CBOR records already renamed).
        now: the arrival time in epoch seconds, the base of relative times.

    Raises:
        SenMLError: not a list of records, a mistyped field, an unknown ``_`` field, an
            invalid name, a record with no value, an unsupported version.
    """
    if not isinstance(pack, list):
        raise SenMLError("a SenML pack is a JSON array of records")
    base = _Base()
    resolved: list[dict[str, Any]] = []
    for index, record in enumerate(pack):
        if not isinstance(record, dict):
            raise SenMLError(f"record {index} is not an object")
        flags = _check_fields(record, index)
        if flags & _HAS_BASE:
            base.update(record, index)
        out = _resolve_record(record, flags, base, index, now)
        if out is not None:
            resolved.append(out)
    return resolved


class _Base:
    """The base fields in force at the current record."""

    __slots__ = ("name", "sum", "time", "unit", "value")

    def __init__(self) -> None:
        self.name = ""
        self.time: float = 0.0
        self.unit: str | None = None
        self.value: float | None = None
        self.sum: float | None = None

    def update(self, record: Mapping[str, Any], index: int) -> None:
        if "bver" in record:
            version = record["bver"]
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                raise SenMLError(f"record {index}: 'bver' must be a positive integer")
            if version > SUPPORTED_VERSION:
                raise SenMLError(f"record {index}: SenML version {version} is not supported")
        if "bn" in record:
            self.name = record["bn"]
        if "bt" in record:
            self.time = record["bt"]
        if "bu" in record:
            self.unit = record["bu"]
        if "bv" in record:
            self.value = record["bv"]
        if "bs" in record:
            self.sum = record["bs"]


# What ``_check_fields`` learns of a record on its way, as bits.
_HAS_BASE: Final = 1  # a base field (bn, bt, bu, bv, bs, bver)
_HAS_V: Final = 2
_HAS_S: Final = 4
_HAS_OTHER_VALUE: Final = 8  # vs, vb or vd
_HAS_EXTENSION: Final = 16  # a field RFC 8428 does not define (kept as it is)
_SEVERAL_VALUES: Final = 32

_NUMBER: Final = 1
_TEXT: Final = 2
_BOOLEAN: Final = 3
_UNCHECKED: Final = 4
# field -> (how its value is checked, the bits it sets)
_FIELDS: Final[dict[str, tuple[int, int]]] = {
    "bver": (_UNCHECKED, _HAS_BASE),
    "bn": (_TEXT, _HAS_BASE),
    "bt": (_NUMBER, _HAS_BASE),
    "bu": (_TEXT, _HAS_BASE),
    "bv": (_NUMBER, _HAS_BASE),
    "bs": (_NUMBER, _HAS_BASE),
    "n": (_TEXT, 0),
    "u": (_TEXT, 0),
    "v": (_NUMBER, _HAS_V),
    "vs": (_TEXT, _HAS_OTHER_VALUE),
    "vb": (_BOOLEAN, _HAS_OTHER_VALUE),
    "vd": (_TEXT, _HAS_OTHER_VALUE),
    "s": (_NUMBER, _HAS_S),
    "t": (_NUMBER, 0),
    "ut": (_NUMBER, _HAS_EXTENSION),
    "l": (_TEXT, _HAS_EXTENSION),
}
_isfinite = math.isfinite


def _check_fields(record: Mapping[str, Any], index: int) -> int:
    """Check every field's type, in the record's order; return the record's bits."""
    flags = 0
    values = 0
    for key, value in record.items():
        known = _FIELDS.get(key)
        if known is None:
            flags |= _extension(key, index)
            continue
        check, bits = known
        flags |= bits
        if bits & (_HAS_V | _HAS_OTHER_VALUE):
            values += 1
        if check == _NUMBER:
            kind = type(value)
            number = kind is float or kind is int or _is_number(value)
            if not (number and _finite(value)):
                raise _bad_number(key, value, index)
        elif check == _TEXT:
            if type(value) is not str and not isinstance(value, str):
                raise SenMLError(f"record {index}: {key!r} must be text")
        elif check == _BOOLEAN and not isinstance(value, bool):
            raise SenMLError(f"record {index}: 'vb' must be true or false")
    if values > 1:
        present = [field for field in _VALUE_FIELDS if field in record]
        raise SenMLError(f"record {index}: more than one value field ({', '.join(present)})")
    return flags


def _extension(key: str, index: int) -> int:
    """A field RFC 8428 does not define: kept, unless its name ends in ``_`` (must-understand)."""
    if key.endswith("_"):
        raise SenMLError(f"record {index}: field {key!r} must be understood, and is not")
    return _HAS_EXTENSION


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _finite(value: Any) -> bool:
    try:
        return _isfinite(value)
    except OverflowError:  # a CBOR bignum beyond the range of a double
        return False


def _bad_number(key: str, value: Any, index: int) -> SenMLError:
    if not _is_number(value):
        return SenMLError(f"record {index}: {key!r} must be a number")
    return SenMLError(f"record {index}: {key!r} must be finite")


def _resolve_record(
    record: Mapping[str, Any], flags: int, base: _Base, index: int, now: float
) -> dict[str, Any] | None:
    has_value = flags & (_HAS_V | _HAS_OTHER_VALUE)
    numeric = flags & _HAS_V or (base.value is not None and not has_value)
    summed = flags & _HAS_S or base.sum is not None
    if not (has_value or numeric or summed):
        _check_header(record, index)
        return None  # a header record: it only sets base fields
    name = base.name + record.get("n", "")
    if not _valid_name(name):
        raise SenMLError(
            f"record {index}: name {name!r} is empty or has characters RFC 8428 forbids"
        )
    out: dict[str, Any] = {"n": name}
    unit = record.get("u", base.unit)
    if unit is not None:
        out["u"] = unit
    if numeric:
        out["v"] = (base.value or 0) + record.get("v", 0)
    if flags & _HAS_OTHER_VALUE:
        for field in ("vs", "vb", "vd"):
            if field in record:
                out[field] = record[field]
    if summed:
        out["s"] = (base.sum or 0) + record.get("s", 0)
    moment = base.time + record.get("t", 0)
    out["t"] = now + moment if moment < RELATIVE_TIME_LIMIT else moment
    if flags & _HAS_EXTENSION:
        out.update((key, value) for key, value in record.items() if key not in _RESOLVED_FIELDS)
    return out


def _check_header(record: Mapping[str, Any], index: int) -> None:
    """A record without value or sum must only set base fields (a header record)."""
    if not all(key in _BASE_FIELDS for key in record):
        raise SenMLError(f"record {index} has no value and no sum")


_RESOLVED_FIELDS: Final = _BASE_FIELDS | {"n", "u", "v", "vs", "vb", "vd", "s", "t"}
"""Fields a resolved record takes from the base; any other field is copied as it is."""


@functools.lru_cache(maxsize=4096)
def _valid_name(name: str) -> bool:
    """Whether ``name`` is a SenML name (the names of one device repeat in every pack)."""
    return _NAME.fullmatch(name) is not None
