"""The reference the fast paths are held to: ``resolve`` as first written, one step at a time.

``reference_resolve`` decodes with ``decode_payload``, tries the candidates in rank order,
checks the schema and extracts every reading with a plain per-reading, per-item loop (no
reader closures, no grouped ``where``, no remembered times) — the extraction module as it
was before the hot path was compiled. Differential tests compare ``MappingSet.resolve``
with it on random envelopes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from translator.errors import DecodeError, ExtractionError, NoMappingMatched, SchemaViolation
from translator.mapping import MappingSet
from translator.mapping.decode import FORMATS_BY_MEDIA_TYPE, decode_payload
from translator.mapping.jsonpath import MISSING, PathQueryError
from translator.mapping.plan import MappingPlan, ReadingPlan, TimePlan, UnitPlan
from translator.mapping.quantities import QuantityResolver
from translator.mapping.templates import TemplateError
from translator.mapping.transforms import StepError, describe_value
from translator.ontology.model import PropertyDef, ValueKind
from translator.values import Envelope, Provenance, Reading, ReadingValue, ThingInfo

_isfinite = math.isfinite


def reference_resolve(
    mappings: MappingSet, quantities: QuantityResolver, envelope: Envelope
) -> tuple[MappingPlan, list[Reading], list[ThingInfo]]:
    """What ``mappings.resolve(envelope)`` must give (or raise)."""
    payload = envelope.payload
    limits = mappings.limits
    if len(payload) > limits.max_payload_bytes:
        raise DecodeError(
            f"payload of {len(payload)} bytes is over the limit of "
            f"{limits.max_payload_bytes} bytes",
            detail={"size": len(payload), "max_payload_bytes": limits.max_payload_bytes},
        )
    plans = sorted(
        (plan for plan in mappings.mappings.values() if plan.protocol is envelope.protocol),
        key=lambda plan: plan.rank_key,
    )
    candidates = [
        (plan, found)
        for plan in plans
        if (found := plan.channel.match(envelope.channel)) is not None
    ]
    if len(candidates) > 1 and envelope.content_format:
        media = envelope.content_format.partition(";")[0].strip().lower()
        preferred = FORMATS_BY_MEDIA_TYPE.get(media)
        if preferred is not None:
            candidates.sort(key=lambda candidate: candidate[0].format is not preferred)
    decoded: dict[str, Any] = {}
    first_error: DecodeError | None = None
    for plan, variables in candidates:
        if plan.format.value not in decoded:
            try:
                decoded[plan.format.value] = decode_payload(
                    plan.format, payload, envelope.received_at, limits
                )
            except DecodeError as err:
                err.mapping_id = plan.id
                first_error = first_error or err
                decoded[plan.format.value] = _FAILED
        doc = decoded[plan.format.value]
        if doc is _FAILED:
            continue
        if all(condition.test(doc) for condition in plan.when):
            if plan.schema is not None:
                violation = plan.schema.violation(doc)
                if violation is not None:
                    raise SchemaViolation(
                        f"{violation.path}: {violation.message}",
                        mapping_id=plan.id,
                        detail=violation.as_detail(),
                    )
            readings, things = extract(plan, doc, variables, envelope, quantities, ExtractMemo())
            return plan, readings, things
    if first_error is not None:
        raise first_error
    where = f"{envelope.protocol.value} channel {envelope.channel!r}"
    claimed = [plan.id for plan, _ in candidates]
    reason = (
        f"no mapping's conditions hold for {where} (channel matched by: {', '.join(claimed)})"
        if claimed
        else f"no mapping for {where}"
    )
    raise NoMappingMatched(
        reason,
        detail={"protocol": envelope.protocol.value, "channel": envelope.channel,
                "candidates": claimed},
    )  # fmt: skip


_FAILED = object()


class _Skip(Exception):
    """An optional reading found nothing: leave it out."""


class ExtractMemo:
    """Values that repeat from envelope to envelope of one device, built once.

    A ``Provenance`` per (mapping, channel) and a ``ThingInfo`` per (mapping, variables):
    both are immutable, so sharing them is safe. Each table is cleared when it reaches
    ``limit`` entries, which bounds memory whatever channels arrive.
    """

    __slots__ = ("limit", "provenance", "things")

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self.provenance: dict[tuple[str, str], Provenance] = {}
        self.things: dict[tuple[str, tuple[tuple[str, str], ...]], ThingInfo] = {}


class _Context:
    """What every reading of one envelope shares."""

    __slots__ = ("arrival", "doc", "memo", "plan", "provenance", "quantities", "readings", "things")

    def __init__(
        self,
        plan: MappingPlan,
        doc: Any,
        envelope: Envelope,
        quantities: QuantityResolver,
        memo: ExtractMemo,
    ):
        self.plan = plan
        self.doc = doc
        self.arrival = envelope.received_at
        self.quantities = quantities
        self.memo = memo
        key = (plan.id, envelope.channel)
        provenance = memo.provenance.get(key)
        if provenance is None:
            provenance = Provenance(plan.id, plan.version, envelope.protocol, envelope.channel)
            if len(memo.provenance) >= memo.limit:
                memo.provenance.clear()
            memo.provenance[key] = provenance
        self.provenance = provenance
        self.readings: list[Reading] = []
        self.things: dict[str, ThingInfo] = {}

    def fail(self, reading: ReadingPlan | None, reason: str, path: str | None) -> ExtractionError:
        where = f"{reading.title()}: " if reading is not None else ""
        detail: dict[str, Any] = {"path": path} if path else {}
        if reading is not None:
            detail["reading"] = reading.index
        return ExtractionError(where + reason, mapping_id=self.plan.id, detail=detail)

    def thing(self, variables: Mapping[str, str], reading: ReadingPlan | None) -> str:
        key = (self.plan.id, tuple(variables.items()))
        info = self.memo.things.get(key)
        if info is None:
            info = self._describe(variables, reading)
            if len(self.memo.things) >= self.memo.limit:
                self.memo.things.clear()
            self.memo.things[key] = info
        if info.iri not in self.things:
            self.things[info.iri] = info
        return info.iri

    def _describe(self, variables: Mapping[str, str], reading: ReadingPlan | None) -> ThingInfo:
        plan = self.plan.thing
        try:
            return ThingInfo(
                iri=plan.iri.render(variables),
                mapping_id=self.plan.id,
                type=plan.type,
                label=plan.label.render(variables) if plan.label is not None else None,
                placement=plan.placement,
                variables=tuple(sorted(variables.items())),
            )
        except TemplateError as err:
            raise self.fail(reading, f"thing: {err}", None) from err


def extract(
    plan: MappingPlan,
    doc: Any,
    channel_variables: dict[str, str],
    envelope: Envelope,
    quantities: QuantityResolver,
    memo: ExtractMemo,
) -> tuple[list[Reading], list[ThingInfo]]:
    """The readings and things ``plan`` makes of ``doc``.

    Raises:
        ExtractionError: a capture or non-optional reading found nothing, a transform
            failed, a value does not fit its property, a time does not parse.
    """
    context = _Context(plan, doc, envelope, quantities, memo)
    variables = _captured(context, channel_variables)
    thing = None if plan.thing.per_item else context.thing(variables, None)
    for reading in plan.readings:
        if reading.foreach is None:
            _add(context, reading, None, variables, thing or context.thing(variables, reading))
            continue
        for item in _items(context, reading):
            scoped = _scope(reading, item, variables)
            if scoped is None:
                continue
            iri = thing if thing is not None else context.thing(scoped, reading)
            _add(context, reading, item, scoped, iri)
    return context.readings, list(context.things.values())


def _captured(context: _Context, channel_variables: dict[str, str]) -> dict[str, str]:
    if not context.plan.captures:
        return channel_variables
    variables = dict(channel_variables)
    for capture in context.plan.captures:
        where = capture.path.text
        try:
            value = capture.path.one(context.doc)
        except PathQueryError as err:
            raise context.fail(None, f"capture {capture.name}: {err}", where) from err
        if value is MISSING:
            raise context.fail(None, f"capture {capture.name}: {where} selects nothing", where)
        text = _as_text(value)
        if text is None:
            reason = f"capture {capture.name}: {describe_value(value)} is not text or a number"
            raise context.fail(None, reason, where)
        if capture.regex is not None:
            found = capture.regex.search(text)
            if found is None:
                reason = f"capture {capture.name}: {text!r} does not match its regex"
                raise context.fail(None, reason, where)
            text = found.group(capture.group) or ""
        variables[capture.name] = text
    return variables


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return None


def _items(context: _Context, reading: ReadingPlan) -> list[Any]:
    assert reading.foreach is not None
    try:
        return reading.foreach.values(context.doc)
    except PathQueryError as err:
        raise context.fail(reading, str(err), reading.foreach.text) from err


def _scope(reading: ReadingPlan, item: Any, variables: dict[str, str]) -> dict[str, str] | None:
    """The variables for one foreach item, or ``None`` when ``where`` filters it out."""
    where = reading.where
    if where is None:
        return variables
    key = where.path.key
    if key is not None:  # one name step (@.n): a dictionary lookup
        text = item.get(key) if type(item) is dict else None
    else:
        try:
            text = where.path.one(None, item)
        except PathQueryError:
            return None
    if not isinstance(text, str):
        return None
    found = where.regex.search(text)
    if found is None:
        return None
    groups = {name: value for name, value in found.groupdict().items() if value is not None}
    return {**variables, **groups} if groups else variables


def _add(
    context: _Context,
    reading: ReadingPlan,
    item: Any,
    variables: Mapping[str, str],
    thing: str,
) -> None:
    try:
        prop = reading.property.fixed or _property(context, reading, item, variables)
        raw: Any
        query = reading.value
        key = query.key
        if key is not None:  # one name step: a dictionary lookup
            node = item if query.relative else context.doc
            raw = node.get(key, MISSING) if type(node) is dict else MISSING
        else:
            raw = query.one(context.doc, item)
        if raw is MISSING:
            if reading.optional:
                return
            raise StepError(f"{reading.value.text} selects nothing")
        for step in reading.transforms:
            raw = step.apply(raw)
        conversion = reading.conversion
        kind = type(raw)
        if conversion is not None and (kind is float or kind is int):
            # the common case, inlined: a number, a conversion known at load
            number = raw if kind is float and _isfinite(raw) else _finite(raw)
            if conversion.identity:
                value, source_value, source_unit = number, None, None
            else:
                value = _finite(conversion.a * number + conversion.b)
                source_value, source_unit = number, conversion.source_unit
            unit = prop.canonical_unit
        else:
            value, unit, source_value, source_unit = _normalize(
                context, reading, prop, raw, item, variables
            )
        time_plan = reading.time
        time = context.arrival if time_plan is None else _time(context, time_plan, item)
    except _Skip:
        return
    except (StepError, PathQueryError, TemplateError) as err:
        raise context.fail(reading, str(err), reading.value.text) from err
    context.readings.append(
        Reading(thing, prop.name, value, unit, time, context.provenance, source_value, source_unit)
    )


def _property(
    context: _Context, reading: ReadingPlan, item: Any, variables: Mapping[str, str]
) -> PropertyDef:
    plan = reading.property
    if plan.fixed is not None:
        return plan.fixed
    if plan.template is not None:
        raw: Any = plan.template.render(variables)
    else:
        assert plan.path is not None
        raw = plan.path.one(context.doc, item)
        if raw is MISSING:
            if reading.optional:
                raise _Skip()
            raise StepError(f"property: {plan.path.text} selects nothing")
        if not isinstance(raw, str):
            raise StepError(f"property: {describe_value(raw)} is not a name")
    name = plan.names.get(raw, raw)
    found = context.quantities.property(name)
    if found is None:
        if reading.optional:
            raise _Skip()
        raise StepError(f"unknown property {name!r}")
    return found


def _normalize(
    context: _Context,
    reading: ReadingPlan,
    prop: PropertyDef,
    raw: Any,
    item: Any,
    variables: Mapping[str, str],
) -> tuple[ReadingValue, str | None, float | None, str | None]:
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
    conversion = reading.conversion
    if conversion is None:
        unit = _unit_name(context, reading.unit, item, variables)
        conversion = context.quantities.conversion(unit, prop)
    if conversion.a == 1.0 and conversion.b == 0.0:
        return number, prop.canonical_unit, None, None
    converted = _finite(conversion.a * number + conversion.b)
    return converted, prop.canonical_unit, number, conversion.source_unit


def _finite(value: int | float) -> float:
    try:
        number = float(value)
    except OverflowError:
        raise StepError(f"{describe_value(value)} is too large") from None
    if not math.isfinite(number):
        raise StepError(f"{number!r} is not a finite number")
    return number


def _unit_name(
    context: _Context, plan: UnitPlan | None, item: Any, variables: Mapping[str, str]
) -> str | None:
    if plan is None or plan.fixed is not None:
        return plan.fixed if plan else None
    if plan.template is not None:
        raw: Any = plan.template.render(variables)
    else:
        assert plan.path is not None
        raw = plan.path.one(context.doc, item)
        if raw is MISSING:
            if plan.default is not None:
                return plan.default
            raise StepError(f"unit: {plan.path.text} selects nothing")
    if not isinstance(raw, str):
        raise StepError(f"unit: {describe_value(raw)} is not a unit name")
    return context.quantities.unit_name(raw, plan)


def _time(context: _Context, plan: TimePlan, item: Any) -> datetime:
    if plan.path is None or plan.parse is None:
        return context.arrival
    raw = plan.path.one(context.doc, item)
    if raw is MISSING:
        if plan.optional:
            return context.arrival
        raise StepError(f"time: {plan.path.text} selects nothing")
    return plan.parse(raw)
