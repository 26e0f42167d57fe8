"""CoAP and HTTP senders against real loopback servers that record what arrives."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket

import cbor2
import orjson
import pytest
from device_support import WAIT, CoapRecorder, HttpRecorder, free_port

from translator.devices import (
    CoapDevice,
    CoapEndpoint,
    HttpDevice,
    HttpEndpoint,
    Pace,
    PulseOximeter,
    SenmlSensor,
    TtnUplinkSender,
)
from translator.devices.ttn import decode_lht65

SENML_JSON, SENML_CBOR = 110, 112


async def run_bounded(device: CoapDevice | HttpDevice) -> int:
    async with asyncio.timeout(WAIT):
        return await device.run(asyncio.Event())


async def test_senml_json_sensor_posts_valid_packs_with_content_format_110(
    coap_recorder: CoapRecorder,
) -> None:
    coap_recorder.accept("senml", "balcony")
    device = CoapDevice(
        SenmlSensor("balcony", seed=1),
        CoapEndpoint(base=coap_recorder.base, timeout=5.0),
        Pace(period=0.01, max_messages=3),
    )
    assert await run_bounded(device) == 3
    posts = coap_recorder.posts
    assert len(posts) == 3
    assert {post.path for post in posts} == {("senml", "balcony")}
    assert {post.content_format for post in posts} == {SENML_JSON}
    packs = [orjson.loads(post.payload) for post in posts]
    for pack in packs:
        assert pack[0]["bn"].startswith("urn:dev:mac:")
        assert isinstance(pack[0]["bt"], float)
        assert all(set(record) >= {"n", "u", "v"} for record in pack)
    assert len({pack[0]["v"] for pack in packs}) > 1


async def test_senml_cbor_sensor_posts_integer_labels_with_content_format_112(
    coap_recorder: CoapRecorder,
) -> None:
    coap_recorder.accept("senml", "cellar")
    device = CoapDevice(
        SenmlSensor("cellar", seed=2, encoding="cbor"),
        CoapEndpoint(base=coap_recorder.base, timeout=5.0),
        Pace(period=0.01, max_messages=2),
    )
    assert await run_bounded(device) == 2
    assert [post.content_format for post in coap_recorder.posts] == [SENML_CBOR, SENML_CBOR]
    pack = cbor2.loads(coap_recorder.posts[0].payload)
    assert set(pack[0]) == {-2, -3, 0, 1, 2}
    assert pack[0][1] == "Cel"


async def test_coap_sender_carries_on_when_nobody_listens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nobody = CoapEndpoint(base=f"coap://127.0.0.1:{free_port(socket.SOCK_DGRAM)}", timeout=0.5)
    device = CoapDevice(SenmlSensor("alone", seed=3), nobody, Pace(period=0.01, max_messages=2))
    with caplog.at_level(logging.WARNING, logger="translator.devices.coap"):
        assert await run_bounded(device) == 2
    failures = [r for r in caplog.records if "CoAP POST" in r.getMessage()]
    assert len(failures) == 2


async def test_ttn_webhook_posts_uplinks_with_the_stack_headers(
    http_recorder: HttpRecorder,
) -> None:
    device = HttpDevice(
        TtnUplinkSender("lht65-garden", seed=4),
        HttpEndpoint(base=http_recorder.base),
        Pace(period=0.01, max_messages=3),
    )
    assert await run_bounded(device) == 3
    requests = http_recorder.snapshot()
    assert [r.path for r in requests] == ["/ttn/uplink"] * 3
    assert {r.headers["content-type"] for r in requests} == {"application/json"}
    assert all(r.headers["user-agent"].startswith("TheThingsStack/") for r in requests)
    uplinks = [orjson.loads(r.body) for r in requests]
    counters = [u["uplink_message"]["f_cnt"] for u in uplinks]
    assert counters == list(range(counters[0], counters[0] + 3))
    for uplink in uplinks:
        message = uplink["uplink_message"]
        frame = base64.b64decode(message["frm_payload"])
        assert message["decoded_payload"]["temperature"] == decode_lht65(frame)["TempC_SHT"]


async def test_fhir_oximeter_posts_observations_and_auth_headers(
    http_recorder: HttpRecorder,
) -> None:
    endpoint = HttpEndpoint(base=http_recorder.base, headers=(("Authorization", "Bearer t0k"),))
    device = HttpDevice(PulseOximeter("ox-1", seed=5), endpoint, Pace(0.01, max_messages=4))
    assert await run_bounded(device) == 4
    requests = http_recorder.snapshot()
    assert [r.path for r in requests] == ["/fhir/Observation"] * 4
    assert {r.headers["content-type"] for r in requests} == {"application/fhir+json"}
    assert {r.headers["authorization"] for r in requests} == {"Bearer t0k"}
    codes = [orjson.loads(r.body)["code"]["coding"][0]["code"] for r in requests]
    assert codes == ["8867-4", "2708-6", "8867-4", "2708-6"]


async def test_http_sender_carries_on_after_error_statuses_and_refused_connections(
    http_recorder: HttpRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="translator.devices.http")
    http_recorder.status = 500
    failing = HttpDevice(
        PulseOximeter("ox-2", seed=6),
        HttpEndpoint(base=http_recorder.base),
        Pace(0.01, max_messages=2),
    )
    assert await run_bounded(failing) == 2
    assert len(http_recorder.snapshot()) == 2
    refused = HttpDevice(
        TtnUplinkSender("nobody", seed=7),
        HttpEndpoint(base=f"http://127.0.0.1:{free_port()}", timeout=1.0),
        Pace(0.01, max_messages=2),
    )
    assert await run_bounded(refused) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert sum("answered 500" in m for m in messages) == 2
    assert sum("failed" in m for m in messages) == 2
