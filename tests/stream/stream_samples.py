"""Translated messages for the stream tests, built the way the pipeline builds them."""

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
PLUG = "urn:dev:zigbee2mqtt:kitchen_plug"
SENSOR = "urn:dev:zigbee2mqtt:living_room_sensor"
LAMP = "urn:dev:tasmota:hall/lamp+1#a"  # '/', '+' and '#' must never reach a topic level
MAPPING = "zigbee2mqtt-plug"

_BUILDER = ObservationBuilder()


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def translated(
    values: Sequence[tuple[str, ReadingValue, str | None]],
    *,
    thing: str = PLUG,
    when: datetime = T0,
    kind: str | None = "saref:Switch",
    area: str | None = "kitchen",
    channel: str | None = None,
    mapping: str = MAPPING,
) -> Translated:
    """One translated envelope with a reading per ``(property, value, unit)``."""
    channel = channel or f"zigbee2mqtt/{thing.rsplit(':', 1)[-1]}"
    envelope = Envelope(Protocol.MQTT, channel, b"{}", when, "application/json")
    provenance = Provenance(mapping, "1", Protocol.MQTT, channel)
    readings = tuple(Reading(thing, p, v, u, when, provenance) for p, v, u in values)
    placement = Placement(area=area) if area is not None else None
    info = ThingInfo(thing, mapping, kind, None, placement)
    graph = _BUILDER.build_graph(envelope, mapping, "1", readings)
    return Translated(envelope, mapping, readings, (info,), graph=graph)


def power(watts: float, *, thing: str = PLUG, when: datetime = T0, **kw: object) -> Translated:
    """A plug's power reading."""
    return translated([("power", watts, "W")], thing=thing, when=when, **kw)  # type: ignore[arg-type]
