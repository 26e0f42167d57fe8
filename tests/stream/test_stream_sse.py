"""SSE ``/stream/sse`` on a real loopback server, read with httpx streaming."""

from __future__ import annotations

import httpx
import pytest
from stream_samples import SENSOR, at, power, translated
from stream_support import ServeStream, sse, wait_until

from translator.api.auth import Authenticator, hash_token
from translator.settings import StreamSettings, TokenSettings
from translator.stream import Hub


async def test_snapshot_then_readings_with_ids(serve_stream: ServeStream) -> None:
    hub = Hub()
    hub.publish(power(1.0))
    hub.publish(translated([("temperature", 20.0, "DEG_C")], thing=SENSOR, kind="saref:Sensor"))
    server = await serve_stream(hub)
    async with sse(server.http_url + "/stream/sse", params={"properties": "power"}) as events:
        snapshot = await events.next()
        assert events.retry == 2000
        assert snapshot.event == "snapshot"
        assert snapshot.id == str(hub.seq)
        body = snapshot.json()
        assert [m["value"] for m in body["readings"]] == [1.0]
        assert body["complete"] is True
        assert body["seq"] == hub.seq
        hub.publish(translated([("temperature", 21.0, "DEG_C")], thing=SENSOR))
        hub.publish(power(2.0, when=at(1)))
        reading = await events.next()
        assert (reading.event, reading.id) == ("reading", str(hub.seq))
        assert reading.json()["value"] == 2.0
        assert reading.json()["@context"] == server.http_url + "/context.jsonld"


async def test_last_event_id_resumes_where_the_client_left(serve_stream: ServeStream) -> None:
    hub = Hub()
    server = await serve_stream(hub)
    url = server.http_url + "/stream/sse"
    async with sse(url) as events:
        await events.next()  # empty snapshot
        hub.publish(power(1.0))
        last = await events.next()
    await wait_until(lambda: hub.subscribers == 0)
    for n in (2, 3, 4):  # while the client is away
        hub.publish(power(float(n), when=at(n)))
    async with sse(url, headers={"Last-Event-ID": last.id or ""}) as events:
        missed = [await events.next() for _ in range(3)]
        assert [e.json()["value"] for e in missed] == [2.0, 3.0, 4.0]
        assert [e.event for e in missed] == ["reading"] * 3
        assert [int(e.id or 0) for e in missed] == [int(last.id or 0) + n for n in (1, 2, 3)]
        hub.publish(power(5.0, when=at(5)))
        assert (await events.next()).json()["value"] == 5.0
    # the same through the query (a first connection of a browser's EventSource)
    async with sse(url, params={"last_event_id": str(hub.seq - 1)}) as events:
        assert (await events.next()).json()["value"] == 5.0


@pytest.mark.parametrize("last_id", ["1", "not-a-number", "99999999999999999999"])
async def test_an_unknown_last_event_id_gets_a_fresh_snapshot(
    serve_stream: ServeStream, last_id: str
) -> None:
    hub = Hub(ring_size=2)
    for n in range(5):
        hub.publish(power(float(n), when=at(n)))
    server = await serve_stream(hub)
    headers = {"Last-Event-ID": last_id}
    async with sse(server.http_url + "/stream/sse", headers=headers) as events:
        snapshot = await events.next()
        assert snapshot.event == "snapshot"
        assert [m["value"] for m in snapshot.json()["readings"]] == [4.0]


async def test_heartbeat_comments_keep_a_quiet_stream_alive(serve_stream: ServeStream) -> None:
    server = await serve_stream(settings=StreamSettings(heartbeat_s=0.05))
    async with sse(server.http_url + "/stream/sse") as events:
        await events.next()
        assert (await events.next()).comments == ["keep-alive"]


async def test_a_client_that_falls_behind_is_told_how_much_it_missed(
    serve_stream: ServeStream,
) -> None:
    hub = Hub()
    server = await serve_stream(hub, settings=StreamSettings(queue_size=3))
    async with sse(server.http_url + "/stream/sse") as events:
        await events.next()
        for n in range(10):  # all at once: the queue keeps the newest 3
            hub.publish(power(float(n), when=at(n)))
        dropped = await events.next()
        assert dropped.event == "dropped"
        assert dropped.json() == {"count": 7, "total": 7}
        assert [(await events.next()).json()["value"] for _ in range(3)] == [7.0, 8.0, 9.0]
    assert server.metrics.stream_dropped.labels("sse")._value.get() == 7


async def test_bad_filters_are_refused(serve_stream: ServeStream) -> None:
    server = await serve_stream()
    async with httpx.AsyncClient() as client:
        answer = await client.get(server.http_url + "/stream/sse", params={"areas": ""})
    assert answer.status_code == 400
    assert "areas" in answer.json()["detail"]


async def test_sse_needs_the_stream_scope(serve_stream: ServeStream) -> None:
    token = "engine.s3cret"
    settings = [TokenSettings(name="engine", scopes=("stream",), hash=hash_token(token))]
    reader = [TokenSettings(name="reader", scopes=("read",), hash=hash_token("reader.x"))]
    server = await serve_stream(authenticator=Authenticator([*settings, *reader]))
    url = server.http_url + "/stream/sse"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 401
        headers = {"Authorization": "Bearer reader.x"}
        assert (await client.get(url, headers=headers)).status_code == 403
    async with sse(url, params={"access_token": token}) as events:  # EventSource cannot set headers
        assert (await events.next()).event == "snapshot"


async def test_the_context_is_served(serve_stream: ServeStream) -> None:
    server = await serve_stream()
    async with httpx.AsyncClient() as client:
        answer = await client.get(server.http_url + "/context.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/ld+json"
    assert answer.json()["@context"]["thing"]["@id"] == "sosa:madeBySensor"
