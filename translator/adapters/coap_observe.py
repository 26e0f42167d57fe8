"""CoAP Observe client (RFC 7641): follow device resources, hand each notification on.

Part of the network layer. Each ``ObserveTarget`` is followed by one task: it registers
(GET with Observe: 0), turns the first response and every notification into an
``Envelope`` and re-registers when the observation ends, fails or goes stale (no
notification within the last one's Max-Age plus the request timeout), waiting with an
exponential backoff after failures. Notifications go through one bounded ``HandoffQueue`` to
one task that awaits the sink, so a slow sink never stalls the sockets; when the queue is
full the oldest notification is dropped (Observe only promises eventual consistency,
RFC 7641 §1.3: the newest state matters most), counted and logged. On ``stop()`` the
followers are cancelled and what is queued is still handed to the sink.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from aiocoap import GET, Message
from aiocoap import error as coap_error
from pydantic import BaseModel, ConfigDict, Field, field_validator

from translator.adapters.base import EnvelopeSink
from translator.adapters.coap_server import registered_media_type
from translator.adapters.overload import HandoffQueue, OverloadPolicy
from translator.values import Envelope, Protocol

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE_S: Final = 60  # RFC 7252 §5.10.5


class ObserveTarget(BaseModel):
    """A device resource to observe, and the channel its notifications arrive on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uri: str = Field(description="coap://host:port/path of the observable resource.")
    channel: str | None = Field(
        None, description="Channel of the envelopes; default: the URI's path without '/'."
    )

    @field_validator("uri")
    @classmethod
    def _coap_uri(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "coap" or not parts.hostname or not parts.path.strip("/"):
            raise ValueError("expected coap://host[:port]/path")
        return value

    @property
    def envelope_channel(self) -> str:
        """The channel every envelope from this target carries."""
        return self.channel or urlsplit(self.uri).path.strip("/")


class _Refused(Exception):
    """The resource answered the registration with an error, or without Observe."""


@dataclass(slots=True)
class ObserveCounts:
    """Running totals of the Observe client (read on the event loop)."""

    notifications: int = 0  # received, first responses included
    rejected: int = 0  # the sink said no
    dropped: int = 0  # given up by the full hand-off queue
    sink_errors: int = 0  # the sink raised
    registrations: int = 0  # successful registrations, re-registrations included
    failures: int = 0  # failed registrations or observations


class Observations:
    """Follow every target until ``stop()``; each notification becomes an envelope for the sink."""

    def __init__(
        self,
        context: Any,
        targets: Sequence[ObserveTarget],
        sink: EnvelopeSink,
        *,
        request_timeout_s: float,
        backoff_min_s: float,
        backoff_max_s: float,
        queue_size: int = 256,
    ) -> None:
        """Use the aiocoap ``context`` (already created) to observe ``targets``."""
        self._context = context
        self._targets = tuple(targets)
        self._sink = sink
        self._request_timeout_s = request_timeout_s
        self._backoff = (backoff_min_s, backoff_max_s)
        self._queue: HandoffQueue[Envelope] = HandoffQueue(queue_size, OverloadPolicy.DROP_OLDEST)
        self._stopping = asyncio.Event()
        self.counts = ObserveCounts()

    async def run(self) -> None:
        """Follow the targets until ``stop()``, then hand what is queued to the sink."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._deliver(), name="coap-observe-deliver")
            followers = [
                group.create_task(self._follow(target), name=f"coap-observe {target.uri}")
                for target in self._targets
            ]
            await self._stopping.wait()
            for follower in followers:
                follower.cancel()
            self._queue.close()

    def stop(self) -> None:
        """Stop following; ``run`` drains the queue to the sink and returns."""
        self._stopping.set()

    async def _deliver(self) -> None:
        while (envelope := await self._queue.get()) is not None:
            try:
                result = await self._sink(envelope)
            except Exception:  # task boundary: one bad envelope must not end the delivery
                self.counts.sink_errors += 1
                logger.exception("CoAP observe sink failed on %s", envelope.channel)
                continue
            if not result.accepted:
                self.counts.rejected += 1
                logger.debug(
                    "CoAP notification on %s rejected: %s", envelope.channel, result.reason
                )

    async def _follow(self, target: ObserveTarget) -> None:
        failures = 0
        while True:
            try:
                await self._observe(target)
                failures = 0
            except (coap_error.Error, OSError, TimeoutError, _Refused) as err:
                failures += 1
                self.counts.failures += 1
                logger.warning(
                    "CoAP observe of %s failed (%r); retrying in %.2f s",
                    target.uri,
                    err,
                    self._delay(failures),
                )
            except Exception:  # task boundary: log our bug, back off, go on
                failures += 1
                self.counts.failures += 1
                logger.exception("CoAP observe of %s failed unexpectedly", target.uri)
            await asyncio.sleep(self._delay(failures))

    def _delay(self, failures: int) -> float:
        low, high = self._backoff
        return float(min(high, low * 2 ** max(0, failures - 1)))

    async def _observe(self, target: ObserveTarget) -> None:
        """One registration: returns when it ends or goes stale, raises when it fails."""
        request = self._context.request(Message(code=GET, uri=target.uri, observe=0))
        try:
            async with asyncio.timeout(self._request_timeout_s):
                first = await request.response
            if not first.code.is_successful():
                raise _Refused(f"registration answered {first.code}")
            if first.opt.observe is None:
                self._enqueue(target, first)  # a valid reading all the same: keep it
                raise _Refused("the resource is not observable; polling at the backoff pace")
            self.counts.registrations += 1
            logger.info("CoAP observe of %s registered", target.uri)
            self._enqueue(target, first)
            await self._follow_notifications(target, request.observation, first)
        finally:
            if not request.response.done():
                request.response.cancel()
            elif request.observation is not None and not request.observation.cancelled:
                request.observation.cancel()

    async def _follow_notifications(
        self, target: ObserveTarget, observation: Any, last: Any
    ) -> None:
        notifications = aiter(observation)
        while True:
            try:
                async with asyncio.timeout(self._freshness(last)):
                    last = await anext(notifications)
            except StopAsyncIteration:
                logger.info("CoAP observe of %s ended by the server", target.uri)
                return
            except TimeoutError:
                logger.info("CoAP observe of %s went stale: re-registering", target.uri)
                return
            if last.code.is_successful():
                self._enqueue(target, last)

    def _freshness(self, response: Any) -> float:
        """How long the last notification is fresh: its Max-Age, plus time to travel."""
        max_age = response.opt.max_age
        return float(DEFAULT_MAX_AGE_S if max_age is None else max_age) + self._request_timeout_s

    def _enqueue(self, target: ObserveTarget, response: Any) -> None:
        self.counts.notifications += 1
        given_up = self._queue.offer(_envelope(target, response))
        if given_up is not None:
            self.counts.dropped += 1
            logger.warning(
                "CoAP observe queue full: dropped a notification on %s", given_up.channel
            )


def _envelope(target: ObserveTarget, response: Any) -> Envelope:
    content_format = response.opt.content_format
    return Envelope(
        protocol=Protocol.COAP,
        channel=target.envelope_channel,
        payload=response.payload,
        received_at=datetime.now(UTC),
        content_format=None if content_format is None else registered_media_type(content_format),
        peer=response.remote.hostinfo,
    )
