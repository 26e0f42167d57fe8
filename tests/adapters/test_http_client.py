"""HTTP command delivery against a real loopback device (the Shelly HTTP simulator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest
from pydantic import ValidationError

from tests.conftest import free_port
from translator.adapters.http_client import HttpCommandClient, HttpCommandSettings
from translator.devices import HttpEndpoint, Pace, ShellySwitch
from translator.devices.http_actuator import ShellyHttpServer
from translator.errors import AdapterError
from translator.values import Command, Protocol, RenderedCommand

WAIT_S = 10.0


def rendered(channel: str, payload: bytes = b"{}", method: str | None = "POST") -> RenderedCommand:
    return RenderedCommand(
        command=Command("urn:dev:shelly:s1", "setOnOff", True),
        mapping_id="shelly-gen2-http",
        protocol=Protocol.HTTP,
        channel=channel,
        payload=payload,
        content_format="application/json",
        method=method,
    )


@pytest.fixture
async def device() -> AsyncIterator[ShellyHttpServer]:
    switch = ShellySwitch("s1", seed=1, on=False)
    nowhere = HttpEndpoint(f"http://127.0.0.1:{free_port()}", timeout=0.5)  # reports go nowhere
    server = ShellyHttpServer([switch], nowhere, Pace(period=60.0))
    stop = asyncio.Event()
    task = asyncio.create_task(server.run(stop))
    await asyncio.wait_for(server.ready(), WAIT_S)
    yield server
    stop.set()
    await asyncio.wait_for(task, WAIT_S)


@pytest.mark.parametrize(
    ("base", "channel", "url"),
    [
        ("http://127.0.0.1:8081", "s1/rpc", "http://127.0.0.1:8081/s1/rpc"),
        ("http://gw.local/devices/", "/s1/rpc", "http://gw.local/devices/s1/rpc"),
        ("http://gw.local", "http://gw.local:80/s1/rpc", "http://gw.local:80/s1/rpc"),
        ("http://gw.local", "http://10.0.0.9/rpc", "http://10.0.0.9/rpc"),
    ],
    ids=["relative", "base-with-prefix", "absolute-same-origin", "absolute-allowed"],
)
def test_command_urls(base: str, channel: str, url: str) -> None:
    client = HttpCommandClient(
        HttpCommandSettings(device_base=base, allowed_origins=("http://10.0.0.9",))
    )
    assert client.url(channel) == url


@pytest.mark.parametrize(
    ("base", "channel", "message"),
    [
        ("http://127.0.0.1:8081", "http://evil.example/rpc", "origin http://evil.example:80"),
        ("http://127.0.0.1:8081", "https://127.0.0.1:8081/rpc", "is not the device base"),
        (None, "s1/rpc", "device_base is unset"),
    ],
    ids=["other-host", "other-scheme", "no-base"],
)
def test_refused_command_urls(base: str | None, channel: str, message: str) -> None:
    client = HttpCommandClient(HttpCommandSettings(device_base=base))
    with pytest.raises(AdapterError, match=message):
        client.url(channel)


@pytest.mark.parametrize(
    "values",
    [{"device_base": "coap://127.0.0.1"}, {"allowed_origins": ("ftp://x",)}, {"timeout_s": 0}],
    ids=["base-scheme", "origin-scheme", "timeout"],
)
def test_bad_settings(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HttpCommandSettings.model_validate(values)


async def test_a_command_reaches_the_device(device: ShellyHttpServer) -> None:
    frame = {
        "id": 1,
        "src": "semantic-translator",
        "method": "Switch.Set",
        "params": {"id": 0, "on": True},
    }
    async with HttpCommandClient(HttpCommandSettings(device_base=device.url)) as client:
        await client.send(rendered("s1/rpc", orjson.dumps(frame)))
        assert client.sent == 1
    assert device.calls == 1


@pytest.mark.parametrize(
    ("channel", "method", "message"),
    [
        ("nobody/rpc", "POST", "404"),
        ("s1/rpc", "PUT", "405"),
        ("s1/rpc", "TRACE", "cannot use the method TRACE"),
    ],
    ids=["unknown-device", "wrong-method", "unknown-method"],
)
async def test_refusals_are_adapter_errors(
    device: ShellyHttpServer, channel: str, method: str, message: str
) -> None:
    async with HttpCommandClient(HttpCommandSettings(device_base=device.url)) as client:
        with pytest.raises(AdapterError, match=message):
            await client.send(rendered(channel, method=method))
        assert client.sent == 0
    assert device.calls == 0


async def test_nobody_listening_is_an_adapter_error() -> None:
    settings = HttpCommandSettings(device_base=f"http://127.0.0.1:{free_port()}", timeout_s=2)
    async with HttpCommandClient(settings) as client:
        with pytest.raises(AdapterError, match="failed"):
            await client.send(rendered("s1/rpc"))
