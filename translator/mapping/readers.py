"""One ``ReadingPlan`` compiled into a reader: a payload (and foreach item) in, a ``Reading`` out.

``compile_reader`` is run once per reading when a ``MappingSet`` is built. The reader
selects the value, applies the transforms, checks the value against the property's kind
(a number becomes a finite float in the canonical unit), takes the time and returns the
``Reading`` — or ``None`` when an optional reading finds nothing. It raises ``StepError``,
``PathQueryError`` or ``TemplateError`` with the reason (``extract`` names the reading).
The common reading — a fixed numeric property, a one-name path, a unit known at load —
takes a straight line of a dictionary lookup, a type test and one multiply-add; a unit read
from the payload (SenML ``u``) is resolved once per distinct unit text and remembered. A
time the whole mapping shares (``time:`` at the top) is read once per envelope, by the first
reading that needs it, and kept in the envelope's ``TimeCell``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from translator.mapping.jsonpath import MISSING
from translator.mapping.pathcompile import walk
from translator.mapping.plan import Conversion, ReadingPlan, TimePlan
from translator.mapping.quantities import QuantityResolver, ReadingUnits
from translator.mapping.records import new_reading
from translator.mapping.transforms import StepError, describe_value
from translator.ontology.model import PropertyDef, ValueKind
from translator.values import Provenance, Reading, ReadingValue

__all__ = ["Reader", "TimeCell", "compile_reader"]

TimeCell = list[datetime | None]
"""``[the mapping-wide time of this envelope, once read]``: one per envelope."""

Reader = Callable[
    [Any, Any, Mapping[str, str], str, Provenance, datetime, TimeCell], Reading | None
]
"""``reader(doc, item, variables, thing, provenance, arrival, cell)``; ``item`` is the
foreach item (``None`` outside one)."""

_Time = Callable[[Any, Any, Mapping[str, str] | None, datetime, TimeCell], datetime]
_Value = tuple[ReadingValue, str | None, float | None, str | None]  # value, unit, source …

MAX_PROPERTY_MEMO: Final = 1024
MAX_MEMO_TEXT: Final = 64  # property names longer than this are looked up afresh, never kept
_UNKNOWN: Final = object()
_isfinite = math.isfinite


class _Skip(Exception):
    """An optional reading found nothing: leave it out."""


def compile_reader(
    reading: ReadingPlan, quantities: QuantityResolver, shared: TimePlan | None
) -> Reader:
    """The reader of ``reading``; ``shared`` is the mapping's own time (``time:``)."""
    units = ReadingUnits(reading.unit, quantities)
    time = _time_of(reading.time, shared)
    prop = reading.property.fixed
    if prop is None:
        return _general_reader(reading, quantities, units, time)
    if prop.kind is ValueKind.NUMBER:
        return _number_reader(reading, prop, units, time)
    return _fixed_reader(reading, prop, units, time)


def _number_reader(
    reading: ReadingPlan, prop: PropertyDef, units: ReadingUnits, time_of: _Time
) -> Reader:
    """A fixed numeric property: the straight line most readings take."""
    query = reading.value
    key, relative = query.key, query.relative
    fetch = _fetcher(reading)
    applies = tuple(step.apply for step in reading.transforms)
    optional = reading.optional
    missing = f"{query.text} selects nothing"
    name, canonical = prop.name, prop.canonical_unit
    conversion = reading.conversion  # known at load when the unit is fixed
    identity = conversion is not None and conversion.identity

    def read(
        doc: Any,
        item: Any,
        variables: Mapping[str, str],
        thing: str,
        provenance: Provenance,
        arrival: datetime,
        cell: TimeCell,
    ) -> Reading | None:
        raw: Any
        if key is not None:  # one name step: a dictionary lookup
            node = item if relative else doc
            raw = node.get(key, MISSING) if type(node) is dict else MISSING
        else:
            raw = fetch(doc, item)
        if raw is MISSING:
            if optional:
                return None
            raise StepError(missing)
        for apply in applies:
            raw = apply(raw)
        kind = type(raw)
        if kind is float or kind is int:
            number: float = raw if kind is float and _isfinite(raw) else _finite(raw)
            value: ReadingValue
            if conversion is None:  # the unit comes from the payload
                found = units.conversion(prop, doc, item, variables)
                value, source_value, from_unit = _converted(
                    number, found, found.a == 1.0 and found.b == 0.0
                )
            else:
                value, source_value, from_unit = _converted(number, conversion, identity)
            unit = canonical
        else:
            value, unit, source_value, from_unit = _normalize(
                prop, raw, conversion, units, doc, item, variables
            )
        time = time_of(doc, item, variables, arrival, cell)
        return new_reading(thing, name, value, unit, time, provenance, source_value, from_unit)

    return read


def _converted(
    number: float, conversion: Conversion, same: bool
) -> tuple[float, float | None, str | None]:
    """``(value, source_value, source_unit)``: the source is kept only when converted."""
    if same:
        return number, None, None
    return _finite(conversion.a * number + conversion.b), number, conversion.source_unit


def _fixed_reader(
    reading: ReadingPlan, prop: PropertyDef, units: ReadingUnits, time_of: _Time
) -> Reader:
    """A fixed boolean or text property."""
    query = reading.value
    key, relative = query.key, query.relative
    fetch = _fetcher(reading)
    applies = tuple(step.apply for step in reading.transforms)
    optional = reading.optional
    missing = f"{query.text} selects nothing"
    name = prop.name
    boolean = prop.kind is ValueKind.BOOLEAN

    def read(
        doc: Any,
        item: Any,
        variables: Mapping[str, str],
        thing: str,
        provenance: Provenance,
        arrival: datetime,
        cell: TimeCell,
    ) -> Reading | None:
        raw: Any
        if key is not None:  # one name step: a dictionary lookup
            node = item if relative else doc
            raw = node.get(key, MISSING) if type(node) is dict else MISSING
        else:
            raw = fetch(doc, item)
        if raw is MISSING:
            if optional:
                return None
            raise StepError(missing)
        for apply in applies:
            raw = apply(raw)
        if boolean and (raw is True or raw is False):
            value: ReadingValue = raw
        else:
            value = _normalize(prop, raw, None, units, doc, item, variables)[0]
        time = time_of(doc, item, variables, arrival, cell)
        return new_reading(thing, name, value, None, time, provenance, None, None)

    return read


def _fetcher(reading: ReadingPlan) -> Callable[[Any, Any], Any]:
    """The value's selection when it is more than one name: a step walk, or the query."""
    query = reading.value
    steps = query.steps if query.singular else None
    if steps is None:
        return query.one
    if query.relative:
        return lambda _doc, item: walk(item, steps, MISSING)
    return lambda doc, _item: walk(doc, steps, MISSING)


def _general_reader(
    reading: ReadingPlan, quantities: QuantityResolver, units: ReadingUnits, time_of: _Time
) -> Reader:
    """A property chosen per message (a path or a template, then the ``map``)."""
    choose = _property_chooser(reading, quantities)
    query = reading.value
    applies = tuple(step.apply for step in reading.transforms)
    optional = reading.optional

    def read(
        doc: Any,
        item: Any,
        variables: Mapping[str, str],
        thing: str,
        provenance: Provenance,
        arrival: datetime,
        cell: TimeCell,
    ) -> Reading | None:
        try:
            prop = choose(doc, item, variables)
        except _Skip:
            return None
        raw = query.one(doc, item)
        if raw is MISSING:
            if optional:
                return None
            raise StepError(f"{query.text} selects nothing")
        for apply in applies:
            raw = apply(raw)
        value, unit, source_value, from_unit = _normalize(
            prop, raw, reading.conversion, units, doc, item, variables
        )
        time = time_of(doc, item, variables, arrival, cell)
        return new_reading(thing, prop.name, value, unit, time, provenance, source_value, from_unit)

    return read


def _property_chooser(
    reading: ReadingPlan, quantities: QuantityResolver
) -> Callable[[Any, Any, Mapping[str, str]], PropertyDef]:
    """The property of one message: its name from the payload or a template, through the
    ``map``, looked up once per distinct name. Raises ``_Skip`` or ``StepError``."""
    plan = reading.property
    optional = reading.optional
    known: dict[str, PropertyDef | object | None] = {}  # payload or template text -> property

    def choose(doc: Any, item: Any, variables: Mapping[str, str]) -> PropertyDef:
        if plan.template is not None:
            raw: Any = plan.template.render(variables)
        else:
            assert plan.path is not None
            raw = plan.path.one(doc, item)
            if raw is MISSING:
                if optional:
                    raise _Skip()
                raise StepError(f"property: {plan.path.text} selects nothing")
            if not isinstance(raw, str):
                raise StepError(f"property: {describe_value(raw)} is not a name")
        found = known.get(raw, _UNKNOWN)
        if found is _UNKNOWN:
            found = quantities.property(plan.names.get(raw, raw))
            if len(raw) <= MAX_MEMO_TEXT:  # a property's name is short; anything else is not kept
                if len(known) >= MAX_PROPERTY_MEMO:
                    known.clear()
                known[raw] = found
        if found is None:
            if optional:
                raise _Skip()
            raise StepError(f"unknown property {plan.names.get(raw, raw)!r}")
        return found  # type: ignore[return-value]  # not _UNKNOWN: it was replaced above

    return choose


def _normalize(
    prop: PropertyDef,
    raw: Any,
    conversion: Conversion | None,
    units: ReadingUnits,
    doc: Any,
    item: Any,
    variables: Mapping[str, str],
) -> _Value:
    """Check ``raw`` against the property's kind; convert a number to the canonical unit."""
    kind = prop.kind
    if kind is ValueKind.BOOLEAN:
        if raw is True or raw is False:
            return raw, None, None, None
        raise StepError(f"{describe_value(raw)} is not a boolean; add a map step")
    if kind is ValueKind.TEXT:
        if isinstance(raw, str):
            return raw, None, None, None
        raise StepError(f"{describe_value(raw)} is not text; add a string step")
    if raw is True or raw is False or not isinstance(raw, int | float):
        hint = "; add a number step" if isinstance(raw, str) else ""
        raise StepError(f"{describe_value(raw)} is not a number{hint}")
    number = _finite(raw)
    if conversion is None:
        conversion = units.conversion(prop, doc, item, variables)
    if conversion.a == 1.0 and conversion.b == 0.0:
        return number, prop.canonical_unit, None, None
    converted = _finite(conversion.a * number + conversion.b)
    return converted, prop.canonical_unit, number, conversion.source_unit


def _finite(value: int | float) -> float:
    """``value`` as a finite float, or ``StepError``."""
    if type(value) is int:
        try:
            return float(value)  # an int is finite unless too large for a float
        except OverflowError:
            raise StepError(f"{describe_value(value)} is too large") from None
    try:
        number = float(value)
    except OverflowError:
        raise StepError(f"{describe_value(value)} is too large") from None
    if not math.isfinite(number):
        raise StepError(f"{number!r} is not a finite number")
    return number


# --- times --------------------------------------------------------------------------------


def _time_of(plan: TimePlan | None, shared: TimePlan | None) -> _Time:
    """Where a reading's time comes from: arrival, the mapping's shared time, its own path."""
    if plan is None or plan.path is None or plan.parse is None:
        return _arrival
    read = _time_reader(plan)
    if plan is not shared or plan.path.relative:
        return read

    def shared_time(
        doc: Any, _item: Any, variables: Mapping[str, str] | None, arrival: datetime, cell: TimeCell
    ) -> datetime:
        time = cell[0]
        if time is None:
            time = cell[0] = read(doc, None, variables, arrival, cell)
        return time

    return shared_time


def _arrival(
    _doc: Any, _item: Any, _variables: Mapping[str, str] | None, arrival: datetime, _cell: TimeCell
) -> datetime:
    return arrival


def _time_reader(plan: TimePlan) -> _Time:
    """``plan``'s path and parser as one function; a one-name path is a lookup."""
    path, parse, optional = plan.path, plan.parse, plan.optional
    assert path is not None
    assert parse is not None
    key, relative = path.key, path.relative
    missing = f"time: {path.text} selects nothing"

    def read(
        doc: Any,
        item: Any,
        _variables: Mapping[str, str] | None,
        arrival: datetime,
        _cell: TimeCell,
    ) -> datetime:
        if key is not None:
            node = item if relative else doc
            raw = node.get(key, MISSING) if type(node) is dict else MISSING
        else:
            raw = path.one(doc, item)
        if raw is MISSING:
            if optional:
                return arrival
            raise StepError(missing)
        return parse(raw)

    return read
