"""The service's intake: adapters submit envelopes, the store gets them in batches.

Translation runs inline on the event loop (tens of microseconds per message, cheaper than a
thread hop); outcomes queue in a bounded buffer that one writer task hands to the store, off
the loop. The writer writes as soon as it is idle: an outcome that arrives while nothing is
being written goes to the store at once (low latency at low load), and whatever accumulates
while a write runs becomes the next batch, up to ``batch_size`` (big batches at high load,
with no timer per message). When the store falls behind, the buffer (``4 * batch_size``)
fills and ``submit`` waits: back-pressure reaches the adapters, whose own overload policies
then apply (see docs/adapters-mqtt.md). Nothing is dropped here.

Listeners (``add_listener``: the stream hub, the command tracker) are told of each translated
envelope right after translation, before it waits for room in the buffer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from prometheus_client import Counter

from translator.adapters.base import EnvelopeSink, IngestResult
from translator.metrics import Metrics
from translator.pipeline import Pipeline
from translator.twin.deadletter import DeadLetterStore
from translator.twin.prepared import PreparedMessage
from translator.twin.store import TwinStore
from translator.values import Envelope, Rejected, Translated

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pending:
    """A translated envelope waiting for the writer (see ``Intake._pending``)."""

    translated: Translated
    prepared: PreparedMessage


Outcome = Pending | Rejected
YIELD_EVERY: Final = 16  # submissions between two yields to the event loop, see ``submit``
BUFFER_BATCHES: Final = 4  # the buffer holds this many batches before ``submit`` waits
ACCEPTED: Final = IngestResult(True)
Listener = Callable[[Translated], None]
"""Told of each translated envelope right after translation (before the store has it); must
not block or await: the stream hub and the command tracker hand it on in O(1) per reader."""
WrittenListener = Callable[[Sequence[Translated]], None]
"""Told of each batch of translated envelopes right after the store wrote it (``bench.ingest``
measures publish→stored latency with it); runs on the event loop, must not block or await."""


class _Counters:
    """The labelled metric children one adapter's submissions touch, looked up once each
    (``labels()`` takes a lock and builds a key: too dear to repeat per message)."""

    def __init__(self, metrics: Metrics, adapter: str, readings: dict[str, Counter]) -> None:
        self._metrics = metrics
        self._adapter = adapter
        self.messages_in = metrics.messages_in.labels(adapter)
        self._out: dict[str, Counter] = {}
        self._rejected: dict[str, Counter] = {}
        self._readings = readings  # labelled by mapping only: shared by every adapter

    def translated(self, outcome: Translated) -> None:
        mapping = outcome.mapping_id
        out = self._out.get(mapping)
        if out is None:
            out = self._out[mapping] = self._metrics.messages_out.labels(self._adapter, mapping)
        out.inc()
        readings = self._readings.get(mapping)
        if readings is None:
            readings = self._readings[mapping] = self._metrics.readings.labels(mapping)
        readings.inc(len(outcome.readings))

    def rejected(self, stage: str) -> None:
        counter = self._rejected.get(stage)
        if counter is None:
            counter = self._rejected[stage] = self._metrics.rejected.labels(self._adapter, stage)
        counter.inc()


class Intake:
    """Translate submitted envelopes and write their outcomes in batches."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: TwinStore,
        dead_letters: DeadLetterStore,
        metrics: Metrics,
        *,
        batch_size: int = 1000,
        listeners: Sequence[Listener] = (),
    ) -> None:
        self._pipeline = pipeline
        self._store = store
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._batch_size = batch_size
        # ``None`` only ever wakes the writer at ``stop`` (see there)
        self._buffer: asyncio.Queue[Outcome | None] = asyncio.Queue(
            maxsize=batch_size * BUFFER_BATCHES
        )
        self._stopping = False
        self._listeners: list[Listener] = list(listeners)
        self._since_yield = 0
        self._written_listeners: list[WrittenListener] = []
        self._counters: dict[str, _Counters] = {}
        self._readings: dict[str, Counter] = {}
        self._depth = metrics.queue_depth.labels("store")
        self.written = 0

    def add_listener(self, listener: Listener) -> None:
        """Tell ``listener`` of every envelope translated from now on."""
        self._listeners.append(listener)

    def add_written_listener(self, listener: WrittenListener) -> None:
        """Tell ``listener`` of every batch of translated envelopes once the store has it."""
        self._written_listeners.append(listener)

    def sink(self, adapter: str) -> EnvelopeSink:
        """The callable an adapter hands its envelopes to (``adapter`` labels the metrics)."""

        async def submit(envelope: Envelope) -> IngestResult:
            return await self.submit(envelope, adapter)

        return submit

    async def submit(self, envelope: Envelope, adapter: str) -> IngestResult:
        """Translate one envelope and queue the outcome for the store."""
        counters = self._counters.get(adapter) or self._counters_of(adapter)
        counters.messages_in.inc()
        started = time.perf_counter()
        outcome = self._pipeline.translate(envelope)
        self._metrics.translate_seconds.observe(time.perf_counter() - started)
        if isinstance(outcome, Translated):
            self._notify(outcome)
            await self._buffer.put(self._pending(outcome))
        else:
            await self._buffer.put(outcome)
        self._since_yield += 1
        if self._since_yield >= YIELD_EVERY:
            # an adapter draining a burst never yields by itself (nothing here waits while
            # the buffer has room): let the stream's writers and the HTTP API run meanwhile
            self._since_yield = 0
            await asyncio.sleep(0)
        if isinstance(outcome, Rejected):
            counters.rejected(outcome.stage)
            return IngestResult(False, outcome.reason, outcome.stage)
        counters.translated(outcome)
        return ACCEPTED

    def _counters_of(self, adapter: str) -> _Counters:
        counters = self._counters[adapter] = _Counters(self._metrics, adapter, self._readings)
        return counters

    def _pending(self, outcome: Translated) -> Pending:
        """``outcome`` as it waits for the writer: its history already N-Quads text.

        A ``MessageGraph`` is ~80 objects the cyclic garbage collector walks at every full
        collection for as long as it waits (up to seconds under load: ~9 s of collections in
        a 31 s benchmark phase at 5,000 msg/s); a string costs it nothing. The written
        listeners get the ``Translated`` without its graph."""
        prepared = self._store.prepare(outcome)
        bare = Translated(outcome.envelope, outcome.mapping_id, outcome.readings, outcome.things)
        return Pending(bare, prepared)

    def _notify(self, outcome: Translated) -> None:
        for listener in self._listeners:
            try:
                listener(outcome)
            except Exception:  # a listener's bug must not stop ingest
                logger.exception("intake listener %r failed", listener)

    async def refuse(self, envelope: Envelope, reason: str) -> None:
        """Record an envelope an adapter refused before translation (a dead letter)."""
        await self._buffer.put(Rejected(envelope, "transport", reason))
        self._metrics.rejected.labels(envelope.protocol.value, "transport").inc()

    async def run(self) -> None:
        """Write batches until ``stop()``; then write what is left and return."""
        while True:
            batch = await self._next_batch()
            if batch is None:
                return
            if batch:
                await self._write(batch)

    async def stop(self) -> None:
        """Ask the writer to drain the buffer and finish."""
        self._stopping = True
        if self._buffer.empty():
            # the writer may be waiting for an outcome that will never come: wake it (an
            # empty buffer has room, so this never waits)
            self._buffer.put_nowait(None)

    async def _next_batch(self) -> list[Outcome] | None:
        """What accumulated since the last write (at least one outcome, at most
        ``batch_size``), waiting for the first; ``None`` once stopped and drained."""
        buffer = self._buffer
        if buffer.empty():
            if self._stopping:
                return None
            self._depth.set(0)
        first = await buffer.get()
        batch: list[Outcome] = [] if first is None else [first]
        for _ in range(min(buffer.qsize(), self._batch_size - len(batch))):
            outcome = buffer.get_nowait()
            if outcome is not None:
                batch.append(outcome)
        self._depth.set(buffer.qsize())
        return batch

    async def _write(self, batch: list[Outcome]) -> None:
        pending = [o for o in batch if isinstance(o, Pending)]
        rejected = [o for o in batch if isinstance(o, Rejected)]
        translated = [p.translated for p in pending]
        started = time.perf_counter()
        try:
            if pending:
                prepared = [p.prepared for p in pending]
                await asyncio.to_thread(self._store.write_prepared, prepared)
            if rejected:
                await asyncio.to_thread(self._dead_letters.add_many, rejected)
        except Exception:
            # A store failure must not kill intake: log it, count it, keep going.
            logger.exception("writing a batch of %d outcomes failed", len(batch))
            self._metrics.dropped.labels("store").inc(len(batch))
            return
        self._metrics.store_batch_seconds.observe(time.perf_counter() - started)
        self.written += len(batch)
        if translated:
            self._notify_written(translated)

    def _notify_written(self, translated: Sequence[Translated]) -> None:
        for listener in self._written_listeners:
            try:
                listener(translated)
            except Exception:  # a listener's bug must not stop ingest
                logger.exception("intake written-listener %r failed", listener)
