"""Server-Sent Events ``GET /stream/sse``: the stream for clients that only read.

Filters are query parameters, each repeatable: ``?things=urn:a&things=urn:b&properties=power``
(also ``types`` and ``areas``). The response (``text/event-stream``) opens with a ``retry:``
line, then either

* a snapshot of the latest state: ``event: snapshot`` events whose data is
  ``{"seq": S, "readings": [message, …], "complete": bool}`` (chunks of at most 500), all
  with ``id: S``; or
* when the request carries ``Last-Event-ID`` (the browser's ``EventSource`` sends it when it
  reconnects; ``?last_event_id=`` does the same for a first connection) and the hub's ring
  still holds every event after it: those events, replayed;

then one ``event: reading`` per message, ``id:`` its seq, ``data:`` the message (one line).
An id older than the ring, malformed, or from another run yields a fresh snapshot instead.
``event: dropped`` (data ``{"count": n, "total": t}``) says the client fell behind and lost
messages; an evicted client gets ``event: evicted`` and the response ends. A comment line
(``: keep-alive``) goes out every ``stream.heartbeat_s`` seconds of silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from translator.metrics import Metrics
from translator.settings import StreamSettings
from translator.stream.context import context_url
from translator.stream.filters import MAX_VALUES, StreamFilter
from translator.stream.hub import Hub, Start
from translator.stream.message import StreamEvent, context_prefix, with_context
from translator.stream.protocol import start_chunks
from translator.stream.queues import ClientQueue
from translator.stream.seams import Guard

logger = logging.getLogger(__name__)

TRANSPORT: Final = "sse"
RETRY_MS: Final = 2000
BATCH: Final = 500  # messages written per chunk when a client is behind
_Values = Annotated[list[str] | None, Query(max_length=MAX_VALUES)]


def sse_router(
    hub: Hub, settings: StreamSettings, metrics: Metrics, *, guard: Guard | None = None
) -> APIRouter:
    """The ``/stream/sse`` route."""
    router = APIRouter(tags=["stream"])
    dependencies = [Depends(guard)] if guard is not None else []

    @router.get(
        "/stream/sse",
        dependencies=dependencies,
        response_class=StreamingResponse,
        summary="The normalized stream as Server-Sent Events",
    )
    async def stream(
        request: Request,
        things: _Values = None,
        properties: _Values = None,
        types: _Values = None,
        areas: _Values = None,
        last_event_id: Annotated[str | None, Query(max_length=64)] = None,
        last_event_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    ) -> StreamingResponse:
        try:
            stream_filter = StreamFilter.build(
                things=things, properties=properties, types=types, areas=areas
            )
        except ValueError as err:
            raise HTTPException(400, str(err)) from err
        events = _events(
            hub,
            stream_filter,
            _seq(last_event_header or last_event_id),
            context_prefix(context_url(request, settings.context_url)),
            settings,
            metrics,
        )
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)

    return router


def _seq(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None  # not one of ours: a fresh snapshot


async def _events(
    hub: Hub,
    stream_filter: StreamFilter,
    after: int | None,
    prefix: bytes,
    settings: StreamSettings,
    metrics: Metrics,
) -> AsyncIterator[bytes]:
    gauge = metrics.stream_clients.labels(TRANSPORT)
    sent = metrics.stream_sent.labels(TRANSPORT)
    evictions = metrics.stream_evicted.labels(TRANSPORT)
    queue = ClientQueue(
        settings.queue_size,
        evict_after=settings.evict_after_drops,
        on_drop=metrics.stream_dropped.labels(TRANSPORT).inc,
        on_evict=evictions.inc,
    )
    gauge.inc()
    try:
        # subscribe here, not in the route: a response that never starts must not leak it
        start = hub.subscribe(queue, stream_filter, after=after)
        yield b"retry: %d\n\n" % RETRY_MS + _start(start, prefix)
        while True:
            try:
                async with asyncio.timeout(settings.heartbeat_s):
                    events = await queue.take(BATCH)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if not events:
                if queue.evicted:
                    yield b'event: evicted\ndata: {"reason":"too slow"}\n\n'
                return
            missed = queue.take_dropped()
            notice = _dropped(missed, queue.dropped) if missed else b""
            sent.inc(len(events))
            yield notice + b"".join(_reading(event, prefix) for event in events)
    finally:
        hub.unsubscribe(queue)
        queue.close()
        gauge.dec()


def _start(start: Start, prefix: bytes) -> bytes:
    if start.replay:
        return b"".join(_reading(event, prefix) for event in start.events)
    chunks = start_chunks(start.events, start.seq, prefix)
    return b"".join(b"event: snapshot\nid: %d\ndata: %s\n\n" % (start.seq, c) for c in chunks)


def _reading(event: StreamEvent, prefix: bytes) -> bytes:
    return b"event: reading\nid: %d\ndata: %s\n\n" % (event.seq, with_context(event.body, prefix))


def _dropped(count: int, total: int) -> bytes:
    return b'event: dropped\ndata: {"count":%d,"total":%d}\n\n' % (count, total)
