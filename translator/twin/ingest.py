"""Ingest: run envelopes through the pipeline and keep every outcome, in batches.

Translated messages are written to the store one batch at a time (the store is fastest
with bulk writes); rejected ones go to the dead-letter store with their reason. Each message is
made ready for the store as soon as it is translated (``TwinStore.prepare``: its history
becomes N-Quads text, which the garbage collector need not walk while it waits), and batches
are written by a background thread (``StoreWriter``) while the next one is translated, as in
the service's intake: at most one batch waits (batches fed while the writer is busy join it, up to
``MERGED_BATCHES`` of them), and a write's error is raised by the next ``feed`` or by
``flush``, which waits until everything fed is stored. Used by ``translator ingest`` and by
``bench.translate``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from translator.pipeline import Pipeline
from translator.twin.deadletter import DeadLetterStore
from translator.twin.prepared import PreparedMessage
from translator.twin.store import TwinStore
from translator.twin.writer import StoreWriter
from translator.values import Envelope, Rejected, Translated

MERGED_BATCHES: Final = 2  # a store that falls behind gets writes of up to 2 batches
# (4 gained a few % more msg/s on the benchmark but ~100 MiB more peak RSS: each
# bulk_load holds ~28 MiB per 1,000 messages while it parses)


@dataclass
class IngestStats:
    """Running totals of one ingest."""

    accepted: int = 0
    rejected: int = 0
    readings: int = 0
    by_stage: Counter[str] = field(default_factory=Counter)
    by_mapping: Counter[str] = field(default_factory=Counter)


class Ingestor:
    """Translate, batch and store. Call ``flush()`` at the end (or use it as a context manager)."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: TwinStore,
        dead_letters: DeadLetterStore,
        *,
        batch_size: int = 1000,
    ) -> None:
        self._pipeline = pipeline
        self._store = store
        self._writer = StoreWriter(
            store, dead_letters, max_batch=MERGED_BATCHES * batch_size, name="ingest-writer"
        )
        self._batch_size = batch_size
        self._accepted: list[PreparedMessage] = []
        self._rejected: list[Rejected] = []
        self.stats = IngestStats()

    def feed(self, envelope: Envelope) -> Translated | Rejected:
        """Translate one envelope and queue its outcome for the next batch write.

        Raises:
            StoreError: an earlier batch could not be written.
        """
        self._writer.check()
        outcome = self._pipeline.translate(envelope)
        if isinstance(outcome, Translated):
            self._accepted.append(self._store.prepare(outcome))
            self.stats.accepted += 1
            self.stats.readings += len(outcome.readings)
            self.stats.by_mapping[outcome.mapping_id] += 1
        else:
            self._rejected.append(outcome)
            self.stats.rejected += 1
            self.stats.by_stage[outcome.stage] += 1
        if len(self._accepted) + len(self._rejected) >= self._batch_size:
            self._submit()
        return outcome

    def flush(self) -> None:
        """Write what is queued and wait until every batch fed so far is stored.

        Raises:
            StoreError: a batch could not be written (what was not queued yet stays queued).
        """
        try:
            self._submit()
        finally:
            self._writer.drain()  # the thread stops, whatever happened

    def _submit(self) -> None:
        self._writer.submit(self._accepted, self._rejected)  # raises: the lists are kept
        self._accepted, self._rejected = [], []

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
