"""The small typed values handed from layer to layer.

``Envelope`` (what arrived, network layer) -> ``Reading`` (one normalized fact, edge layer)
-> ``Translated`` / ``Rejected`` (the pipeline's verdict on one envelope). ``Command`` flows
the other way: from an engine, through a mapping's template, to an adapter.
All are frozen: a value handed to the next layer cannot be changed behind its back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pyoxigraph import Quad

    from translator.rdf.graph import MessageGraph


class Protocol(StrEnum):
    """The transport an envelope arrived on (or a command leaves by)."""

    MQTT = "mqtt"
    COAP = "coap"
    HTTP = "http"


@dataclass(frozen=True, slots=True)
class Envelope:
    """What arrived, exactly as it arrived.

    ``channel`` is the MQTT topic, the CoAP path or the HTTP path (no leading slash for
    CoAP/HTTP). ``content_format`` is a media type (``application/json``,
    ``application/senml+json``, ``application/senml+cbor``, ``text/plain``) or ``None``
    when the transport does not say (MQTT 3.1.1).
    """

    protocol: Protocol
    channel: str
    payload: bytes
    received_at: datetime
    content_format: str | None = None
    peer: str | None = None


ReadingValue = float | bool | str


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a reading came from: the mapping that made it and the envelope it came in."""

    mapping_id: str
    mapping_version: str
    protocol: Protocol
    channel: str


@dataclass(frozen=True, slots=True)
class Reading:
    """One normalized fact about one thing.

    ``value`` is already in the property's canonical unit (``unit``, a QUDT unit local
    name such as ``DEG_C``); ``source_value``/``source_unit`` keep what the vendor sent
    when a conversion happened (both ``None`` otherwise).
    """

    thing: str
    property: str
    value: ReadingValue
    unit: str | None
    time: datetime
    provenance: Provenance
    source_value: float | None = None
    source_unit: str | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a thing stands in the 3D scene (metres), and the area it belongs to."""

    area: str | None = None
    position: tuple[float, float, float] | None = None
    model: str | None = None
    node: str | None = None  # name of a node in a supplied glTF scene bound to this thing


@dataclass(frozen=True, slots=True)
class ThingInfo:
    """What a mapping says about the thing an envelope came from.

    ``variables`` are the template variables (channel and payload captures) that built the
    thing IRI; commands render their vendor channel from them.
    """

    iri: str
    mapping_id: str
    type: str | None = None  # CURIE, e.g. "saref:Switch"
    label: str | None = None
    placement: Placement | None = None
    variables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Translated:
    """An envelope that became readings (and RDF) and passed every gate.

    ``graph`` is the ``MessageGraph`` the SHACL gate judged (the history triples, indexed by
    subject); the store writes exactly it. ``None`` for a message without history (tests).
    """

    envelope: Envelope
    mapping_id: str
    readings: tuple[Reading, ...]
    things: tuple[ThingInfo, ...] = ()
    graph: MessageGraph | None = field(default=None, repr=False)

    @property
    def quads(self) -> tuple[Quad, ...]:
        """The history quads, made on demand from ``graph`` (~1 µs each: not for hot paths)."""
        return () if self.graph is None else tuple(self.graph.quads())


Stage = Literal["transport", "decode", "match", "schema", "extract", "shape"]


@dataclass(frozen=True, slots=True)
class Rejected:
    """An envelope that could not be translated, and why. Becomes a dead letter."""

    envelope: Envelope
    stage: Stage
    reason: str
    mapping_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Command:
    """An engine's request to a device: ``value`` is checked against the mapping's type."""

    thing: str
    name: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class RenderedCommand:
    """A command rendered by its mapping into what the adapter must send."""

    command: Command
    mapping_id: str
    protocol: Protocol
    channel: str
    payload: bytes
    content_format: str | None = None
    method: str | None = None
