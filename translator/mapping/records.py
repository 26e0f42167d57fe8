"""A fast constructor for the one frozen value the hot path makes several times per message.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (the frozen
``__setattr__`` refuses plain assignment): about a microsecond for ``Reading``'s eight
fields, several times per message. ``new_reading`` fills a slotted twin class with the same
layout by plain attribute stores, then makes the object a ``Reading``: the result is an
ordinary ``Reading`` (same type, fields, equality, hash, frozen-ness), built about three
times faster. If ``Reading``'s fields ever stop matching the twin's, ``new_reading`` is
``Reading`` itself: slower, never wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Final

from translator.values import Provenance, Reading, ReadingValue

__all__ = ["new_reading", "same_layout"]

_FIELDS: Final = (
    "thing",
    "property",
    "value",
    "unit",
    "time",
    "provenance",
    "source_value",
    "source_unit",
)


class _MutableReading:
    """``Reading``'s memory layout without the frozen ``__setattr__``."""

    __slots__ = _FIELDS

    def __init__(
        self,
        thing: str,
        prop: str,
        value: ReadingValue,
        unit: str | None,
        time: datetime,
        provenance: Provenance,
        source_value: float | None,
        source_unit: str | None,
    ):
        self.thing = thing
        self.property = prop
        self.value = value
        self.unit = unit
        self.time = time
        self.provenance = provenance
        self.source_value = source_value
        self.source_unit = source_unit


def _twin_reading(
    thing: str,
    prop: str,
    value: ReadingValue,
    unit: str | None,
    time: datetime,
    provenance: Provenance,
    source_value: float | None,
    source_unit: str | None,
) -> Reading:
    made = _MutableReading(thing, prop, value, unit, time, provenance, source_value, source_unit)
    made.__class__ = Reading  # type: ignore[assignment]  # same slots: a plain Reading now
    return made  # type: ignore[return-value]


def same_layout(frozen: type, twin: type) -> bool:
    """Whether objects of ``twin`` may become ``frozen`` objects: both slotted with the
    dataclass's fields, in order, and nothing run after ``__init__``."""
    fields = tuple(field.name for field in dataclasses.fields(frozen))
    return (
        getattr(frozen, "__slots__", None) == fields
        and getattr(twin, "__slots__", None) == fields
        and "__post_init__" not in vars(frozen)
    )


def _constructor() -> Callable[..., Reading]:
    return _twin_reading if same_layout(Reading, _MutableReading) else Reading


new_reading: Final[
    Callable[
        [str, str, ReadingValue, str | None, datetime, Provenance, float | None, str | None],
        Reading,
    ]
] = _constructor()
"""``Reading(thing, property, value, unit, time, provenance, source_value, source_unit)``."""
