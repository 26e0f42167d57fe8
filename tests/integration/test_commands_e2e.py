"""Commands end to end: HTTP and WebSocket → mapping → MQTT / CoAP / HTTP → simulated device.

The service runs in-process on free loopback ports with its embedded broker; the devices are
the simulators of ``translator/devices``: a Zigbee2MQTT plug, a Tasmota plug and a Shelly
switch on MQTT, an LwM2M/IPSO plug behind a CoAP gateway, a Shelly switch over HTTP RPC.
Each command must end ``confirmed``: the device switched and reported its new state, which
the translator received and matched. A command to a device that went away ends ``timed-out``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema
import websockets

from tests.conftest import free_port
from tests.integration.conftest import StartService, free_udp_port, wait_until
from translator.devices import (
    CoapEndpoint,
    HttpEndpoint,
    MqttBroker,
    MqttDevice,
    Pace,
    ShellySwitch,
    SmartPlug,
    TasmotaPlug,
)
from translator.devices.coap_actuator import CoapPlug, CoapPlugGateway
from translator.devices.http_actuator import ShellyHttpServer
from translator.service import Running

TD_SCHEMA = (
    Path(__file__).resolve().parents[1] / "fixtures" / "wot-td" / "td-json-schema-validation.json"
)
QUIET = Pace(period=60.0)  # one report at start (the thing registers), then only on commands
SWITCHES = {
    "urn:dev:zigbee2mqtt:kitchen_plug": "mqtt",
    "urn:dev:tasmota:desk": "mqtt",
    "urn:dev:shelly:shellyplus1pm-e2e0001": "mqtt",
    "urn:dev:lwm2m:hall": "coap",
    "urn:dev:shelly:shellyplus1pm-e2e0002": "http",
}
WAIT_S = 15.0


@dataclass
class Site:
    """A running service and its devices."""

    running: Running
    http: httpx.AsyncClient
    plug: MqttDevice
    shelly_http: ShellyHttpServer
    coap: CoapPlugGateway
    stop_devices: Callable[..., Awaitable[None]]  # stop_devices(device, …); none: all


def path(thing: str) -> str:
    return "/things/" + quote(thing, safe="")


@asynccontextmanager
async def site(start_service: StartService, **settings: Any) -> AsyncIterator[Site]:
    gateway_port, shelly_port = free_udp_port(), free_port()
    running = await start_service(
        coap={"port": free_udp_port(), "device_base": f"coap://127.0.0.1:{gateway_port}"},
        commands={
            "confirm_timeout_s": settings.get("confirm_timeout_s", 10.0),
            "http": {"device_base": f"http://127.0.0.1:{shelly_port}"},
        },
    )
    assert running.mqtt_url is not None
    assert running.coap_url is not None
    host, port = running.mqtt_url.removeprefix("mqtt://").rsplit(":", 1)
    broker = MqttBroker(host, int(port))
    plug = MqttDevice(SmartPlug("kitchen_plug", seed=1, on=False), broker, QUIET)
    mqtt_devices = [
        plug,
        MqttDevice(TasmotaPlug("desk", seed=2, on=False), broker, QUIET),
        MqttDevice(ShellySwitch("shellyplus1pm-e2e0001", seed=3, on=False), broker, QUIET),
    ]
    coap = CoapPlugGateway(
        [CoapPlug("hall", seed=4)], CoapEndpoint(running.coap_url), QUIET, port=gateway_port
    )
    shelly_http = ShellyHttpServer(
        [ShellySwitch("shellyplus1pm-e2e0002", seed=5, on=False)],
        HttpEndpoint(f"{running.http_url}/ingest"),
        QUIET,
        port=shelly_port,
    )
    devices: list[MqttDevice | CoapPlugGateway | ShellyHttpServer] = [
        *mqtt_devices,
        coap,
        shelly_http,
    ]
    stops: dict[object, asyncio.Event] = {device: asyncio.Event() for device in devices}
    tasks: dict[object, asyncio.Task[int]] = {
        device: asyncio.create_task(device.run(stops[device])) for device in devices
    }

    async def stop_devices(*which: object) -> None:
        for device in which or tuple(stops):
            stops[device].set()
            await asyncio.wait_for(tasks[device], WAIT_S)

    things = running.things
    assert things is not None
    await wait_until(lambda: all(thing in things for thing in SWITCHES), within=WAIT_S)
    async with httpx.AsyncClient(base_url=running.http_url, timeout=WAIT_S) as client:
        try:
            yield Site(running, client, plug, shelly_http, coap, stop_devices)
        finally:
            await stop_devices(*(d for d in stops if not stops[d].is_set()))


async def final_status(site: Site, thing: str, command_id: str) -> dict[str, Any]:
    """Poll the status route until the command is confirmed, failed or timed out."""
    url = f"{path(thing)}/commands/{quote(command_id, safe='')}"
    async with asyncio.timeout(WAIT_S):
        while True:
            record: dict[str, Any] = (await site.http.get(url)).json()
            if record["status"] in ("confirmed", "failed", "timed-out"):
                return record
            await asyncio.sleep(0.05)


async def test_commands_over_http_reach_every_transport_and_are_confirmed(
    start_service: StartService,
) -> None:
    async with site(start_service) as s:
        for thing, transport in SWITCHES.items():
            answer = await s.http.post(f"{path(thing)}/commands/setOnOff", json={"value": True})
            assert answer.status_code == 202, answer.text
            record = answer.json()
            assert (record["status"], record["protocol"]) == ("sent", transport)
            final = await final_status(s, thing, record["id"])
            assert final["status"] == "confirmed", final
        store = s.running.store
        await wait_until(  # the store has the confirming reports one batch later at most
            lambda: all(
                entry.value is True
                for thing in SWITCHES
                for entry in store.latest(thing)
                if entry.property == "onOff"
            )
        )
        assert s.shelly_http.calls == 1
        metrics = (await s.http.get("/metrics")).text
        assert 'translator_commands_total{status="confirmed"} 5.0' in metrics


async def test_commands_over_the_websocket_are_confirmed(start_service: StartService) -> None:
    async with site(start_service) as s:
        url = s.running.http_url.replace("http://", "ws://") + "/stream"
        async with websockets.connect(url) as socket:
            for index, thing in enumerate(SWITCHES):
                request = {"type": "command", "thing": thing, "name": "setOnOff", "value": True}
                await socket.send(json.dumps({**request, "id": f"c{index}"}))
                frame = await next_frame(socket, "command-status", f"c{index}")
                assert frame["status"] in ("pending", "sent", "confirmed"), frame
                final = await final_status(s, thing, frame["command"]["id"])
                assert final["status"] == "confirmed", final
            await socket.send(
                json.dumps(
                    {
                        "type": "command",
                        "thing": "urn:dev:lwm2m:hall",
                        "name": "setOnOff",
                        "value": "on",
                        "id": "bad",
                    }
                )
            )
            error = await next_frame(socket, "error", "bad")
            assert "is not of type 'boolean'" in error["reason"]


async def next_frame(socket: Any, kind: str, request_id: str) -> dict[str, Any]:
    """The next frame of type ``kind`` about request ``request_id`` (others are skipped:
    readings, and later statuses of earlier commands)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            frame: dict[str, Any] = json.loads(await socket.recv())
            if frame["type"] == kind and frame.get("id") == request_id:
                return frame


async def test_a_command_to_an_offline_device_times_out(start_service: StartService) -> None:
    async with site(start_service, confirm_timeout_s=1.0) as s:
        await s.stop_devices(s.plug)  # the plug goes away; the broker still takes the command
        thing = "urn:dev:zigbee2mqtt:kitchen_plug"
        answer = await s.http.post(f"{path(thing)}/commands/setOnOff", json={"value": True})
        assert answer.status_code == 202
        assert answer.json()["status"] == "sent"
        final = await final_status(s, thing, answer.json()["id"])
        assert final["status"] == "timed-out"
        assert final["reason"] == "no report of onOff = True within 1 s"


async def test_an_invalid_value_is_refused_and_nothing_is_sent(
    start_service: StartService,
) -> None:
    async with site(start_service) as s:
        for thing in SWITCHES:
            answer = await s.http.post(f"{path(thing)}/commands/setOnOff", json={"value": "on"})
            assert answer.status_code == 422, answer.text
        assert s.shelly_http.calls == 0
        assert s.running.commands is not None
        assert s.running.commands.records() == []
        td = (await s.http.get(path("urn:dev:lwm2m:hall"))).json()
        validator = jsonschema.Draft7Validator(json.loads(TD_SCHEMA.read_text()))
        assert list(validator.iter_errors(td)) == []
        assert td["actions"]["setOnOff"]["forms"][0]["href"] == (
            "things/urn%3Adev%3Alwm2m%3Ahall/commands/setOnOff"
        )
