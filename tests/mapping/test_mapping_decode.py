"""Decoding by format, and the depth limit (size is checked by ``MappingSet.resolve``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from translator.errors import DecodeError
from translator.mapping.decode import Limits, PayloadFormat, decode_payload, json_depth_exceeds

ARRIVAL = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def decode(fmt: PayloadFormat, payload: bytes, depth: int = 32) -> Any:
    return decode_payload(fmt, payload, ARRIVAL, Limits(max_json_depth=depth))


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        (b"ON", "ON"),
        (b"  21.5\n", 21.5),
        (b"-3", -3.0),
        (b"1e3", 1000.0),
        (b"01", "01"),  # not a JSON number: stays text
        (b"nan", "nan"),
        (b"", ""),
        ("grüß".encode(), "grüß"),
    ],
)
def test_text(payload: bytes, value: Any) -> None:
    got = decode(PayloadFormat.TEXT, payload)
    assert got == value
    assert type(got) is type(value)


def test_text_must_be_utf8() -> None:
    with pytest.raises(DecodeError, match="not UTF-8"):
        decode(PayloadFormat.TEXT, b"\xff\xfe")


def test_json() -> None:
    assert decode(PayloadFormat.JSON, b'{"a": [1, 2.5, true, null]}') == {"a": [1, 2.5, True, None]}
    with pytest.raises(DecodeError, match="not valid JSON") as caught:
        decode(PayloadFormat.JSON, b'{"a": ')
    assert caught.value.detail == {"format": "json"}
    with pytest.raises(DecodeError, match="not valid JSON"):
        decode(PayloadFormat.JSON, b"NaN")


def test_json_depth_limit() -> None:
    assert decode(PayloadFormat.JSON, b"[[[1]]]", depth=3) == [[[1]]]
    with pytest.raises(DecodeError, match="deeper than 3 levels"):
        decode(PayloadFormat.JSON, b"[[[[1]]]]", depth=3)
    with pytest.raises(DecodeError, match="deeper than 2 levels"):
        decode(PayloadFormat.JSON, b'{"a": {"b": {}}}', depth=2)
    # brackets inside strings do not count
    assert decode(PayloadFormat.JSON, b'{"a": "[[[[[[{{{{"}', depth=2) == {"a": "[[[[[[{{{{"}
    deep = b"[" * 5000 + b"]" * 5000
    with pytest.raises(DecodeError):
        decode(PayloadFormat.JSON, deep)


@pytest.mark.parametrize(
    ("value", "limit", "exceeds"),
    [(1, 0, False), ([], 0, True), ([], 1, False), ([{"a": [1]}], 2, True), ([{"a": 1}], 2, False)],
)
def test_depth_measure(value: Any, limit: int, exceeds: bool) -> None:
    assert json_depth_exceeds(value, limit) is exceeds


def test_senml_json_errors_are_decode_errors() -> None:
    with pytest.raises(DecodeError, match="not valid SenML: record 0 has no value"):
        decode(PayloadFormat.SENML_JSON, b'[{"n": "x"}]')
    with pytest.raises(DecodeError, match="not valid JSON"):
        decode(PayloadFormat.SENML_JSON, b"[")
