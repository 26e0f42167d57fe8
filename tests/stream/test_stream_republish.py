"""MQTT republish: percent-encoded topic levels, retained latest state, a queue that never waits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import unquote

import pytest
from stream_samples import LAMP, PLUG, SENSOR, T0, at, power, translated
from stream_support import unique_prefix, wait_until

from translator.adapters.mqtt import MqttAdapter, MqttSettings
from translator.errors import AdapterError
from translator.metrics import Metrics
from translator.stream import Hub, Republisher, topic_for
from translator.stream.hub import SeedEntry
from translator.stream.message import Observation

CONTEXT = "http://127.0.0.1:8000/context.jsonld"


class FakePublisher:
    """Implements the ``Publisher`` seam: records, can be held (a slow broker) or fail."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes, int | None, bool, str | None]] = []
        self.open = asyncio.Event()
        self.open.set()
        self.failing = False

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int | None = None,
        retain: bool = False,
        content_type: str | None = None,
    ) -> None:
        await self.open.wait()
        if self.failing:
            raise AdapterError("cannot publish: not connected")
        self.messages.append((topic, payload, qos, retain, content_type))

    def values(self) -> dict[str, Any]:
        return {topic: json.loads(payload)["value"] for topic, payload, *_ in self.messages}


async def running(republisher: Republisher) -> asyncio.Task[None]:
    task = asyncio.create_task(republisher.run())
    await asyncio.sleep(0)
    return task


async def finish(republisher: Republisher, task: asyncio.Task[None]) -> None:
    await republisher.stop()
    await asyncio.wait_for(task, 10)


def test_topic_levels_are_percent_encoded() -> None:
    topic = topic_for("translator/v1", LAMP, "power")
    assert topic == "translator/v1/things/urn%3Adev%3Atasmota%3Ahall%2Flamp%2B1%23a/power"
    levels = topic.split("/")
    assert len(levels) == 5
    assert unquote(levels[3]) == LAMP
    assert not any(char in level for level in levels for char in "+#")


async def test_seeded_state_then_latest_changes_go_out_retained() -> None:
    hub = Hub()
    seeded = Observation("urn:obs:1", SENSOR, "temperature", 20.0, "DEG_C", T0)
    hub.seed([], [SeedEntry(seeded)])
    publisher = FakePublisher()
    republisher = Republisher(hub, publisher, Metrics(), context_url=CONTEXT, qos=1)
    task = await running(republisher)
    hub.publish(power(5.0, when=at(10)))
    hub.publish(power(4.0, when=at(5)))  # arrives late, older than the state: not retained
    await wait_until(lambda: republisher.published == 2)
    await finish(republisher, task)
    assert publisher.values() == {
        topic_for("translator/v1", SENSOR, "temperature"): 20.0,
        topic_for("translator/v1", PLUG, "power"): 5.0,
    }
    for _topic, payload, qos, retain, content_type in publisher.messages:
        assert (qos, retain, content_type) == (1, True, "application/ld+json")
        assert json.loads(payload)["@context"] == CONTEXT


async def test_a_slow_broker_never_holds_up_the_hub_and_keeps_the_newest_values() -> None:
    hub = Hub()
    publisher = FakePublisher()
    publisher.open.clear()  # the broker does not answer
    republisher = Republisher(hub, publisher, Metrics(), context_url=CONTEXT, workers=1)
    task = await running(republisher)
    for n in range(1000):
        hub.publish(
            translated([("power", float(n), "W"), ("energy", float(n), "KiloW-HR")], when=at(n))
        )
    assert len(republisher.queue) <= 2  # one pending message per (thing, property)
    assert republisher.queue.coalesced >= 1995
    publisher.open.set()
    await wait_until(lambda: not republisher.queue and republisher.published >= 2)
    await finish(republisher, task)
    assert set(publisher.values().values()) >= {999.0}


async def test_a_full_queue_drops_the_oldest_key_and_counts_it() -> None:
    hub = Hub()
    publisher = FakePublisher()
    publisher.open.clear()
    metrics = Metrics()
    republisher = Republisher(hub, publisher, metrics, context_url=CONTEXT, queue_size=3)
    task = await running(republisher)
    for n in range(20):
        hub.publish(power(1.0, thing=f"urn:dev:plug:{n}"))
    assert len(republisher.queue) == 3
    publisher.open.set()
    await finish(republisher, task)
    dropped = metrics.stream_dropped.labels("mqtt")._value.get()
    assert dropped + len(publisher.messages) == 20
    assert dropped >= 20 - 3 - 8  # at most 8 (the workers) were taken before the queue filled


async def test_failed_publishes_are_counted_and_publishing_goes_on() -> None:
    hub = Hub()
    publisher = FakePublisher()
    publisher.failing = True
    metrics = Metrics()
    republisher = Republisher(hub, publisher, metrics, context_url=CONTEXT)
    task = await running(republisher)
    hub.publish(power(1.0))
    await wait_until(lambda: republisher.failed == 1)
    publisher.failing = False
    hub.publish(power(2.0, when=at(1)))
    await wait_until(lambda: republisher.published == 1)
    await finish(republisher, task)
    assert metrics.stream_dropped.labels("mqtt")._value.get() == 1
    assert metrics.stream_sent.labels("mqtt")._value.get() == 1


async def test_mosquitto_sub_sees_the_retained_normalized_topics(
    mosquitto: Any,
    mqtt_settings: Callable[..., MqttSettings],
    make_collector: Callable[[], Any],
    run_adapter: Callable[[MqttAdapter], AbstractAsyncContextManager[MqttAdapter]],
) -> None:
    prefix = unique_prefix()
    hub = Hub()
    adapter = MqttAdapter(mqtt_settings(mosquitto.port), [], make_collector())
    async with run_adapter(adapter):
        republisher = Republisher(hub, adapter, Metrics(), context_url=CONTEXT, prefix=prefix)
        task = await running(republisher)
        hub.publish(translated([("power", 12.5, "W"), ("onOff", True, None)]))
        hub.publish(power(3.0, thing=LAMP, kind=None, area=None))
        await wait_until(lambda: republisher.published == 3)
        await finish(republisher, task)
    # a subscriber that comes later gets the latest values at once: they are retained
    async with mosquitto.cli.subscribe(f"{prefix}/things/+/+", count=3) as subscription:
        received = dict(await subscription.messages(3))
    assert set(received) == {
        topic_for(prefix, PLUG, "power"),
        topic_for(prefix, PLUG, "onOff"),
        topic_for(prefix, LAMP, "power"),
    }
    message = json.loads(received[topic_for(prefix, PLUG, "power")])
    assert (message["thing"], message["value"], message["unit"]) == (PLUG, 12.5, "W")
    assert json.loads(received[topic_for(prefix, LAMP, "power")])["thing"] == LAMP


@pytest.mark.parametrize("prefix", ["a/#", "a/+/b"])
def test_the_prefix_setting_refuses_wildcards(prefix: str) -> None:
    from pydantic import ValidationError

    from translator.settings import StreamSettings

    with pytest.raises(ValidationError):
        StreamSettings(republish_prefix=prefix)
