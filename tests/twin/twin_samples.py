"""Messages for the twin tests, built the way the pipeline builds them (imported by name)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from translator.rdf.observations import ObservationBuilder
from translator.values import (
    Envelope,
    Placement,
    Protocol,
    Provenance,
    Reading,
    ReadingValue,
    ThingInfo,
    Translated,
)

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SENSOR = "urn:dev:zigbee2mqtt:living_room_sensor"
PLUG = "urn:dev:tasmota:kitchen_plug"
MAPPING = "zigbee2mqtt-climate"
STATE_GRAPH = "https://w3id.org/semantic-translator/graph/state"

BUILDER = ObservationBuilder()


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def message(
    values: Sequence[tuple[str, ReadingValue, str | None]],
    *,
    at: datetime = T0,
    thing: str = SENSOR,
    channel: str = "zigbee2mqtt/living_room_sensor",
    info: ThingInfo | None = None,
) -> Translated:
    """One translated envelope with a reading per ``(property, value, unit)``."""
    envelope = Envelope(Protocol.MQTT, channel, f"payload at {at.isoformat()}".encode(), at)
    provenance = Provenance(MAPPING, "1", Protocol.MQTT, channel)
    readings = tuple(Reading(thing, p, v, u, at, provenance) for p, v, u in values)
    info = info or ThingInfo(
        thing, MAPPING, "saref:Sensor", "Living room", Placement("living-room")
    )
    graph = BUILDER.build_graph(envelope, MAPPING, "1", readings)
    return Translated(envelope, MAPPING, readings, (info,), graph)


def temperature(value: float, at: datetime = T0, thing: str = SENSOR) -> Translated:
    return message([("temperature", value, "DEG_C")], at=at, thing=thing)
