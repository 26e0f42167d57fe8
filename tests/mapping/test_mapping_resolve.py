"""``MappingSet.resolve``: choosing the mapping, decoding, schema, and extracting readings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from translator.errors import DecodeError, ExtractionError, NoMappingMatched, SchemaViolation
from translator.mapping import MappingSet
from translator.values import Envelope, Placement, Protocol

ARRIVAL = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # the envelope fixture's arrival time
Load = Callable[..., MappingSet]
Make = Callable[..., Envelope]

CLIMATE = """
id: climate
version: 3
match:
  protocol: mqtt
  channel: "z2m/{device}"
  when: {path: "$.temperature", exists: true}
payload:
  schema:
    type: object
    required: [temperature]
    properties: {temperature: {type: number}, humidity: {type: number}}
thing:
  iri: "urn:dev:z2m:{device}"
  type: saref:Sensor
  label: "Sensor {device}"
  placement: {area: kitchen, position: [1, 2, 3]}
readings:
  - property: temperature
    value: $.temperature
    unit: DEG_F
  - property: relativeHumidity
    value: $.humidity
    unit: PERCENT_RH
    optional: true
  - property: batteryVoltage
    value: $.voltage
    unit: MilliV
    optional: true
"""


def test_readings_things_and_provenance(load_text: Load, envelope: Make) -> None:
    mappings = load_text(CLIMATE)
    resolution = mappings.resolve(
        envelope("z2m/kitchen sensor", b'{"temperature": 70.7, "humidity": 40, "voltage": 2995}')
    )
    assert (resolution.mapping_id, resolution.mapping_version) == ("climate", "3")
    temperature, humidity, voltage = resolution.readings
    assert temperature.thing == "urn:dev:z2m:kitchen%20sensor"
    assert temperature.property == "temperature"
    assert temperature.value == pytest.approx(21.5)
    assert (temperature.unit, temperature.source_value, temperature.source_unit) == (
        "DEG_C", 70.7, "DEG_F",
    )  # fmt: skip
    assert temperature.time == ARRIVAL
    assert temperature.provenance.mapping_id == "climate"
    assert temperature.provenance.mapping_version == "3"
    assert temperature.provenance.channel == "z2m/kitchen sensor"
    assert (humidity.value, humidity.unit, humidity.source_value) == (40.0, "PERCENT_RH", None)
    assert type(humidity.value) is float
    assert voltage.value == pytest.approx(2.995)
    assert voltage.unit == "V"
    (thing,) = resolution.things
    assert thing.iri == "urn:dev:z2m:kitchen%20sensor"
    assert (thing.type, thing.label, thing.mapping_id) == ("saref:Sensor", "Sensor kitchen sensor",
                                                           "climate")  # fmt: skip
    assert thing.placement == Placement(area="kitchen", position=(1.0, 2.0, 3.0))
    assert thing.variables == (("device", "kitchen sensor"),)


def test_optional_readings_are_skipped_required_ones_reject(
    load_text: Load, envelope: Make
) -> None:
    mappings = load_text(CLIMATE.replace('when: {path: "$.temperature", exists: true}', ""))
    assert len(mappings.resolve(envelope("z2m/a", b'{"temperature": 50}')).readings) == 1
    mappings = load_text(CLIMATE.replace("required: [temperature]", "required: []").replace(
        "when: {path: \"$.temperature\", exists: true}", ""))  # fmt: skip
    with pytest.raises(ExtractionError) as caught:
        mappings.resolve(envelope("z2m/a", b'{"humidity": 5}'))
    error = caught.value
    assert error.reason == "readings[0] (temperature): $.temperature selects nothing"
    assert error.mapping_id == "climate"
    assert error.detail == {"path": "$.temperature", "reading": 0}
    assert error.stage == "extract"


def test_schema_violation(load_text: Load, envelope: Make) -> None:
    with pytest.raises(SchemaViolation) as caught:
        load_text(CLIMATE).resolve(envelope("z2m/a", b'{"temperature": "hot"}'))
    assert caught.value.reason == "$.temperature: 'hot' is not of type 'number'"
    assert caught.value.detail == {
        "path": "$.temperature", "schema_path": "/properties/temperature/type", "keyword": "type",
    }  # fmt: skip
    assert caught.value.mapping_id == "climate"


def test_no_mapping(load_text: Load, envelope: Make) -> None:
    mappings = load_text(CLIMATE)
    with pytest.raises(NoMappingMatched) as caught:
        mappings.resolve(envelope("other/a", b"{}"))
    assert caught.value.reason == "no mapping for mqtt channel 'other/a'"
    assert caught.value.detail == {"protocol": "mqtt", "channel": "other/a", "candidates": []}
    with pytest.raises(NoMappingMatched, match="channel matched by: climate"):
        mappings.resolve(envelope("z2m/a", b'{"state": "ON"}'))  # `when` does not hold
    with pytest.raises(NoMappingMatched):
        mappings.resolve(envelope("z2m/a", b'{"temperature": 1}', protocol=Protocol.COAP))


def test_size_limit(load_text: Load, envelope: Make) -> None:
    mappings = load_text(CLIMATE, max_payload_bytes=64)
    with pytest.raises(DecodeError, match="payload of 65 bytes is over the limit of 64 bytes"):
        mappings.resolve(envelope("z2m/a", b"{" + b" " * 63 + b"}"))
    assert mappings.resolve(envelope("z2m/a", b'{"temperature": 1}')).readings


def test_depth_limit(load_text: Load, envelope: Make) -> None:
    mappings = load_text(CLIMATE, max_json_depth=2)
    with pytest.raises(DecodeError, match="deeper than 2") as caught:
        mappings.resolve(envelope("z2m/a", b'{"temperature": 1, "x": {"y": {}}}'))
    assert caught.value.mapping_id == "climate"


def _on_channel(id: str, channel: str, extra: str = "", priority: int = 0, when: str = "") -> str:
    return f"""
id: {id}
version: "1"
priority: {priority}
match:
  protocol: mqtt
  channel: "{channel}"
  {when}
{extra}
thing:
  iri: "urn:dev:{id}"
readings: []
"""


def test_priority_then_specificity_then_id(load_text: Load, envelope: Make) -> None:
    mappings = load_text(
        _on_channel("a-wild", "dev/{x}"),
        _on_channel("b-rest", "dev/{x+}"),
        _on_channel("c-literal", "dev/bridge"),
        _on_channel("d-wild-too", "dev/{x}"),
    )
    assert mappings.resolve(envelope("dev/bridge", b"{}")).mapping_id == "c-literal"
    assert mappings.resolve(envelope("dev/other", b"{}")).mapping_id == "a-wild"  # id breaks ties
    assert mappings.resolve(envelope("dev/a/b", b"{}")).mapping_id == "b-rest"
    boosted = load_text(_on_channel("rest", "dev/{x+}", priority=5), _on_channel("lit", "dev/x"))
    assert boosted.resolve(envelope("dev/x", b"{}")).mapping_id == "rest"


def test_when_conditions_pick_among_candidates(load_text: Load, envelope: Make) -> None:
    mappings = load_text(
        _on_channel("plug", "z/{d}", when='when: [{path: "$.state", in: ["ON", "OFF"]}]'),
        _on_channel("contact", "z/{d}", when='when: {path: "$.contact", equals: true}'),
        _on_channel("named", "z/{d}", priority=-1, when='when: {path: "$.model", regex: "^W"}'),
        _on_channel("fallback", "z/{d}", priority=-2),
    )
    assert mappings.resolve(envelope("z/1", b'{"state": "ON"}')).mapping_id == "plug"
    assert mappings.resolve(envelope("z/1", b'{"contact": true}')).mapping_id == "contact"
    assert mappings.resolve(envelope("z/1", b'{"contact": 1}')).mapping_id == "fallback"
    assert mappings.resolve(envelope("z/1", b'{"model": "WSDCGQ"}')).mapping_id == "named"
    assert mappings.resolve(envelope("z/1", b'{"model": 5}')).mapping_id == "fallback"
    assert mappings.topic_filters() == ["z/+"]


def test_decode_falls_through_formats_and_prefers_the_content_format(
    load_text: Load, envelope: Make
) -> None:
    as_json = _on_channel("as-json", "s/{d}")
    as_text = _on_channel("as-text", "s/{d}", "payload: {format: text}")
    mappings = load_text(as_json, as_text)
    assert mappings.resolve(envelope("s/1", b'{"a": 1}')).mapping_id == "as-json"
    assert mappings.resolve(envelope("s/1", b"ON")).mapping_id == "as-text"  # not JSON
    preferred = envelope("s/1", b"42", content_format="text/plain; charset=utf-8")
    assert mappings.resolve(preferred).mapping_id == "as-text"
    assert mappings.resolve(envelope("s/1", b"42")).mapping_id == "as-json"
    only_json = load_text(as_json)
    with pytest.raises(DecodeError, match="not valid JSON") as caught:
        only_json.resolve(envelope("s/1", b"ON"))
    assert caught.value.mapping_id == "as-json"


KINDS = """
id: kinds
version: "1"
match: {protocol: mqtt, channel: "k/{d}"}
thing: {iri: "urn:k:{d}"}
readings:
  - property: onOff
    value: $.state
    transform: [{map: {"ON": true, "OFF": false}}]
    optional: true
  - property: contact
    value: $.contact
    optional: true
  - property: action
    value: $.action
    optional: true
  - property: power
    value: $.power
    transform: [{number: true}, {scale: 1e300}, {scale: 1e300}]
    optional: true
  - property: energy
    value: $.energy
    optional: true
"""


@pytest.mark.parametrize(
    ("payload", "values"),
    [
        (b'{"state": "ON"}', [("onOff", True)]),
        (b'{"contact": false}', [("contact", False)]),
        (b'{"action": "single"}', [("action", "single")]),
        (b'{"energy": 12}', [("energy", 12.0)]),
        (b"{}", []),
    ],
)
def test_value_kinds(
    load_text: Load, envelope: Make, payload: bytes, values: list[tuple[str, object]]
) -> None:
    readings = load_text(KINDS).resolve(envelope("k/1", payload)).readings
    assert [(r.property, r.value) for r in readings] == values
    assert all(type(r.value) is type(v) for r, (_, v) in zip(readings, values, strict=True))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            b'{"state": "STANDBY"}',
            "readings[0] (onOff): map: no entry for 'STANDBY' (known: 'ON', 'OFF')",
        ),
        (b'{"contact": 1}', "readings[1] (contact): 1 is not a boolean; add a map step"),
        (b'{"action": 3}', "readings[2] (action): 3 is not text; add a string step"),
        (b'{"power": "1"}', "readings[3] (power): inf is not a finite number"),
        (b'{"energy": "12"}', "readings[4] (energy): '12' is not a number; add a number step"),
        (b'{"energy": true}', "readings[4] (energy): True is not a number"),
        (b'{"energy": [1]}', "readings[4] (energy): [1] is not a number"),
        (b'{"energy": 1e309}', None),  # not JSON orjson accepts: decode error instead
    ],
)
def test_value_kind_failures(
    load_text: Load, envelope: Make, payload: bytes, reason: str | None
) -> None:
    mappings = load_text(KINDS)
    if reason is None:
        with pytest.raises(DecodeError):
            mappings.resolve(envelope("k/1", payload))
        return
    with pytest.raises(ExtractionError) as caught:
        mappings.resolve(envelope("k/1", payload))
    assert caught.value.reason == reason


SENML = """
id: senml
version: "1"
match: {protocol: coap, channel: "senml/{gateway}"}
payload: {format: senml+json}
thing:
  iri: "urn:dev:{gateway}:{sensor}"
  label: "{sensor} on {gateway}"
readings:
  - foreach: "$[*]"
    where: {path: "@.n", regex: "^(?P<sensor>[^:]+):(?P<kind>temp|hum)$"}
    property: {template: "{kind}", map: {temp: temperature, hum: relativeHumidity}}
    value: "@.v"
    unit: {path: "@.u", codes: senml}
    time: {path: "@.t", format: epoch_s}
"""


def test_foreach_where_dynamic_property_and_unit(load_text: Load, envelope: Make) -> None:
    pack = (
        b'[{"bn": "s1:", "bt": 1.7e9, "n": "temp", "u": "Cel", "v": 21.5},'
        b' {"n": "hum", "u": "%RH", "v": 40, "t": 10},'
        b' {"bn": "s2:", "n": "temp", "u": "K", "v": 300},'
        b' {"n": "door", "vb": true}]'
    )
    resolution = load_text(SENML).resolve(envelope("senml/gw", pack, protocol=Protocol.COAP))
    got = [(r.thing, r.property, r.value, r.unit, r.time) for r in resolution.readings]
    assert got == [
        ("urn:dev:gw:s1", "temperature", 21.5, "DEG_C", datetime.fromtimestamp(1.7e9, UTC)),
        ("urn:dev:gw:s1", "relativeHumidity", 40.0, "PERCENT_RH",
         datetime.fromtimestamp(1.7e9 + 10, UTC)),
        ("urn:dev:gw:s2", "temperature", pytest.approx(26.85), "DEG_C",
         datetime.fromtimestamp(1.7e9, UTC)),
    ]  # fmt: skip
    assert resolution.readings[2].source_unit == "K"
    assert [(t.iri, t.label) for t in resolution.things] == [
        ("urn:dev:gw:s1", "s1 on gw"), ("urn:dev:gw:s2", "s2 on gw"),
    ]  # fmt: skip
    assert dict(resolution.things[0].variables) == {"gateway": "gw", "sensor": "s1", "kind": "temp"}


@pytest.mark.parametrize(
    ("pack", "reason"),
    [
        (b'[{"n": "s1:temp", "u": "W", "v": 1}]', "unit W does not measure temperature"),
        (b'[{"n": "s1:temp", "u": "furlong", "v": 1}]', "unknown senml unit code 'furlong'"),
        (b'[{"n": "s1:temp", "v": 1}]', "unit: @.u selects nothing"),
    ],
)
def test_dynamic_unit_failures(load_text: Load, envelope: Make, pack: bytes, reason: str) -> None:
    with pytest.raises(ExtractionError, match=reason):
        load_text(SENML).resolve(envelope("senml/gw", pack, protocol=Protocol.COAP))


HASS = """
id: hass
version: "1"
match: {protocol: mqtt, channel: "homeassistant/sensor/{node}/{object}/state"}
payload: {format: text}
thing: {iri: "urn:ha:{node}"}
readings:
  - property: {template: "{object}", map: {humidity: relativeHumidity}}
    value: $
    unit: {template: "{object}", map: {temperature: DEG_C, humidity: PERCENT_RH}, default: DEG_C}
    OPTIONAL
"""


def test_property_from_the_channel(load_text: Load, envelope: Make) -> None:
    mappings = load_text(HASS.replace("OPTIONAL", ""))
    reading = mappings.resolve(envelope("homeassistant/sensor/n1/humidity/state", "41.5")).readings
    assert [(r.thing, r.property, r.value, r.unit) for r in reading] == [
        ("urn:ha:n1", "relativeHumidity", 41.5, "PERCENT_RH")
    ]
    with pytest.raises(ExtractionError, match="unknown property 'noise'"):
        mappings.resolve(envelope("homeassistant/sensor/n1/noise/state", "3"))
    skipping = load_text(HASS.replace("OPTIONAL", "optional: true"))
    assert skipping.resolve(envelope("homeassistant/sensor/n1/noise/state", "3")).readings == ()


CAPTURES = """
id: ttn
version: "1"
match: {protocol: http, channel: "/ttn/uplink"}
captures:
  device: {path: "$.end_device_ids.device_id"}
  app: {path: "$.end_device_ids.application_ids.application_id", regex: "^(?P<value>[a-z]+)"}
time: {path: $.received_at, format: iso8601, timezone: Europe/Berlin}
thing: {iri: "urn:ttn:{app}:{device}"}
readings:
  - property: temperature
    value: $.decoded.t
  - property: batteryLevel
    value: $.decoded.bat
    time: arrival
  - property: relativeHumidity
    value: $.decoded.h
    time: {path: $.decoded.h_at, format: epoch_ms, optional: true}
"""


def test_captures_and_times(load_text: Load, envelope: Make) -> None:
    payload = (
        b'{"end_device_ids": {"device_id": "eui-1",'
        b' "application_ids": {"application_id": "farm42"}},'
        b' "received_at": "2026-11-25T12:00:00", "decoded": {"t": 5, "bat": 90, "h": 50}}'
    )
    resolution = load_text(CAPTURES).resolve(envelope("ttn/uplink", payload, Protocol.HTTP))
    temperature, battery, humidity = resolution.readings
    assert temperature.thing == "urn:ttn:farm:eui-1"
    assert temperature.time == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # Berlin is UTC+1
    assert battery.time == ARRIVAL
    assert humidity.time == ARRIVAL  # optional time, absent: the arrival time
    with pytest.raises(ExtractionError, match=r"capture device: \$\.end_device_ids\.device_id"):
        load_text(CAPTURES).resolve(envelope("ttn/uplink", b'{"decoded": {}}', Protocol.HTTP))
    broken_time = payload.replace(b"2026-11-25T12:00:00", b"noon")
    with pytest.raises(ExtractionError, match="time: 'noon' is not ISO 8601"):
        load_text(CAPTURES).resolve(envelope("ttn/uplink", broken_time, Protocol.HTTP))


def test_description_only_mapping_registers_its_thing(load_text: Load, envelope: Make) -> None:
    resolution = load_text(_on_channel("disc", "ha/{node}/config")).resolve(
        envelope("ha/n1/config", b"{}")
    )
    assert resolution.readings == ()
    assert [thing.iri for thing in resolution.things] == ["urn:dev:disc"]


def test_repeated_envelopes_share_immutable_descriptions(load_text: Load, envelope: Make) -> None:
    mappings = load_text(CLIMATE)
    first = mappings.resolve(envelope("z2m/a", b'{"temperature": 1}'))
    second = mappings.resolve(envelope("z2m/a", b'{"temperature": 2}'))
    assert first.things == second.things
    assert first.things[0] is second.things[0]
    assert first.readings[0].provenance is second.readings[0].provenance
    assert second.readings[0].value != first.readings[0].value


GROUPED = """
id: grouped
version: "1"
match: {protocol: coap, channel: "g/{gateway}"}
payload: {format: senml+json}
thing: {iri: "urn:g:{gateway}:{sensor}"}
readings:
  - foreach: "$[*]"
    where: {path: "@.n", regex: "^(?P<sensor>[a-z]+):temp$"}
    property: temperature
    value: "@.v"
  - foreach: "$[*]"
    where: {path: "@.n", regex: "^(?P<sensor>[a-z]+):hum$"}
    property: relativeHumidity
    value: "@.v"
    unit: PERCENT_RH
  - foreach: "$[*]"
    where: {path: "@.n", regex: "^(?P<sensor>[a-z]+):(temp|hum)$"}
    property: batteryLevel
    value: "@.v"
"""


def test_foreach_readings_come_reading_by_reading(load_text: Load, envelope: Make) -> None:
    """Readings over the same items are matched in one walk, yet come out in the mapping's
    order, each reading's items in the payload's order (as if each reading walked alone)."""
    pack = (
        b'[{"n": "b:hum", "v": 40}, {"n": "a:temp", "v": 20}, {"n": "x:other", "v": 0},'
        b' {"n": "a:hum", "v": 41}, {"n": "b:temp", "v": 21}]'
    )
    mappings = load_text(GROUPED)
    for _ in range(2):  # the second time, the item texts' readings are remembered
        resolution = mappings.resolve(envelope("g/gw", pack, protocol=Protocol.COAP))
        got = [(r.thing.rsplit(":", 1)[1], r.property, r.value) for r in resolution.readings]
        assert got == [
            ("a", "temperature", 20.0), ("b", "temperature", 21.0),
            ("b", "relativeHumidity", 40.0), ("a", "relativeHumidity", 41.0),
            ("b", "batteryLevel", 40.0), ("a", "batteryLevel", 20.0),
            ("a", "batteryLevel", 41.0), ("b", "batteryLevel", 21.0),
        ]  # fmt: skip
        assert [thing.iri for thing in resolution.things] == ["urn:g:gw:a", "urn:g:gw:b"]
