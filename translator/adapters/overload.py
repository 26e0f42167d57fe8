"""The bounded hand-off between a transport's receive path and the sink, and its overload policy.

What arrives is offered to a ``HandoffQueue`` on the event loop and one consumer task takes it
out to the sink, so a transport never waits on translation work. The queue is bounded; what
happens when it is full is the ``OverloadPolicy``:

* ``BLOCK``: the producer waits for room before it offers (a transport thread waits on a
  ``Room``), up to a timeout; only then is the newcomer dropped. The wait pushes back on the
  peer (a paused socket read becomes TCP back-pressure towards the MQTT broker), so nothing
  is lost while the sink is merely slow.
* ``DROP_OLDEST``: the oldest waiting item makes room for the newcomer (latest values win).
* ``DROP_NEWEST``: the newcomer is refused; what is already waiting keeps its place.

Every dropped item is counted, and ``offer`` hands it back so the caller can settle it (an
MQTT adapter acknowledges it to the broker). A ``HandoffQueue`` lives on one event loop and is
touched only from it; a ``Room`` is shared between the producer's thread and that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class OverloadPolicy(StrEnum):
    """What a full hand-off does with the next item."""

    BLOCK = "block"
    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"


class HandoffQueue(Generic[T]):
    """A FIFO of at most ``capacity`` items; ``offer`` never waits.

    A full queue gives up its oldest item under ``DROP_OLDEST`` and the newcomer otherwise
    (under ``BLOCK`` the producer has waited for room already, so a full queue means it
    waited too long). ``close`` ends the stream: ``get`` returns what is still queued, then
    ``None``; later offers are refused without counting them as dropped.
    """

    def __init__(self, capacity: int, policy: OverloadPolicy = OverloadPolicy.BLOCK) -> None:
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
        """Queue ``item``; return the item given up to make it fit (counted), else ``None``."""
        if self._closed:
            return item
        given_up: T | None = None
        if len(self._items) >= self.capacity:
            self.dropped += 1
            if self.policy is not OverloadPolicy.DROP_OLDEST:
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


class Room:
    """Free places in a hand-off queue, for a producer on another thread (``BLOCK``).

    The producer calls ``wait`` before it hands an item over; the consumer calls
    ``give_back`` when it takes one out. ``open`` ends all waiting for good (shutdown).
    """

    def __init__(self, capacity: int) -> None:
        self._free = threading.Semaphore(capacity)
        self._open = threading.Event()
        self.waits = 0  # how often the producer found no room at once (producer's thread)

    def wait(self, timeout: float) -> bool:
        """Take a place, waiting up to ``timeout`` seconds; ``False`` if none came free."""
        if self._open.is_set() or self._free.acquire(blocking=False):
            return True
        self.waits += 1
        return self._free.acquire(timeout=timeout) or self._open.is_set()

    def give_back(self) -> None:
        """Return one place (an item left the queue)."""
        self._free.release()

    def open(self) -> None:
        """Stop limiting: every current and later ``wait`` returns at once."""
        self._open.set()
        self._free.release(1 << 16)  # wake whoever waits now
