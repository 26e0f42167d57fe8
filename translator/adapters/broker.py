"""Embedded MQTT broker (amqtt) on loopback, for the zero-setup default and for tests.

Part of the network layer. When no broker is configured the service starts one of these and
points its MQTT adapter (and the simulated devices) at it::

    async with EmbeddedBroker() as broker:          # 127.0.0.1, a free port
        adapter = MqttAdapter(broker.client_settings(), filters, sink)

What it is, and is not (amqtt 0.12):

* MQTT 3.1.1 only: amqtt answers an MQTT 5 CONNECT with "unsupported protocol version", or
  never answers one that carries properties (it misreads them). ``client_settings`` therefore
  sets ``protocol="3.1.1"`` and drops ``shared_group`` (amqtt has no ``$share``
  subscriptions; a ``$share/...`` filter would silently match nothing).
* QoS 0/1/2, retained messages, ``+``/``#`` wildcards, persistent sessions: a client that
  connects with a fixed id and clean session off gets the QoS>0 messages published while it
  was away (kept in memory for ``session_expiry_s`` seconds; nothing survives a restart).
* No authentication, so it listens on loopback only; anything else is a ``ConfigError``.
  For a networked, durable or clustered broker run Mosquitto or EMQX and configure the
  ``mqtt`` settings instead (``docs/adapters-mqtt.md``).

The TCP listener is ours (``asyncio.start_server``), handed to amqtt through its public
``external`` listener hook, so the bound port is known even when the OS picks it.
amqtt and ``transitions`` log every connection at INFO; unless the application already set
their levels they are turned down to WARNING (``quiet=False`` leaves them alone).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from types import TracebackType
from typing import Any

from amqtt.adapters import (
    StreamReaderAdapter,
    StreamWriterAdapter,
)
from amqtt.broker import Broker
from amqtt.errors import BrokerError
from amqtt.plugins.base import BaseAuthPlugin

from translator.adapters.mqtt import MqttSettings
from translator.errors import AdapterError, ConfigError

logger = logging.getLogger(__name__)

_LISTENER = "default"
_NOISY_LOGGERS = ("amqtt", "transitions")
_CLOSE_TIMEOUT_S = 5.0


class LoopbackAuth(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no type hints
    """amqtt auth plugin: let every client in, as a named (not anonymous) session.

    amqtt's own ``AnonymousAuthPlugin`` marks sessions anonymous, and amqtt keeps no
    messages for an anonymous session while it is away; persistent sessions need this one.
    Safe only because the embedded broker listens on loopback.
    """

    async def authenticate(self, *, session: Any) -> bool:
        """Accept the connection."""
        return True


class EmbeddedBroker:
    """An amqtt broker on ``host``:``port`` (0 = a free port), started and stopped on the loop."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        session_expiry_s: int = 3600,
        quiet: bool = True,
    ) -> None:
        # one address, so that port 0 means one port (not one per address of "localhost")
        self.host = "127.0.0.1" if host == "localhost" else host
        _require_loopback(self.host)
        self._requested_port = port
        self._session_expiry = session_expiry_s
        self._quiet = quiet
        self._broker: Any = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The port the broker listens on (known once started)."""
        if self._port is None:
            raise AdapterError("the embedded broker is not started")
        return self._port

    @property
    def url(self) -> str:
        """``mqtt://host:port``, for logs and for devices."""
        return f"mqtt://{self.host}:{self.port}"

    def client_settings(self, base: MqttSettings | None = None) -> MqttSettings:
        """``base`` (or defaults) pointed at this broker, in the one dialect amqtt speaks."""
        settings = base or MqttSettings()
        return settings.model_copy(
            update={
                "host": self.host,
                "port": self.port,
                "protocol": "3.1.1",
                "shared_group": None,
                "tls": None,
                "username": None,
                "password": None,
            }
        )

    async def start(self) -> None:
        """Start amqtt and listen.

        Raises:
            AdapterError: the port is taken or amqtt failed to start.
        """
        if self._quiet:
            _quiet_loggers()
        self._broker = Broker(self._config())
        try:
            await self._broker.start()
        except BrokerError as err:
            self._broker = None
            raise AdapterError(f"embedded MQTT broker failed to start: {err}") from err
        try:
            self._server = await asyncio.start_server(
                self._serve, self.host, self._requested_port, reuse_address=True
            )
        except OSError as err:
            await self._broker.shutdown()
            self._broker = None
            raise AdapterError(
                f"embedded MQTT broker cannot listen on {self.host}:{self._requested_port}: {err}"
            ) from err
        self._port = int(self._server.sockets[0].getsockname()[1])
        logger.info("embedded MQTT broker (amqtt, MQTT 3.1.1) listening on %s", self.url)

    async def stop(self) -> None:
        """Close the listener and every session, and wait for their tasks to end."""
        if self._server is not None:
            self._server.close()
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        await self._end_connections()
        logger.info("embedded MQTT broker on %s:%s stopped", self.host, self._port)

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def _config(self) -> dict[str, Any]:
        return {
            # "external": amqtt serves connections we hand it (see _serve); it binds nothing,
            # but wants a bind value to register the listener.
            "listeners": {_LISTENER: {"type": "external", "bind": f"{self.host}:0"}},
            "session_expiry_interval": self._session_expiry,
            # only our auth plugin: no $SYS publisher, no per-packet logger
            "plugins": {f"{LoopbackAuth.__module__}.{LoopbackAuth.__qualname__}": {}},
        }

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._broker.external_connected(
                StreamReaderAdapter(reader), StreamWriterAdapter(writer), _LISTENER
            )
        except OSError as err:  # the peer went away mid-handshake; amqtt does not catch it
            logger.warning("embedded MQTT broker: a client connection broke off: %s", err)
        except Exception:  # one connection's failure must not take the broker down
            logger.exception("embedded MQTT broker: a client connection failed")
        finally:
            writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _end_connections(self) -> None:
        pending = set(self._connections)
        if not pending:
            return
        _done, still_running = await asyncio.wait(pending, timeout=_CLOSE_TIMEOUT_S)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.wait(still_running, timeout=_CLOSE_TIMEOUT_S)


def _require_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError as err:
        raise ConfigError(f"embedded MQTT broker host {host!r} is not an IP address") from err
    if not loopback:
        raise ConfigError(
            f"embedded MQTT broker host {host!r}: it has no authentication, so it listens on "
            "loopback only; run Mosquitto or EMQX for a networked broker"
        )


def _quiet_loggers() -> None:
    for name in _NOISY_LOGGERS:
        noisy = logging.getLogger(name)
        if noisy.level == logging.NOTSET:
            noisy.setLevel(logging.WARNING)
