"""WebSocket ``/stream``: subscribe with filters, get a snapshot then live messages; send commands.

One ``Connection`` per socket runs a reader (requests, see ``protocol.py``) and one writer,
the only task that sends. The writer sends, in this order: answers to requests (snapshot
frames, command statuses, errors; a short bounded outbox — when full, the reader stops
reading, which holds back a client that floods requests), then a ``dropped`` notice if the
client missed messages, then the waiting live messages (one frame each, or up to ``batch``
per frame when the client asked for it). Live messages wait in the subscription's
``ClientQueue``: a client that reads slowly loses its oldest messages (counted, and told
with ``dropped``); one that reads nothing while ``stream.evict_after_drops`` messages are
dropped in a row is disconnected with close code 1013 (try again later).

Auth and commands are handed in by the service (this layer does not know the API layer):
``guard`` is a FastAPI dependency run before the socket is accepted (scope ``stream``);
``actuate`` is awaited with the socket before each command (scope ``actuate``) and refuses
by raising ``WebSocketException``; ``commands`` submits a ``Command`` and returns its record,
sent as a ``command-status`` frame; ``follow`` then waits for the command's final status
(``confirmed``, ``timed-out`` …), sent as a second ``command-status`` frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any, Final

from fastapi import APIRouter, Depends, WebSocket, WebSocketException
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from translator.errors import CommandError
from translator.metrics import Metrics
from translator.settings import StreamSettings
from translator.stream.context import context_url
from translator.stream.hub import Hub
from translator.stream.message import context_prefix
from translator.stream.protocol import (
    PONG,
    REQUEST,
    CommandRequest,
    SubscribeRequest,
    dropped_frame,
    error_frame,
    reading_frame,
    readings_frame,
    start_frames,
    status_frame,
)
from translator.stream.queues import ClientQueue
from translator.stream.seams import CommandFollow, CommandHandler, Guard
from translator.values import Command

logger = logging.getLogger(__name__)

TRANSPORT: Final = "websocket"
OUTBOX_LIMIT: Final = 64  # answers waiting to be sent before the reader pauses
COMMANDS_IN_FLIGHT: Final = 16  # per socket
CLOSE_TIMEOUT_S: Final = 2.0
FRAMES_PER_TURN: Final = 16  # frames a writer sends before it yields the loop
TRY_AGAIN_LATER: Final = 1013
FOLLOWED: Final = frozenset({"pending", "sent"})  # statuses that may still change


def websocket_router(
    hub: Hub,
    settings: StreamSettings,
    metrics: Metrics,
    *,
    guard: Guard | None = None,
    actuate: Guard | None = None,
    commands: CommandHandler | None = None,
    follow: CommandFollow | None = None,
) -> APIRouter:
    """The ``/stream`` WebSocket route."""
    router = APIRouter(tags=["stream"])
    dependencies = [Depends(guard)] if guard is not None else []

    @router.websocket("/stream", dependencies=dependencies)
    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        connection = Connection(
            websocket, hub, settings, metrics, actuate=actuate, commands=commands, follow=follow
        )
        await connection.run()

    return router


class Connection:
    """One client socket: its subscription, its outbox, its reader and writer."""

    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        settings: StreamSettings,
        metrics: Metrics,
        *,
        actuate: Guard | None = None,
        commands: CommandHandler | None = None,
        follow: CommandFollow | None = None,
    ) -> None:
        self._ws = websocket
        self._hub = hub
        self._settings = settings
        self._metrics = metrics
        self._actuate = actuate
        self._commands = commands
        self._follow = follow
        self._prefix = context_prefix(context_url(websocket, settings.context_url))
        self._wake = asyncio.Event()  # set by the queue's offers and by posted answers
        self._outbox: deque[bytes] = deque()
        self._room = asyncio.Event()
        self._room.set()
        self._queue: ClientQueue | None = None
        self._batch = 1
        self._evicted = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent = metrics.stream_sent.labels(TRANSPORT)

    async def run(self) -> None:
        """Serve the socket until the client leaves, fails, or is evicted."""
        gauge = self._metrics.stream_clients.labels(TRANSPORT)
        gauge.inc()
        reader = asyncio.create_task(self._read(), name="stream-ws-reader")
        writer = asyncio.create_task(self._write(), name="stream-ws-writer")
        evicted = asyncio.create_task(self._evicted.wait(), name="stream-ws-eviction")
        try:
            await asyncio.wait((reader, writer, evicted), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._unsubscribe()
            for task in (reader, writer, evicted, *self._tasks):
                task.cancel()
            await asyncio.gather(reader, writer, evicted, *self._tasks, return_exceptions=True)
            gauge.dec()
        for task in (reader, writer):
            if not task.cancelled() and task.exception() is not None:
                logger.error("%s failed", task.get_name(), exc_info=task.exception())
        if self._evicted.is_set():
            await self._close(TRY_AGAIN_LATER, "too slow: messages were dropped, reconnect")

    async def _close(self, code: int, reason: str) -> None:
        # a client that reads nothing cannot take a close frame either: do not wait forever
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self._ws.close(code, reason)

    # -- reading ----------------------------------------------------------------------------

    async def _read(self) -> None:
        while True:
            message = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text") or message.get("bytes") or b""
            await self._room.wait()
            await self._handle(raw)

    async def _handle(self, raw: str | bytes) -> None:
        try:
            request = REQUEST.validate_json(raw)
        except ValidationError as err:
            self._post(error_frame(_problem(err)))
            return
        if isinstance(request, SubscribeRequest):
            self._subscribe(request)
        elif isinstance(request, CommandRequest):
            await self._command(request)
        elif request.type == "unsubscribe":
            self._unsubscribe()
        else:
            self._post(PONG)

    def _subscribe(self, request: SubscribeRequest) -> None:
        try:
            stream_filter = request.stream_filter()
        except ValueError as err:
            self._post(error_frame(str(err)))
            return
        self._unsubscribe()
        queue = ClientQueue(
            self._settings.queue_size,
            evict_after=self._settings.evict_after_drops,
            on_drop=self._metrics.stream_dropped.labels(TRANSPORT).inc,
            on_evict=self._on_evict,
            wake=self._wake,
        )
        start = self._hub.subscribe(queue, stream_filter, after=request.since)
        self._queue, self._batch = queue, request.batch
        for frame in start_frames(start.events, start.seq, self._prefix, replay=start.replay):
            self._post(frame)

    def _on_evict(self, count: int) -> None:
        self._metrics.stream_evicted.labels(TRANSPORT).inc(count)
        self._evicted.set()

    def _unsubscribe(self) -> None:
        if self._queue is not None:
            self._hub.unsubscribe(self._queue)
            self._queue.close()
            self._queue = None

    async def _command(self, request: CommandRequest) -> None:
        if self._commands is None:
            self._post(error_frame("commands are not available on this server", request.id))
            return
        if self._actuate is not None:
            try:
                await self._actuate(self._ws)
            except WebSocketException as err:
                self._post(error_frame(f"forbidden: {err.reason}", request.id))
                return
        if len(self._tasks) >= COMMANDS_IN_FLIGHT:
            reason = f"too many commands in flight (at most {COMMANDS_IN_FLIGHT})"
            self._post(error_frame(reason, request.id))
            return
        task = asyncio.create_task(self._submit(request), name="stream-ws-command")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _submit(self, request: CommandRequest) -> None:
        assert self._commands is not None
        command = Command(thing=request.thing, name=request.name, value=request.value)
        try:
            record = await self._commands(command)
        except CommandError as err:
            self._post(error_frame(str(err), request.id))
            return
        except Exception:  # the command service's bug must not end the socket
            logger.exception("command %s for %s failed", request.name, request.thing)
            self._post(error_frame("the command failed on the server", request.id))
            return
        self._post(status_frame(request.id, record))
        await self._follow_up(request, record)

    async def _follow_up(self, request: CommandRequest, record: Mapping[str, Any]) -> None:
        """Send the final status too (confirmed, timed out …) when it comes later."""
        command_id = record.get("id")
        if self._follow is None or record.get("status") not in FOLLOWED:
            return
        if not isinstance(command_id, str):
            return
        try:
            final = await self._follow(command_id)
        except CommandError as err:  # e.g. gone from the service's bounded history
            logger.debug("cannot follow command %s: %s", command_id, err)
            return
        if final.get("status") != record.get("status"):
            self._post(status_frame(request.id, final))

    def _post(self, frame: bytes) -> None:
        self._outbox.append(frame)
        if len(self._outbox) >= OUTBOX_LIMIT:
            self._room.clear()
        self._wake.set()

    # -- writing ----------------------------------------------------------------------------

    async def _write(self) -> None:
        sent = 0
        try:
            while True:
                self._wake.clear()
                frame = self._next_frame()
                if frame is None:
                    await self._wake.wait()
                    continue
                await self._ws.send_text(frame.decode())
                sent += 1
                if sent % FRAMES_PER_TURN == 0:
                    # a send into a writable socket never yields: let the other clients,
                    # and ingest, have the loop now and then while this one catches up
                    await asyncio.sleep(0)
        except (WebSocketDisconnect, OSError, RuntimeError):
            return  # the client went away mid-send (starlette raises RuntimeError after close)

    def _next_frame(self) -> bytes | None:
        if self._outbox:
            frame = self._outbox.popleft()
            if len(self._outbox) < OUTBOX_LIMIT:
                self._room.set()
            return frame
        queue = self._queue
        if queue is None:
            return None
        missed = queue.take_dropped()
        if missed:
            return dropped_frame(missed, queue.dropped)
        events = queue.take_nowait(self._batch)
        if not events:
            return None
        self._sent.inc(len(events))
        if len(events) == 1:
            return reading_frame(events[0], self._prefix)
        return readings_frame(events, self._prefix)


def _problem(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return (
        f"bad request: {where}: {first['msg']}{more}" if where else f"bad request: {first['msg']}"
    )
