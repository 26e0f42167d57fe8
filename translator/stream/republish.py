"""MQTT republish: the latest message of every (thing, property), retained, on a topic tree.

Topic: ``{prefix}/things/{thing}/{property}``, by default
``translator/v1/things/urn%3Adev%3Atasmota%3Akitchen-plug/power``. The thing IRI (and the
property, though property names never need it) is percent-encoded as one topic level: every
character but ``A-Z a-z 0-9 - . _ ~`` becomes ``%XX`` (UTF-8), so ``/``, ``+``, ``#`` and ``$``
cannot appear; decode a level with any URL-decoding function. Payload: the normalized message
(JSON-LD, ``@context`` absolute), retained, at ``stream.republish_qos``; under MQTT 5 with
content type ``application/ld+json``. Subscribe to ``translator/v1/things/+/+`` for everything,
``translator/v1/things/{thing}/+`` for one thing: the broker hands a new subscriber the
retained latest state at once, then the changes.

Only messages that become the latest state are republished (a reading that arrives late,
older than the state, is not: it would overwrite a newer retained value). At start the hub's
seeded state is published once, so a broker that lost its retained messages is refilled.
Between the hub and the broker sits a ``CoalescingQueue``: a slow or unreachable broker
costs stale-but-newest values and counted drops, never a wait in ingest. ``workers``
publishes are in flight at once; they leave in queue order over the adapter's one connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final
from urllib.parse import quote

from translator.errors import AdapterError
from translator.metrics import Metrics
from translator.stream.hub import Hub
from translator.stream.message import StreamEvent, context_prefix, with_context
from translator.stream.queues import CoalescingQueue
from translator.stream.seams import Publisher

logger = logging.getLogger(__name__)

TRANSPORT: Final = "mqtt"
CONTENT_TYPE: Final = "application/ld+json"
WORKERS: Final = 8
WARN_EVERY_S: Final = 30.0
TOPIC_CACHE: Final = 100_000  # (thing, property) topics kept encoded; forgotten all at once past it


def topic_for(prefix: str, thing: str, prop: str) -> str:
    """The republish topic of one (thing, property)."""
    return f"{prefix}/things/{quote(thing, safe='')}/{quote(prop, safe='')}"


class Republisher:
    """Publishes the hub's latest-state changes, retained, through a ``Publisher``."""

    def __init__(
        self,
        hub: Hub,
        publisher: Publisher,
        metrics: Metrics,
        *,
        context_url: str,
        prefix: str = "translator/v1",
        qos: int = 1,
        queue_size: int = 10_000,
        workers: int = WORKERS,
    ) -> None:
        self._hub = hub
        self._publisher = publisher
        self._prefix = prefix
        self._qos = qos
        self._context = context_prefix(context_url)
        self._workers = workers
        self._sent = metrics.stream_sent.labels(TRANSPORT)
        self._failed = metrics.stream_dropped.labels(TRANSPORT)
        self._queue = CoalescingQueue(queue_size, on_drop=self._failed.inc)
        self._topics: dict[tuple[str, str], str] = {}
        self._last_warning = float("-inf")
        self.published = 0
        self.failed = 0

    @property
    def prefix(self) -> str:
        """The root of the topic tree."""
        return self._prefix

    @property
    def queue(self) -> CoalescingQueue:
        """The pending messages (for tests and metrics)."""
        return self._queue

    async def run(self) -> None:
        """Attach to the hub and publish until ``stop``; the seeded state goes out first."""
        snapshot = self._hub.attach(self._queue, latest_only=True)
        for event in snapshot:
            self._queue.offer(event)
        logger.info(
            "republishing on %s/things/+/+ (%d latest values first)", self._prefix, len(snapshot)
        )
        try:
            async with asyncio.TaskGroup() as group:
                for index in range(self._workers):
                    group.create_task(self._work(), name=f"stream-republish-{index}")
        finally:
            self._hub.unsubscribe(self._queue)

    async def stop(self) -> None:
        """Stop taking messages; what is pending is still published (``run`` then returns)."""
        self._queue.close()

    async def _work(self) -> None:
        while (event := await self._queue.get()) is not None:
            await self._publish(event)

    def _topic(self, thing: str, prop: str) -> str:
        """``topic_for`` once per (thing, property): two percent-encodings per publish add up."""
        key = (thing, prop)
        topic = self._topics.get(key)
        if topic is None:
            if len(self._topics) >= TOPIC_CACHE:
                self._topics.clear()
            topic = self._topics[key] = topic_for(self._prefix, thing, prop)
        return topic

    async def _publish(self, event: StreamEvent) -> None:
        topic = self._topic(event.thing, event.property)
        payload = with_context(event.body, self._context)
        try:
            await self._publisher.publish(
                topic, payload, qos=self._qos, retain=True, content_type=CONTENT_TYPE
            )
        except AdapterError as err:
            self.failed += 1
            self._failed.inc()
            self._warn(topic, err)
            return
        self.published += 1
        self._sent.inc()

    def _warn(self, topic: str, err: AdapterError) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_S:
            self._last_warning = now
            logger.warning("republish to %s failed (%s); %d failed so far", topic, err, self.failed)
