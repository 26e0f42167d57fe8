"""Helpers of the stream tests: clients (WebSocket, a stalled one, SSE) and small waits."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from translator.metrics import Metrics
from translator.service import Running
from translator.stream import Hub


@dataclass
class StreamServer:
    """A loopback server of the stream routes, and the parts behind it."""

    hub: Hub
    metrics: Metrics
    http_url: str

    @property
    def ws_url(self) -> str:
        return self.http_url.replace("http://", "ws://", 1) + "/stream"


ServeStream = Callable[..., Awaitable[StreamServer]]
StartService = Callable[..., Awaitable[Running]]


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique_prefix() -> str:
    """A republish topic root of this test's own (the session broker keeps retained messages)."""
    return f"test-{uuid.uuid4().hex[:10]}/v1"


async def wait_until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 -- polls counters no event announces
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"condition not met within {within} s")


RECV_TIMEOUT_S = 10.0


async def recv(ws: ClientConnection) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), RECV_TIMEOUT_S)
    decoded = json.loads(frame)
    assert isinstance(decoded, dict)
    return decoded


async def subscribe(ws: ClientConnection, **request: Any) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "subscribe", **request}))
    snapshot = await recv(ws)
    assert snapshot["type"] == "snapshot", snapshot
    return snapshot


class StalledClient:
    """A WebSocket client that subscribes and then never reads: its socket's receive buffer
    is tiny and its reader's limit small, so the server's sends soon block."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, url: str) -> StalledClient:
        host, _, port = url.removeprefix("ws://").partition("/")[0].partition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
        key = base64.b64encode(os.urandom(16))
        writer.write(
            b"GET /stream HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (host.encode(), key)
        )
        response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), RECV_TIMEOUT_S)
        assert response.startswith(b"HTTP/1.1 101"), response
        return cls(reader, writer)

    def send(self, text: str) -> None:
        """One masked text frame (payloads under 126 bytes)."""
        payload = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    async def read_until_close(self) -> tuple[int, int]:
        """Read the frames the server had buffered up to its close frame: (frames, close code)."""
        frames = 0
        async with asyncio.timeout(RECV_TIMEOUT_S * 3):
            while True:
                opcode, payload = await self._frame()
                if opcode == 0x8:
                    self.writer.close()
                    return frames, int.from_bytes(payload[:2], "big")
                frames += 1

    async def _frame(self) -> tuple[int, bytes]:
        head = await self.reader.readexactly(2)
        length = head[1] & 0x7F
        if length >= 126:
            length = int.from_bytes(await self.reader.readexactly(2 if length == 126 else 8), "big")
        return head[0] & 0x0F, await self.reader.readexactly(length)


READ_TIMEOUT_S = 10.0


@dataclass
class Event:
    """One server-sent event (comments are kept apart)."""

    event: str = "message"
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.data)


class EventReader:
    """Parses ``text/event-stream`` lines (the WHATWG rules we rely on) from a response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()
        self.retry: int | None = None

    async def next(self) -> Event:
        event = Event()
        async with asyncio.timeout(READ_TIMEOUT_S):
            async for line in self.lines:
                if not line:
                    if event.data or event.comments or event.id:
                        return event
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if not name:
                    event.comments.append(value)
                elif name == "retry":
                    self.retry = int(value)
                elif name == "data":
                    event.data = f"{event.data}\n{value}" if event.data else value
                elif name in ("event", "id"):
                    setattr(event, name, value)
        pytest.fail("the event stream ended")


@asynccontextmanager
async def sse(url: str, **kwargs: Any) -> AsyncIterator[EventReader]:
    async with (
        httpx.AsyncClient(timeout=READ_TIMEOUT_S) as client,
        client.stream("GET", url, **kwargs) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)
