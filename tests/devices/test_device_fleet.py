"""DeviceFleet: every kind at once over the real network, bounded runs, supervision, shutdown."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import pytest
from device_support import WAIT, CoapRecorder, HttpRecorder, MqttListener, free_port

from translator.devices import (
    DEMO_FLEET,
    KINDS,
    CoapEndpoint,
    DeviceFleet,
    DeviceSpec,
    Endpoints,
    HttpEndpoint,
    MqttBroker,
    Pace,
)


def test_specs_are_checked_and_parsed() -> None:
    assert DeviceSpec.parse("tasmota-plug: desk") == DeviceSpec("tasmota-plug", "desk")
    with pytest.raises(ValueError, match="known kinds"):
        DeviceSpec("toaster", "t1")
    with pytest.raises(ValueError, match="KIND:NAME"):
        DeviceSpec.parse("tasmota-plug")
    with pytest.raises(ValueError, match="without /"):
        DeviceSpec("tasmota-plug", "a/b")


def test_the_demo_fleet_has_every_kind_and_unique_names() -> None:
    assert {spec.kind for spec in DEMO_FLEET} == set(KINDS)
    fleet = DeviceFleet.from_specs(DEMO_FLEET, Endpoints(), seed=1)
    assert [s.name for s in fleet.simulators] == [spec.name for spec in DEMO_FLEET]
    with pytest.raises(ValueError, match="unique"):
        DeviceFleet.from_specs([DEMO_FLEET[0], DEMO_FLEET[0]], Endpoints())


async def test_every_kind_reaches_the_translator_endpoints_and_stops_at_its_bound(
    broker: MqttBroker,
    listen: Callable[..., MqttListener],
    coap_recorder: CoapRecorder,
    http_recorder: HttpRecorder,
) -> None:
    specs = [DeviceSpec(kind, f"fleet-{kind}") for kind in sorted(KINDS)]
    for spec in specs:
        if KINDS[spec.kind].protocol == "coap":
            coap_recorder.accept("senml", spec.name)
    listener = listen("#")
    endpoints = Endpoints(
        mqtt=broker,
        coap=CoapEndpoint(base=coap_recorder.base, timeout=5.0),
        http=HttpEndpoint(base=http_recorder.base),
    )
    fleet = DeviceFleet.from_specs(specs, endpoints, pace=Pace(0.01, max_messages=4), seed=3)
    async with asyncio.timeout(WAIT):
        sent = await fleet.run(asyncio.Event())
    assert sent == {spec.name: 4 for spec in specs}
    assert len(coap_recorder.posts) == 8
    assert len(http_recorder.snapshot()) == 8
    mqtt_kinds = [spec for spec in specs if KINDS[spec.kind].protocol == "mqtt"]
    for spec in mqtt_kinds:
        await listener.wait_for(
            lambda ms, name=spec.name: any(name in m.topic for m in ms), f"{spec.name} on MQTT"
        )


async def test_start_and_stop_leave_no_task_behind(broker: MqttBroker) -> None:
    before = asyncio.all_tasks()
    specs = [DeviceSpec("zigbee2mqtt-plug", "stop-plug"), DeviceSpec("shelly-switch", "stop-sh")]
    fleet = DeviceFleet.from_specs(specs, Endpoints(mqtt=broker), pace=Pace(0.01))
    async with fleet:
        await asyncio.sleep(0.2)
        assert len(asyncio.all_tasks()) > len(before)
    assert asyncio.all_tasks() == before
    await fleet.start()
    with pytest.raises(RuntimeError, match="already running"):
        await fleet.start()
    await fleet.stop()
    assert asyncio.all_tasks() == before
    assert not [t for t in threading.enumerate() if t.name.startswith("paho-mqtt")]


async def test_cancelling_a_connecting_device_stops_its_network_thread() -> None:
    nowhere = MqttBroker(port=free_port(), connect_timeout=WAIT)
    fleet = DeviceFleet.from_specs([DeviceSpec("tasmota-plug", "stuck")], Endpoints(mqtt=nowhere))
    task = asyncio.create_task(fleet.run(asyncio.Event()))
    await asyncio.sleep(0.2)
    task.cancel()
    async with asyncio.timeout(WAIT):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not [t for t in threading.enumerate() if t.name.startswith("paho-mqtt")]


class Flaky:
    """A simulator that crashes on its first runs, then reports once."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs = 0

    @property
    def name(self) -> str:
        return "flaky"

    async def run(self, stop: asyncio.Event) -> int:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError("simulated bug")
        return 1


async def test_a_failing_simulator_is_logged_and_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flaky = Flaky(failures=2)
    fleet = DeviceFleet([flaky], restart_delay=0.01)
    with caplog.at_level(logging.ERROR, logger="translator.devices.fleet"):
        async with asyncio.timeout(WAIT):
            sent = await fleet.run(asyncio.Event())
    assert flaky.runs == 3
    assert sent == {"flaky": 1}
    assert sum("flaky failed" in r.getMessage() for r in caplog.records) == 2


async def test_a_device_without_broker_retries_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nowhere = Endpoints(mqtt=MqttBroker(port=free_port(), connect_timeout=0.2))
    fleet = DeviceFleet.from_specs(
        [DeviceSpec("tasmota-plug", "orphan")], nowhere, restart_delay=0.05
    )

    def retries() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "orphan" in r.getMessage()]

    with caplog.at_level(logging.WARNING, logger="translator.devices.fleet"):
        await fleet.start()
        for _ in range(int(WAIT / 0.05)):
            if len(retries()) >= 2:
                break
            await asyncio.sleep(0.05)
        async with asyncio.timeout(WAIT):
            assert await fleet.stop() == {}
    assert len(retries()) >= 2
    assert all(r.levelno == logging.WARNING for r in retries())
    assert "is the broker running?" in retries()[0].getMessage()
