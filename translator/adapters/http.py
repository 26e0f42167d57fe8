"""HTTP adapter: ``POST /ingest/{path}`` webhooks (TTN, FHIR, generic JSON) into envelopes.

The channel is the path after ``/ingest/`` (``/ingest/ttn/uplink`` → ``ttn/uplink``), matched
by the mappings like an MQTT topic. Answers, one table for this transport:

| outcome | status |
| --- | --- |
| accepted by the translation | 202 Accepted |
| body not in the declared format | 400 Bad Request |
| no mapping for this path | 404 Not Found |
| schema, extraction or SHACL rejection | 422 Unprocessable Content |
| body larger than the limit | 413 Content Too Large |
| content type not accepted | 415 Unsupported Media Type |

Every refusal answers with ``{"accepted": false, "stage": …, "reason": …}`` and — through the
``refuse`` callable for the two the adapter decides itself (413, 415) — becomes a dead letter
like any rejection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from translator.adapters.base import EnvelopeSink
from translator.values import Envelope, Protocol

RefusalSink = Callable[[Envelope, str], Awaitable[None]]
"""Records an envelope the adapter refused before translation (too large, wrong type)."""

ACCEPTED_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/fhir+json",
        "application/senml+json",
        "application/senml+cbor",
        "application/cbor",
        "text/plain",
    }
)

STATUS_BY_STAGE = {"decode": 400, "match": 404, "schema": 422, "extract": 422, "shape": 422}


@dataclass
class HttpCounts:
    """What the HTTP adapter saw, for metrics."""

    received: int = 0
    accepted: int = 0
    rejected: int = 0
    refused: int = 0


def ingest_router(
    sink: EnvelopeSink,
    refuse: RefusalSink,
    *,
    max_payload_bytes: int,
    counts: HttpCounts | None = None,
) -> APIRouter:
    """The ``/ingest`` routes, handing each body to ``sink`` as an ``Envelope``."""
    router = APIRouter(tags=["ingest"])
    tally = counts if counts is not None else HttpCounts()

    @router.post(
        "/ingest/{path:path}",
        status_code=202,
        summary="Ingest one vendor payload (webhook)",
        responses={400: {}, 404: {}, 413: {}, 415: {}, 422: {}},
    )
    async def ingest(path: str, request: Request) -> JSONResponse:
        tally.received += 1
        media_type = _media_type(request.headers.get("content-type"))
        body, too_large = await _read_limited(request, max_payload_bytes)
        envelope = Envelope(
            protocol=Protocol.HTTP,
            channel=path.strip("/"),
            payload=body,
            received_at=datetime.now(UTC),
            content_format=media_type,
            peer=request.client.host if request.client else None,
        )
        refusal = _refusal(media_type, too_large, max_payload_bytes)
        if refusal is not None:
            status, reason = refusal
            tally.refused += 1
            await refuse(envelope, reason)
            return _answer(status, accepted=False, stage="transport", reason=reason)
        result = await sink(envelope)
        if result.accepted:
            tally.accepted += 1
            return _answer(202, accepted=True)
        tally.rejected += 1
        stage = result.stage or "decode"
        return _answer(
            STATUS_BY_STAGE.get(stage, 422), accepted=False, stage=stage, reason=result.reason
        )

    return router


def _refusal(media_type: str | None, too_large: bool, limit: int) -> tuple[int, str] | None:
    if too_large:
        return 413, f"payload larger than {limit} bytes (kept truncated in the dead letter)"
    if media_type not in ACCEPTED_MEDIA_TYPES:
        accepted = ", ".join(sorted(ACCEPTED_MEDIA_TYPES))
        return 415, f"content type {media_type or '(none)'!s} not accepted; use one of {accepted}"
    return None


def _media_type(header: str | None) -> str | None:
    if not header:
        return None
    return header.split(";", 1)[0].strip().lower() or None


async def _read_limited(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, at most ``limit`` bytes of it, and whether there was more.

    Reading stops at the limit, so an oversize upload costs at most ``limit`` bytes of memory;
    what was read is kept (truncated) in the dead letter.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: max(0, limit - (size - len(chunk)))])
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


def _answer(
    status: int, *, accepted: bool, stage: str | None = None, reason: str | None = None
) -> JSONResponse:
    body: dict[str, object] = {"accepted": accepted}
    if stage is not None:
        body["stage"] = stage
    if reason is not None:
        body["reason"] = reason
    return JSONResponse(body, status_code=status)
