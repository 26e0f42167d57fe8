"""Bytes to a JSON value, by the payload format a mapping declares, within the size limits.

``json`` is parsed by orjson; ``senml+json`` and ``senml+cbor`` (cbor2) become the list of
resolved SenML records (``translator.mapping.senml``); ``text`` is the UTF-8 body with
surrounding whitespace removed, read as a number when it is exactly a JSON number.
Every failure raises ``DecodeError`` with the format and the parser's reason.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final

import cbor2
import orjson

from translator.errors import DecodeError
from translator.mapping.senml import SenMLError, labels_from_cbor, resolve_pack

__all__ = [
    "DEFAULT_MAX_JSON_DEPTH",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "FORMATS_BY_MEDIA_TYPE",
    "MEDIA_TYPES",
    "Decoder",
    "Limits",
    "PayloadFormat",
    "decode_payload",
    "decoder",
    "json_depth_exceeds",
]

DEFAULT_MAX_PAYLOAD_BYTES: Final = 256 * 1024
DEFAULT_MAX_JSON_DEPTH: Final = 32

_isfinite = math.isfinite
_JSON_NUMBER: Final = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


class PayloadFormat(StrEnum):
    """How a mapping's payload bytes are to be read."""

    JSON = "json"
    SENML_JSON = "senml+json"
    SENML_CBOR = "senml+cbor"
    TEXT = "text"


MEDIA_TYPES: Final[dict[PayloadFormat, str]] = {
    PayloadFormat.JSON: "application/json",
    PayloadFormat.SENML_JSON: "application/senml+json",
    PayloadFormat.SENML_CBOR: "application/senml+cbor",
    PayloadFormat.TEXT: "text/plain",
}
FORMATS_BY_MEDIA_TYPE: Final[dict[str, PayloadFormat]] = {
    media: fmt for fmt, media in MEDIA_TYPES.items()
}


@dataclass(frozen=True, slots=True)
class Limits:
    """What one payload may cost: its size in bytes and its nesting depth."""

    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH


Decoder = Callable[[bytes, datetime], Any]
"""``decoder(payload, received_at) -> document`` for one format and limits."""


def decoder(fmt: PayloadFormat, limits: Limits) -> Decoder:
    """``decode_payload`` bound to ``fmt`` and ``limits`` (JSON and text take direct routes)."""
    if fmt is PayloadFormat.JSON:
        return _json_decoder(limits)
    if fmt is PayloadFormat.TEXT:
        return _text_decoder()
    return functools.partial(decode_payload, fmt, limits=limits)


# The closures below bear the public function's name: profiles (``bench.stages``) count
# every decoder as the decode stage.


def _json_decoder(limits: Limits) -> Decoder:
    def decode_payload(payload: bytes, _received_at: datetime) -> Any:
        return _json(payload, limits)

    return decode_payload


def _text_decoder() -> Decoder:
    def decode_payload(payload: bytes, _received_at: datetime) -> Any:
        return _text(payload)

    return decode_payload


def decode_payload(
    fmt: PayloadFormat, payload: bytes, received_at: datetime, limits: Limits
) -> Any:
    """Decode ``payload`` as ``fmt``.

    Raises:
        DecodeError: the bytes are not valid ``fmt`` or break a limit.
    """
    try:
        if fmt is PayloadFormat.JSON:
            return _json(payload, limits)
        if fmt is PayloadFormat.TEXT:
            return _text(payload)
        if fmt is PayloadFormat.SENML_JSON:
            return resolve_pack(_json(payload, limits), _epoch(received_at))
        records = _cbor_records(payload, limits)
        return resolve_pack(records, _epoch(received_at))
    except SenMLError as err:
        raise DecodeError(f"not valid SenML: {err}", detail={"format": str(fmt)}) from err


def _json(payload: bytes, limits: Limits) -> Any:
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        raise DecodeError(f"not valid JSON: {err}", detail={"format": "json"}) from err
    # Cheap bound first: nesting can never exceed the number of opening brackets.
    if payload.count(b"[") + payload.count(b"{") > limits.max_json_depth and json_depth_exceeds(
        value, limits.max_json_depth
    ):
        raise DecodeError(
            f"JSON nested deeper than {limits.max_json_depth} levels",
            detail={"format": "json", "max_json_depth": limits.max_json_depth},
        )
    return value


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests containers more than ``limit`` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _text(payload: bytes) -> str | float:
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as err:
        raise DecodeError(f"not UTF-8 text: {err}", detail={"format": "text"}) from err
    if _JSON_NUMBER.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
    return text


def _cbor_records(payload: bytes, limits: Limits) -> list[dict[str, Any]]:
    try:
        pack = cbor2.loads(
            payload, max_depth=max(2, limits.max_json_depth), allow_duplicate_keys=False
        )
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError) as err:
        raise DecodeError(f"not valid CBOR: {err}", detail={"format": "senml+cbor"}) from err
    if not isinstance(pack, list):
        raise SenMLError("a SenML pack is a CBOR array of records")
    records = []
    for index, record in enumerate(pack):
        if not isinstance(record, dict):
            raise SenMLError(f"record {index} is not a map")
        renamed = labels_from_cbor(record, index)
        for key, value in renamed.items():
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:
                continue  # a JSON scalar already
            if kind is float and _isfinite(value):
                continue
            renamed[key] = _cbor_scalar(value, index, key)
        records.append(renamed)
    return records


def _cbor_scalar(value: Any, index: int, key: str) -> Any:
    """Keep JSON scalars; read decimal fractions as floats; refuse everything else."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal | Fraction):
        number = float(value)
        if not math.isfinite(number):
            raise SenMLError(f"record {index}: {key!r} must be finite")
        return number
    raise SenMLError(f"record {index}: {key!r} has a {type(value).__name__}, not a JSON scalar")


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
