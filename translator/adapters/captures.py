"""Replay adapter: envelopes from captured payload files, for ``translator ingest``.

Two capture formats are read:

* ``.jsonl`` — one envelope per line: ``{"protocol": "mqtt", "channel": "…",
  "payload": <JSON value> | "payload_text": "…" | "payload_base64": "…",
  "received_at": "2026-11-25T10:00:00Z", "content_format": "application/json"}``
  (``received_at`` and ``content_format`` optional);
* ``.txt`` / ``.log`` — ``mosquitto_sub -v`` output: ``TOPIC PAYLOAD`` per line (MQTT).

A line that cannot be read is reported as a ``CaptureProblem``, never skipped silently.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from translator.values import Envelope, Protocol

CAPTURE_SUFFIXES = (".jsonl", ".txt", ".log")


@dataclass(frozen=True, slots=True)
class CaptureProblem:
    """A capture line that is not an envelope: where it is and why."""

    file: Path
    line: int
    reason: str


def capture_files(paths: list[Path]) -> list[Path]:
    """The capture files named by ``paths`` (folders are searched for known suffixes)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in CAPTURE_SUFFIXES))
        else:
            found.append(path)
    return found


def read_capture(path: Path) -> Iterator[Envelope | CaptureProblem]:
    """Yield the envelopes (or problems) of one capture file, in order."""
    parse = _parse_jsonl if path.suffix == ".jsonl" else _parse_mosquitto_line
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            try:
                yield parse(line)
            except ValueError as err:
                yield CaptureProblem(path, number, str(err))


def _parse_mosquitto_line(line: bytes) -> Envelope:
    topic, sep, payload = line.partition(b" ")
    if not sep or not topic:
        raise ValueError("expected 'TOPIC PAYLOAD' (mosquitto_sub -v output)")
    return Envelope(
        protocol=Protocol.MQTT,
        channel=topic.decode("utf-8", errors="strict"),
        payload=payload,
        received_at=datetime.now(UTC),
    )


def _parse_jsonl(line: bytes) -> Envelope:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as err:
        raise ValueError(f"not JSON: {err}") from err
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object per line")
    try:
        protocol = Protocol(record.get("protocol", "mqtt"))
    except ValueError as err:
        raise ValueError(f"unknown protocol {record.get('protocol')!r}") from err
    channel = record.get("channel")
    if not isinstance(channel, str) or not channel:
        raise ValueError("missing 'channel'")
    return Envelope(
        protocol=protocol,
        channel=channel,
        payload=_payload_bytes(record),
        received_at=_received_at(record.get("received_at")),
        content_format=record.get("content_format"),
    )


def _payload_bytes(record: dict[str, object]) -> bytes:
    if "payload_base64" in record:
        try:
            return base64.b64decode(str(record["payload_base64"]), validate=True)
        except binascii.Error as err:
            raise ValueError(f"bad payload_base64: {err}") from err
    if "payload_text" in record:
        return str(record["payload_text"]).encode()
    if "payload" in record:
        return orjson.dumps(record["payload"])
    raise ValueError("missing 'payload', 'payload_text' or 'payload_base64'")


def _received_at(raw: object) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    if not isinstance(raw, str):
        raise ValueError("'received_at' must be an ISO 8601 string")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError as err:
        raise ValueError(f"bad received_at {raw!r}") from err
    return when if when.tzinfo else when.replace(tzinfo=UTC)
