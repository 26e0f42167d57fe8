"""The actuating simulators: a CoAP plug gateway and Shelly switches over HTTP RPC."""

from __future__ import annotations

import asyncio
import socket

import aiocoap
import httpx
import orjson
import pytest
from device_support import WAIT, CoapRecorder, HttpRecorder, free_port

from translator.devices import CoapEndpoint, HttpEndpoint, Pace, ShellySwitch
from translator.devices.coap_actuator import CoapPlug, CoapPlugGateway
from translator.devices.http_actuator import ShellyHttpServer

QUIET = Pace(period=60.0)  # one report at start, then only after commands


def test_the_plug_takes_lwm2m_booleans_only() -> None:
    plug = CoapPlug("hall", seed=1)
    plug.write(b"1")
    assert plug.meter.on
    plug.write(b" 0\n")
    assert not plug.meter.on
    with pytest.raises(ValueError, match="0 or 1"):
        plug.write(b"true")


def test_the_plug_reports_a_send_pack() -> None:
    plug = CoapPlug("hall", seed=1, on=True)
    (message,) = plug.report(1.0)
    assert (message.channel, message.content_format) == ("dp", "application/senml+json")
    first, power = orjson.loads(message.payload)
    assert (first["bn"], first["n"], first["vb"]) == ("hall/", "3312/0/5850", True)
    assert (power["n"], power["u"]) == ("3305/0/5800", "W")
    assert power["v"] > 0


async def test_a_put_switches_the_plug_and_it_reports_at_once(
    coap_recorder: CoapRecorder,
) -> None:
    coap_recorder.accept("dp")
    port = free_port(socket.SOCK_DGRAM)
    plug = CoapPlug("hall", seed=1)
    gateway = CoapPlugGateway(
        [plug], CoapEndpoint(coap_recorder.base, timeout=5.0), QUIET, port=port
    )
    stop = asyncio.Event()
    running = asyncio.create_task(gateway.run(stop))
    client = await aiocoap.Context.create_client_context()
    try:
        await asyncio.wait_for(gateway.ready(), WAIT)
        uri = f"{gateway.url}/hall/3312/0/5850"
        answers = []
        for payload, fmt in ((b"1", 0), (b"yes", 0), (b"1", 50)):
            request = aiocoap.Message(code=aiocoap.PUT, uri=uri, payload=payload)
            request.opt.content_format = fmt
            answers.append((await asyncio.wait_for(client.request(request).response, WAIT)).code)
        assert answers == [aiocoap.CHANGED, aiocoap.BAD_REQUEST, aiocoap.UNSUPPORTED_CONTENT_FORMAT]
        read = aiocoap.Message(code=aiocoap.GET, uri=uri)
        assert (await asyncio.wait_for(client.request(read).response, WAIT)).payload == b"1"
        async with asyncio.timeout(WAIT):
            while len(coap_recorder.posts) < 2:  # noqa: ASYNC110 -- a recorder has no event
                await asyncio.sleep(0.01)
        last = orjson.loads(coap_recorder.posts[-1].payload)
        assert last[0]["vb"] is True
    finally:
        await client.shutdown()
        stop.set()
        assert await asyncio.wait_for(running, WAIT) >= 2


async def test_a_shelly_answers_rpc_over_http_and_posts_its_status(
    http_recorder: HttpRecorder,
) -> None:
    switch = ShellySwitch("shellyplus1pm-t1", seed=1, on=False)
    server = ShellyHttpServer([switch], HttpEndpoint(http_recorder.base, timeout=5.0), QUIET)
    stop = asyncio.Event()
    running = asyncio.create_task(server.run(stop))
    try:
        await asyncio.wait_for(server.ready(), WAIT)
        async with httpx.AsyncClient(base_url=server.url, trust_env=False) as client:
            frame = {"id": 7, "method": "Switch.Set", "params": {"id": 0, "on": True}}
            answer = await client.post("/shellyplus1pm-t1/rpc", json=frame)
            assert answer.status_code == 200
            assert answer.json() == {
                "id": 7,
                "src": "shellyplus1pm-t1",
                "dst": "http-client",
                "result": {"was_on": False},
            }
            assert switch.meter.on
            assert (await client.post("/nobody/rpc", json=frame)).status_code == 404
            assert (await client.post("/shellyplus1pm-t1/rpc", content=b"{")).status_code == 400
            assert (await client.post("/shellyplus1pm-t1/rpc", json=[1])).status_code == 400
        assert server.calls == 1
        async with asyncio.timeout(WAIT):
            while len(http_recorder.snapshot()) < 2:  # noqa: ASYNC110 -- a recorder has no event
                await asyncio.sleep(0.01)
        posted = http_recorder.snapshot()
        assert {request.path for request in posted} == {"/shelly/shellyplus1pm-t1/events"}
        status = orjson.loads(posted[-1].body)
        assert status["method"] == "NotifyStatus"
        assert status["params"]["switch:0"]["output"] is True
    finally:
        stop.set()
        await asyncio.wait_for(running, WAIT)
