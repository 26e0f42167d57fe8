"""The bounded hand-off queue and the MQTT adapter's overload behaviour under a slow sink."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from translator.adapters.base import IngestResult
from translator.adapters.mqtt import MqttAdapter
from translator.adapters.mqtt_client import AckLine
from translator.adapters.overload import HandoffQueue, Holdback, OverloadPolicy

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


def test_a_full_blocking_queue_refuses_the_newcomer() -> None:
    # under BLOCK the producer waits for room first; a full queue means it waited too long
    queue: HandoffQueue[int] = HandoffQueue(1, OverloadPolicy.BLOCK)
    assert [queue.offer(1), queue.offer(2)] == [None, 2]
    assert queue.dropped == 1


class RecordingTransport:
    """Stands in for the MQTT link at the seam ``Holdback`` uses: pause and resume reading."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")


async def test_holdback_pauses_reading_while_full_and_admits_in_order() -> None:
    queue: HandoffQueue[int] = HandoffQueue(2, OverloadPolicy.BLOCK)
    transport = RecordingTransport()
    given_up: list[int] = []
    holdback = Holdback(queue, transport, 30.0, given_up.append)
    assert [holdback.offer(n) for n in (1, 2, 3, 4)] == [True, True, False, False]
    assert transport.calls == ["pause"], "paused once, when the first arrival found no room"
    assert (len(queue), len(holdback), holdback.waits) == (2, 2, 1)
    assert await queue.get() == 1
    assert holdback.admit() == [3]
    assert transport.calls == ["pause"], "4 still waits: still paused"
    assert await queue.get() == 2
    assert holdback.admit() == [4]
    assert transport.calls == ["pause", "resume"]
    assert holdback.offer(5) is False, "the queue is full again: 5 waits"
    assert [await queue.get(), await queue.get()] == [3, 4]
    assert holdback.admit() == [5]
    assert given_up == []
    assert queue.dropped == 0


async def test_holdback_gives_up_the_head_after_its_timeout_and_reads_again() -> None:
    queue: HandoffQueue[str] = HandoffQueue(1, OverloadPolicy.BLOCK)
    transport = RecordingTransport()
    given_up: list[str] = []
    holdback = Holdback(queue, transport, 0.01, given_up.append)
    assert holdback.offer("kept") is True
    assert holdback.offer("late") is False
    async with asyncio.timeout(5):
        while not given_up:  # noqa: ASYNC110  (the timer is the holdback's own)
            await asyncio.sleep(0.005)
    assert given_up == ["late"]
    assert holdback.given_up == 1
    assert transport.calls == ["pause", "resume"], "read again: the next arrival waits anew"
    assert await queue.get() == "kept"


async def test_closing_the_holdback_hands_back_what_waits_and_reads_again() -> None:
    queue: HandoffQueue[int] = HandoffQueue(1, OverloadPolicy.BLOCK)
    transport = RecordingTransport()
    holdback = Holdback(queue, transport, 30.0, lambda item: None)
    holdback.offer(1)
    holdback.offer(2)
    holdback.offer(3)
    queue.close()
    assert holdback.close() == [2, 3]
    assert transport.calls == ["pause", "resume"]
    assert holdback.admit() == []


class RecordingClient:
    """Stands in for paho's client at the one seam AckLine uses: ``ack``."""

    def __init__(self) -> None:
        self.acks: list[tuple[int, int]] = []

    def ack(self, mid: int, qos: int) -> None:
        self.acks.append((mid, qos))


def test_acks_leave_in_arrival_order_whatever_order_they_settle_in() -> None:
    client = RecordingClient()
    line = AckLine(client)
    first, second, third = line.expect(7, 1), line.expect(8, 2), line.expect(9, 1)
    assert line.expect(10, 0) is None  # QoS 0 owes nothing
    line.settle(third)
    line.settle(second)
    assert client.acks == []  # the first is still with the sink
    line.settle(first)
    assert client.acks == [(7, 1), (8, 2), (9, 1)]


def test_acks_owed_on_a_lost_connection_are_never_sent() -> None:
    client = RecordingClient()
    line = AckLine(client)
    old = line.expect(1, 1)
    line.reset()  # reconnected: the broker redelivers message 1 with its own id
    new = line.expect(1, 1)
    line.settle(old)
    assert client.acks == []
    line.settle(new)
    assert client.acks == [(1, 1)]


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


@pytest.mark.parametrize("policy", [OverloadPolicy.DROP_OLDEST, OverloadPolicy.DROP_NEWEST])
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
    assert full.queue_high_water == 2
    assert full.queue_depth in (1, 2)  # 1 if the consumer took one only after the flood
    assert stats.delivered == len(sink.payloads) == len(sent) - stats.dropped
    assert sink.payloads == sorted(sink.payloads), "what survives keeps its order"
    if policy is OverloadPolicy.DROP_OLDEST:
        assert sink.payloads[-1] == sent[-1], "the newest value survives"
    else:
        assert sent[-1] not in sink.payloads, "the newcomers were refused"


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
async def test_block_holds_the_broker_back_and_loses_nothing(
    mosquitto: Any, mqtt_settings: Any, run_adapter: Any, until: Any, protocol: str
) -> None:
    sink = GatedSink()
    topic = f"block-{uuid.uuid4().hex[:8]}"
    sent = numbered(60)
    settings = mqtt_settings(mosquitto.port, protocol=protocol, queue_size=2, overload="block")
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await mosquitto.cli.publish_lines(topic, sent, qos=1)
        await until(lambda: adapter.stats().received >= 2, within=TIMEOUT_S)
        await asyncio.sleep(0.2)  # room for the broker to overfill us, if it could
        held = adapter.stats()
        # publishing still works while reading is paused (no deadlock)
        command = asyncio.create_task(adapter.publish(f"{topic}/out", b"on", qos=1))
        await asyncio.sleep(0.1)
        sink.release.set()
        async with asyncio.timeout(TIMEOUT_S):
            await command
        await until(lambda: adapter.stats().delivered == len(sent), within=TIMEOUT_S)
        stats = adapter.stats()
    assert held.received <= 3, "one in the sink, two queued; the rest waits at the broker"
    assert held.queue_high_water <= 2
    assert stats.dropped == 0
    assert sink.payloads == sent
    if protocol == "3.1.1":  # mosquitto's window (20) is wider than the queue: we had to wait
        assert stats.waits >= 1


async def test_block_gives_up_after_its_timeout_and_counts_it(
    mosquitto: Any, mqtt_settings: Any, run_adapter: Any, until: Any
) -> None:
    sink = GatedSink()
    topic = f"block-timeout-{uuid.uuid4().hex[:8]}"
    sent = numbered(20)
    # MQTT 3.1.1: mosquitto sends up to 20 unacknowledged messages, more than fit
    settings = mqtt_settings(
        mosquitto.port, protocol="3.1.1", queue_size=1, overload="block", block_timeout_s=0.05
    )
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await mosquitto.cli.publish_lines(topic, sent, qos=1)
        await until(lambda: adapter.stats().received == len(sent), within=TIMEOUT_S)
        sink.release.set()
        await until(lambda: adapter.stats().delivered + adapter.stats().dropped == len(sent))
        stats = adapter.stats()
        await mosquitto.cli.publish(topic, b"later")  # the dropped ones were acked: no jam
        await until(lambda: b"later" in sink.payloads, within=TIMEOUT_S)
    assert stats.dropped >= len(sent) - 2
    assert sink.payloads[0] == sent[0]


async def test_qos1_dropped_under_mqtt311_is_acked_so_delivery_goes_on(
    mosquitto: Any, mqtt_settings: Any, run_adapter: Any, until: Any
) -> None:
    # MQTT 3.1.1 has no Receive Maximum; mosquitto sends up to 20 unacked messages, more
    # than the queue holds. The overflow is dropped and acknowledged: the window must not jam.
    sink = GatedSink()
    topic = f"window-{uuid.uuid4().hex[:8]}"
    sent = numbered(30)
    settings = mqtt_settings(
        mosquitto.port, protocol="3.1.1", qos=1, queue_size=2, overload="drop_newest"
    )
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
