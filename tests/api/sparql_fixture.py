"""The SPARQL fixture data set: real vendor payloads through the real pipeline into a store.

Six things on a simulated morning (2026-11-25, 10:00 to 12:00 UTC), all over MQTT:

* ``urn:dev:zigbee2mqtt:living_room_sensor`` (``site-living-room``, area living-room) and
  ``urn:dev:zigbee2mqtt:kitchen_sensor`` (``site-kitchen``, area kitchen): every 15 minutes;
* ``urn:dev:zigbee2mqtt:bedroom_sensor`` (``zigbee2mqtt-climate``): 10:00 only;
* ``urn:dev:zigbee2mqtt:front_door`` (``zigbee2mqtt-contact``): 10:00 and 11:30;
* ``urn:dev:zigbee2mqtt:coffee_machine`` (``zigbee2mqtt-plug``): 10:00 (on), 10:30 (off);
* ``urn:dev:tasmota:garage_probe`` (``tasmota-sensor``, in degrees F): 10:00, 10:30, 11:00.

The two site mappings (``fixtures/mappings``) pin climate sensors to an area; the others
are the shipped mappings. Values follow simple formulas so the expected rows are easy to
check by hand (``living_room_sensor`` at step i: 21 + 0.25 i degC; ``kitchen_sensor``:
23 + 0.5 i degC; both 3000 - 5 i mV of battery).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from translator.ontology.files import mappings_dir, ontology_dir
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import Settings
from translator.twin.store import TwinStore
from translator.values import Envelope, Protocol, Translated

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
FIXTURE_MAPPINGS = Path(__file__).parent / "fixtures" / "mappings"
STEPS = 9  # 10:00 to 12:00 every 15 minutes


def fixture_pipeline() -> Pipeline:
    """The shipped mappings plus the fixture's two site mappings."""
    return build_pipeline(Settings(), [mappings_dir(), FIXTURE_MAPPINGS])


def payloads() -> Iterator[tuple[str, dict[str, object], datetime]]:
    """``(topic, payload, received_at)`` of every fixture message, in arrival order."""
    for i in range(STEPS):
        at = T0 + timedelta(minutes=15 * i)
        yield (
            "zigbee2mqtt/living_room_sensor",
            {"temperature": 21 + 0.25 * i, "humidity": 45 - 0.5 * i, "voltage": 3000 - 5 * i},
            at,
        )
        yield (
            "zigbee2mqtt/kitchen_sensor",
            {"temperature": 23 + 0.5 * i, "humidity": 50.0, "voltage": 3000 - 5 * i},
            at,
        )
        if i == 0:
            yield "zigbee2mqtt/bedroom_sensor", {"temperature": 19.5, "humidity": 55.0}, at
            yield "zigbee2mqtt/front_door", {"contact": True, "battery": 100}, at
        if i == 6:
            yield "zigbee2mqtt/front_door", {"contact": False, "battery": 99}, at
        if i in (0, 2):
            power = 1200.0 if i == 0 else 0.0
            plug = {"state": "ON" if power else "OFF", "power": power}
            yield "zigbee2mqtt/coffee_machine", plug, at
        if i in (0, 2, 4):
            probe = {"Time": at.strftime("%Y-%m-%dT%H:%M:%S"), "TempUnit": "F"}
            probe["DS18B20"] = {"Temperature": 50.0 + 4.5 * i}  # 10, 15, 20 °C
            yield "tele/garage_probe/SENSOR", probe, at


def translate_all(pipeline: Pipeline) -> list[Translated]:
    """Every fixture message through the pipeline; any rejection fails loudly."""
    translated: list[Translated] = []
    for topic, payload, at in payloads():
        envelope = Envelope(Protocol.MQTT, topic, json.dumps(payload).encode(), at)
        result = pipeline.translate(envelope)
        if not isinstance(result, Translated):
            raise AssertionError(f"fixture message on {topic} rejected: {result.reason}")
        translated.append(result)
    return translated


def fill_store(store: TwinStore, pipeline: Pipeline | None = None) -> int:
    """Write the fixture into ``store`` (with the meta graph); returns the readings written."""
    pipeline = pipeline or fixture_pipeline()
    store.load_meta(pipeline.mappings.mappings.values(), ontology=ontology_dir())
    stats = store.write(translate_all(pipeline))
    return stats.readings
