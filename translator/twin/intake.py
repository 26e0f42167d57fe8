"""The service's intake: adapters submit envelopes, the store gets them in batches.

Translation runs inline on the event loop (tens of microseconds per message, cheaper than a
thread hop); outcomes queue in a bounded buffer that a writer task flushes to the store
every ``batch_size`` messages or ``batch_interval`` seconds, off the loop. When the store
falls behind, the buffer fills and ``submit`` waits: back-pressure reaches the adapters,
whose own overload policies then apply (see docs/adapters-mqtt.md). Nothing is dropped here.
Listeners (``add_listener``: the stream hub, the command tracker) are told of each translated
envelope right after translation, before it waits for room in the buffer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from translator.adapters.base import EnvelopeSink, IngestResult
from translator.metrics import Metrics
from translator.pipeline import Pipeline
from translator.twin.deadletter import DeadLetterStore
from translator.twin.store import TwinStore
from translator.values import Envelope, Rejected, Translated

logger = logging.getLogger(__name__)

Outcome = Translated | Rejected
YIELD_EVERY = 16  # submissions between two yields to the event loop, see ``submit``
Listener = Callable[[Translated], None]
"""Told of each translated envelope right after translation (before the store has it); must
not block or await: the stream hub and the command tracker hand it on in O(1) per reader."""
WrittenListener = Callable[[Sequence[Translated]], None]
"""Told of each batch of translated envelopes right after the store wrote it (``bench.ingest``
measures publish→stored latency with it); runs on the event loop, must not block or await."""


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
        batch_interval: float = 0.1,
        listeners: Sequence[Listener] = (),
    ) -> None:
        self._pipeline = pipeline
        self._store = store
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._batch_size = batch_size
        self._batch_interval = batch_interval
        self._buffer: asyncio.Queue[Outcome] = asyncio.Queue(maxsize=batch_size * 4)
        self._stopping = asyncio.Event()
        self._listeners: list[Listener] = list(listeners)
        self._since_yield = 0
        self._written_listeners: list[WrittenListener] = []
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
        self._metrics.messages_in.labels(adapter).inc()
        started = time.perf_counter()
        outcome = self._pipeline.translate(envelope)
        self._metrics.translate_seconds.observe(time.perf_counter() - started)
        if isinstance(outcome, Translated):
            self._notify(outcome)
        await self._buffer.put(outcome)
        self._since_yield += 1
        if self._since_yield >= YIELD_EVERY:
            # an adapter draining a burst never yields by itself (nothing here waits while
            # the buffer has room): let the stream's writers and the HTTP API run meanwhile
            self._since_yield = 0
            await asyncio.sleep(0)
        self._metrics.queue_depth.labels("store").set(self._buffer.qsize())
        if isinstance(outcome, Rejected):
            self._metrics.rejected.labels(adapter, outcome.stage).inc()
            return IngestResult(False, outcome.reason, outcome.stage)
        self._metrics.messages_out.labels(adapter, outcome.mapping_id).inc()
        self._metrics.readings.labels(outcome.mapping_id).inc(len(outcome.readings))
        return IngestResult(True)

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
        while not (self._stopping.is_set() and self._buffer.empty()):
            batch = await self._next_batch()
            if batch:
                await self._write(batch)

    async def stop(self) -> None:
        """Ask the writer to drain the buffer and finish."""
        self._stopping.set()

    async def _next_batch(self) -> list[Outcome]:
        batch: list[Outcome] = []
        deadline = asyncio.get_running_loop().time() + self._batch_interval
        while len(batch) < self._batch_size:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._buffer.get(), timeout))
            except TimeoutError:
                break
        while len(batch) < self._batch_size and not self._buffer.empty():
            batch.append(self._buffer.get_nowait())
        return batch

    async def _write(self, batch: list[Outcome]) -> None:
        translated = [o for o in batch if isinstance(o, Translated)]
        rejected = [o for o in batch if isinstance(o, Rejected)]
        started = time.perf_counter()
        try:
            if translated:
                await asyncio.to_thread(self._store.write, translated)
            if rejected:
                await asyncio.to_thread(self._dead_letters.add_many, rejected)
        except Exception:
            # A store failure must not kill intake: log it, count it, keep going.
            logger.exception("writing a batch of %d outcomes failed", len(batch))
            self._metrics.dropped.labels("store").inc(len(batch))
            return
        self._metrics.store_batch_seconds.observe(time.perf_counter() - started)
        self._metrics.queue_depth.labels("store").set(self._buffer.qsize())
        self.written += len(batch)
        if translated:
            self._notify_written(translated)

    def _notify_written(self, translated: Sequence[Translated]) -> None:
        for listener in self._written_listeners:
            try:
                listener(translated)
            except Exception:  # a listener's bug must not stop ingest
                logger.exception("intake written-listener %r failed", listener)
