"""The bounded hand-off between a transport's receive path and the sink, and its overload policy.

What arrives is offered to a ``HandoffQueue`` on the event loop and one consumer task takes it
out to the sink, so a transport never waits on translation work. The queue is bounded; what
happens when it is full is the ``OverloadPolicy``:

* ``BLOCK``: the transport stops reading until there is room (``Holdback``: what it already
  read waits, and the MQTT adapter takes its socket out of the selector), up to a timeout;
  only then is the waiting item dropped. The pause pushes back on the peer (unread bytes
  become TCP back-pressure towards the MQTT broker), so nothing is lost while the sink is
  merely slow.
* ``DROP_OLDEST``: the oldest waiting item makes room for the newcomer (latest values win).
* ``DROP_NEWEST``: the newcomer is refused; what is already waiting keeps its place.

Every dropped item is counted, and handed back so the caller can settle it (an MQTT adapter
acknowledges it to the broker). Both classes live on one event loop and are touched only
from it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

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


class Pausable(Protocol):
    """A transport that can stop reading (and so push back on its peer) and start again."""

    def pause_reading(self) -> None:
        """Read nothing more until ``resume_reading``."""
        ...

    def resume_reading(self) -> None:
        """Read again."""
        ...


class Holdback(Generic[T]):
    """``BLOCK`` for a transport read on the event loop: no room, no reading.

    ``offer`` queues an item when the queue has room; otherwise the item waits here and the
    transport is paused (what one read already delivered waits in order behind it). When the
    consumer takes an item out, ``admit`` moves waiting items into the freed places and,
    once none waits, reading resumes. The item at the head waits at most ``timeout``
    seconds: then it is given up (``give_up``, counted in ``given_up``) and reading resumes,
    so the next arrival waits again, as a thread blocked on a full queue would.
    """

    def __init__(
        self,
        queue: HandoffQueue[T],
        transport: Pausable,
        timeout: float,
        give_up: Callable[[T], None],
    ) -> None:
        self._queue = queue
        self._transport = transport
        self._timeout = timeout
        self._give_up = give_up
        self._waiting: deque[T] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self.waits = 0  # how often an arrival found no room
        self.given_up = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def offer(self, item: T) -> bool:
        """Queue ``item`` now (True), or hold it back and pause the transport (False)."""
        queue = self._queue
        if not self._waiting and len(queue) < queue.capacity:
            queue.offer(item)
            return True
        self._waiting.append(item)
        if len(self._waiting) == 1:
            self.waits += 1
            self._transport.pause_reading()
            self._arm()
        return False

    def admit(self) -> list[T]:
        """Move waiting items into the queue's free places; the items moved, in order."""
        queue = self._queue
        moved: list[T] = []
        while self._waiting and len(queue) < queue.capacity and not queue.closed:
            item = self._waiting.popleft()
            queue.offer(item)
            moved.append(item)
        if moved:
            self._disarm()
            if self._waiting:
                self._arm()
            else:
                self._transport.resume_reading()
        return moved

    def close(self) -> list[T]:
        """Stop holding back: the items still waiting (never queued), and reading resumes."""
        self._disarm()
        left = list(self._waiting)
        self._waiting.clear()
        self._transport.resume_reading()
        return left

    def _arm(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if not self._waiting:
            return
        self.given_up += 1
        self._give_up(self._waiting.popleft())
        if self._waiting:
            self._arm()
        else:
            self._transport.resume_reading()  # the next arrival waits again, if still full
