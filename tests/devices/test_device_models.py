"""Device models without a network: payload shapes, physical bounds, commands, determinism."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import orjson
import pytest

from translator.devices import (
    ClimateSensor,
    ContactSensor,
    HomeAssistantNode,
    Outgoing,
    OwnTracksPhone,
    Pace,
    PulseOximeter,
    SenmlSensor,
    ShellySwitch,
    SmartPlug,
    TasmotaPlug,
    TtnUplinkSender,
)
from translator.devices.base import Battery, Walk
from translator.devices.ttn import decode_lht65

FIXED = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED


def body(message: Outgoing) -> Any:
    return orjson.loads(message.payload)


def run(model: Any, steps: int, elapsed: float = 1.5) -> list[Outgoing]:
    return [m for _ in range(steps) for m in model.report(elapsed)]


# --- building blocks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": 0}, "period"),
        ({"max_messages": -1}, "max_messages"),
        ({"duration": 0}, "duration"),
    ],
)
def test_pace_refuses_nonsense(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Pace(**kwargs)  # type: ignore[arg-type]


def test_walk_stays_within_bounds_and_moves() -> None:
    walk = Walk(25.9, 18.0, 26.0, 1.5)
    rng = random.Random(1)
    values = [walk.next(rng) for _ in range(2000)]
    assert min(values) >= 18.0
    assert max(values) <= 26.0
    assert len(set(values)) > 1000


def test_walk_refuses_a_start_outside_its_bounds() -> None:
    with pytest.raises(ValueError, match="outside"):
        Walk(30.0, 18.0, 26.0, 1.0)


def test_battery_only_drains_and_stops_at_its_floor() -> None:
    battery = Battery(percent=8, drain_chance=0.5, floor=5)
    rng = random.Random(3)
    levels = [battery.next(rng) for _ in range(200)]
    assert levels == sorted(levels, reverse=True)
    assert levels[-1] == 5


# --- determinism ---------------------------------------------------------------------------

MODELS = {
    "climate": lambda seed: ClimateSensor("s", seed=seed),
    "contact": lambda seed: ContactSensor("s", seed=seed),
    "plug": lambda seed: SmartPlug("s", seed=seed),
    "tasmota": lambda seed: TasmotaPlug("s", seed=seed, clock=fixed_clock),
    "shelly": lambda seed: ShellySwitch("s", seed=seed, clock=fixed_clock),
    "owntracks": lambda seed: OwnTracksPhone("s", seed=seed, clock=fixed_clock),
    "homeassistant": lambda seed: HomeAssistantNode("s", seed=seed),
    "senml": lambda seed: SenmlSensor("s", seed=seed, clock=fixed_clock),
    "ttn": lambda seed: TtnUplinkSender("s", seed=seed, clock=fixed_clock),
    "fhir": lambda seed: PulseOximeter("s", seed=seed, clock=fixed_clock),
}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_same_seed_same_payloads_other_seed_other_payloads(kind: str) -> None:
    build = MODELS[kind]
    first, again, other = (run(build(seed), 20) for seed in (7, 7, 8))
    assert first == again
    assert first != other


# --- Zigbee2MQTT ---------------------------------------------------------------------------


def test_climate_sensor_publishes_the_wsdcgq11lm_exposes_within_bounds() -> None:
    sensor = ClimateSensor("living_room", seed=1)
    messages = run(sensor, 400)
    assert {m.channel for m in messages} == {"zigbee2mqtt/living_room"}
    states = [body(m) for m in messages]
    assert all(
        set(s) == {"battery", "humidity", "linkquality", "pressure", "temperature", "voltage"}
        for s in states
    )
    for state in states:
        assert isinstance(state["temperature"], float)
        assert 18.0 <= state["temperature"] <= 26.0
        assert 30.0 <= state["humidity"] <= 60.0
        assert 0 <= state["battery"] <= 100
        assert isinstance(state["battery"], int)
        assert isinstance(state["voltage"], int)
        assert 0 <= state["linkquality"] <= 255
    assert len({s["temperature"] for s in states}) > 50
    batteries = [s["battery"] for s in states]
    assert batteries == sorted(batteries, reverse=True)


def test_contact_sensor_opens_and_closes_now_and_then() -> None:
    states = [body(m) for m in run(ContactSensor("front_door", seed=2), 200)]
    contacts = [s["contact"] for s in states]
    assert all(isinstance(c, bool) for c in contacts)
    assert True in contacts
    assert False in contacts
    assert set(states[0]) == {"battery", "contact", "linkquality", "temperature", "voltage"}


def test_plug_reports_power_voltage_current_energy_and_growing_energy() -> None:
    plug = SmartPlug("kitchen_plug", seed=3)
    states = [body(m) for m in run(plug, 300, elapsed=60.0)]
    assert set(states[0]) == {
        "current",
        "energy",
        "linkquality",
        "power",
        "power_outage_memory",
        "state",
        "voltage",
    }
    assert all(s["state"] == "ON" and s["power"] > 0 for s in states)
    energies = [s["energy"] for s in states]
    assert energies == sorted(energies)
    assert energies[-1] > energies[0]


@pytest.mark.parametrize(
    ("payload", "state"),
    [(b'{"state": "OFF"}', "OFF"), (b'{"state": "off"}', "OFF"), (b"OFF", "OFF")],
)
def test_plug_switches_off_on_set_and_reports_zero_power(payload: bytes, state: str) -> None:
    plug = SmartPlug("kitchen_plug", seed=4)
    plug.report(1.0)
    (reply,) = plug.handle("zigbee2mqtt/kitchen_plug/set", payload)
    assert reply.channel == "zigbee2mqtt/kitchen_plug"
    assert body(reply)["state"] == state
    assert body(reply)["power"] == 0
    assert body(reply)["current"] == 0
    later = [body(m) for m in run(plug, 5)]
    assert all(s["state"] == "OFF" and s["power"] == 0 for s in later)


def test_plug_toggles_answers_get_and_ignores_nonsense() -> None:
    plug = SmartPlug("p", seed=5, on=False)
    (reply,) = plug.handle("zigbee2mqtt/p/set", b'{"state": "TOGGLE"}')
    assert body(reply)["state"] == "ON"
    (state,) = plug.handle("zigbee2mqtt/p/get", b'{"state": ""}')
    assert body(state)["state"] == "ON"
    assert plug.handle("zigbee2mqtt/p/set", b'{"state": "DIM"}') == []
    assert plug.handle("zigbee2mqtt/p/set", b"[1, 2]") == []
    assert plug.handle("zigbee2mqtt/other/set", b'{"state": "OFF"}') == []
    (memory,) = plug.handle("zigbee2mqtt/p/set", b'{"power_outage_memory": "off"}')
    assert body(memory)["power_outage_memory"] == "off"


# --- Tasmota -------------------------------------------------------------------------------


def test_tasmota_sends_state_then_sensor_with_the_energy_block() -> None:
    plug = TasmotaPlug("desk", seed=6, clock=fixed_clock)
    state, sensor = plug.report(300.0)
    assert state.channel == "tele/desk/STATE"
    assert sensor.channel == "tele/desk/SENSOR"
    assert body(state)["POWER"] == "ON"
    assert body(state)["Time"] == "2026-11-25T10:00:00"
    assert set(body(state)["Wifi"]) >= {"RSSI", "Signal", "SSId"}
    energy = body(sensor)["ENERGY"]
    assert list(energy) == [
        "TotalStartTime",
        "Total",
        "Yesterday",
        "Today",
        "Period",
        "Power",
        "ApparentPower",
        "ReactivePower",
        "Factor",
        "Voltage",
        "Current",
    ]
    assert isinstance(energy["Power"], int)
    assert isinstance(energy["Voltage"], int)
    assert 0 < energy["Factor"] <= 1
    assert 224 <= energy["Voltage"] <= 240


def test_tasmota_power_command_answers_on_stat_and_next_telemetry_shows_no_load() -> None:
    plug = TasmotaPlug("desk", seed=7, clock=fixed_clock)
    plug.report(300.0)
    result, power = plug.handle("cmnd/desk/POWER", b"OFF")
    assert (result.channel, body(result)) == ("stat/desk/RESULT", {"POWER": "OFF"})
    assert (power.channel, power.payload) == ("stat/desk/POWER", b"OFF")
    state, sensor = plug.report(300.0)
    assert body(state)["POWER"] == "OFF"
    assert body(sensor)["ENERGY"]["Power"] == 0
    assert body(sensor)["ENERGY"]["Current"] == 0
    _, toggled = plug.handle("cmnd/desk/POWER", b"toggle")
    assert toggled.payload == b"ON"
    _, asked = plug.handle("cmnd/desk/POWER", b"")
    assert asked.payload == b"ON"
    _, numeric = plug.handle("cmnd/desk/POWER", b"0")
    assert numeric.payload == b"OFF"


def test_tasmota_energy_totals_grow_and_today_rolls_over_at_midnight() -> None:
    now = [datetime(2026, 11, 25, 23, 50, tzinfo=UTC)]
    plug = TasmotaPlug("desk", seed=8, clock=lambda: now[0])
    totals = []
    for _ in range(4):
        now[0] += timedelta(minutes=5)
        totals.append(body(plug.report(300.0)[1])["ENERGY"])
    assert [e["Total"] for e in totals] == sorted(e["Total"] for e in totals)
    assert totals[-1]["Today"] < totals[0]["Today"]
    assert totals[-1]["Yesterday"] >= totals[0]["Today"]


def test_tasmota_birth_and_will_are_retained_lwt() -> None:
    plug = TasmotaPlug("desk", seed=9)
    assert plug.birth() == [Outgoing("tele/desk/LWT", b"Online", retain=True)]
    assert plug.will() == Outgoing("tele/desk/LWT", b"Offline", retain=True)


# --- Shelly --------------------------------------------------------------------------------


def test_shelly_notify_status_carries_the_switch_status() -> None:
    shelly = ShellySwitch("shellyplus1pm-01", seed=10, clock=fixed_clock)
    (message,) = shelly.report(1.5)
    frame = body(message)
    assert message.channel == "shellyplus1pm-01/events/rpc"
    assert frame["src"] == "shellyplus1pm-01"
    assert frame["dst"] == "shellyplus1pm-01/events"
    assert frame["method"] == "NotifyStatus"
    assert frame["params"]["ts"] == FIXED.timestamp()
    status = frame["params"]["switch:0"]
    assert set(status) == {
        "id",
        "source",
        "output",
        "apower",
        "voltage",
        "current",
        "aenergy",
        "temperature",
    }
    assert status["output"] is True
    assert set(status["aenergy"]) == {"total", "by_minute", "minute_ts"}
    assert len(status["aenergy"]["by_minute"]) == 3
    assert set(status["temperature"]) == {"tC", "tF"}


def test_shelly_switch_set_replies_to_the_caller_and_notifies_the_new_output() -> None:
    shelly = ShellySwitch("shelly-1", seed=11, clock=fixed_clock)
    request = {
        "id": 7,
        "src": "translator",
        "method": "Switch.Set",
        "params": {"id": 0, "on": False},
    }
    reply, notify = shelly.handle("shelly-1/rpc", orjson.dumps(request))
    assert reply.channel == "translator/rpc"
    assert body(reply) == {
        "id": 7,
        "src": "shelly-1",
        "dst": "translator",
        "result": {"was_on": True},
    }
    status = body(notify)["params"]["switch:0"]
    assert status["output"] is False
    assert status["apower"] == 0
    assert status["source"] == "MQTT"
    (again,) = shelly.handle("shelly-1/rpc", orjson.dumps(request))
    assert body(again)["result"] == {"was_on": False}


@pytest.mark.parametrize(
    ("request_frame", "code"),
    [
        ({"id": 1, "src": "t", "method": "Switch.Explode", "params": {"id": 0}}, 404),
        ({"id": 2, "src": "t", "method": "Switch.Set", "params": {"id": 3, "on": True}}, -103),
        ({"id": 3, "src": "t", "method": "Switch.Set", "params": {"id": 0, "on": "yes"}}, -103),
    ],
)
def test_shelly_refuses_bad_requests_with_an_error_frame(
    request_frame: dict[str, Any], code: int
) -> None:
    shelly = ShellySwitch("shelly-1", seed=12)
    (reply,) = shelly.handle("shelly-1/rpc", orjson.dumps(request_frame))
    assert body(reply)["error"]["code"] == code
    assert body(reply)["id"] == request_frame["id"]
    assert shelly.meter.on is True


def test_shelly_toggle_getstatus_and_requests_without_src() -> None:
    shelly = ShellySwitch("shelly-1", seed=13)
    toggle = {"id": 1, "src": "t", "method": "Switch.Toggle", "params": {"id": 0}}
    reply, _ = shelly.handle("shelly-1/rpc", orjson.dumps(toggle))
    assert body(reply)["result"] == {"was_on": True}
    get = {"id": 2, "src": "t", "method": "Switch.GetStatus", "params": {"id": 0}}
    (status,) = shelly.handle("shelly-1/rpc", orjson.dumps(get))
    assert body(status)["result"]["output"] is False
    anonymous = {"id": 3, "method": "Switch.Set", "params": {"id": 0, "on": True}}
    (notify,) = shelly.handle("shelly-1/rpc", orjson.dumps(anonymous))
    assert notify.channel == "shelly-1/events/rpc"
    assert shelly.handle("shelly-1/rpc", b"not json") == []


def test_shelly_energy_by_minute_fills_as_minutes_pass() -> None:
    now = [FIXED]
    shelly = ShellySwitch("s", seed=14, clock=lambda: now[0])
    totals = []
    for _ in range(5):
        now[0] += timedelta(seconds=60)
        status = body(shelly.report(60.0)[0])["params"]["switch:0"]
        totals.append(status["aenergy"]["total"])
    assert totals == sorted(totals)
    assert all(mwh > 0 for mwh in status["aenergy"]["by_minute"])
    assert status["aenergy"]["minute_ts"] == int(now[0].timestamp()) // 60 * 60


# --- Home Assistant -----------------------------------------------------------------------


def test_home_assistant_node_announces_its_entities_with_discovery_configs() -> None:
    node = HomeAssistantNode("hallway", seed=21)
    configs = {m.channel: body(m) for m in node.birth()}
    assert all(m.retain for m in node.birth())
    assert set(configs) == {
        "homeassistant/sensor/hallway/temperature/config",
        "homeassistant/sensor/hallway/humidity/config",
        "homeassistant/binary_sensor/hallway/motion/config",
        "homeassistant/switch/hallway/relay/config",
    }
    temperature = configs["homeassistant/sensor/hallway/temperature/config"]
    assert temperature["device_class"] == "temperature"
    assert temperature["unit_of_measurement"] == "°C"
    assert temperature["state_topic"] == "homeassistant/sensor/hallway/temperature/state"
    assert temperature["device"]["identifiers"] == ["hallway"]
    relay = configs["homeassistant/switch/hallway/relay/config"]
    assert relay["command_topic"] == "homeassistant/switch/hallway/relay/set"
    assert node.handle("homeassistant/status", b"online") == node.birth()
    assert node.handle("homeassistant/status", b"offline") == []


def test_home_assistant_node_states_are_plain_text_and_the_relay_obeys() -> None:
    node = HomeAssistantNode("hallway", seed=22)
    reports = run(node, 200)
    by_topic: dict[str, set[bytes]] = {}
    for message in reports:
        by_topic.setdefault(message.channel, set()).add(message.payload)
    temperatures = [float(p) for p in by_topic["homeassistant/sensor/hallway/temperature/state"]]
    assert all(18.0 <= t <= 26.0 for t in temperatures)
    assert by_topic["homeassistant/binary_sensor/hallway/motion/state"] == {b"ON", b"OFF"}
    assert by_topic["homeassistant/switch/hallway/relay/state"] == {b"OFF"}
    (state,) = node.handle("homeassistant/switch/hallway/relay/set", b"ON")
    assert (state.channel, state.payload) == ("homeassistant/switch/hallway/relay/state", b"ON")
    assert node.handle("homeassistant/switch/hallway/relay/set", b"TOGGLE") == []
    assert node.relay is True


# --- OwnTracks -----------------------------------------------------------------------------


def test_owntracks_location_walks_near_home() -> None:
    phone = OwnTracksPhone("phone", user="alice", seed=15, clock=fixed_clock, speed=5.0)
    messages = run(phone, 300, elapsed=10.0)
    assert {m.channel for m in messages} == {"owntracks/alice/phone"}
    assert all(m.retain for m in messages)
    locations = [body(m) for m in messages]
    for location in locations:
        assert location["_type"] == "location"
        assert location["tst"] == int(FIXED.timestamp())
        assert abs(location["lat"] - 52.52) < 0.004
        assert abs(location["lon"] - 13.405) < 0.007
        assert isinstance(location["batt"], int)
        assert location["tid"] == "ne"
    assert len({(x["lat"], x["lon"]) for x in locations}) > 100


# --- SenML ---------------------------------------------------------------------------------


def test_senml_json_pack_is_rfc8428_with_base_fields_first() -> None:
    sensor = SenmlSensor("balcony", seed=16, clock=fixed_clock)
    (message,) = sensor.report(1.0)
    assert message.channel == "senml/balcony"
    assert message.content_format == "application/senml+json"
    pack = body(message)
    assert pack[0]["bn"].startswith("urn:dev:mac:")
    assert pack[0]["bn"].endswith(":")
    assert pack[0]["bt"] == FIXED.timestamp()
    assert [r["n"] for r in pack] == ["temp", "hum", "batt"]
    assert [r["u"] for r in pack] == ["Cel", "%RH", "%EL"]
    assert 18.0 <= pack[0]["v"] <= 26.0
    assert 30.0 <= pack[1]["v"] <= 60.0


def test_senml_cbor_pack_uses_integer_labels() -> None:
    as_json = SenmlSensor("cellar", seed=17, clock=fixed_clock).report(1.0)[0]
    as_cbor = SenmlSensor("cellar", seed=17, clock=fixed_clock, encoding="cbor").report(1.0)[0]
    assert as_cbor.content_format == "application/senml+cbor"
    labels = {"bn": -2, "bt": -3, "n": 0, "u": 1, "v": 2}
    expected = [{labels[k]: v for k, v in r.items()} for r in body(as_json)]
    assert cbor2.loads(as_cbor.payload) == expected


# --- The Things Stack ----------------------------------------------------------------------


def test_ttn_uplink_has_the_v3_shape_and_a_consistent_lht65_frame() -> None:
    sender = TtnUplinkSender("lht65-garden", application_id="farm", seed=18, clock=fixed_clock)
    (message,) = sender.report(600.0)
    assert message.channel == "ttn/uplink"
    assert message.content_format == "application/json"
    assert dict(message.headers)["User-Agent"].startswith("TheThingsStack/")
    up = body(message)
    assert set(up) == {"end_device_ids", "correlation_ids", "received_at", "uplink_message"}
    assert up["end_device_ids"]["device_id"] == "lht65-garden"
    assert up["end_device_ids"]["application_ids"] == {"application_id": "farm"}
    assert up["received_at"] == "2026-11-25T10:00:00.000000000Z"
    uplink = up["uplink_message"]
    frame = base64.b64decode(uplink["frm_payload"])
    assert len(frame) == 11
    vendor = decode_lht65(frame)
    assert 18.0 <= vendor["TempC_SHT"] <= 26.0
    assert 30.0 <= vendor["Hum_SHT"] <= 60.0
    assert 2.9 <= vendor["BatV"] <= 3.1
    assert vendor["Ext_sensor"] == "Temperature Sensor"
    assert uplink["decoded_payload"] == {
        "temperature": vendor["TempC_SHT"],
        "humidity": vendor["Hum_SHT"],
        "battery": uplink["decoded_payload"]["battery"],
    }
    assert 70 <= uplink["decoded_payload"]["battery"] <= 100
    assert uplink["locations"]["user"]["source"] == "SOURCE_REGISTRY"
    assert uplink["f_port"] == 2
    assert uplink["rx_metadata"][0]["rssi"] < 0
    counters = [body(sender.report(600.0)[0])["uplink_message"]["f_cnt"] for _ in range(3)]
    assert counters == [uplink["f_cnt"] + 1, uplink["f_cnt"] + 2, uplink["f_cnt"] + 3]


def test_ttn_vendor_formatter_and_no_location() -> None:
    sender = TtnUplinkSender("d", seed=20, formatter="dragino", location=None, clock=fixed_clock)
    uplink = body(sender.report(600.0)[0])["uplink_message"]
    assert uplink["decoded_payload"] == decode_lht65(base64.b64decode(uplink["frm_payload"]))
    assert "locations" not in uplink


# --- FHIR ----------------------------------------------------------------------------------


def test_fhir_observations_are_vital_signs_within_bounds() -> None:
    oximeter = PulseOximeter("oximeter-1", patient="p1", seed=19, clock=fixed_clock)
    messages = run(oximeter, 300)
    assert all(m.channel == "fhir/Observation" for m in messages)
    assert all(m.content_format == "application/fhir+json" for m in messages)
    observations = [body(m) for m in messages]
    heart = [o for o in observations if o["code"]["coding"][0]["code"] == "8867-4"]
    spo2 = [o for o in observations if o["code"]["coding"][0]["code"] == "2708-6"]
    assert len(heart) == len(spo2) == 300
    for o in observations:
        assert o["resourceType"] == "Observation"
        assert o["status"] == "final"
        assert o["subject"] == {"reference": "Patient/p1"}
        assert o["device"] == {"reference": "Device/oximeter-1"}
        assert o["effectiveDateTime"] == "2026-11-25T10:00:00+00:00"
        assert o["category"][0]["coding"][0]["code"] == "vital-signs"
    assert all(55 <= o["valueQuantity"]["value"] <= 100 for o in heart)
    assert all(o["valueQuantity"]["code"] == "/min" for o in heart)
    assert all(94 <= o["valueQuantity"]["value"] <= 100 for o in spo2)
    assert all(o["valueQuantity"]["code"] == "%" for o in spo2)
    assert len({o["valueQuantity"]["value"] for o in heart}) > 5
