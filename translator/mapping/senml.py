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
_NUMBER_FIELDS: Final = frozenset({"bt", "bv", "bs", "v", "s", "t", "ut"})
_TEXT_FIELDS: Final = frozenset({"bn", "bu", "n", "u", "vs", "vd", "l"})


class SenMLError(ValueError):
    """A pack breaks RFC 8428; the message names the record and the field."""


def labels_from_cbor(record: Mapping[Any, Any], index: int) -> dict[str, Any]:
    """Rename integer labels to their JSON names; encode ``vd`` bytes as base64url."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(key, int) and not isinstance(key, bool):
            name = CBOR_LABELS.get(key)
            if name is None:
                raise SenMLError(f"record {index}: unknown CBOR label {key}")
        elif isinstance(key, str):
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
        _check_fields(record, index)
        base.update(record, index)
        out = _resolve_record(record, base, index, now)
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


def _check_fields(record: Mapping[str, Any], index: int) -> None:
    for key, value in record.items():
        if key.endswith("_"):
            raise SenMLError(f"record {index}: field {key!r} must be understood, and is not")
        if key in _NUMBER_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SenMLError(f"record {index}: {key!r} must be a number")
            if not math.isfinite(value):
                raise SenMLError(f"record {index}: {key!r} must be finite")
        elif key in _TEXT_FIELDS:
            if not isinstance(value, str):
                raise SenMLError(f"record {index}: {key!r} must be text")
        elif key == "vb" and not isinstance(value, bool):
            raise SenMLError(f"record {index}: 'vb' must be true or false")
    present = [field for field in _VALUE_FIELDS if field in record]
    if len(present) > 1:
        raise SenMLError(f"record {index}: more than one value field ({', '.join(present)})")


def _resolve_record(
    record: Mapping[str, Any], base: _Base, index: int, now: float
) -> dict[str, Any] | None:
    has_value = any(field in record for field in _VALUE_FIELDS)
    numeric = "v" in record or (base.value is not None and not has_value)
    summed = "s" in record or base.sum is not None
    if not (has_value or numeric or summed):
        if all(key in _BASE_FIELDS for key in record):
            return None  # a header record: it only sets base fields
        raise SenMLError(f"record {index} has no value and no sum")
    name = base.name + record.get("n", "")
    if _NAME.fullmatch(name) is None:
        raise SenMLError(
            f"record {index}: name {name!r} is empty or has characters RFC 8428 forbids"
        )
    out: dict[str, Any] = {"n": name}
    unit = record.get("u", base.unit)
    if unit is not None:
        out["u"] = unit
    if numeric:
        out["v"] = (base.value or 0) + record.get("v", 0)
    for field in ("vs", "vb", "vd"):
        if field in record:
            out[field] = record[field]
    if summed:
        out["s"] = (base.sum or 0) + record.get("s", 0)
    moment = base.time + record.get("t", 0)
    out["t"] = now + moment if moment < RELATIVE_TIME_LIMIT else moment
    for key, value in record.items():
        if key not in out and key not in _BASE_FIELDS and key not in ("n", "u", "v", "s", "t"):
            out[key] = value
    return out
