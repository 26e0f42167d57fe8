"""Time parsing: ISO 8601 (with zones), epoch seconds and milliseconds, all to aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.mapping.times import TimeFormat, compile_time_parser, load_timezone
from translator.mapping.transforms import StepError

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        (TimeFormat.ISO8601, "2026-11-25T10:00:00Z", T0),
        (TimeFormat.ISO8601, "2026-11-25T11:00:00+01:00", T0),
        (TimeFormat.ISO8601, "2026-11-25 10:00:00", T0),  # no offset: UTC by default
        (TimeFormat.ISO8601, "2026-11-25T10:00:00.250Z", T0.replace(microsecond=250000)),
        (TimeFormat.EPOCH_S, 1795600800, T0),
        (TimeFormat.EPOCH_S, 1795600800.5, T0.replace(microsecond=500000)),
        (TimeFormat.EPOCH_S, "1795600800", T0),
        (TimeFormat.EPOCH_MS, 1795600800000, T0),
        (TimeFormat.EPOCH_MS, 1795600800123, T0.replace(microsecond=123000)),
    ],
)
def test_formats(fmt: TimeFormat, value: Any, expected: datetime) -> None:
    parsed = compile_time_parser(fmt)(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_naive_iso_times_use_the_mapping_timezone() -> None:
    parse = compile_time_parser(TimeFormat.ISO8601, load_timezone("Europe/Berlin"))
    assert parse("2026-11-25T11:00:00") == T0  # CET is UTC+1 in November
    assert parse("2026-11-25T10:00:00Z") == T0  # an explicit offset wins


@pytest.mark.parametrize(
    ("fmt", "value", "message"),
    [
        (TimeFormat.ISO8601, "yesterday", "is not ISO 8601"),
        (TimeFormat.ISO8601, 1795600800, "expected ISO 8601 text"),
        (TimeFormat.EPOCH_S, "soon", "is not epoch seconds"),
        (TimeFormat.EPOCH_S, True, "expected epoch seconds"),
        (TimeFormat.EPOCH_S, "nan", "is not a time"),
        (TimeFormat.EPOCH_S, 1e300, "out of range"),
        (TimeFormat.EPOCH_MS, [1], "expected epoch milliseconds"),
    ],
)
def test_failures(fmt: TimeFormat, value: Any, message: str) -> None:
    with pytest.raises(StepError, match=message):
        compile_time_parser(fmt)(value)


def test_unknown_timezone() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        load_timezone("Mars/Olympus")
    assert load_timezone(None) is UTC


@settings(max_examples=200)
@given(
    values=st.lists(
        st.sampled_from([0, 1, 1.0, 1.5, -1, 1795600800, 1795600800.5, float("inf"), "1", True])
        | st.floats(-1e12, 1e12),
        min_size=1,
        max_size=8,
    )
)
def test_epoch_parsers_remember_only_what_is_the_same(values: list[Any]) -> None:
    """A parser remembers its last number; each result is still a fresh parser's."""
    for fmt in (TimeFormat.EPOCH_S, TimeFormat.EPOCH_MS):
        reused = compile_time_parser(fmt)
        for value in values:
            assert _outcome(reused, value) == _outcome(compile_time_parser(fmt), value)


def _outcome(parse: Any, value: Any) -> Any:
    try:
        return parse(value)
    except StepError as err:
        return str(err)
