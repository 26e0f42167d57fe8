"""The WebSocket wire protocol of ``/stream``: what clients send (pydantic) and what we send.

Client → server (JSON text frames; ``docs/stream.md`` has the full description)::

    {"type": "subscribe", "things": [...], "properties": [...], "types": [...], "areas": [...],
     "batch": 1, "since": 1764079000000123}            # every field but "type" optional
    {"type": "unsubscribe"}
    {"type": "command", "thing": "urn:…", "name": "setOnOff", "value": true, "id": "c1"}
    {"type": "ping"}

Server → client::

    {"type": "snapshot", "seq": S, "readings": [message, …], "complete": true}
    {"type": "replay", "seq": S, "readings": [message, …], "complete": true}
    {"type": "reading", "seq": N, "reading": message}
    {"type": "readings", "seq": N, "readings": [message, …]}    # only with "batch" > 1
    {"type": "dropped", "count": n, "total": t}
    {"type": "command-status", "id": "c1", "status": "sent", "command": {…record…}}
    {"type": "error", "reason": "…", "id": "c1"?}
    {"type": "pong"}

Frames that carry messages are built from the already-serialized messages by byte joins:
the hub serializes a message once, whatever the number of clients.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from translator.stream.filters import MAX_VALUES, StreamFilter
from translator.stream.message import StreamEvent, with_context

MAX_BATCH: Final = 1000
SNAPSHOT_CHUNK: Final = 500  # messages per snapshot frame (clients cap frame sizes, ~1 MiB)

_Values = Annotated[list[str], Field(max_length=MAX_VALUES)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubscribeRequest(_Request):
    """Start (or replace) the subscription: snapshot, then live messages."""

    type: Literal["subscribe"]
    things: _Values | None = None
    properties: _Values | None = None
    types: _Values | None = None
    areas: _Values | None = None
    batch: int = Field(1, ge=1, le=MAX_BATCH, description="Most messages per frame.")
    since: int | None = Field(None, ge=0, description="Resume after this seq (replay).")

    def stream_filter(self) -> StreamFilter:
        """The filter this request asks for.

        Raises:
            ValueError: a value is empty or too long.
        """
        return StreamFilter.build(
            things=self.things, properties=self.properties, types=self.types, areas=self.areas
        )


class UnsubscribeRequest(_Request):
    """Stop the live messages (the socket stays open)."""

    type: Literal["unsubscribe"]


class CommandRequest(_Request):
    """A command for a device, answered with ``command-status`` frames."""

    type: Literal["command"]
    thing: str = Field(min_length=1, max_length=2048)
    name: str = Field(min_length=1, max_length=256)
    value: Any = None
    id: str | None = Field(None, max_length=256, description="Echoed in the answers.")


class PingRequest(_Request):
    """Answered with ``pong`` (an application-level liveness check)."""

    type: Literal["ping"]


Request = Annotated[
    SubscribeRequest | UnsubscribeRequest | CommandRequest | PingRequest,
    Field(discriminator="type"),
]
REQUEST: Final = TypeAdapter[Request](Request)

PONG: Final = b'{"type":"pong"}'


def reading_frame(event: StreamEvent, prefix: bytes) -> bytes:
    """One live message."""
    return b"".join(
        (
            b'{"type":"reading","seq":',
            b"%d" % event.seq,
            b',"reading":',
            with_context(event.body, prefix),
            b"}",
        )
    )


def readings_frame(events: Sequence[StreamEvent], prefix: bytes) -> bytes:
    """Several live messages in one frame (the subscriber asked for ``batch`` > 1)."""
    body = b",".join(with_context(event.body, prefix) for event in events)
    return b'{"type":"readings","seq":%d,"readings":[%s]}' % (events[-1].seq, body)


def start_chunks(events: Sequence[StreamEvent], seq: int, prefix: bytes) -> Iterator[bytes]:
    """A snapshot (or replay) as ``{"seq": S, "readings": [...], "complete": bool}`` objects
    of at most ``SNAPSHOT_CHUNK`` messages; ``complete`` is true on the last (maybe empty)."""
    for start in range(0, max(len(events), 1), SNAPSHOT_CHUNK):
        chunk = events[start : start + SNAPSHOT_CHUNK]
        body = b",".join(with_context(event.body, prefix) for event in chunk)
        last = b"true" if start + SNAPSHOT_CHUNK >= len(events) else b"false"
        yield b'{"seq":%d,"readings":[%s],"complete":%s}' % (seq, body, last)


def start_frames(
    events: Sequence[StreamEvent], seq: int, prefix: bytes, *, replay: bool
) -> Iterator[bytes]:
    """The WebSocket ``snapshot`` (or ``replay``) frames of ``start_chunks``."""
    head = b'{"type":"replay",' if replay else b'{"type":"snapshot",'
    for chunk in start_chunks(events, seq, prefix):
        yield head + chunk[1:]


def dropped_frame(count: int, total: int) -> bytes:
    """Tell a slow client how many messages it missed (it may resubscribe for a snapshot)."""
    return orjson.dumps({"type": "dropped", "count": count, "total": total})


def error_frame(reason: str, request_id: str | None = None) -> bytes:
    """A request could not be served."""
    frame: dict[str, Any] = {"type": "error", "reason": reason}
    if request_id is not None:
        frame["id"] = request_id
    return orjson.dumps(frame)


def status_frame(request_id: str | None, record: Mapping[str, Any]) -> bytes:
    """What the command service says about a command: ``id`` is the client's, ``command``
    the service's record (its own id, status, times, reason)."""
    frame = {"type": "command-status", "id": request_id, "status": record.get("status")}
    return orjson.dumps({**frame, "command": dict(record)}, default=str)
