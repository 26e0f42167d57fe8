"""MQTT for simulated devices: each device its own paho client, as a real one would have.

``MqttLink`` is one device's connection; ``MqttDevice`` runs an ``MqttModel`` over it:
periodic telemetry out, commands in, replies out.

paho runs its own network thread (``loop_start``) and its callbacks are bridged into the
asyncio loop with ``call_soon_threadsafe``. Why: a simulator is a handful of messages per
second, the thread keeps paho's reconnect logic intact, and every model method then runs on
the loop thread only, so models need no locks. (Driving paho's socket from the loop with
``add_reader``/``add_writer`` pays off for the translator's ingest path, not here.)
Incoming commands wait in a bounded queue; when it is full the newest command is dropped
with a warning (a device does not buffer unbounded commands either).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from translator.devices.base import DeviceModel, Outgoing, Pace, pace_reports
from translator.errors import AdapterError

logger = logging.getLogger(__name__)

COMMAND_QUEUE_SIZE = 100


@dataclass(frozen=True, slots=True)
class MqttBroker:
    """Where the devices' broker listens (the translator's embedded one or mosquitto)."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    keepalive: int = 30
    connect_timeout: float = 10.0


class MqttModel(DeviceModel, Protocol):
    """A device model that speaks MQTT: telemetry, commands, birth and last will.

    Its ``name`` is also its MQTT client id.
    """

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """Topics the device listens to for commands (empty for pure sensors)."""
        ...

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """React to a command; return the messages the device publishes in answer."""
        ...

    def birth(self) -> list[Outgoing]:
        """Messages published right after connecting (online flag, discovery)."""
        ...

    def will(self) -> Outgoing | None:
        """The last will the broker publishes if the device vanishes."""
        ...


class MqttLink:
    """One device's MQTT connection, usable as ``async with``.

    Commands arrive in ``incoming`` as ``(topic, payload)``. Subscriptions are (re)made on
    every connect, so they survive a broker restart.
    """

    def __init__(
        self,
        broker: MqttBroker,
        client_id: str,
        *,
        subscriptions: tuple[str, ...] = (),
        will: Outgoing | None = None,
    ) -> None:
        self._broker = broker
        self._client_id = client_id
        self._subscriptions = subscriptions
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        if broker.username is not None:
            self._client.username_pw_set(broker.username, broker.password)
        if will is not None:
            self._client.will_set(will.channel, will.payload, qos=1, retain=will.retain)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._connected = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.incoming: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(COMMAND_QUEUE_SIZE)

    async def __aenter__(self) -> MqttLink:
        self._loop = asyncio.get_running_loop()
        broker = self._broker
        self._client.connect_async(broker.host, broker.port, keepalive=broker.keepalive)
        self._client.loop_start()
        try:
            await asyncio.wait_for(self._connected.wait(), timeout=broker.connect_timeout)
        except TimeoutError as err:
            await self.close()
            raise AdapterError(
                f"device {self._client_id}: no MQTT connection to {broker.host}:{broker.port} "
                f"within {broker.connect_timeout} s; is the broker running?"
            ) from err
        except BaseException:  # cancelled while connecting: still stop paho's thread
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Disconnect cleanly and stop paho's network thread."""
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    def publish(self, message: Outgoing, *, qos: int = 0) -> None:
        """Publish one message (queued by paho; lost while the link is down, as QoS 0 is)."""
        info = self._client.publish(
            message.channel, message.payload, qos=qos, retain=message.retain
        )
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            # Logged once per outage in _on_disconnect; per message only at DEBUG.
            logger.debug(
                "device %s could not publish on %s: %s",
                self._client_id,
                message.channel,
                mqtt.error_string(info.rc),
            )

    # paho's network thread runs the callbacks below; they only hand over to the loop.

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            logger.warning("device %s: broker refused the connection: %s", self._client_id, reason)
            return
        for topic in self._subscriptions:
            client.subscribe(topic, qos=1)
        logger.debug("device %s connected", self._client_id)
        self._call(self._connected.set)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure and self._connected.is_set():
            logger.warning("device %s lost its broker (%s); reconnecting", self._client_id, reason)
        self._call(self._connected.clear)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._call(self._deliver, message.topic, bytes(message.payload))

    def _call(self, callback: Callable[..., object], *args: object) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback, *args)

    def _deliver(self, topic: str, payload: bytes) -> None:
        try:
            self.incoming.put_nowait((topic, payload))
        except asyncio.QueueFull:
            logger.warning(
                "device %s: command queue full, dropped one on %s", self._client_id, topic
            )


class MqttDevice:
    """Runs an ``MqttModel`` against a broker: the ``Simulator`` for every MQTT vendor."""

    def __init__(self, model: MqttModel, broker: MqttBroker, pace: Pace | None = None) -> None:
        self._model = model
        self._broker = broker
        self._pace = pace or Pace()

    @property
    def name(self) -> str:
        """The device's name."""
        return self._model.name

    @property
    def model(self) -> MqttModel:
        """The device's state and payload shapes."""
        return self._model

    async def run(self, stop: asyncio.Event) -> int:
        """Connect, publish the birth messages, then report and answer commands until done."""
        model = self._model
        link = MqttLink(
            self._broker, model.name, subscriptions=model.subscriptions, will=model.will()
        )
        async with link:
            for message in model.birth():
                link.publish(message, qos=1)
            serving = asyncio.create_task(self._serve(link), name=f"device-{model.name}-commands")
            try:
                sent = await pace_reports(model.name, stop, self._pace, model.report, _sender(link))
            finally:
                serving.cancel()
                await asyncio.gather(serving, return_exceptions=True)
            farewell = model.will()
            if farewell is not None:
                link.publish(farewell, qos=1)
        return sent

    async def _serve(self, link: MqttLink) -> None:
        while True:
            topic, payload = await link.incoming.get()
            logger.debug("device %s got a command on %s", self._model.name, topic)
            for message in self._model.handle(topic, payload):
                link.publish(message)


def _sender(link: MqttLink) -> Callable[[Outgoing], Awaitable[None]]:
    async def send(message: Outgoing) -> None:
        link.publish(message)

    return send
