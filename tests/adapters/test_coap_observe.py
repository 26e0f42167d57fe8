"""CoAP Observe client against a real observable aiocoap resource on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiocoap import Context, Message
from aiocoap.numbers.codes import Code
from aiocoap.resource import ObservableResource, Resource, Site
from pydantic import ValidationError

from translator.adapters.base import IngestResult
from translator.adapters.coap import CoapAdapter, CoapSettings
from translator.adapters.coap_observe import ObserveTarget
from translator.values import Envelope, Protocol

WAIT_S = 5.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class QueueSink:
    """Puts every envelope on a queue; accepts them all."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Envelope] = asyncio.Queue()

    async def __call__(self, envelope: Envelope) -> IngestResult:
        await self.queue.put(envelope)
        return IngestResult(True)

    async def next(self) -> Envelope:
        return await asyncio.wait_for(self.queue.get(), WAIT_S)


class Thermometer(ObservableResource):  # type: ignore[misc]
    """A device resource: SenML JSON temperature, observable; counts registrations."""

    def __init__(self) -> None:
        super().__init__()
        self.value = 20.0
        self.registrations = 0
        self.max_age = 30

    async def add_observation(self, request: Any, serverobservation: Any) -> None:
        self.registrations += 1
        await super().add_observation(request, serverobservation)

    async def render_get(self, request: Any) -> Message:
        body = f'[{{"n":"temp","u":"Cel","v":{self.value}}}]'.encode()
        return Message(payload=body, content_format=110, max_age=self.max_age)

    def notify(self, value: float) -> None:
        self.value = value
        self.updated_state()

    def end_observations(self) -> None:
        self.updated_state(Message(code=Code.SERVICE_UNAVAILABLE))


async def start_device(port: int, thermometer: Thermometer) -> Any:
    site = Site()
    site.add_resource(["sensors", "temp"], thermometer)
    return await Context.create_server_context(site, bind=("127.0.0.1", port), transports=["udp6"])


@pytest.fixture
async def device() -> AsyncIterator[tuple[int, Thermometer]]:
    port, thermometer = free_udp_port(), Thermometer()
    context = await start_device(port, thermometer)
    try:
        yield port, thermometer
    finally:
        await context.shutdown()


def observer_settings(target: ObserveTarget) -> CoapSettings:
    return CoapSettings(
        port=free_udp_port(),
        observe=(target,),
        request_timeout_s=2.0,
        reobserve_min_s=0.05,
        reobserve_max_s=0.2,
    )


def observe_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("coap-observe")]


async def test_notifications_arrive_as_envelopes(device: tuple[int, Thermometer]) -> None:
    port, thermometer = device
    target = ObserveTarget(uri=f"coap://127.0.0.1:{port}/sensors/temp", channel="senml/dev1")
    sink = QueueSink()
    async with CoapAdapter(observer_settings(target), sink) as coap:
        first = await sink.next()
        received = [first]
        for value in (21.0, 22.5, 23.0):  # one at a time: Observe keeps only the newest
            thermometer.notify(value)
            received.append(await sink.next())
        assert observe_tasks()
        stats = coap.stats()
    assert (stats.notifications, stats.registrations, stats.observe_failures) == (4, 1, 0)
    assert [e.payload for e in received] == [
        f'[{{"n":"temp","u":"Cel","v":{v}}}]'.encode() for v in (20.0, 21.0, 22.5, 23.0)
    ]
    assert {e.channel for e in received} == {"senml/dev1"}
    assert {e.content_format for e in received} == {"application/senml+json"}
    assert {e.protocol for e in received} == {Protocol.COAP}
    assert first.peer == f"127.0.0.1:{port}"
    assert observe_tasks() == []


async def test_channel_defaults_to_the_path(device: tuple[int, Thermometer]) -> None:
    port, _ = device
    sink = QueueSink()
    target = ObserveTarget(uri=f"coap://127.0.0.1:{port}/sensors/temp")
    async with CoapAdapter(observer_settings(target), sink):
        envelope = await sink.next()
    assert envelope.channel == "sensors/temp"


async def test_reregisters_when_the_server_ends_the_observation(
    device: tuple[int, Thermometer],
) -> None:
    port, thermometer = device
    sink = QueueSink()
    target = ObserveTarget(uri=f"coap://127.0.0.1:{port}/sensors/temp")
    async with CoapAdapter(observer_settings(target), sink):
        await sink.next()
        thermometer.end_observations()
        again = await sink.next()  # the re-registration's first response
        assert thermometer.registrations == 2
        thermometer.notify(30.0)
        later = await sink.next()
    assert again.payload == b'[{"n":"temp","u":"Cel","v":20.0}]'
    assert later.payload == b'[{"n":"temp","u":"Cel","v":30.0}]'


async def test_reregisters_when_the_observation_goes_stale(
    device: tuple[int, Thermometer],
) -> None:
    port, thermometer = device
    thermometer.max_age = 0  # fresh for 0 s + the request timeout (0.3 s) without notifications
    sink = QueueSink()
    target = ObserveTarget(uri=f"coap://127.0.0.1:{port}/sensors/temp")
    settings = observer_settings(target).model_copy(update={"request_timeout_s": 0.3})
    async with CoapAdapter(settings, sink):
        await sink.next()
        await sink.next()  # nothing was notified: this is the re-registration's response
    assert thermometer.registrations >= 2


async def test_retries_with_backoff_until_the_device_appears() -> None:
    port, thermometer = free_udp_port(), Thermometer()
    sink = QueueSink()
    target = ObserveTarget(uri=f"coap://127.0.0.1:{port}/sensors/temp")
    async with CoapAdapter(observer_settings(target), sink):
        await asyncio.sleep(0.3)  # a few failed registrations (ICMP port unreachable)
        assert sink.queue.empty()
        context = await start_device(port, thermometer)
        try:
            envelope = await sink.next()
        finally:
            await context.shutdown()
    assert envelope.payload == b'[{"n":"temp","u":"Cel","v":20.0}]'
    assert thermometer.registrations == 1


class Snapshot(Resource):  # type: ignore[misc]
    """A resource that answers GET but is not observable."""

    async def render_get(self, request: Any) -> Message:
        return Message(payload=b"21.5", content_format=0)


async def test_a_resource_that_is_not_observable_is_polled_at_the_backoff_pace() -> None:
    port = free_udp_port()
    site = Site()
    site.add_resource(["temp"], Snapshot())
    device = await Context.create_server_context(
        site, bind=("127.0.0.1", port), transports=["udp6"]
    )
    sink = QueueSink()
    target = ObserveTarget(uri=f"coap://127.0.0.1:{port}/temp")
    try:
        async with CoapAdapter(observer_settings(target), sink) as coap:
            first, second = await sink.next(), await sink.next()
            stats = coap.stats()
    finally:
        await device.shutdown()
    assert (first.payload, first.content_format) == (b"21.5", "text/plain")
    assert second.payload == b"21.5"
    assert stats.registrations == 0
    assert stats.observe_failures >= 1


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1/x", "coap://127.0.0.1", "coap:///path", "coap://127.0.0.1/"]
)
def test_targets_must_be_coap_uris_with_a_path(uri: str) -> None:
    with pytest.raises(ValidationError, match="coap://host"):
        ObserveTarget(uri=uri)
