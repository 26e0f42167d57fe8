"""The stream in the running service: mosquitto_pub in, WebSocket / SSE / MQTT out.

The service runs in-process on free loopback ports, against the session's mosquitto (so
``mosquitto_pub`` produces the readings and ``mosquitto_sub`` sees the republished topics),
with a republish topic root of the test's own.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import websockets
from stream_support import (
    StalledClient,
    StartService,
    recv,
    sse,
    subscribe,
    unique_prefix,
    wait_until,
)

from translator.adapters.mqtt import MqttAdapter
from translator.service import Running
from translator.stream import topic_for
from translator.twin.sparql import SelectResult

KITCHEN = "urn:dev:zigbee2mqtt:kitchen_plug"
HALL = "urn:dev:zigbee2mqtt:hall_plug"


async def start(start_service: StartService, mosquitto: Any, **overrides: Any) -> Running:
    mqtt = {"host": "127.0.0.1", "port": mosquitto.port, "client_id": f"t-{uuid.uuid4().hex[:8]}"}
    stream = {"republish_prefix": unique_prefix()} | overrides.pop("stream", {})
    return await start_service(mqtt=mqtt | overrides.pop("mqtt", {}), stream=stream, **overrides)


async def plug(mosquitto: Any, device: str, on: bool, watts: float) -> None:
    payload = json.dumps({"state": "ON" if on else "OFF", "power": watts}).encode()
    await mosquitto.cli.publish(f"zigbee2mqtt/{device}", payload)


def ws_url(running: Running) -> str:
    return running.http_url.replace("http://", "ws://", 1) + "/stream"


def published(running: Running) -> int:
    assert running.hub is not None
    return running.hub.published


async def test_websocket_snapshot_then_deltas_from_mosquitto_pub(
    start_service: StartService, mosquitto: Any
) -> None:
    running = await start(start_service, mosquitto)
    await plug(mosquitto, "kitchen_plug", True, 100.0)
    await plug(mosquitto, "hall_plug", True, 50.0)
    await wait_until(lambda: published(running) == 4)
    async with websockets.connect(ws_url(running)) as ws:
        snapshot = await subscribe(ws, things=[KITCHEN], properties=["power"])
        assert [(m["thing"], m["value"]) for m in snapshot["readings"]] == [(KITCHEN, 100.0)]
        await plug(mosquitto, "hall_plug", False, 0.0)  # filtered out
        await plug(mosquitto, "kitchen_plug", False, 0.0)
        delta = await recv(ws)
        assert delta["type"] == "reading"
        message = delta["reading"]
        assert (message["thing"], message["property"], message["value"]) == (KITCHEN, "power", 0.0)
        assert message["source"]["channel"] == "zigbee2mqtt/kitchen_plug"
        assert message["thingType"] == "saref:Switch"
        assert delta["seq"] == snapshot["seq"] + 4  # two readings of the hall plug came between


async def test_sse_resumes_from_last_event_id(start_service: StartService, mosquitto: Any) -> None:
    running = await start(start_service, mosquitto)
    url = running.http_url + "/stream/sse"
    async with sse(url, params={"things": KITCHEN}) as events:
        assert (await events.next()).event == "snapshot"
        await plug(mosquitto, "kitchen_plug", True, 10.0)
        first = [await events.next() for _ in range(2)]  # onOff, power
    last_id = first[-1].id or ""
    await plug(mosquitto, "kitchen_plug", True, 20.0)
    await plug(mosquitto, "hall_plug", True, 5.0)
    await plug(mosquitto, "kitchen_plug", False, 0.0)
    await wait_until(lambda: published(running) == 8)
    async with sse(url, params={"things": KITCHEN}, headers={"Last-Event-ID": last_id}) as events:
        missed = [await events.next() for _ in range(4)]
    assert [e.event for e in missed] == ["reading"] * 4
    assert [(e.json()["property"], e.json()["value"]) for e in missed] == [
        ("onOff", True),
        ("power", 20.0),
        ("onOff", False),
        ("power", 0.0),
    ]
    ids = [int(e.id or 0) for e in missed]
    assert ids == sorted(ids)
    assert ids[0] > int(last_id)


async def test_mosquitto_sub_sees_the_retained_normalized_topics(
    start_service: StartService, mosquitto: Any
) -> None:
    running = await start(start_service, mosquitto)
    prefix = running.republisher.prefix if running.republisher else ""
    await plug(mosquitto, "kitchen_plug", True, 100.0)
    await plug(mosquitto, "kitchen_plug", True, 120.0)
    await plug(mosquitto, "hall_plug", False, 0.0)
    await wait_until(lambda: running.republisher is not None and running.republisher.published >= 4)
    await wait_until(lambda: not running.republisher or not running.republisher.queue)
    async with mosquitto.cli.subscribe(f"{prefix}/things/+/+", count=4) as subscription:
        latest = {topic: json.loads(payload) for topic, payload in await subscription.messages(4)}
    assert latest[topic_for(prefix, KITCHEN, "power")]["value"] == 120.0
    assert latest[topic_for(prefix, KITCHEN, "onOff")]["value"] is True
    assert latest[topic_for(prefix, HALL, "onOff")]["value"] is False
    context = latest[topic_for(prefix, HALL, "power")]["@context"]
    assert context == running.http_url + "/context.jsonld"


async def test_a_client_that_never_reads_does_not_slow_ingest_or_other_clients(
    start_service: StartService, mosquitto: Any
) -> None:
    lines, chunk = 2500, 250  # envelopes of two readings each, published in chunks
    # a long @context URL makes each message ~2.6 kB, so the stalled client's socket buffers
    # (a few MB at most) fill with these 5000 messages and its queue must drop
    context = "http://127.0.0.1/" + "c" * 2000 + "/context.jsonld"
    stream = {"queue_size": 100, "context_url": context}
    running = await start(start_service, mosquitto, stream=stream)
    mqtt = running.adapters["mqtt"]
    assert isinstance(mqtt, MqttAdapter)
    slow = await StalledClient.connect(ws_url(running))
    slow.send('{"type": "subscribe"}')
    async with websockets.connect(ws_url(running), max_size=None) as fast:
        await subscribe(fast, batch=200)
        await wait_until(lambda: running.hub is not None and running.hub.subscribers >= 3)

        async def read_all() -> int:
            got = 0
            while got < 2 * lines:
                frame = await recv(fast)
                assert frame["type"] != "dropped", frame
                got += len(frame.get("readings", [frame.get("reading")]))
            return got

        reader = asyncio.create_task(read_all())
        for start_at in range(0, lines, chunk):
            # mosquitto keeps at most 1000 messages queued per client: pace the publisher
            payloads = [json.dumps({"state": "ON", "power": n}).encode() for n in range(chunk)]
            await mosquitto.cli.publish_lines("zigbee2mqtt/kitchen_plug", payloads)
            await wait_until(lambda: mqtt.stats().delivered >= start_at + chunk)  # noqa: B023
        assert await asyncio.wait_for(reader, 60) == 2 * lines  # the other client got all
    await wait_until(lambda: running.intake.written == lines, within=30)  # all stored
    answer = running.store.query("SELECT (COUNT(?o) AS ?n) WHERE { ?o a sosa:Observation }")
    assert isinstance(answer, SelectResult)
    assert int(answer.solutions[0]["n"].value) == 2 * lines
    assert (mqtt.stats().delivered, mqtt.stats().dropped) == (lines, 0)
    sent = running.metrics.stream_sent.labels("websocket")._value.get()
    dropped = running.metrics.stream_dropped.labels("websocket")._value.get()
    assert dropped > 0  # all for the stalled client: the fast one saw no "dropped" frame
    assert sent + dropped <= 2 * (2 * lines)  # each reading reached each client once at most
    slow.writer.close()
