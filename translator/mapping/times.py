"""Reading times: ISO 8601 text, epoch seconds, epoch milliseconds, or the arrival time.

``compile_time_parser`` returns one small function per format, chosen at load; every result
is a timezone-aware ``datetime`` in UTC. A time without an offset is read in the mapping's
``timezone`` (UTC unless the mapping names an IANA zone).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from translator.mapping.transforms import StepError, describe_value

__all__ = ["TimeFormat", "TimeParser", "compile_time_parser", "load_timezone"]


class TimeFormat(StrEnum):
    """How a payload writes a time."""

    ISO8601 = "iso8601"
    EPOCH_S = "epoch_s"
    EPOCH_MS = "epoch_ms"


_isfinite = math.isfinite
_fromtimestamp = datetime.fromtimestamp

TimeParser = Callable[[Any], datetime]
"""Turns one payload value into an aware UTC datetime, or raises ``StepError``."""


def load_timezone(name: str | None) -> tzinfo:
    """The zone for times written without an offset.

    Raises:
        ValueError: ``name`` is not an IANA zone known to this system.
    """
    if name is None or name in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name like Europe/Berlin)"
        ) from err


def compile_time_parser(fmt: TimeFormat, zone: tzinfo = UTC) -> TimeParser:
    """The parser for ``fmt``."""
    if fmt is TimeFormat.ISO8601:
        return _iso_parser(zone)
    return _epoch_parser(1.0 if fmt is TimeFormat.EPOCH_S else 1000.0)


def _iso_parser(zone: tzinfo) -> TimeParser:
    def parse(value: Any) -> datetime:
        if not isinstance(value, str):
            raise StepError(f"time: expected ISO 8601 text, got {describe_value(value)}")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise StepError(f"time: {describe_value(value)} is not ISO 8601") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)

    return parse


def _epoch_parser(divisor: float) -> TimeParser:
    unit = "seconds" if divisor == 1.0 else "milliseconds"
    # The last number parsed and its time: the records of a SenML pack mostly share one
    # time. One tuple, swapped whole, so a reader on another thread never sees half of it.
    last: tuple[Any, datetime | None] = (None, None)

    def parse(value: Any) -> datetime:
        nonlocal last
        kind = type(value)
        if kind is float or kind is int:  # a number: none of the checks below
            seen, moment = last
            if moment is not None and value == seen:  # 1 and 1.0: one time
                return moment
        else:
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise StepError(f"time: {describe_value(value)} is not epoch {unit}") from None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise StepError(f"time: expected epoch {unit}, got {describe_value(value)}")
        if not _isfinite(value):
            raise StepError(f"time: {value!r} is not a time")
        try:
            moment = _fromtimestamp(value / divisor, UTC)
        except (OverflowError, OSError, ValueError):
            raise StepError(f"time: epoch {unit} {value!r} is out of range") from None
        if kind is float or kind is int:
            last = (value, moment)
        return moment

    return parse
