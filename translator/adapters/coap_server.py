"""CoAP ingest resources: every POST/PUT under the ingest paths becomes an ``Envelope``.

Part of the network layer (see ``coap.py`` for the adapter that binds it to a socket). The
resource tree is one root, ``IngestSite``, that routes by the full Uri-Path:

* ``/.well-known/core`` lists the ingest paths in RFC 6690 link format (aiocoap's
  ``WKCResource``);
* a path equal to, or under, an ingest path accepts POST and PUT; each request is handed to
  the sink and answered from the sink's verdict;
* anything else is 4.04 Not Found.

Response table (what a CoAP peer sees):

=======================================  ===================================================
request                                  response
=======================================  ===================================================
accepted by the sink                     2.04 Changed
rejected by the sink                     4.00 Bad Request, the reason as diagnostic payload
Content-Format not in ``MEDIA_TYPES``    4.15 Unsupported Content-Format
body (or announced Size1 / Block1) over  4.13 Request Entity Too Large, Size1 = the limit
the limit
GET, DELETE, FETCH… on an ingest path    4.05 Method Not Allowed
the sink raised (our bug)                5.00 Internal Server Error
the adapter is stopping                  5.03 Service Unavailable
=======================================  ===================================================

A request without a Content-Format option is accepted with ``content_format=None``: the
mapping that matches the channel declares the payload format.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from aiocoap import Message
from aiocoap import error as coap_error
from aiocoap.numbers.codes import Code
from aiocoap.numbers.contentformat import ContentFormat
from aiocoap.resource import PathCapable, Resource, WKCResource
from aiocoap.util.linkformat import Link, LinkFormat

from translator.adapters.base import EnvelopeSink
from translator.values import Envelope, Protocol

logger = logging.getLogger(__name__)

MEDIA_TYPES: Final[dict[int, str]] = {
    0: "text/plain",  # registered as "text/plain;charset=utf-8"; the charset is implied
    50: "application/json",
    110: "application/senml+json",
    112: "application/senml+cbor",
}
"""CoAP Content-Format numbers the ingest accepts, and the media type each becomes."""

WELL_KNOWN_CORE: Final = (".well-known", "core")
DIAGNOSTIC_MAX_BYTES: Final = 512  # a diagnostic payload should fit one datagram
_SUPPORTED_CT: Final = " ".join(str(number) for number in sorted(MEDIA_TYPES))


def media_type(content_format: int) -> str | None:
    """The media type of a Content-Format number, ``None`` if the ingest does not take it."""
    return MEDIA_TYPES.get(content_format)


def registered_media_type(content_format: int) -> str:
    """The media type of any Content-Format: ours, the IANA registry's, or octet-stream."""
    known = MEDIA_TYPES.get(content_format)
    if known is not None:
        return known
    registered: str | None = getattr(ContentFormat(content_format), "media_type", None)
    return registered if registered is not None else "application/octet-stream"


def ingest_prefix(path: str) -> tuple[str, ...]:
    """The Uri-Path prefix an ingest path claims, as path segments.

    A mapping's channel pattern may be passed as is: the segments from the first one that
    holds a ``{variable}`` on are dropped, so ``senml/{device}`` claims ``senml/…``.
    An empty result claims every path.
    """
    prefix: list[str] = []
    for segment in path.strip("/").split("/"):
        if not segment or "{" in segment:
            break
        prefix.append(segment)
    return tuple(prefix)


def diagnostic(reason: str) -> bytes:
    """A reason as a CoAP diagnostic payload: UTF-8, cut to ``DIAGNOSTIC_MAX_BYTES``."""
    return reason.encode("utf-8")[:DIAGNOSTIC_MAX_BYTES].decode("utf-8", "ignore").encode()


@dataclass(slots=True)
class IngestCounts:
    """Running totals of the ingest server (read on the event loop)."""

    received: int = 0  # handed to the sink
    rejected: int = 0  # the sink said no (4.00)
    refused: int = 0  # never reached the sink: 4.13, 4.15 or 5.03
    sink_errors: int = 0  # the sink raised (5.00)


class IngestSite(Resource, PathCapable):  # type: ignore[misc]  # aiocoap is untyped
    """The CoAP server's root resource: routes, checks limits and hands envelopes to the sink."""

    def __init__(
        self,
        sink: EnvelopeSink,
        *,
        paths: Sequence[str] = (),
        max_payload_bytes: int,
    ) -> None:
        """Serve ``paths`` (empty: every path) and send what arrives to ``sink``."""
        super().__init__()
        self._sink = sink
        prefixes = {ingest_prefix(path) for path in paths}
        self._prefixes = () if () in prefixes or not paths else tuple(sorted(prefixes))
        self._max_payload_bytes = max_payload_bytes
        self._wkc = WKCResource(self._links, impl_info=None)
        self.counts = IngestCounts()
        self._closing = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def close(self) -> None:
        """Answer every later ingest request with 5.03; those in flight still finish."""
        self._closing = True

    async def drained(self) -> None:
        """Return once no request is waiting on the sink."""
        await self._idle.wait()

    async def render_to_pipe(self, pipe: Any) -> None:
        """Route one request: discovery, ingest, or 4.04; refuse oversize uploads early."""
        request = pipe.request
        path = tuple(request.opt.uri_path)
        if path == WELL_KNOWN_CORE:
            await self._wkc.render_to_pipe(pipe)
            return
        if not self._claims(path):
            raise coap_error.NotFound()
        if self._announced_size(request) > self._max_payload_bytes:
            # Before block-wise assembly, so an oversize upload is never spooled in memory.
            self.counts.refused += 1
            pipe.add_response(self._too_large(), is_last=True)
            return
        await super().render_to_pipe(pipe)

    async def render_post(self, request: Message) -> Message:
        """POST: ingest the body."""
        return await self._ingest(request)

    async def render_put(self, request: Message) -> Message:
        """PUT: ingest the body."""
        return await self._ingest(request)

    def _claims(self, path: tuple[str, ...]) -> bool:
        if not path or path == ("",):
            return False
        if not self._prefixes:
            return True
        return any(path[: len(prefix)] == prefix for prefix in self._prefixes)

    @staticmethod
    def _announced_size(request: Message) -> int:
        """The body size the request says it has or already reached (Size1, Block1)."""
        sizes = [len(request.payload)]
        if request.opt.size1 is not None:
            sizes.append(int(request.opt.size1))
        block1 = request.opt.block1
        if block1 is not None:
            sizes.append(block1.start + len(request.payload))
        return max(sizes)

    def _too_large(self) -> Message:
        return Message(
            code=Code.REQUEST_ENTITY_TOO_LARGE,
            size1=self._max_payload_bytes,
            payload=diagnostic(f"payload over {self._max_payload_bytes} bytes"),
        )

    async def _ingest(self, request: Message) -> Message:
        refusal = self._refusal(request)
        if refusal is not None:
            self.counts.refused += 1
            return refusal
        content_format = request.opt.content_format
        envelope = Envelope(
            protocol=Protocol.COAP,
            channel="/".join(request.opt.uri_path),
            payload=request.payload,
            received_at=datetime.now(UTC),
            content_format=None if content_format is None else media_type(int(content_format)),
            peer=request.remote.hostinfo,
        )
        self._in_flight += 1
        self._idle.clear()
        try:
            return await self._hand_over(envelope)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def _refusal(self, request: Message) -> Message | None:
        """The answer to a request the sink must not see, or ``None``."""
        if self._closing:
            return Message(code=Code.SERVICE_UNAVAILABLE, payload=b"shutting down")
        if len(request.payload) > self._max_payload_bytes:
            return self._too_large()
        content_format = request.opt.content_format
        if content_format is not None and media_type(int(content_format)) is None:
            reason = f"Content-Format {int(content_format)} not accepted; use {_SUPPORTED_CT}"
            return Message(code=Code.UNSUPPORTED_CONTENT_FORMAT, payload=diagnostic(reason))
        return None

    async def _hand_over(self, envelope: Envelope) -> Message:
        logger.debug("CoAP ingest %s (%d bytes)", envelope.channel, len(envelope.payload))
        self.counts.received += 1
        try:
            result = await self._sink(envelope)
        except Exception:  # the request is a task boundary: answer, log, go on
            self.counts.sink_errors += 1
            logger.exception("CoAP ingest sink failed on %s", envelope.channel)
            return Message(code=Code.INTERNAL_SERVER_ERROR)
        if result.accepted:
            return Message(code=Code.CHANGED)
        self.counts.rejected += 1
        logger.debug("CoAP ingest %s rejected: %s", envelope.channel, result.reason)
        return Message(code=Code.BAD_REQUEST, payload=diagnostic(result.reason or "rejected"))

    def _links(self) -> Any:
        links = [Link("/" + "/".join(WELL_KNOWN_CORE), ct=str(int(ContentFormat.LINKFORMAT)))]
        links.extend(
            Link("/" + "/".join(prefix), ct=_SUPPORTED_CT, rt="translator.ingest")
            for prefix in self._prefixes
        )
        return LinkFormat(links)
