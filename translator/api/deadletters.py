"""``GET /dead-letters``: every rejected payload, paged and filtered, bytes preserved."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from translator.api.auth import require
from translator.twin.deadletter import DeadLetter, DeadLetterStore

MAX_PAGE = 500


def dead_letter_router(letters: DeadLetterStore) -> APIRouter:
    """Routes over the dead-letter store (``read`` scope)."""
    router = APIRouter(
        prefix="/dead-letters", tags=["dead letters"], dependencies=[Depends(require("read"))]
    )

    @router.get("", summary="List dead letters, newest first")
    def list_letters(
        mapping: Annotated[str | None, Query(description="mapping id")] = None,
        stage: Annotated[str | None, Query(description="transport, decode, match, …")] = None,
        reason: Annotated[str | None, Query(description="text the reason contains")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        items = letters.list(
            mapping=mapping, stage=stage, reason_contains=reason, limit=limit, offset=offset
        )
        total = letters.count(mapping=mapping, stage=stage, reason_contains=reason)
        return {
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": [letter_record(item) for item in items],
        }

    @router.get("/{letter_id}", summary="One dead letter")
    def get_letter(letter_id: int) -> dict[str, Any]:
        return letter_record(_find(letters, letter_id))

    @router.get(
        "/{letter_id}/payload",
        summary="The original payload, byte for byte, with its original content type",
        response_class=Response,
    )
    def get_payload(letter_id: int) -> Response:
        letter = _find(letters, letter_id)
        media_type = letter.envelope.content_format or "application/octet-stream"
        return Response(letter.envelope.payload, media_type=media_type)

    return router


def _find(letters: DeadLetterStore, letter_id: int) -> DeadLetter:
    letter = letters.get(letter_id)
    if letter is None:
        raise HTTPException(404, f"no dead letter {letter_id}")
    return letter


def letter_record(letter: DeadLetter) -> dict[str, Any]:
    """A dead letter as JSON: the payload as base64 (exact) and as text when it is UTF-8."""
    envelope = letter.envelope
    record: dict[str, Any] = {
        "id": letter.id,
        "stored_at": letter.stored_at.isoformat(),
        "stage": letter.stage,
        "reason": letter.reason,
        "mapping": letter.mapping_id,
        "detail": letter.detail,
        "protocol": envelope.protocol.value,
        "channel": envelope.channel,
        "content_format": envelope.content_format,
        "received_at": envelope.received_at.isoformat(),
        "peer": envelope.peer,
        "payload_size": len(envelope.payload),
        "payload_base64": base64.b64encode(envelope.payload).decode(),
    }
    try:
        record["payload_text"] = envelope.payload.decode("utf-8")
    except UnicodeDecodeError:
        record["payload_text"] = None
    return record
