"""A mapping's ``examples:`` parsed into typed examples, and how to compare their outcome.

A *message example* is a ready ``Envelope`` (payload bytes from ``payload`` — JSON, or CBOR
for ``senml+cbor`` —, ``payload_text`` or ``payload_hex``) with what it must produce:
``readings`` (compared by ``compare_readings``, floats with a tolerance), ``things``, or the
stage that must ``rejected`` it. A *command example* is a ``Command`` with the thing's
variables and the channel/payload it must render to. The pipeline runs them
(``translator test-mappings``); ``translator.mapping.selftest`` runs them at this layer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

import cbor2
import orjson

from translator.mapping.decode import MEDIA_TYPES, PayloadFormat
from translator.mapping.senml import labels_to_cbor
from translator.mapping.yamlsource import SourceDocument, YamlPath
from translator.values import Command, Envelope, Reading, ReadingValue, Stage, ThingInfo

if TYPE_CHECKING:
    from translator.mapping.plan import MappingPlan

__all__ = [
    "DEFAULT_RECEIVED_AT",
    "CommandExample",
    "Example",
    "ExpectedReading",
    "MessageExample",
    "compare_readings",
    "compare_things",
    "parse_examples",
]

DEFAULT_RECEIVED_AT: Final = datetime(2026, 1, 1, tzinfo=UTC)
"""The arrival time of an example that gives no ``received_at`` (fixed: examples repeat)."""

REL_TOLERANCE: Final = 1e-6
ABS_TOLERANCE: Final = 1e-9
TIME_TOLERANCE_S: Final = 1e-3
DEFAULT_THING: Final = "urn:example:thing"


@dataclass(frozen=True, slots=True)
class ExpectedReading:
    """A reading an example must produce; ``None`` fields (and unset ``unit``) are not checked."""

    property: str
    value: ReadingValue
    thing: str | None = None
    unit: str | None = None
    check_unit: bool = False
    time: datetime | None = None
    source_value: float | None = None
    source_unit: str | None = None

    def describe(self) -> str:
        """``temperature=21.5 DEG_C of urn:…`` for messages."""
        unit = f" {self.unit}" if self.check_unit and self.unit else ""
        thing = f" of {self.thing}" if self.thing else ""
        return f"{self.property}={self.value!r}{unit}{thing}"


@dataclass(frozen=True, slots=True)
class MessageExample:
    """An envelope and what translating it must give."""

    mapping_id: str
    index: int
    file: str
    line: int | None
    name: str | None
    envelope: Envelope
    readings: tuple[ExpectedReading, ...] | None = None
    things: tuple[str, ...] | None = None
    rejected: Stage | None = None

    @property
    def title(self) -> str:
        """``tasmota-plug examples[2] (name)`` — how reports name the example."""
        return f"{self.mapping_id} examples[{self.index}]" + (
            f" ({self.name})" if self.name else ""
        )


@dataclass(frozen=True, slots=True)
class CommandExample:
    """A command and the vendor channel/payload it must render to (or be refused)."""

    mapping_id: str
    index: int
    file: str
    line: int | None
    name: str | None
    command: Command
    variables: tuple[tuple[str, str], ...]
    channel: str | None = None
    payload: Any = None  # the expected JSON value (format json)
    payload_text: str | None = None
    method: str | None = None
    error: bool = False

    @property
    def title(self) -> str:
        """``tasmota-plug examples[3] (name)``."""
        return f"{self.mapping_id} examples[{self.index}]" + (
            f" ({self.name})" if self.name else ""
        )


Example = MessageExample | CommandExample


def parse_examples(doc: SourceDocument, plan: MappingPlan) -> tuple[Example, ...]:
    """Parse ``examples`` of a compiled ``plan``. Raises ``MappingError`` at the example."""
    specs = doc.data.get("examples", [])
    out: list[Example] = []
    for index, spec in enumerate(specs):
        path: YamlPath = ("examples", index)
        if "command" in spec:
            out.append(_command_example(doc, path, index, spec, plan))
        else:
            out.append(_message_example(doc, path, index, spec, plan))
    return tuple(out)


def _message_example(
    doc: SourceDocument, path: YamlPath, index: int, spec: Mapping[str, Any], plan: MappingPlan
) -> MessageExample:
    for key in ("variables", "expect"):
        if key in spec:
            raise doc.error((*path, key), f"{key!r} belongs to command examples")
    if "channel" not in spec:
        raise doc.error(path, "a message example needs a 'channel'")
    outcomes = [key for key in ("readings", "rejected") if key in spec]
    if len(outcomes) > 1:
        raise doc.error(path, "give either 'readings' or 'rejected', not both")
    if not outcomes and "things" not in spec:
        raise doc.error(path, "an example needs 'readings', 'things' or 'rejected'")
    received = _time(doc, (*path, "received_at"), spec.get("received_at"))
    envelope = Envelope(
        protocol=plan.protocol,
        channel=spec["channel"],
        payload=_payload(doc, path, spec, plan.format),
        received_at=received or DEFAULT_RECEIVED_AT,
        content_format=spec.get("content_format", MEDIA_TYPES[plan.format]),
    )
    readings = None
    if "readings" in spec:
        readings = tuple(
            _expected(doc, (*path, "readings", i), item) for i, item in enumerate(spec["readings"])
        )
    things = tuple(spec["things"]) if "things" in spec else None
    return MessageExample(
        mapping_id=plan.id,
        index=index,
        file=doc.file,
        line=doc.line(path),
        name=spec.get("name"),
        envelope=envelope,
        readings=readings,
        things=things,
        rejected=cast("Stage | None", spec.get("rejected")),
    )


def _payload(
    doc: SourceDocument, path: YamlPath, spec: Mapping[str, Any], fmt: PayloadFormat
) -> bytes:
    given = [key for key in ("payload", "payload_text", "payload_hex") if key in spec]
    if len(given) != 1:
        raise doc.error(path, "give exactly one of payload / payload_text / payload_hex")
    key = given[0]
    value = spec[key]
    if key == "payload_text":
        return str(value).encode("utf-8")
    if key == "payload_hex":
        try:
            return bytes.fromhex(re.sub(r"\s+", "", value))
        except ValueError as err:
            raise doc.error((*path, key), f"not hex: {err}") from err
    try:
        if fmt is PayloadFormat.TEXT and not isinstance(value, list | dict):
            return (value if isinstance(value, str) else orjson.dumps(value).decode()).encode()
        if fmt is PayloadFormat.SENML_CBOR:
            records = [labels_to_cbor(r) if isinstance(r, dict) else r for r in value]
            return cbor2.dumps(records if isinstance(value, list) else value)
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, cbor2.CBOREncodeError, TypeError, ValueError) as err:
        raise doc.error((*path, key), f"cannot encode the payload: {err}") from err


def _time(doc: SourceDocument, path: YamlPath, text: Any) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError) as err:
        raise doc.error(path, f"{text!r} is not an ISO 8601 time") from err
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _expected(doc: SourceDocument, path: YamlPath, spec: Mapping[str, Any]) -> ExpectedReading:
    value = spec["value"]
    return ExpectedReading(
        property=spec["property"],
        value=float(value) if isinstance(value, int) and not isinstance(value, bool) else value,
        thing=spec.get("thing"),
        unit=spec.get("unit"),
        check_unit="unit" in spec,
        time=_time(doc, (*path, "time"), spec.get("time")),
        source_value=spec.get("source_value"),
        source_unit=spec.get("source_unit"),
    )


def _command_example(
    doc: SourceDocument, path: YamlPath, index: int, spec: Mapping[str, Any], plan: MappingPlan
) -> CommandExample:
    for key in ("channel", "payload", "payload_text", "payload_hex", "readings", "rejected"):
        if key in spec:
            raise doc.error((*path, key), f"{key!r} belongs to message examples")
    command = spec["command"]
    if command["name"] not in plan.commands:
        known = ", ".join(sorted(plan.commands)) or "none"
        raise doc.error(
            (*path, "command", "name"), f"unknown command {command['name']!r} (commands: {known})"
        )
    expect = spec.get("expect", {})
    if not expect:
        raise doc.error(path, "a command example needs 'expect'")
    return CommandExample(
        mapping_id=plan.id,
        index=index,
        file=doc.file,
        line=doc.line(path),
        name=spec.get("name"),
        command=Command(command.get("thing", DEFAULT_THING), command["name"], command.get("value")),
        variables=tuple(sorted((str(k), str(v)) for k, v in spec.get("variables", {}).items())),
        channel=expect.get("channel"),
        payload=expect.get("payload"),
        payload_text=expect.get("payload_text"),
        method=expect.get("method"),
        error=bool(expect.get("error", False)),
    )


# --- comparing outcomes -----------------------------------------------------------------


def compare_readings(expected: Sequence[ExpectedReading], actual: Sequence[Reading]) -> list[str]:
    """What differs between expected and actual readings (empty when they agree).

    Order does not matter; each expected reading consumes the first actual one it matches.
    Numbers compare with a relative tolerance of 1e-6, times within a millisecond.
    """
    problems: list[str] = []
    remaining = list(actual)
    for want in expected:
        found = next((got for got in remaining if _matches(want, got)), None)
        if found is not None:
            remaining.remove(found)
            continue
        near = [
            got
            for got in remaining
            if got.property == want.property and want.thing in (None, got.thing)
        ]
        got_text = f"got {_describe(near[0])}" if near else "no such reading"
        problems.append(f"expected {want.describe()}, {got_text}")
    problems.extend(f"unexpected reading {_describe(got)}" for got in remaining)
    return problems


def compare_things(expected: Sequence[str], actual: Sequence[ThingInfo]) -> list[str]:
    """Expected thing IRIs missing from, or extra in, ``actual``."""
    have = [thing.iri for thing in actual]
    problems = [f"expected thing {iri} not described" for iri in expected if iri not in have]
    problems += [f"unexpected thing {iri}" for iri in have if iri not in expected]
    return problems


def _matches(want: ExpectedReading, got: Reading) -> bool:
    if got.property != want.property or want.thing not in (None, got.thing):
        return False
    if want.check_unit and got.unit != want.unit:
        return False
    if not _same_value(want.value, got.value):
        return False
    if want.time is not None and abs((got.time - want.time).total_seconds()) > TIME_TOLERANCE_S:
        return False
    if want.source_value is not None and (
        got.source_value is None or not _close(want.source_value, got.source_value)
    ):
        return False
    return want.source_unit in (None, got.source_unit)


def _same_value(want: ReadingValue, got: ReadingValue) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    if isinstance(want, float) and isinstance(got, float):
        return _close(want, got)
    return want == got


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)


def _describe(reading: Reading) -> str:
    unit = f" {reading.unit}" if reading.unit else ""
    when = reading.time.isoformat()
    return f"{reading.property}={reading.value!r}{unit} of {reading.thing} at {when}"
