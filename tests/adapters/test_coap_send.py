"""Sending rendered commands over CoAP to a real aiocoap device on loopback."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiocoap import Context, Message
from aiocoap.numbers.codes import Code
from aiocoap.resource import Resource, Site
from pydantic import ValidationError

from translator.adapters.base import IngestResult
from translator.adapters.coap import CoapAdapter, CoapSettings
from translator.errors import AdapterError
from translator.values import Command, Envelope, Protocol, RenderedCommand


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def refuse(envelope: Envelope) -> IngestResult:
    return IngestResult(False, "this test ingests nothing")


@dataclass(frozen=True)
class Received:
    method: str
    path: tuple[str, ...]
    content_format: int | None
    payload: bytes


class Lamp(Resource):  # type: ignore[misc]
    """A device resource that records every request and answers 2.04 (or 4.00 on 'bad')."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Received] = []

    async def _record(self, request: Any) -> Message:
        cf = request.opt.content_format
        self.received.append(
            Received(
                str(request.code),
                tuple(request.opt.uri_path),
                None if cf is None else int(cf),
                request.payload,
            )
        )
        if request.payload == b"bad":
            return Message(code=Code.BAD_REQUEST, payload=b"brightness out of range")
        return Message(code=Code.CHANGED)

    render_put = _record
    render_post = _record


@dataclass
class Device:
    port: int
    lamp: Lamp


@pytest.fixture
async def device() -> AsyncIterator[Device]:
    port, lamp = free_udp_port(), Lamp()
    site = Site()
    site.add_resource(["lamp", "set"], lamp)
    context = await Context.create_server_context(
        site, bind=("127.0.0.1", port), transports=["udp6"]
    )
    try:
        yield Device(port, lamp)
    finally:
        await context.shutdown()


def rendered(
    channel: str,
    payload: bytes = b'{"on":true}',
    content_format: str | None = "application/json",
    method: str | None = None,
) -> RenderedCommand:
    return RenderedCommand(
        command=Command(thing="urn:dev:lamp:1", name="setOnOff", value=True),
        mapping_id="test-lamp",
        protocol=Protocol.COAP,
        channel=channel,
        payload=payload,
        content_format=content_format,
        method=method,
    )


def adapter_for(device_base: str | None, *, timeout_s: float = 2.0) -> CoapAdapter:
    settings = CoapSettings(
        port=free_udp_port(), device_base=device_base, request_timeout_s=timeout_s
    )
    return CoapAdapter(settings, refuse)


async def test_put_to_a_path_under_the_device_base(device: Device) -> None:
    async with adapter_for(f"coap://127.0.0.1:{device.port}/") as coap:
        code = await coap.request(rendered("lamp/set"))
    assert code == "2.04"
    assert device.lamp.received == [Received("PUT", (), 50, b'{"on":true}')]


async def test_post_to_a_full_uri_with_senml_cbor(device: Device) -> None:
    payload = bytes([0x81, 0xA2, 0x00, 0x62, 0x6F, 0x6E, 0x04, 0xF5])  # [{n:"on", vb:true}]
    async with adapter_for(None) as coap:
        code = await coap.request(
            rendered(
                f"coap://127.0.0.1:{device.port}/lamp/set",
                payload=payload,
                content_format="application/senml+cbor",
                method="post",
            )
        )
    assert code == "2.04"
    assert device.lamp.received == [Received("POST", (), 112, payload)]


async def test_registered_media_types_and_none_are_sent(device: Device) -> None:
    async with adapter_for(f"coap://127.0.0.1:{device.port}") as coap:
        await coap.request(rendered("/lamp/set", content_format="application/cbor"))
        await coap.request(rendered("lamp/set", content_format=None))
    assert [r.content_format for r in device.lamp.received] == [60, None]


async def test_error_response_is_an_adapter_error(device: Device) -> None:
    async with adapter_for(f"coap://127.0.0.1:{device.port}") as coap:
        with pytest.raises(AdapterError, match=r"4\.00 brightness out of range"):
            await coap.request(rendered("lamp/set", payload=b"bad"))
        with pytest.raises(AdapterError, match=r"4\.04"):
            await coap.request(rendered("lamp/unknown"))


async def test_silent_device_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # receives, never answers
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        async with adapter_for(f"coap://127.0.0.1:{port}", timeout_s=0.3) as coap:
            with pytest.raises(AdapterError, match=r"no answer in 0\.3 s"):
                await coap.request(rendered("lamp/set"))


async def test_unreachable_device_is_an_adapter_error() -> None:
    async with adapter_for(f"coap://127.0.0.1:{free_udp_port()}") as coap:
        with pytest.raises(AdapterError, match="failed"):
            await coap.request(rendered("lamp/set"))


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (rendered("lamp/set", method="GET"), "PUT or POST, not GET"),
        (rendered("lamp/set", content_format="application/x-nope"), "no CoAP Content-Format"),
    ],
)
async def test_unsendable_commands_are_adapter_errors(
    device: Device, command: RenderedCommand, message: str
) -> None:
    async with adapter_for(f"coap://127.0.0.1:{device.port}") as coap:
        with pytest.raises(AdapterError, match=message):
            await coap.request(command)
    assert device.lamp.received == []


async def test_relative_channel_without_device_base_is_an_adapter_error() -> None:
    async with adapter_for(None) as coap:
        with pytest.raises(AdapterError, match="device_base is unset"):
            await coap.request(rendered("lamp/set"))


async def test_send_delivers_and_counts(device: Device) -> None:
    async with adapter_for(f"coap://127.0.0.1:{device.port}") as coap:
        await coap.send(rendered("lamp/set"))
        assert coap.stats().sent == 1
    assert len(device.lamp.received) == 1


async def test_send_when_not_running_is_an_adapter_error(device: Device) -> None:
    adapter = adapter_for(f"coap://127.0.0.1:{device.port}")
    with pytest.raises(AdapterError, match="not running"):
        await adapter.send(rendered("lamp/set"))
    async with adapter:
        pass
    with pytest.raises(AdapterError, match="not running"):
        await adapter.send(rendered("lamp/set"))
    assert device.lamp.received == []


def test_device_base_must_be_a_coap_uri() -> None:
    with pytest.raises(ValidationError, match="coap://host"):
        CoapSettings(device_base="http://127.0.0.1")
