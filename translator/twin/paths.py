"""Where the twin keeps its data under the data directory, and opening it from settings.

| path | what |
| --- | --- |
| ``DATA_DIR/store/`` | the Oxigraph store (observations, state, things, meta) |
| ``DATA_DIR/dead-letters.sqlite`` | the dead-letter store |

With ``store.in_memory`` both live in memory and vanish at exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from translator.errors import StoreError
from translator.settings import Settings
from translator.twin.deadletter import DeadLetterStore
from translator.twin.store import TwinStore

STORE_DIR = "store"
DEAD_LETTERS_FILE = "dead-letters.sqlite"


def store_path(settings: Settings) -> Path | None:
    """The store's folder, or ``None`` for an in-memory store."""
    return None if settings.store.in_memory else settings.data_dir / STORE_DIR


def dead_letters_path(settings: Settings) -> Path | None:
    """The dead-letter database file, or ``None`` for an in-memory one."""
    return None if settings.store.in_memory else settings.data_dir / DEAD_LETTERS_FILE


@contextmanager
def open_store(settings: Settings, *, read_only: bool = False) -> Iterator[TwinStore]:
    """The store named by the settings, flushed and closed on exit."""
    path = store_path(settings)
    if read_only and (path is None or not path.is_dir()):
        raise StoreError(
            f"no store at {path}: ingest something first (translator ingest) "
            "or point --data-dir at an existing data directory"
        )
    if path is not None and not read_only:
        path.mkdir(parents=True, exist_ok=True)
    store = TwinStore.open(path, read_only=read_only)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_dead_letters(settings: Settings) -> Iterator[DeadLetterStore]:
    """The dead-letter store named by the settings, closed on exit."""
    path = dead_letters_path(settings)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    letters = DeadLetterStore.open(path)
    try:
        yield letters
    finally:
        letters.close()
