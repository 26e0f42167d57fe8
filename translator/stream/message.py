"""The normalized stream message: one JSON shape for every vendor, JSON-LD through our context.

A message is one observation, serialized once (orjson) when the hub sees it and then handed
as bytes to every client, SSE stream and MQTT topic::

    {"@context": "http://127.0.0.1:8000/context.jsonld",
     "id": "https://w3id.org/semantic-translator/id/observation/01K…-0",
     "type": "sosa:Observation",
     "thing": "urn:dev:tasmota:kitchen-plug", "property": "power",
     "value": 12.5, "unit": "W", "time": "2026-11-25T10:00:00.120Z",
     "thingType": "saref:Switch", "area": "kitchen",
     "source": {"envelope": "https://w3id.org/semantic-translator/id/envelope/01K…",
                "protocol": "mqtt", "mapping": "tasmota-power", "channel": "tele/kitchen/SENSOR"}}

``id`` is the observation's IRI in the store (JSON-LD ``@id``), so the triples a JSON-LD
processor reads from a message are the ones SPARQL finds; the stream's own sequence number
travels outside the message (the WebSocket frame's ``seq``, the SSE ``id:`` line). The
``@context`` is prepended per transport (``with_context``), since its URL depends on how the
client reached us. ``message.schema.json`` next to this module is the JSON Schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Final, Protocol

import orjson

from translator.rdf.namespaces import PREFIXES
from translator.rdf.things import expand_curie
from translator.values import ReadingValue

OBSERVATION_TYPE: Final = "sosa:Observation"
SCHEMA_FILE: Final = "message.schema.json"
_DUMP_OPTIONS: Final = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


@dataclass(frozen=True, slots=True)
class Source:
    """Where an observation came from: its envelope, transport, channel and mapping."""

    protocol: str
    mapping: str
    channel: str
    envelope: str | None = None  # IRI of the envelope node in the store


@dataclass(frozen=True, slots=True)
class ThingMeta:
    """What the stream knows about a thing: its type (CURIE) and area, for messages and filters.

    ``type_iri`` is the type as a full IRI (filters compare IRIs, so ``saref:Switch`` matches
    both), expanded once here rather than once per event.
    """

    type: str | None = None
    area: str | None = None
    type_iri: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        expanded = None if self.type is None else expand_curie(self.type)
        object.__setattr__(self, "type_iri", expanded)


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One message as the hub fans it out: filter keys plus the serialized message."""

    seq: int
    thing: str
    property: str
    time: datetime
    type_iri: str | None
    area: str | None
    body: bytes  # the message JSON without "@context"


@dataclass(frozen=True, slots=True)
class Observation:
    """The facts of one message, whichever way they reached the hub (live or seeded)."""

    iri: str | None
    thing: str
    property: str
    value: ReadingValue
    unit: str | None
    time: datetime
    source_value: float | None = None
    source_unit: str | None = None


class Fact(Protocol):
    """What a message says about one property of one thing: a live ``Reading`` or a seeded
    ``Observation`` (both have these fields)."""

    @property
    def thing(self) -> str: ...
    @property
    def value(self) -> ReadingValue: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def time(self) -> datetime: ...
    @property
    def source_value(self) -> float | None: ...
    @property
    def source_unit(self) -> str | None: ...
    @property  # last: from here on ``property`` names this member in the class body
    def property(self) -> str: ...


def message_body(observation: Observation, meta: ThingMeta | None, source: Source | None) -> bytes:
    """The message JSON (without ``@context``), serialized once."""
    fields = None if source is None else source_fields(source)
    return fact_body(observation, observation.iri, meta, fields)


def fact_body(
    fact: Fact, iri: str | None, meta: ThingMeta | None, source: dict[str, str] | None
) -> bytes:
    """``message_body`` for any ``Fact``, with the source already as ``source_fields`` (the
    hub builds those once per envelope, then a body per reading)."""
    message: dict[str, Any] = {}
    if iri is not None:
        message["id"] = iri
    message["type"] = OBSERVATION_TYPE
    message["thing"] = fact.thing
    message["property"] = fact.property
    message["value"] = fact.value
    if fact.unit is not None:
        message["unit"] = fact.unit
    if fact.source_value is not None:
        message["sourceValue"] = fact.source_value
    if fact.source_unit is not None:
        message["sourceUnit"] = fact.source_unit
    message["time"] = fact.time
    if meta is not None and meta.type is not None:
        message["thingType"] = meta.type
    if meta is not None and meta.area is not None:
        message["area"] = meta.area
    if source is not None:
        message["source"] = source
    return orjson.dumps(message, option=_DUMP_OPTIONS)


def source_fields(source: Source) -> dict[str, str]:
    """The message's ``source`` object."""
    out = {"envelope": source.envelope} if source.envelope is not None else {}
    out |= {"protocol": source.protocol, "mapping": source.mapping, "channel": source.channel}
    return out


def context_prefix(context_url: str) -> bytes:
    """The bytes that open a message with ``"@context": context_url``."""
    return b'{"@context":' + orjson.dumps(context_url) + b","


def with_context(body: bytes, prefix: bytes) -> bytes:
    """A full message: ``prefix`` (from ``context_prefix``) spliced into ``body``."""
    return prefix + body[1:]


def compact_iri(iri: str) -> str:
    """``https://saref.etsi.org/core/Switch`` → ``saref:Switch``; other IRIs stay as they are."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


@cache
def message_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a message, as shipped in ``message.schema.json``."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema = json.loads(text)
    assert isinstance(schema, dict)
    return schema
