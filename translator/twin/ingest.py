"""Ingest: run envelopes through the pipeline and keep every outcome, in batches.

Translated messages are written to the store one batch at a time (the store is fastest
with bulk writes); rejected ones go to the dead-letter store with their reason. Used by
``translator ingest`` and by the service's runtime.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from translator.pipeline import Pipeline
from translator.twin.deadletter import DeadLetterStore
from translator.twin.store import TwinStore
from translator.values import Envelope, Rejected, Translated


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
        self._dead_letters = dead_letters
        self._batch_size = batch_size
        self._accepted: list[Translated] = []
        self._rejected: list[Rejected] = []
        self.stats = IngestStats()

    def feed(self, envelope: Envelope) -> Translated | Rejected:
        """Translate one envelope and queue its outcome for the next batch write."""
        outcome = self._pipeline.translate(envelope)
        if isinstance(outcome, Translated):
            self._accepted.append(outcome)
            self.stats.accepted += 1
            self.stats.readings += len(outcome.readings)
            self.stats.by_mapping[outcome.mapping_id] += 1
        else:
            self._rejected.append(outcome)
            self.stats.rejected += 1
            self.stats.by_stage[outcome.stage] += 1
        if len(self._accepted) + len(self._rejected) >= self._batch_size:
            self.flush()
        return outcome

    def flush(self) -> None:
        """Write what is queued: translated messages to the store, rejections as dead letters."""
        if self._accepted:
            self._store.write(self._accepted)
            self._accepted = []
        if self._rejected:
            self._dead_letters.add_many(self._rejected)
            self._rejected = []

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
