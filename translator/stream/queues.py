"""The bounded queues between the hub and its consumers; ``offer`` never blocks, never waits.

* ``ClientQueue`` (one per WebSocket or SSE client): when full, the OLDEST message is dropped
  and counted, so a slow client sees a gap, never a stall of the hub or of anyone else. A
  client that takes nothing while ``evict_after`` messages in a row are dropped for it is
  evicted: the queue closes and its connection is ended (the client may reconnect and gets
  a fresh snapshot).
* ``CoalescingQueue`` (MQTT republish): keeps only the newest message per (thing, property)
  not yet published, since the retained topic holds just the latest value anyway; when it
  holds ``maxsize`` keys, the oldest key's message is dropped and counted.

Both are used from the event loop's thread only.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Protocol

from translator.stream.message import StreamEvent

Count = Callable[[int], None]  # e.g. a prometheus Counter child's ``inc``


def _ignore(_: int) -> None:
    return None


class EventSink(Protocol):
    """What the hub fans out to."""

    @property
    def closed(self) -> bool:
        """Whether the consumer is gone (the hub then forgets the sink)."""
        ...

    def offer(self, event: StreamEvent) -> None:
        """Take ``event`` without waiting (drop something if full)."""
        ...

    def close(self) -> None:
        """Take no more; let the consumer finish."""
        ...


class ClientQueue:
    """A bounded drop-oldest queue for one client; one consumer takes batches.

    ``wake`` is set on every ``offer``; a consumer that waits on other things too (a
    WebSocket writer also sends answers to requests) passes its own event and uses
    ``take_nowait``.
    """

    def __init__(
        self,
        maxsize: int,
        *,
        evict_after: int = 0,
        on_drop: Count = _ignore,
        on_evict: Count = _ignore,
        wake: asyncio.Event | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: deque[StreamEvent] = deque()
        self._maxsize = maxsize
        self._evict_after = evict_after
        self._on_drop = on_drop
        self._on_evict = on_evict
        self._wake = wake or asyncio.Event()  # shared when the consumer waits on more than us
        self.closed = False  # client gone, evicted or shut down
        self.dropped = 0  # total, for this client's life
        self.evicted = False
        self._unreported = 0  # drops the client has not been told about yet
        self._in_a_row = 0  # drops since the client last took something

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, event: StreamEvent) -> None:
        """Append ``event``; if full, drop the oldest message first (counted)."""
        if self.closed:
            return
        if len(self._items) >= self._maxsize:
            self._items.popleft()
            self.dropped += 1
            self._unreported += 1
            self._in_a_row += 1
            self._on_drop(1)
            if self._evict_after and self._in_a_row >= self._evict_after:
                self.evicted = True
                self._on_evict(1)
                self.close()
                return
        self._items.append(event)
        self._wake.set()

    async def take(self, limit: int) -> list[StreamEvent]:
        """Wait for at least one message, then take up to ``limit``; ``[]`` once closed."""
        while not self._items:
            if self.closed:
                return []
            self._wake.clear()
            await self._wake.wait()
        return self.take_nowait(limit)

    def take_nowait(self, limit: int) -> list[StreamEvent]:
        """Take up to ``limit`` messages without waiting (maybe none)."""
        if self.closed or not self._items:
            return []
        self._in_a_row = 0
        count = min(limit, len(self._items))
        return [self._items.popleft() for _ in range(count)]

    def take_dropped(self) -> int:
        """How many messages were dropped since the last call (to tell the client)."""
        count, self._unreported = self._unreported, 0
        return count

    def close(self) -> None:
        """Stop taking messages and wake the consumer."""
        self.closed = True
        self._items.clear()
        self._wake.set()


class CoalescingQueue:
    """Newest message per (thing, property), oldest key first; bounded by ``maxsize`` keys."""

    def __init__(self, maxsize: int, *, on_drop: Count = _ignore) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: dict[tuple[str, str], StreamEvent] = {}
        self._maxsize = maxsize
        self._on_drop = on_drop
        self._wake = asyncio.Event()
        self.closed = False  # at shutdown
        self.dropped = 0
        self.coalesced = 0  # messages replaced by a newer one before they were published

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, event: StreamEvent) -> None:
        """Keep ``event`` as the pending message of its (thing, property)."""
        if self.closed:
            return
        key = (event.thing, event.property)
        if key in self._items:
            self.coalesced += 1
        elif len(self._items) >= self._maxsize:
            del self._items[next(iter(self._items))]
            self.dropped += 1
            self._on_drop(1)
        self._items[key] = event  # an existing key keeps its place in line
        self._wake.set()

    async def get(self) -> StreamEvent | None:
        """The next pending message, waiting for one; ``None`` once closed and empty."""
        while not self._items:
            if self.closed:
                return None
            self._wake.clear()
            await self._wake.wait()
        key = next(iter(self._items))
        return self._items.pop(key)

    def close(self) -> None:
        """Let the consumer finish what is pending, then see ``None``."""
        self.closed = True
        self._wake.set()
