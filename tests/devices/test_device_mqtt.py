"""MQTT simulators against a real mosquitto on loopback: topics, payload shapes, commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from device_support import WAIT, Mosquitto, MqttListener, free_port

from translator.devices import (
    ClimateSensor,
    ContactSensor,
    HomeAssistantNode,
    MqttBroker,
    MqttDevice,
    OwnTracksPhone,
    Pace,
    ShellySwitch,
    SmartPlug,
    TasmotaPlug,
)
from translator.devices.mqtt import MqttModel
from translator.errors import AdapterError

FAST = Pace(period=0.02)


@contextlib.asynccontextmanager
async def running(
    model: MqttModel, broker: MqttBroker, pace: Pace = FAST
) -> AsyncIterator[asyncio.Task[int]]:
    """Run one simulated device for the duration of the block, then stop it (bounded)."""
    stop = asyncio.Event()
    task = asyncio.create_task(MqttDevice(model, broker, pace).run(stop))
    try:
        yield task
    finally:
        stop.set()
        async with asyncio.timeout(WAIT):
            await task


def states(listener: MqttListener, topic: str) -> list[Any]:
    return [orjson.loads(m.payload) for m in listener.on(topic)]


@pytest.mark.parametrize(
    ("model", "keys"),
    [
        (
            ClimateSensor("climate_t", seed=1),
            {"battery", "humidity", "linkquality", "pressure", "temperature", "voltage"},
        ),
        (
            ContactSensor("contact_t", seed=2),
            {"battery", "contact", "linkquality", "temperature", "voltage"},
        ),
        (
            SmartPlug("plug_t", seed=3),
            {
                "current",
                "energy",
                "linkquality",
                "power",
                "power_outage_memory",
                "state",
                "voltage",
            },
        ),
    ],
    ids=["climate", "contact", "plug"],
)
async def test_zigbee2mqtt_devices_publish_their_state_objects(
    broker: MqttBroker, listen: Callable[..., MqttListener], model: Any, keys: set[str]
) -> None:
    listener = listen(f"zigbee2mqtt/{model.name}/#")
    topic = f"zigbee2mqtt/{model.name}"
    async with running(model, broker):
        await listener.wait_count(topic, 5)
    published = states(listener, topic)
    assert all(set(state) == keys for state in published)
    assert len({orjson.dumps(s) for s in published}) > 1  # values change


async def test_climate_values_stay_in_their_physical_bounds(
    broker: MqttBroker, listen: Callable[..., MqttListener]
) -> None:
    listener = listen("zigbee2mqtt/bounds_t")
    async with running(ClimateSensor("bounds_t", seed=4), broker, Pace(period=0.005)):
        await listener.wait_count("zigbee2mqtt/bounds_t", 100)
    published = states(listener, "zigbee2mqtt/bounds_t")
    assert all(18.0 <= s["temperature"] <= 26.0 for s in published)
    assert all(30.0 <= s["humidity"] <= 60.0 for s in published)
    assert len({s["temperature"] for s in published}) > 10


async def test_zigbee2mqtt_plug_switches_off_on_set_and_reports_zero_power(
    broker: MqttBroker, listen: Callable[..., MqttListener]
) -> None:
    listener = listen("zigbee2mqtt/kitchen_t")
    async with running(SmartPlug("kitchen_t", seed=5), broker, Pace(period=0.2)):
        await listener.wait_count("zigbee2mqtt/kitchen_t", 1)
        assert states(listener, "zigbee2mqtt/kitchen_t")[0]["state"] == "ON"
        listener.publish("zigbee2mqtt/kitchen_t/set", b'{"state":"OFF"}')
        await listener.wait_for(
            lambda ms: any(
                m.topic == "zigbee2mqtt/kitchen_t" and orjson.loads(m.payload)["state"] == "OFF"
                for m in ms
            ),
            "the plug to report OFF",
        )
        seen = len(listener.on("zigbee2mqtt/kitchen_t"))
        await listener.wait_count("zigbee2mqtt/kitchen_t", seen + 2)
    published = states(listener, "zigbee2mqtt/kitchen_t")
    first_off = next(i for i, s in enumerate(published) if s["state"] == "OFF")
    assert all(s["state"] == "OFF" and s["power"] == 0 for s in published[first_off:])


async def test_tasmota_plug_telemetry_lwt_and_power_command(
    broker: MqttBroker, listen: Callable[..., MqttListener]
) -> None:
    listener = listen("tele/desk_t/#", "stat/desk_t/#")
    async with running(TasmotaPlug("desk_t", seed=6), broker, Pace(period=0.2)):
        await listener.wait_count("tele/desk_t/SENSOR", 1)
        listener.publish("cmnd/desk_t/POWER", b"OFF")
        await listener.wait_count("stat/desk_t/POWER", 1)
        seen = len(listener.on("tele/desk_t/SENSOR"))
        await listener.wait_count("tele/desk_t/SENSOR", seen + 1)
    assert [m.payload for m in listener.on("stat/desk_t/POWER")] == [b"OFF"]
    assert states(listener, "stat/desk_t/RESULT") == [{"POWER": "OFF"}]
    assert states(listener, "tele/desk_t/SENSOR")[-1]["ENERGY"]["Power"] == 0
    assert states(listener, "tele/desk_t/STATE")[-1]["POWER"] == "OFF"
    lwt = await listener.wait_count("tele/desk_t/LWT", 2)
    assert [m.payload for m in lwt] == [b"Online", b"Offline"]


async def test_shelly_answers_switch_set_on_the_callers_topic(
    broker: MqttBroker, listen: Callable[..., MqttListener]
) -> None:
    device = "shellyplus1pm-test01"
    listener = listen(f"{device}/#", "translator-test/rpc")
    async with running(ShellySwitch(device, seed=7), broker, Pace(period=0.2)):
        await listener.wait_count(f"{device}/events/rpc", 1)
        request = {
            "id": 42,
            "src": "translator-test",
            "method": "Switch.Set",
            "params": {"id": 0, "on": False},
        }
        listener.publish(f"{device}/rpc", orjson.dumps(request))
        (reply,) = await listener.wait_count("translator-test/rpc", 1)
        await listener.wait_for(
            lambda ms: any(
                m.topic == f"{device}/events/rpc"
                and orjson.loads(m.payload)["params"]["switch:0"]["output"] is False
                for m in ms
            ),
            "a NotifyStatus with output false",
        )
    assert orjson.loads(reply.payload) == {
        "id": 42,
        "src": device,
        "dst": "translator-test",
        "result": {"was_on": True},
    }
    notifications = states(listener, f"{device}/events/rpc")
    assert all(n["method"] == "NotifyStatus" for n in notifications)
    off = [n["params"]["switch:0"] for n in notifications if not n["params"]["switch:0"]["output"]]
    assert all(status["apower"] == 0 for status in off)
    assert listener.on(f"{device}/online")[0].payload == b"true"


async def test_home_assistant_node_discovery_is_retained_and_its_relay_obeys(
    broker: MqttBroker, listen: Callable[..., MqttListener]
) -> None:
    relay = "homeassistant/switch/porch_t/relay"
    async with running(HomeAssistantNode("porch_t", seed=12), broker, Pace(period=0.2)):
        await listen("homeassistant/#").wait_count(f"{relay}/state", 1)
        late = listen("homeassistant/+/porch_t/+/config")
        configs = await late.wait_for(lambda ms: len(ms) >= 4, "4 retained configs")
        assert all(m.retain for m in configs)
        states = listen(f"{relay}/state")
        late.publish(f"{relay}/set", b"ON")
        await states.wait_for(
            lambda ms: any(m.payload == b"ON" for m in ms), "the relay to report ON"
        )


async def test_owntracks_phone_publishes_retained_locations(
    broker: MqttBroker, listen: Callable[..., MqttListener]
) -> None:
    listener = listen("owntracks/#")
    async with running(OwnTracksPhone("phone_t", user="bob", seed=8), broker):
        await listener.wait_count("owntracks/bob/phone_t", 3)
    locations = states(listener, "owntracks/bob/phone_t")
    assert all(loc["_type"] == "location" for loc in locations)
    assert all(isinstance(loc["lat"], float) and isinstance(loc["tst"], int) for loc in locations)


async def test_max_messages_bounds_a_run_and_returns_the_count(
    broker: MqttBroker, listen: Callable[..., MqttListener]
) -> None:
    listener = listen("tele/bounded_t/#")
    stop = asyncio.Event()
    device = MqttDevice(TasmotaPlug("bounded_t", seed=9), broker, Pace(0.01, max_messages=5))
    async with asyncio.timeout(WAIT):
        sent = await device.run(stop)
    assert sent == 5
    await listener.wait_count("tele/bounded_t/LWT", 2)  # Online, then Offline at the end
    telemetry = [m for m in listener.messages if m.topic != "tele/bounded_t/LWT"]
    assert len(telemetry) == 5


async def test_duration_bounds_a_run(broker: MqttBroker) -> None:
    device = MqttDevice(ClimateSensor("timed_t", seed=10), broker, Pace(0.05, duration=0.3))
    async with asyncio.timeout(WAIT):
        sent = await device.run(asyncio.Event())
    assert 1 <= sent <= 10


async def test_no_broker_is_an_adapter_error_that_names_the_address() -> None:
    port = free_port()
    unreachable = MqttBroker(port=port, connect_timeout=0.5)
    device = MqttDevice(ClimateSensor("lonely", seed=11), unreachable, FAST)
    with pytest.raises(AdapterError, match=f"127.0.0.1:{port}"):
        await device.run(asyncio.Event())


async def test_a_device_survives_a_broker_restart_and_still_takes_commands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mosquitto = Mosquitto(tmp_path, free_port())
    with mosquitto, caplog.at_level(logging.WARNING, logger="translator.devices.mqtt"):
        async with running(SmartPlug("phoenix", seed=13), mosquitto.broker, Pace(0.05)):
            first = MqttListener(mosquitto.broker, ("zigbee2mqtt/phoenix",))
            await first.wait_count("zigbee2mqtt/phoenix", 1)
            first.close()
            mosquitto.stop()
            await asyncio.sleep(0.3)
            mosquitto.start()
            again = MqttListener(mosquitto.broker, ("zigbee2mqtt/phoenix",))
            try:
                await again.wait_count("zigbee2mqtt/phoenix", 1)  # reconnected
                again.publish("zigbee2mqtt/phoenix/set", b'{"state": "OFF"}')  # resubscribed
                await again.wait_for(
                    lambda ms: any(orjson.loads(m.payload)["state"] == "OFF" for m in ms),
                    "the plug to obey after the restart",
                )
            finally:
                again.close()
    assert any("lost its broker" in r.getMessage() for r in caplog.records)
