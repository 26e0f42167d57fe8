"""The seam between the network layer and the layers above it.

An adapter turns what arrives on one transport into ``Envelope``s and hands each one to an
``EnvelopeSink`` it was given; it never imports the mapping, pipeline or twin layers. The
sink answers with an ``IngestResult`` so request/response transports (CoAP, HTTP) can tell
the peer whether its payload was accepted; publish/subscribe transports (MQTT) only count it.
Commands come back down the same seam: the service calls ``Adapter.send``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from translator.values import Envelope, RenderedCommand


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The sink's verdict on one envelope: accepted, or rejected with a reason."""

    accepted: bool
    reason: str | None = None
    stage: str | None = None  # the pipeline stage that rejected it (decode, match, schema, …)


EnvelopeSink = Callable[[Envelope], Awaitable[IngestResult]]
"""Where an adapter hands each envelope. It must not raise for a bad payload (a rejection is
an ``IngestResult`` with ``accepted=False``); an exception is a bug, logged and counted by the
adapter, which then goes on with the next envelope."""


class Adapter(Protocol):
    """One transport, in and out.

    ``run`` receives until ``stop`` is called (then it drains what was already received to
    the sink and returns) or until it is cancelled (then it closes without draining). It
    raises ``AdapterError`` on a failure that retrying cannot fix (refused credentials, a
    port that is taken).
    """

    @property
    def name(self) -> str:
        """A short label for logs and metrics, e.g. ``"mqtt"``."""
        ...

    async def run(self) -> None:
        """Receive and hand envelopes to the sink until stopped."""
        ...

    async def stop(self) -> None:
        """Stop receiving, drain what was received, release the transport."""
        ...

    async def send(self, command: RenderedCommand) -> None:
        """Deliver one rendered command to its device; raise ``AdapterError`` if it fails."""
        ...
