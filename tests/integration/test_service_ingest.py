"""The running service end to end: MQTT (embedded broker and mosquitto), CoAP, HTTP webhooks."""

from __future__ import annotations

import asyncio
import base64
import shutil
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import StartService, wait_until
from translator.mapping import MessageExample
from translator.service import Running
from translator.twin.sparql import SelectResult

TTN_UPLINK = (
    b'{"end_device_ids":{"device_id":"eui-70b3d57ed005a3c1","application_ids":'
    b'{"application_id":"lht65-app"},"dev_eui":"70B3D57ED005A3C1"},'
    b'"received_at":"2026-11-25T10:00:00.123456789Z","uplink_message":{"f_port":2,'
    b'"decoded_payload":{"temperature":21.7,"humidity":48.1,"battery":3.05}}}'
)


def stored_channels(running: Running) -> list[str]:
    """The channels of every stored envelope."""
    result = running.store.query(
        "SELECT ?channel WHERE { ?env a tr:Envelope ; tr:channel ?channel }"
    )
    assert isinstance(result, SelectResult)
    return [str(row["channel"].value) for row in result.solutions]


def example_payload(running: Running, mapping_id: str) -> MessageExample:
    """The first example of a mapping that translates (not a rejection)."""
    for example in running.pipeline.mappings.examples:
        if (
            isinstance(example, MessageExample)
            and example.mapping_id == mapping_id
            and example.rejected is None
        ):
            return example
    raise AssertionError(f"no translating example in {mapping_id}")


async def test_ttn_webhook_lands_in_the_store(start_service: StartService) -> None:
    running = await start_service()
    example = example_payload(running, "ttn-v3-uplink")
    async with httpx.AsyncClient(base_url=running.http_url) as client:
        answer = await client.post(
            f"/ingest/{example.envelope.channel}",
            content=example.envelope.payload,
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"accepted": True}
    await wait_until(lambda: example.envelope.channel in stored_channels(running))


@pytest.mark.parametrize(
    ("body", "content_type", "status", "stage"),
    [
        (b'{"end_device_ids": {', "application/json", 400, "decode"),
        (TTN_UPLINK, "application/xml", 415, "transport"),
        (b"x" * 300_000, "application/json", 413, "transport"),
        (TTN_UPLINK.replace(b"21.7", b'"warm"'), "application/json", 422, "schema"),
        (b'{"unrelated": true}', "application/json", 404, "match"),
    ],
    ids=["malformed-json", "wrong-content-type", "oversize", "schema-break", "unclaimed"],
)
async def test_bad_webhooks_get_4xx_and_a_dead_letter(
    start_service: StartService, body: bytes, content_type: str, status: int, stage: str
) -> None:
    running = await start_service()
    async with httpx.AsyncClient(base_url=running.http_url) as client:
        answer = await client.post(
            "/ingest/ttn/uplink", content=body, headers={"content-type": content_type}
        )
        assert answer.status_code == status, answer.text
        assert answer.json()["accepted"] is False
        assert answer.json()["stage"] == stage
        assert answer.json()["reason"]
        await wait_until(lambda: running.dead_letters.count() == 1)
        letters = (await client.get("/dead-letters", params={"stage": stage})).json()
        assert letters["total"] == 1
        letter = letters["items"][0]
        assert letter["channel"] == "ttn/uplink"
        kept = base64.b64decode(letter["payload_base64"])
        raw = (await client.get(f"/dead-letters/{letter['id']}/payload")).content
    expected = body if status != 413 else body[: running.pipeline.mappings.limits.max_payload_bytes]
    assert kept == raw == expected


async def test_unknown_path_is_a_404_dead_letter(start_service: StartService) -> None:
    running = await start_service()
    async with httpx.AsyncClient(base_url=running.http_url) as client:
        answer = await client.post(
            "/ingest/nobody/here", content=b"{}", headers={"content-type": "application/json"}
        )
    assert answer.status_code == 404
    assert answer.json()["stage"] == "match"
    await wait_until(lambda: running.dead_letters.count(stage="match") == 1)


async def publish(port: int, topic: str, payload: bytes, qos: int = 1) -> None:
    """``mosquitto_pub`` one message to 127.0.0.1:``port``."""
    process = await asyncio.create_subprocess_exec(
        "mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", str(qos),
        "-t", topic, "-s",
        stdin=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await asyncio.wait_for(process.communicate(payload), 10)
    assert process.returncode == 0


needs_mosquitto_clients = pytest.mark.skipif(
    shutil.which("mosquitto_pub") is None,
    reason="mosquitto-clients not installed (apt-get install mosquitto-clients)",
)


@needs_mosquitto_clients
async def test_mqtt_through_the_embedded_broker(start_service: StartService) -> None:
    running = await start_service()
    assert running.mqtt_url is not None
    port = int(running.mqtt_url.rsplit(":", 1)[1])
    example = example_payload(running, "zigbee2mqtt-climate")
    await publish(port, example.envelope.channel, example.envelope.payload)
    await wait_until(lambda: example.envelope.channel in stored_channels(running))


@needs_mosquitto_clients
async def test_mqtt_through_mosquitto(start_service: StartService, mosquitto: object) -> None:
    port = mosquitto.port  # type: ignore[attr-defined]
    running = await start_service(mqtt={"host": "127.0.0.1", "port": port, "client_id": "t-ext"})
    example = example_payload(running, "tasmota-sensor")
    await publish(port, example.envelope.channel, example.envelope.payload)
    await wait_until(lambda: example.envelope.channel in stored_channels(running))


@pytest.mark.skipif(
    shutil.which("coap-client-notls") is None,
    reason="libcoap client not installed (apt-get install libcoap3-bin)",
)
async def test_coap_senml_through_libcoap(start_service: StartService, tmp_path: Path) -> None:
    running = await start_service()
    example = example_payload(running, "senml-json")
    body = tmp_path / "pack.json"
    body.write_bytes(example.envelope.payload)
    process = await asyncio.create_subprocess_exec(
        "coap-client-notls", "-m", "post", "-t", "110", "-f", str(body), "-B", "5",
        f"{running.coap_url}/{example.envelope.channel}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, err
    await wait_until(lambda: example.envelope.channel in stored_channels(running))


async def test_metrics_and_health(start_service: StartService) -> None:
    running = await start_service()
    async with httpx.AsyncClient(base_url=running.http_url) as client:
        await client.post(
            "/ingest/ttn/uplink", content=TTN_UPLINK, headers={"content-type": "application/json"}
        )
        health = (await client.get("/health")).json()
        metrics = (await client.get("/metrics")).text
    assert health["status"] == "ok"
    assert set(health["adapters"]) >= {"mqtt", "coap"}
    assert 'translator_messages_in_total{adapter="http"} 1.0' in metrics
    assert "translator_translate_seconds_bucket" in metrics
