"""The CoAP adapter: ingest server, Observe client and command sender on one endpoint.

Network layer. ``CoapAdapter`` owns one aiocoap context bound to ``CoapSettings.bind_host``
and ``port`` (UDP only): it serves the ingest resources of ``coap_server.IngestSite``,
follows the ``observe`` targets with ``coap_observe.Observations`` and sends rendered
commands with ``send()``. Every request the adapter makes leaves from that same socket,
so with the default loopback bind it only ever talks to loopback peers. It never imports
the mapping or the pipeline: envelopes go to the ``EnvelopeSink`` it is given.

    coap = CoapAdapter(CoapSettings(port=5683), sink)
    group.create_task(coap.run(), name="coap")   # in the service's TaskGroup
    async with asyncio.timeout(5):
        await coap.ready()
    code = await coap.request(rendered)          # "2.04"; send() is the same, returning None
    await coap.stop()                            # drains, then run() returns
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import Any, Final, Self
from urllib.parse import urlsplit

from aiocoap import POST, PUT, Context, Message
from aiocoap import error as coap_error
from aiocoap.numbers.contentformat import ContentFormat
from pydantic import BaseModel, ConfigDict, Field, field_validator

from translator.adapters.base import EnvelopeSink
from translator.adapters.coap_observe import Observations, ObserveCounts, ObserveTarget
from translator.adapters.coap_server import MEDIA_TYPES, IngestSite
from translator.errors import AdapterError
from translator.values import RenderedCommand

logger = logging.getLogger(__name__)

_METHODS: Final = {"PUT": PUT, "POST": POST}
_CONTENT_FORMATS: Final = {media: number for number, media in MEDIA_TYPES.items()}


class CoapSettings(BaseModel):
    """Where the CoAP adapter listens, what it accepts, what it observes and where it sends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bind_host: str = Field("127.0.0.1", description="Address to listen on (loopback by default).")
    port: int = Field(5683, ge=1, le=65535, description="UDP port to listen on.")
    ingest_paths: tuple[str, ...] = Field(
        (), description="Path prefixes (or mapping channel patterns) to accept; empty: all."
    )
    max_payload_bytes: int = Field(
        64 * 1024, ge=64, description="Larger request bodies get 4.13 with Size1."
    )
    observe: tuple[ObserveTarget, ...] = Field((), description="Device resources to observe.")
    device_base: str | None = Field(
        None, description="coap://host:port that relative command channels are sent to."
    )
    request_timeout_s: float = Field(
        10.0, gt=0, le=300, description="Longest wait for a command's or a registration's answer."
    )
    reobserve_min_s: float = Field(1.0, gt=0, description="First wait before re-registering.")
    reobserve_max_s: float = Field(60.0, gt=0, description="Longest wait before re-registering.")
    queue_size: int = Field(
        256, ge=1, le=100_000, description="Notifications waiting for the sink; then drop oldest."
    )
    drain_timeout_s: float = Field(10.0, gt=0, description="Longest drain on stop.")

    @field_validator("device_base")
    @classmethod
    def _coap_base(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme != "coap" or not parts.hostname:
                raise ValueError("expected coap://host[:port]")
        return value


@dataclass(frozen=True, slots=True)
class CoapStats:
    """The adapter's counters at one moment."""

    received: int  # envelopes made: ingest requests handed to the sink, plus notifications
    rejected: int  # the sink said no
    refused: int  # ingest requests answered 4.13, 4.15 or 5.03 without reaching the sink
    sink_errors: int  # the sink raised
    notifications: int  # Observe responses and notifications received
    dropped: int  # notifications given up by the full hand-off queue
    registrations: int  # successful Observe registrations, re-registrations included
    observe_failures: int  # failed Observe registrations or observations
    sent: int  # commands answered with a success code


class CoapAdapter:
    """CoAP in and out; implements ``translator.adapters.base.Adapter``.

    Lifecycle: ``await run()`` in a task (it returns after ``stop()``), ``await ready()`` to
    wait until the socket is bound, ``await stop()`` to drain and close. One run per
    instance. ``async with CoapAdapter(...)`` does the three for scripts and tests.
    """

    name = "coap"

    def __init__(self, settings: CoapSettings, sink: EnvelopeSink) -> None:
        """Prepare (nothing is bound until ``run()``)."""
        self._settings = settings
        self._sink = sink
        self._site = IngestSite(
            sink, paths=settings.ingest_paths, max_payload_bytes=settings.max_payload_bytes
        )
        self._context: Any = None
        self._observations: Observations | None = None
        self._task: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None  # only when used as a context manager
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._failure: AdapterError | None = None
        self._sent = 0

    def stats(self) -> CoapStats:
        """The counters now. Read it from the event loop's thread."""
        ingest = self._site.counts
        observe = self._observations.counts if self._observations else ObserveCounts()
        return CoapStats(
            received=ingest.received + observe.notifications,
            rejected=ingest.rejected + observe.rejected,
            refused=ingest.refused,
            sink_errors=ingest.sink_errors + observe.sink_errors,
            notifications=observe.notifications,
            dropped=observe.dropped,
            registrations=observe.registrations,
            observe_failures=observe.failures,
            sent=self._sent,
        )

    async def run(self) -> None:
        """Bind, serve and observe until ``stop()``, then drain to the sink and close.

        Cancelled, it closes without draining.

        Raises:
            AdapterError: the address cannot be bound (port taken, no such address).
        """
        if self._task is not None:
            raise AdapterError("a CoapAdapter runs once; build a new one")
        self._task = asyncio.current_task()
        try:
            self._context = await self._bind()
            self._ready.set()
            await self._serve()
        except AdapterError as err:
            self._failure = err
            raise
        finally:
            self._ready.set()
            await self._close()

    async def ready(self) -> None:
        """Wait until the socket is bound; bound it with a timeout.

        Raises:
            AdapterError: binding failed.
        """
        await self._ready.wait()
        if self._failure is not None:
            raise self._failure

    async def stop(self) -> None:
        """Refuse new requests (5.03), stop observing, let the sink finish, close the socket.

        A drain longer than ``settings.drain_timeout_s`` is cut short by cancelling ``run``.
        """
        self._stopping.set()
        if self._task is None or self._finished.is_set():
            return
        try:
            await asyncio.wait_for(self._finished.wait(), self._settings.drain_timeout_s)
        except TimeoutError:
            logger.warning(
                "CoAP drain took longer than %s s; cutting it short", self._settings.drain_timeout_s
            )
            self._task.cancel()
            await self._finished.wait()

    async def __aenter__(self) -> Self:
        self._runner = asyncio.create_task(self.run(), name="coap-adapter")
        try:
            async with asyncio.timeout(self._settings.request_timeout_s):
                await self.ready()
        except (AdapterError, TimeoutError) as err:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            if isinstance(err, AdapterError):
                raise
            raise AdapterError("the CoAP adapter did not start in time") from err
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        if self._runner is not None:
            await self._runner

    async def send(self, command: RenderedCommand) -> None:
        """Deliver one rendered command to its device (see ``request``)."""
        await self.request(command)

    async def request(self, command: RenderedCommand) -> str:
        """PUT (or the command's method) its payload to the device; return the response code.

        The command's channel is a full ``coap://`` URI or a path under
        ``CoapSettings.device_base``. Returns the dotted code of a successful answer
        (``"2.04"``).

        Raises:
            AdapterError: not running, no address, unknown method or content format, no
                answer within ``request_timeout_s``, a transport error, or an error response.
        """
        if self._context is None or self._stopping.is_set():
            raise AdapterError("the CoAP adapter is not running")
        message = Message(
            code=_method(command),
            uri=self._command_uri(command.channel),
            payload=command.payload,
            content_format=_content_format(command.content_format),
        )
        response = await self._request(message)
        code: str = response.code.dotted
        if not response.code.is_successful():
            detail = response.payload.decode("utf-8", "replace")
            raise AdapterError(f"CoAP {message.code} {message.get_request_uri()}: {code} {detail}")
        self._sent += 1
        logger.debug("CoAP command %s sent: %s", command.command.name, code)
        return code

    async def _serve(self) -> None:
        async with asyncio.TaskGroup() as group:
            if self._settings.observe:
                self._observations = Observations(
                    self._context,
                    self._settings.observe,
                    self._sink,
                    request_timeout_s=self._settings.request_timeout_s,
                    backoff_min_s=self._settings.reobserve_min_s,
                    backoff_max_s=self._settings.reobserve_max_s,
                    queue_size=self._settings.queue_size,
                )
                group.create_task(self._observations.run(), name="coap-observe")
            await self._stopping.wait()
            self._site.close()
            if self._observations is not None:
                self._observations.stop()
            await self._site.drained()

    async def _close(self) -> None:
        context, self._context = self._context, None
        try:
            if context is not None:
                await context.shutdown()
                logger.info("CoAP adapter stopped")
        finally:
            self._finished.set()

    async def _bind(self) -> Any:
        host, port = self._settings.bind_host, self._settings.port
        await _check_free(host, port)
        try:
            context = await Context.create_server_context(
                self._site, bind=(host, port), transports=["udp6"]
            )
        except (OSError, coap_error.Error) as err:
            raise AdapterError(f"cannot listen for CoAP on {host} port {port}: {err}") from err
        logger.info("CoAP adapter listening on %s port %d", host, port)
        return context

    async def _request(self, message: Message) -> Any:
        uri = message.get_request_uri()
        try:
            async with asyncio.timeout(self._settings.request_timeout_s):
                return await self._context.request(message).response
        except TimeoutError as err:
            raise AdapterError(
                f"CoAP {message.code} {uri}: no answer in {self._settings.request_timeout_s} s"
            ) from err
        except (OSError, coap_error.Error) as err:
            raise AdapterError(f"CoAP {message.code} {uri} failed: {err}") from err

    def _command_uri(self, channel: str) -> str:
        if urlsplit(channel).scheme == "coap":
            return channel
        base = self._settings.device_base
        if base is None:
            raise AdapterError(
                f"command channel {channel!r} is not a coap:// URI and coap.device_base is unset"
            )
        return f"{base.rstrip('/')}/{channel.lstrip('/')}"


async def _check_free(host: str, port: int) -> None:
    """Fail early, and cleanly, if the UDP address cannot be bound.

    aiocoap binds with SO_REUSEPORT, so a second translator on the same port would silently
    share (and split) the traffic; this probe binds without it, so it refuses. It also keeps
    aiocoap 0.4.17 from leaking its socket when its own bind() fails.
    """
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind(address)
    except OSError as err:
        raise AdapterError(f"cannot listen for CoAP on {host} port {port}: {err}") from err


def _method(command: RenderedCommand) -> Any:
    name = (command.method or "PUT").upper()
    try:
        return _METHODS[name]
    except KeyError:
        raise AdapterError(f"CoAP commands are sent with PUT or POST, not {name}") from None


def _content_format(media: str | None) -> ContentFormat | None:
    if media is None:
        return None
    number = _CONTENT_FORMATS.get(media)
    if number is not None:
        return ContentFormat(number)
    try:
        return ContentFormat.by_media_type(media)
    except KeyError:
        raise AdapterError(f"no CoAP Content-Format for media type {media!r}") from None
