"""MQTT adapter: subscribe to the mappings' topic filters, hand each message on as an Envelope.

Part of the network layer. paho-mqtt is driven from the event loop (``mqtt_link.MqttLink``:
the socket in the loop's selector, the blocking connect in a worker thread, keepalive on a
timer), so every paho callback runs on the loop: a message is parsed, becomes an
``Envelope`` and enters a bounded ``HandoffQueue`` in the same step, and one consumer
(``run``) awaits the sink for each. Publishing (commands, the stream republish) goes out
through the same connection. Why no network thread: see ``docs/adapters-mqtt.md``. Settings
live in ``mqtt_settings.py``, paho plumbing (client, CONNECT, ordered acks) in
``mqtt_client.py``.

Delivery guarantees, in short:

* Messages are acknowledged (QoS 1 PUBACK, QoS 2 PUBCOMP) only after the sink has taken them
  (``manual_ack``), in the order they arrived, so a crash before translation means the broker
  redelivers them: at-least-once, given a persistent session.
* A full hand-off queue is met by the ``OverloadPolicy``. ``BLOCK`` (default): the adapter
  stops reading its socket (``Holdback``) until there is room, up to ``block_timeout_s``,
  so the broker is held back by TCP flow control; nothing is lost while the sink is merely
  slow, and acknowledgements, publishes and pings still go out. The drop policies never
  wait. Whatever is given up (by a drop policy, or after a ``BLOCK`` timeout) is
  acknowledged so the broker's in-flight window does not jam, counted in
  ``MqttStats.dropped`` and logged (rate-limited). MQTT 5's Receive Maximum is set to
  ``queue_size`` as well, but brokers do not all honour it (mosquitto 2.0.11 refills its
  whole window on each PUBACK), so it is a hint, not the guard.
* Reconnects use capped exponential backoff; after a reconnect the adapter subscribes
  again (always under MQTT 5, with Retain Handling 1 so retained messages are not replayed
  for subscriptions the broker kept; under 3.1.1 when the broker lost the session).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from translator.adapters.base import EnvelopeSink
from translator.adapters.mqtt_client import (
    AckLine,
    PendingAck,
    build_client,
    connect_options,
    message_content_type,
    publish_properties,
    refusal_hint,
)
from translator.adapters.mqtt_link import MqttLink
from translator.adapters.mqtt_settings import MqttSettings, MqttTls, check_topic_filter
from translator.adapters.mqtt_stats import Counts, MqttStats
from translator.adapters.overload import HandoffQueue, Holdback, OverloadPolicy
from translator.errors import AdapterError
from translator.values import Envelope, Protocol, RenderedCommand

__all__ = ["MqttAdapter", "MqttSettings", "MqttStats", "MqttTls", "check_topic_filter"]

logger = logging.getLogger(__name__)

_DROP_LOG_INTERVAL_S = 10.0


@dataclass(frozen=True, slots=True)
class _Delivery:
    envelope: Envelope
    ack: PendingAck | None  # None for QoS 0


class MqttAdapter:
    """Subscribe to ``filters`` and hand every message to ``sink``; publish on request.

    Lifecycle: ``await run()`` in a task (it returns after ``stop()``), ``await ready()`` to
    wait for the first subscription, ``await stop()`` to drain and disconnect. One run per
    instance. ``stats()`` reads the counters.
    """

    name = "mqtt"

    def __init__(self, settings: MqttSettings, filters: Sequence[str], sink: EnvelopeSink) -> None:
        for topic_filter in filters:
            check_topic_filter(topic_filter)
        self._settings = settings
        self._filters = tuple(dict.fromkeys(filters))
        self._sink = sink
        self._client_id = settings.client_id or f"translator-{socket.gethostname()}"
        self._peer = f"{settings.host}:{settings.port}"
        self._queue: HandoffQueue[_Delivery] = HandoffQueue(settings.queue_size, settings.overload)
        self._publishes: dict[int, asyncio.Future[None]] = {}
        self._publish_properties: dict[str | None, Properties | None] = {}
        self._ready = asyncio.Event()
        self._finished = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._failure: str | None = None
        self._connected = False
        self._counts = Counts()
        self._last_drop_log = float("-inf")
        self._subscribed_once = False
        self._client = build_client(settings, self._client_id)
        self._acks = AckLine(self._client)
        self._link = MqttLink(self._client, settings, self._progress)
        self._holdback: Holdback[_Delivery] | None = None
        if settings.overload is OverloadPolicy.BLOCK:
            self._holdback = Holdback(
                self._queue, self._link, settings.block_timeout_s, self._give_up
            )
        self._connection: asyncio.Task[None] | None = None
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish

    @property
    def client_id(self) -> str:
        """The MQTT client id this adapter connects with."""
        return self._client_id

    @property
    def filters(self) -> tuple[str, ...]:
        """The topic filters subscribed to (without any ``$share`` prefix)."""
        return self._filters

    def stats(self) -> MqttStats:
        """The counters now. Read it from the event loop's thread."""
        counts = self._counts
        return MqttStats(
            received=counts.received,
            delivered=counts.delivered,
            rejected=counts.rejected,
            dropped=self._queue.dropped + counts.lost,
            waits=self._holdback.waits if self._holdback is not None else 0,
            sink_errors=counts.sink_errors,
            published=counts.published,
            connects=counts.connects,
            queue_depth=len(self._queue),
            queue_high_water=self._queue.high_water,
            connected=self._connected,
        )

    # -- lifecycle (event loop) -----------------------------------------------------------

    async def run(self) -> None:
        """Connect, subscribe and feed the sink until ``stop()``; reconnect on the way.

        Raises:
            AdapterError: the broker refused us for a reason retrying cannot fix.
        """
        if self._loop is not None:
            raise AdapterError("an MqttAdapter runs once; build a new one")
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        logger.info(
            "MQTT connecting to %s as %s (MQTT %s, %d filters)",
            self._peer,
            self._client_id,
            self._settings.protocol,
            len(self._filters),
        )
        try:
            self._start_client()
            await self._consume()
            if self._failure is not None:
                raise AdapterError(f"MQTT broker {self._peer} refused us: {self._failure}")
        finally:
            await self._close_client()
            self._finished.set()

    async def ready(self) -> None:
        """Wait until connected and subscribed (after a reconnect too); bound it with a timeout.

        Raises:
            AdapterError: the broker refused us for a reason retrying cannot fix.
        """
        await self._ready.wait()
        if self._failure is not None:
            raise AdapterError(f"MQTT broker {self._peer} refused us: {self._failure}")

    async def stop(self) -> None:
        """Stop taking messages, hand the queued ones to the sink, then disconnect.

        QoS>0 messages that arrive after this call are left unacknowledged: the broker
        delivers them again in our next session. A drain that outlasts
        ``settings.drain_timeout_s`` is cut short by cancelling ``run``.
        """
        self._close_queue()
        if self._task is None or self._finished.is_set():
            return
        try:
            await asyncio.wait_for(self._finished.wait(), self._settings.drain_timeout_s)
        except TimeoutError:
            logger.warning(
                "MQTT drain took longer than %s s; cutting it short", self._settings.drain_timeout_s
            )
            self._task.cancel()
            await asyncio.wait_for(self._finished.wait(), self._settings.connect_timeout_s + 5)

    # -- publishing (event loop) ----------------------------------------------------------

    async def send(self, command: RenderedCommand) -> None:
        """Publish a rendered command on its channel at the configured QoS."""
        if command.protocol is not Protocol.MQTT:
            raise AdapterError(f"MQTT adapter cannot send a {command.protocol} command")
        await self.publish(command.channel, command.payload, content_type=command.content_format)

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int | None = None,
        retain: bool = False,
        content_type: str | None = None,
    ) -> None:
        """Publish and wait until the broker acknowledged it (QoS>0) or it was written (QoS 0).

        While the connection is down QoS>0 messages wait in paho's queue and go out on
        reconnect; QoS 0 ones fail at once.

        Raises:
            AdapterError: not running, refused, or not acknowledged within ``publish_timeout_s``.
        """
        loop = self._loop
        if loop is None or self._finished.is_set():
            raise AdapterError("MQTT adapter is not running")
        level = self._settings.qos if qos is None else qos
        info = self._client.publish(
            topic, payload, level, retain, properties=self._properties(content_type)
        )
        if info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN and level == 0:
            raise AdapterError(f"cannot publish to {topic!r}: not connected to {self._peer}")
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            raise AdapterError(f"cannot publish to {topic!r}: {paho.error_string(info.rc)}")
        done = loop.create_future()
        self._publishes[info.mid] = done
        try:
            async with asyncio.timeout(self._settings.publish_timeout_s):
                await done
        except TimeoutError:
            raise AdapterError(
                f"publish to {topic!r} not acknowledged by {self._peer} within "
                f"{self._settings.publish_timeout_s} s"
            ) from None
        finally:
            self._publishes.pop(info.mid, None)
        self._counts.published += 1

    def _properties(self, content_type: str | None) -> Properties | None:
        """The PUBLISH properties for ``content_type``, built once (paho only reads them)."""
        try:
            return self._publish_properties[content_type]
        except KeyError:
            built = publish_properties(self._settings, content_type)
            self._publish_properties[content_type] = built
            return built

    # -- receiving ------------------------------------------------------------------------

    async def _consume(self) -> None:
        while (delivery := await self._queue.get()) is not None:
            if self._holdback is not None:
                self._counts.received += len(self._holdback.admit())
            try:
                result = await self._sink(delivery.envelope)
            except Exception:  # the sink's bug must not stop ingest
                self._counts.sink_errors += 1
                logger.exception("sink failed on MQTT message from %s", delivery.envelope.channel)
            else:
                self._counts.delivered += 1
                if not result.accepted:
                    self._counts.rejected += 1
            self._link.hold_writes()
            self._acks.settle(delivery.ack)
            self._link.release_writes(now=not self._queue)  # nothing more queued: ack now

    def _accept(self, envelope: Envelope, mid: int, qos: int) -> None:
        if self._queue.closed:
            self._counts.received += 1
            if qos == 0:  # QoS>0: left unacknowledged, so the broker delivers it again
                self._counts.lost += 1
            return
        delivery = _Delivery(envelope, self._acks.expect(mid, qos))
        if self._holdback is not None:
            if self._holdback.offer(delivery):  # else it waits, and reading pauses
                self._counts.received += 1
            return
        self._counts.received += 1
        given_up = self._queue.offer(delivery)
        if given_up is not None:
            self._acks.settle(given_up.ack)
            self._log_drop()

    def _give_up(self, delivery: _Delivery) -> None:
        """BLOCK waited ``block_timeout_s`` in vain: drop the message (acknowledged)."""
        self._counts.received += 1
        self._counts.lost += 1
        self._acks.settle(delivery.ack)
        self._log_drop()

    def _close_queue(self) -> None:
        """Take nothing more; what waits for room is left to the broker (QoS>0) or lost."""
        self._queue.close()
        if self._holdback is not None:
            for delivery in self._holdback.close():
                self._counts.received += 1
                if delivery.ack is None:
                    self._counts.lost += 1

    def _log_drop(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._last_drop_log >= _DROP_LOG_INTERVAL_S:
            self._last_drop_log = now
            logger.warning(
                "MQTT hand-off queue full (%d): %d messages dropped so far (policy %s)",
                self._queue.capacity,
                self.stats().dropped,
                self._queue.policy,
            )

    def _connection_up(self) -> None:
        self._acks.reset()
        self._connected = True
        self._counts.connects += 1

    def _connection_down(self) -> None:
        self._connected = False
        self._ready.clear()

    def _subscribed(self) -> None:
        self._ready.set()

    def _refused(self, reason: str) -> None:
        self._failure = reason
        self._ready.set()  # wake ready() so it can raise
        self._link.close()
        self._close_queue()

    def _published(self, mid: int, error: str | None) -> None:
        done = self._publishes.get(mid)
        if done is None or done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(AdapterError(f"broker refused the publish: {error}"))

    # -- paho's callbacks (on the event loop, inside MqttLink's reads and writes) ---------

    def _progress(self) -> int:
        return self._counts.packets

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self._counts.packets += 1
        try:
            topic = message.topic
        except UnicodeDecodeError:
            logger.warning(
                "MQTT message with a topic that is not UTF-8 ignored (mid %d)", message.mid
            )
            self._drop_unqueued(message.mid, message.qos)
            return
        envelope = Envelope(
            protocol=Protocol.MQTT,
            channel=topic,
            payload=bytes(message.payload),
            received_at=datetime.now(UTC),
            content_format=message_content_type(message),
            peer=self._peer,
        )
        self._accept(envelope, message.mid, message.qos)

    def _drop_unqueued(self, mid: int, qos: int) -> None:
        """Count and acknowledge a message that never reached the queue."""
        self._counts.received += 1
        self._counts.lost += 1
        self._acks.settle(self._acks.expect(mid, qos))

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            self._connect_refused(reason)
            return
        logger.info("MQTT connected to %s (session present: %s)", self._peer, flags.session_present)
        self._connection_up()
        first = not self._subscribed_once
        if self._settings.protocol == "5" or first or not flags.session_present:
            self._subscribe(first)
        else:
            self._subscribed()

    def _connect_refused(self, reason: ReasonCode) -> None:
        hint = refusal_hint(reason)
        if hint is None:
            logger.warning(
                "MQTT broker %s refused the connection: %s; retrying", self._peer, reason
            )
            return
        logger.error("MQTT broker %s refused the connection: %s (%s)", self._peer, reason, hint)
        self._refused(f"{reason} ({hint})")

    def _subscribe(self, first: bool) -> None:
        if not self._filters:
            self._subscribed_once = True
            self._subscribed()
            return
        group = self._settings.shared_group
        topics = [f"$share/{group}/{f}" if group else f for f in self._filters]
        qos = self._settings.qos
        if self._settings.protocol == "5":
            # Retain Handling 1 on reconnects: retained messages only for new subscriptions.
            options = SubscribeOptions(qos=qos, retainHandling=0 if first else 1)
            result, _mid = self._client.subscribe([(t, options) for t in topics])
        else:
            plain: list[tuple[str, int]] = [(t, qos) for t in topics]
            result, _mid = self._client.subscribe(plain)
        if result is not MQTTErrorCode.MQTT_ERR_SUCCESS:
            logger.warning("MQTT subscribe failed (%s); will retry on reconnect", result)
            return
        self._subscribed_once = True

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        for topic_filter, reason in zip(self._filters, reasons, strict=False):
            if reason.is_failure:
                logger.error("MQTT broker refused the subscription to %r: %s", topic_filter, reason)
        self._subscribed()

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            logger.warning("MQTT connection to %s lost (%s); reconnecting", self._peer, reason)
        else:
            logger.info("MQTT disconnected from %s", self._peer)
        self._connection_down()

    def _on_publish(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._counts.packets += 1
        self._published(mid, str(reason) if reason.is_failure else None)

    # -- paho client lifecycle ------------------------------------------------------------

    def _start_client(self) -> None:
        settings = self._settings
        clean_start, properties = connect_options(settings)
        self._client.connect_async(
            settings.host,
            settings.port,
            settings.keepalive_s,
            clean_start=clean_start,
            properties=properties,
        )
        self._connection = asyncio.create_task(
            self._link.maintain(), name=f"mqtt-connection-{self._client_id}"
        )
        self._connection.add_done_callback(self._connection_ended)

    def _connection_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None or self._failure is not None:
            return
        error = task.exception()
        logger.error("MQTT connection to %s failed for good: %r", self._peer, error)
        self._refused(f"connection failed: {error!r}")

    async def _close_client(self) -> None:
        # MqttLink disconnects once the acknowledgements queued so far are written (the
        # DISCONNECT goes after them), waiting for a connect under way first.
        self._close_queue()
        self._link.close()
        if self._connection is not None:
            await asyncio.wait({self._connection})
        self._connected = False
        for done in self._publishes.values():
            if not done.done():
                done.set_exception(AdapterError("MQTT adapter stopped before the broker acked"))
        logger.info("MQTT adapter for %s stopped: %s", self._peer, self.stats())
