"""What the service hands the stream layer, which knows neither the API layer nor the adapters.

* ``Guard``: a FastAPI dependency that admits a connection or raises (``HTTPException`` for
  HTTP, ``WebSocketException`` for a socket) — ``translator.api.auth.require(scope)`` fits.
* ``CommandHandler``: submits a ``Command`` and returns its record (a mapping with at least
  ``status``, and ``id``), or raises ``CommandError`` when the command is unknown or ill-typed.
* ``CommandFollow``: given a record's ``id``, waits until the command is done (confirmed,
  failed, timed out) and returns its final record.
* ``Publisher``: publishes one MQTT message — ``MqttAdapter`` fits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from translator.values import Command

Guard = Callable[[HTTPConnection], Awaitable[object]]
CommandHandler = Callable[[Command], Awaitable[Mapping[str, Any]]]
CommandFollow = Callable[[str], Awaitable[Mapping[str, Any]]]


class Publisher(Protocol):
    """Publishes on an MQTT broker and waits until it is accepted."""

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int | None = None,
        retain: bool = False,
        content_type: str | None = None,
    ) -> None:
        """Publish one message; raise ``AdapterError`` when it cannot be delivered."""
        ...
