"""The bounded hand-off queue between a transport's receive path and the sink.

A transport must never wait on translation work, so what arrives is offered to a
``HandoffQueue`` and a consumer task takes it out. The queue is bounded; when it is full the
``OverloadPolicy`` decides which item is given up, and the queue counts every one:

* ``DROP_OLDEST`` (default): the oldest waiting item makes room for the newcomer. Sensor
  streams care most about the latest value, and the wait of what is kept stays short.
* ``DROP_NEWEST``: the newcomer is refused; what is already waiting keeps its place.

``offer`` hands the given-up item back to the caller so it can settle it (an MQTT adapter
acknowledges it to the broker). A queue lives on one event loop and is touched only from it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class OverloadPolicy(StrEnum):
    """Which item a full queue gives up."""

    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"


class HandoffQueue(Generic[T]):
    """A FIFO of at most ``capacity`` items that never blocks the producer.

    ``close`` ends the stream: ``get`` then returns what is still queued and ``None`` once
    the queue is empty, and every later ``offer`` is refused.
    """

    def __init__(self, capacity: int, policy: OverloadPolicy = OverloadPolicy.DROP_OLDEST) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.policy = policy
        self.dropped = 0
        self.high_water = 0
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def offer(self, item: T) -> T | None:
        """Queue ``item``; return the item given up to make it fit (counted), else ``None``.

        A closed queue refuses ``item`` and hands it back without counting it as dropped.
        """
        if self._closed:
            return item
        given_up: T | None = None
        if len(self._items) >= self.capacity:
            self.dropped += 1
            if self.policy is OverloadPolicy.DROP_NEWEST:
                return item
            given_up = self._items.popleft()
        self._items.append(item)
        self.high_water = max(self.high_water, len(self._items))
        self._ready.set()
        return given_up

    async def get(self) -> T | None:
        """The oldest item, waiting for one; ``None`` when the queue is closed and empty."""
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def close(self) -> None:
        """Refuse new items; waiting and future ``get`` calls drain the rest, then end."""
        self._closed = True
        self._ready.set()
