"""Dead letters: every envelope that could not be translated, kept with the reason.

One SQLite table (stdlib ``sqlite3``) in the data directory, or in memory. The payload is
stored as a BLOB, byte for byte; the detail as JSON. All SQL is parameterized. The file is in
WAL mode so another process (``translator deadletters``) can read while the service writes;
inside one process a lock serializes access to the one connection.
"""

from __future__ import annotations

import builtins
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import orjson

from translator.errors import StoreError
from translator.values import Envelope, Protocol, Rejected

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stored_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    protocol TEXT NOT NULL,
    channel TEXT NOT NULL,
    content_format TEXT,
    peer TEXT,
    payload BLOB NOT NULL,
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
    mapping_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_stage ON dead_letters (stage);
CREATE INDEX IF NOT EXISTS dead_letters_mapping ON dead_letters (mapping_id);
"""
_COLUMNS: Final = (
    "id, stored_at, received_at, protocol, channel, content_format, peer, payload, "
    "stage, reason, mapping_id, detail"
)
_INSERT: Final = (
    "INSERT INTO dead_letters (stored_at, received_at, protocol, channel, content_format, "
    "peer, payload, stage, reason, mapping_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Filters are fixed SQL with parameters; a NULL parameter switches its filter off.
_WHERE: Final = (
    " WHERE (:mapping IS NULL OR mapping_id = :mapping)"
    " AND (:stage IS NULL OR stage = :stage)"
    " AND (:reason IS NULL OR instr(lower(reason), lower(:reason)) > 0)"
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One stored rejection: the envelope exactly as it arrived, and why it failed."""

    id: int
    stored_at: datetime
    envelope: Envelope
    stage: str
    reason: str
    mapping_id: str | None
    detail: dict[str, Any]

    def as_rejected(self) -> Rejected:
        """The ``Rejected`` value again (e.g. to replay the envelope)."""
        return Rejected(
            self.envelope,
            self.stage,  # type: ignore[arg-type]
            self.reason,
            self.mapping_id,
            self.detail,
        )


class DeadLetterStore:
    """The dead-letter table. Open with ``open``; thread-safe."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | None = None) -> DeadLetterStore:
        """Open (or create) the SQLite file at ``path``; ``None`` keeps it in memory.

        Raises:
            StoreError: the file cannot be opened or is not a dead-letter database.
        """
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                ":memory:" if path is None else path, check_same_thread=False, timeout=10.0
            )
            if path is not None:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the dead-letter store {path}: {err}") from err
        return cls(connection)

    def add(self, rejected: Rejected) -> int:
        """Store one rejection; returns its id.

        Raises:
            StoreError: the database failed.
        """
        row = _row(rejected, _now())
        with self._lock, self._writing():
            cursor = self._db.execute(_INSERT, row)
        return int(cursor.lastrowid or 0)

    def add_many(self, rejected: Iterable[Rejected]) -> int:
        """Store rejections in one transaction; returns how many.

        Raises:
            StoreError: the database failed; none of them is stored.
        """
        stored_at = _now()
        rows = [_row(item, stored_at) for item in rejected]
        with self._lock, self._writing():
            self._db.executemany(_INSERT, rows)
        return len(rows)

    def get(self, letter_id: int) -> DeadLetter | None:
        """One dead letter by id, or ``None``."""
        sql = f"SELECT {_COLUMNS} FROM dead_letters WHERE id = ?"  # noqa: S608 (fixed text)
        with self._lock:
            row = self._read(sql, (letter_id,)).fetchone()
        return None if row is None else _letter(row)

    def list(
        self,
        *,
        mapping: str | None = None,
        stage: str | None = None,
        reason_contains: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[DeadLetter]:
        """Dead letters, newest first, filtered by mapping id, stage and reason text."""
        sql = (
            f"SELECT {_COLUMNS} FROM dead_letters{_WHERE}"  # noqa: S608 (fixed text)
            " ORDER BY id DESC LIMIT :limit OFFSET :offset"
        )
        params = _filters(mapping, stage, reason_contains) | {
            "limit": max(0, limit),
            "offset": max(0, offset),
        }
        with self._lock:
            rows = self._read(sql, params).fetchall()
        return [_letter(row) for row in rows]

    def count(
        self,
        *,
        mapping: str | None = None,
        stage: str | None = None,
        reason_contains: str | None = None,
    ) -> int:
        """How many dead letters match the filters."""
        sql = f"SELECT count(*) FROM dead_letters{_WHERE}"  # noqa: S608 (fixed text)
        with self._lock:
            row = self._read(sql, _filters(mapping, stage, reason_contains)).fetchone()
        return int(row[0])

    def counts_by_stage(self) -> dict[str, int]:
        """Dead letters per pipeline stage."""
        with self._lock:
            rows = self._read("SELECT stage, count(*) FROM dead_letters GROUP BY stage").fetchall()
        return {str(stage): int(n) for stage, n in rows}

    def delete_before(self, moment: datetime) -> int:
        """Delete dead letters stored before ``moment``; returns how many."""
        with self._lock, self._writing():
            cursor = self._db.execute(
                "DELETE FROM dead_letters WHERE stored_at < ?", (_iso(moment),)
            )
        return cursor.rowcount

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> DeadLetterStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction: committed on success, rolled back (and a StoreError) on failure."""
        try:
            with self._db:
                yield
        except sqlite3.Error as err:
            raise StoreError(f"writing dead letters failed: {err}") from err

    def _read(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as err:
            raise StoreError(f"reading dead letters failed: {err}") from err


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")  # fixed width: sortable


def _filters(mapping: str | None, stage: str | None, reason: str | None) -> dict[str, Any]:
    return {"mapping": mapping, "stage": stage, "reason": reason or None}


def _row(rejected: Rejected, stored_at: datetime) -> tuple[Any, ...]:
    envelope = rejected.envelope
    return (
        _iso(stored_at),
        _iso(envelope.received_at),
        envelope.protocol.value,
        envelope.channel,
        envelope.content_format,
        envelope.peer,
        bytes(envelope.payload),
        rejected.stage,
        rejected.reason,
        rejected.mapping_id,
        _json(rejected.detail),
    )


def _json(detail: dict[str, Any]) -> str:
    try:
        return orjson.dumps(detail, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits: keep a readable trace
        return orjson.dumps({"unserializable": repr(detail)}).decode()


def _letter(row: tuple[Any, ...]) -> DeadLetter:
    (letter_id, stored_at, received_at, protocol, channel, content_format, peer, payload) = row[:8]
    stage, reason, mapping_id, detail = row[8:]
    return DeadLetter(
        id=int(letter_id),
        stored_at=datetime.fromisoformat(stored_at),
        envelope=Envelope(
            protocol=Protocol(protocol),
            channel=channel,
            payload=bytes(payload),
            received_at=datetime.fromisoformat(received_at),
            content_format=content_format,
            peer=peer,
        ),
        stage=stage,
        reason=reason,
        mapping_id=mapping_id,
        detail=orjson.loads(detail),
    )
