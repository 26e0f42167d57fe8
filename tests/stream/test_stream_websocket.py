"""WebSocket ``/stream`` on a real loopback server, with a ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest
import websockets
from stream_samples import PLUG, SENSOR, at, power, translated
from stream_support import ServeStream, StalledClient, recv, subscribe, wait_until
from websockets.exceptions import InvalidStatus

from translator.api.auth import Authenticator, hash_token
from translator.errors import CommandError
from translator.settings import StreamSettings, TokenSettings
from translator.stream import Hub
from translator.values import Command


async def test_snapshot_then_filtered_deltas(serve_stream: ServeStream) -> None:
    hub = Hub()
    hub.publish(power(10.0))
    hub.publish(translated([("temperature", 20.0, "DEG_C")], thing=SENSOR, kind="saref:Sensor"))
    server = await serve_stream(hub)
    async with websockets.connect(server.ws_url) as ws:
        snapshot = await subscribe(ws, types=["saref:Switch"])
        assert [m["value"] for m in snapshot["readings"]] == [10.0]
        assert snapshot["complete"] is True
        assert snapshot["readings"][0]["@context"] == server.http_url + "/context.jsonld"
        hub.publish(translated([("temperature", 21.0, "DEG_C")], thing=SENSOR, kind="saref:Sensor"))
        hub.publish(power(11.0, when=at(1)))
        delta = await recv(ws)
        assert delta["type"] == "reading"
        assert delta["seq"] == snapshot["seq"] + 2  # the sensor's reading was filtered out
        assert (delta["reading"]["thing"], delta["reading"]["value"]) == (PLUG, 11.0)


async def test_resubscribe_replaces_the_filter_and_unsubscribe_stops(
    serve_stream: ServeStream,
) -> None:
    hub = Hub()
    server = await serve_stream(hub)
    async with websockets.connect(server.ws_url) as ws:
        await subscribe(ws, properties=["power"])
        await subscribe(ws, properties=["energy"])
        await wait_until(lambda: hub.subscribers == 1)
        hub.publish(translated([("power", 1.0, "W"), ("energy", 2.0, "KiloW-HR")]))
        assert (await recv(ws))["reading"]["property"] == "energy"
        await ws.send('{"type": "unsubscribe"}')
        await wait_until(lambda: hub.subscribers == 0)
        await ws.send('{"type": "ping"}')
        assert await recv(ws) == {"type": "pong"}


async def test_batches_when_the_client_asks_and_is_behind(serve_stream: ServeStream) -> None:
    hub = Hub()
    server = await serve_stream(hub)
    async with websockets.connect(server.ws_url) as ws:
        await subscribe(ws, batch=50)
        for n in range(30):  # all queued before the writer runs: one frame
            hub.publish(power(float(n), when=at(n)))
        values: list[float] = []
        while len(values) < 30:
            frame = await recv(ws)
            values += [m["value"] for m in frame.get("readings", [frame.get("reading")])]
        assert values == [float(n) for n in range(30)]
        assert frame["type"] == "readings"


async def test_resume_with_since_replays_the_missed_events(serve_stream: ServeStream) -> None:
    hub = Hub()
    server = await serve_stream(hub)
    hub.publish(power(1.0))
    mark = hub.seq
    hub.publish(power(2.0, when=at(1)))
    hub.publish(power(3.0, when=at(2)))
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "subscribe", "since": mark}))
        replay = await recv(ws)
        assert replay["type"] == "replay"
        assert [m["value"] for m in replay["readings"]] == [2.0, 3.0]


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        ("not json", "Invalid JSON"),
        ('{"type": "subscribe", "things": "urn:a"}', "things"),
        ('{"type": "subscribe", "batch": 0}', "batch"),
        ('{"type": "subscribe", "things": [""]}', "things"),
        ('{"type": "dance"}', "type"),
        ('{"type": "command", "thing": "urn:a"}', "name"),
    ],
)
async def test_bad_requests_get_an_error_and_the_socket_stays(
    serve_stream: ServeStream, request_: str, reason: str
) -> None:
    server = await serve_stream()
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(request_)
        error = await recv(ws)
        assert error["type"] == "error"
        assert reason in error["reason"]
        await ws.send('{"type": "ping"}')
        assert await recv(ws) == {"type": "pong"}


class FakeCommands:
    """Implements the command seams: records commands, refuses unknown names, confirms later."""

    def __init__(self) -> None:
        self.seen: list[Command] = []
        self.confirm = asyncio.Event()

    async def __call__(self, command: Command) -> Mapping[str, Any]:
        if command.name != "setOnOff":
            raise CommandError(f"{command.thing} has no command {command.name!r}")
        self.seen.append(command)
        return {"id": f"cmd-{len(self.seen)}", "status": "sent", "value": command.value}

    async def follow(self, command_id: str) -> Mapping[str, Any]:
        await self.confirm.wait()
        return {"id": command_id, "status": "confirmed"}


async def test_commands_on_the_socket_reach_the_command_seam(serve_stream: ServeStream) -> None:
    commands = FakeCommands()
    server = await serve_stream(commands=commands, follow=commands.follow)
    async with websockets.connect(server.ws_url) as ws:
        command = {"type": "command", "thing": PLUG, "name": "setOnOff", "value": False}
        await ws.send(json.dumps({**command, "id": "a"}))
        assert await recv(ws) == {
            "type": "command-status",
            "id": "a",
            "status": "sent",
            "command": {"id": "cmd-1", "status": "sent", "value": False},
        }
        await ws.send(json.dumps({"type": "command", "thing": PLUG, "name": "fly", "id": "b"}))
        error = await recv(ws)
        assert error == {"type": "error", "reason": f"{PLUG} has no command 'fly'", "id": "b"}
        commands.confirm.set()  # the device reported the commanded state
        final = await recv(ws)
        assert (final["type"], final["id"], final["status"]) == ("command-status", "a", "confirmed")
    assert commands.seen == [Command(PLUG, "setOnOff", False)]


def authenticator() -> tuple[Authenticator, dict[str, str]]:
    tokens = {"viewer": "viewer.s3cret-viewer", "operator": "operator.s3cret-operator"}
    scopes: dict[str, tuple[Any, ...]] = {"viewer": ("stream",), "operator": ("stream", "actuate")}
    settings = [
        TokenSettings(name=n, scopes=scopes[n], hash=hash_token(t)) for n, t in tokens.items()
    ]
    return Authenticator(settings), tokens


async def test_auth_needs_stream_to_connect_and_actuate_to_command(
    serve_stream: ServeStream,
) -> None:
    auth, tokens = authenticator()
    commands = FakeCommands()
    server = await serve_stream(authenticator=auth, commands=commands)  # no follow-up
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(server.ws_url):
            pass
    assert refused.value.response.status_code == 403
    command = {"type": "command", "thing": PLUG, "name": "setOnOff", "value": True, "id": "x"}
    header = {"Authorization": f"Bearer {tokens['viewer']}"}
    async with websockets.connect(server.ws_url, additional_headers=header) as ws:
        await subscribe(ws)
        await ws.send(json.dumps(command))
        error = await recv(ws)
        assert error["id"] == "x"
        assert "forbidden" in error["reason"]
        assert "actuate" in error["reason"]
    url = f"{server.ws_url}?access_token={tokens['operator']}"  # browsers cannot set headers
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps(command))
        assert (await recv(ws))["status"] == "sent"
    assert len(commands.seen) == 1


async def test_commands_are_refused_when_the_server_has_no_command_service(
    serve_stream: ServeStream,
) -> None:
    server = await serve_stream()
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"type": "command", "thing": PLUG, "name": "setOnOff"}))
        assert "not available" in (await recv(ws))["reason"]


async def test_a_stalled_client_loses_its_oldest_messages_then_is_evicted(
    serve_stream: ServeStream,
) -> None:
    hub = Hub()
    settings = StreamSettings(queue_size=20, evict_after_drops=1000)
    server = await serve_stream(hub, settings=settings)
    counter = server.metrics.stream_evicted.labels("websocket")
    slow = await StalledClient.connect(server.ws_url)
    slow.send('{"type": "subscribe"}')
    async with websockets.connect(server.ws_url) as fast:
        await subscribe(fast)
        await wait_until(lambda: hub.subscribers == 2)
        published = received = 0
        # until the socket buffers fill and 1000 drops in a row follow (bounded)
        while counter._value.get() == 0 and published < 50_000:
            for _ in range(10):  # fewer than the queue holds: the fast client loses nothing
                hub.publish(power(float(published), when=at(published)))  # never waits
                published += 1
            while received < published:  # the fast client keeps up meanwhile
                received += 1 if (await recv(fast))["type"] == "reading" else 0
        sent = server.metrics.stream_sent.labels("websocket")._value.get()
        dropped = server.metrics.stream_dropped.labels("websocket")._value.get()
    assert counter._value.get() == 1, (published, sent, dropped)
    assert received == published  # the fast client lost nothing
    assert dropped >= 1000
    assert sent + dropped <= 2 * published  # every message went out, or was counted dropped
    await wait_until(lambda: hub.subscribers == 0)
    frames, code = await slow.read_until_close()  # what was buffered, then the close
    assert code == 1013  # try again later
    assert 0 < frames < published
