"""Bounded queues: a full client queue drops its oldest message, counted; the MQTT one coalesces."""

from __future__ import annotations

import asyncio

import pytest
from stream_samples import PLUG, SENSOR, T0

from translator.stream.message import StreamEvent
from translator.stream.queues import ClientQueue, CoalescingQueue


def event(seq: int, thing: str = PLUG, prop: str = "power") -> StreamEvent:
    return StreamEvent(seq, thing, prop, T0, None, None, b"{}")


async def test_full_queue_drops_the_oldest_and_counts() -> None:
    drops: list[int] = []
    queue = ClientQueue(3, on_drop=drops.append)
    for seq in range(1, 8):
        queue.offer(event(seq))
    assert [e.seq for e in await queue.take(10)] == [5, 6, 7]
    assert queue.dropped == 4
    assert sum(drops) == 4
    assert queue.take_dropped() == 4
    assert queue.take_dropped() == 0  # told once


async def test_take_waits_for_a_message_and_respects_the_limit() -> None:
    queue = ClientQueue(10)
    waiter = asyncio.create_task(queue.take(2))
    await asyncio.sleep(0)
    assert not waiter.done()
    for seq in (1, 2, 3):
        queue.offer(event(seq))
    assert [e.seq for e in await asyncio.wait_for(waiter, 5)] == [1, 2]
    assert [e.seq for e in queue.take_nowait(5)] == [3]
    assert queue.take_nowait(5) == []


async def test_a_client_that_takes_nothing_is_evicted_after_n_drops_in_a_row() -> None:
    evictions: list[int] = []
    queue = ClientQueue(2, evict_after=3, on_evict=evictions.append)
    for seq in range(1, 5):  # 2 fit, 2 dropped
        queue.offer(event(seq))
    await queue.take(1)  # taking something resets the run of drops
    for seq in range(5, 8):
        queue.offer(event(seq))
    assert not queue.closed
    queue.offer(event(8))
    assert queue.closed
    assert queue.evicted
    assert evictions == [1]
    assert await queue.take(5) == []
    queue.offer(event(9))  # ignored once closed
    assert len(queue) == 0


async def test_close_wakes_a_waiting_consumer() -> None:
    queue = ClientQueue(2)
    waiter = asyncio.create_task(queue.take(1))
    await asyncio.sleep(0)
    queue.close()
    assert await asyncio.wait_for(waiter, 5) == []
    assert not queue.evicted


async def test_shared_wake_event_is_set_by_offers() -> None:
    wake = asyncio.Event()
    queue = ClientQueue(2, wake=wake)
    queue.offer(event(1))
    assert wake.is_set()


def test_sizes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        ClientQueue(0)
    with pytest.raises(ValueError, match="maxsize"):
        CoalescingQueue(0)


async def test_coalescing_queue_keeps_the_newest_per_key_in_first_come_order() -> None:
    queue = CoalescingQueue(10)
    queue.offer(event(1, PLUG, "power"))
    queue.offer(event(2, SENSOR, "temperature"))
    queue.offer(event(3, PLUG, "power"))  # replaces seq 1, keeps its place
    assert queue.coalesced == 1
    assert [(await queue.get()).seq for _ in range(2)] == [3, 2]  # type: ignore[union-attr]


async def test_coalescing_queue_drops_the_oldest_key_when_full() -> None:
    drops: list[int] = []
    queue = CoalescingQueue(2, on_drop=drops.append)
    for seq, prop in enumerate(["a", "b", "c"], start=1):
        queue.offer(event(seq, PLUG, prop))
    assert queue.dropped == 1
    assert drops == [1]
    queue.close()
    assert [e.property for e in [await queue.get(), await queue.get()] if e] == ["b", "c"]
    assert await queue.get() is None  # closed and empty
