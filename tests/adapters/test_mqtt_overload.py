"""The bounded hand-off queue and the MQTT adapter's overload behaviour under a slow sink."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from translator.adapters.base import IngestResult
from translator.adapters.mqtt import MqttAdapter
from translator.adapters.overload import HandoffQueue, OverloadPolicy

TIMEOUT_S = 15.0


def test_drop_oldest_makes_room_and_hands_back_the_oldest() -> None:
    queue: HandoffQueue[int] = HandoffQueue(2, OverloadPolicy.DROP_OLDEST)
    assert [queue.offer(n) for n in (1, 2, 3, 4)] == [None, None, 1, 2]
    assert (len(queue), queue.dropped, queue.high_water) == (2, 2, 2)


def test_drop_newest_refuses_the_newcomer() -> None:
    queue: HandoffQueue[int] = HandoffQueue(2, OverloadPolicy.DROP_NEWEST)
    assert [queue.offer(n) for n in (1, 2, 3, 4)] == [None, None, 3, 4]
    assert (len(queue), queue.dropped) == (2, 2)


async def test_get_waits_for_an_item_and_close_drains_then_ends() -> None:
    queue: HandoffQueue[str] = HandoffQueue(4)
    waiter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    queue.offer("a")
    async with asyncio.timeout(1):
        assert await waiter == "a"
    queue.offer("b")
    queue.offer("c")
    queue.close()
    assert queue.offer("late") == "late"
    assert queue.dropped == 0, "refusing after close is not an overload"
    async with asyncio.timeout(1):
        assert [await queue.get(), await queue.get(), await queue.get()] == ["b", "c", None]


async def test_close_wakes_a_waiting_consumer() -> None:
    queue: HandoffQueue[str] = HandoffQueue(1)
    waiter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.close()
    async with asyncio.timeout(1):
        assert await waiter is None


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        HandoffQueue(0)


class GatedSink:
    """Holds the first envelope until released, then takes everything at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.payloads: list[bytes] = []

    async def __call__(self, envelope: Any) -> IngestResult:
        await self.release.wait()
        self.payloads.append(envelope.payload)
        return IngestResult(accepted=True)


def numbered(count: int) -> list[bytes]:
    return [f"{n:03d}".encode() for n in range(count)]


@pytest.mark.parametrize("policy", list(OverloadPolicy))
async def test_qos0_flood_is_dropped_by_policy_and_counted(
    mosquitto: Any, mqtt_settings: Any, run_adapter: Any, until: Any, policy: OverloadPolicy
) -> None:
    sink = GatedSink()
    topic = f"flood-{uuid.uuid4().hex[:8]}"
    sent = numbered(40)
    settings = mqtt_settings(mosquitto.port, qos=0, queue_size=2, overload=policy)
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await mosquitto.cli.publish_lines(topic, sent, qos=0)
        await until(lambda: adapter.stats().received == len(sent), within=TIMEOUT_S)
        full = adapter.stats()
        sink.release.set()
        await until(lambda: adapter.stats().delivered + adapter.stats().dropped == len(sent))
        stats = adapter.stats()
    # at most one envelope in the sink and two in the queue survive the flood
    assert full.dropped >= len(sent) - 3
    assert (full.queue_depth, full.queue_high_water) == (2, 2)
    assert stats.delivered == len(sink.payloads) == len(sent) - stats.dropped
    assert sink.payloads == sorted(sink.payloads), "what survives keeps its order"
    if policy is OverloadPolicy.DROP_OLDEST:
        assert sink.payloads[-1] == sent[-1], "the newest value survives"
    else:
        assert sent[-1] not in sink.payloads, "the newcomers were refused"


async def test_qos1_under_mqtt5_is_held_back_by_the_broker_not_dropped(
    mosquitto: Any, mqtt_settings: Any, run_adapter: Any, until: Any
) -> None:
    # Receive Maximum = queue_size: mosquitto never has more unacked messages out to us
    # than the queue holds, so a slow sink slows delivery instead of losing messages.
    sink = GatedSink()
    topic = f"backpressure-{uuid.uuid4().hex[:8]}"
    sent = numbered(40)
    settings = mqtt_settings(mosquitto.port, protocol="5", qos=1, queue_size=2)
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await mosquitto.cli.publish_lines(topic, sent, qos=1)
        await until(lambda: adapter.stats().received >= 2)
        await asyncio.sleep(0.2)  # give the broker room to overfill us, if it would
        held = adapter.stats()
        sink.release.set()
        await until(lambda: adapter.stats().delivered == len(sent), within=TIMEOUT_S)
        stats = adapter.stats()
    assert held.received <= 2
    assert stats.dropped == 0
    assert sink.payloads == sent


async def test_qos1_dropped_under_mqtt311_is_acked_so_delivery_goes_on(
    mosquitto: Any, mqtt_settings: Any, run_adapter: Any, until: Any
) -> None:
    # MQTT 3.1.1 has no Receive Maximum; mosquitto sends up to 20 unacked messages, more
    # than the queue holds. The overflow is dropped and acknowledged: the window must not jam.
    sink = GatedSink()
    topic = f"window-{uuid.uuid4().hex[:8]}"
    sent = numbered(30)
    settings = mqtt_settings(mosquitto.port, protocol="3.1.1", qos=1, queue_size=2)
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await mosquitto.cli.publish_lines(topic, sent, qos=1)
        await until(lambda: adapter.stats().dropped > 0, within=TIMEOUT_S)
        sink.release.set()
        await until(
            lambda: adapter.stats().delivered + adapter.stats().dropped == len(sent),
            within=TIMEOUT_S,
        )
        await mosquitto.cli.publish(topic, b"later")
        await until(lambda: b"later" in sink.payloads, within=TIMEOUT_S)
