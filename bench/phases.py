"""The timed phases of the benchmark: translate, translate + store, and the Python ceiling.

* ``translate``: ``Pipeline.translate`` on every envelope, no I/O. First one pass with a
  ``perf_counter_ns`` pair around each message (latency percentiles, and each message's
  outcome), then bare loops whose best total time gives the reported messages/s (the
  per-message timer and bookkeeping cost about a microsecond a message).
* ``store``: the same through ``Ingestor`` into a fresh on-disk ``TwinStore`` (history,
  latest state, things) and a ``DeadLetterStore``, in batches written by the ingestor's
  writer thread while the next batch is translated, final flush included.
* ``ceiling``: ``orjson.loads`` (cbor2 for CBOR) plus a few plain tuples per value: the
  fastest any Python pipeline could go over the same bytes.
"""

from __future__ import annotations

import gc
import math
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2
import orjson
from pyoxigraph import Store

from bench.memory import PhasePeak
from translator.pipeline import Pipeline
from translator.twin.deadletter import DeadLetterStore
from translator.twin.ingest import Ingestor
from translator.twin.prepared import PreparedMessage
from translator.twin.store import TwinStore, WriteStats
from translator.values import Envelope, Translated


@dataclass(slots=True)
class TranslateResult:
    """The translate phase: throughput, latency and every message's outcome."""

    messages: int
    seconds: float  # the best bare loop, wall clock
    cpu_seconds: float  # the best bare loop, CPU time of this process
    timed_seconds: float  # the loop with a timer around each message
    latencies_ns: list[int]  # per message, in stream order
    outcomes: list[str]  # per message: "valid" or the stage that rejected it
    readings: int
    quads: int
    repeats: int

    @property
    def msg_s(self) -> float:
        """Messages per second of the best bare loop (wall clock)."""
        return self.messages / self.seconds

    @property
    def cpu_msg_s(self) -> float:
        """Messages per CPU second of the best bare loop."""
        return self.messages / self.cpu_seconds

    @property
    def accepted(self) -> int:
        """Messages that became readings."""
        return self.outcomes.count("valid")

    def latency_us(self, share: float) -> float:
        """The nearest-rank percentile of the per-message latency, in µs."""
        return percentile(sorted(self.latencies_ns), share) / 1000


def percentile(sorted_values: Sequence[int], share: float) -> int:
    """The nearest-rank percentile (``share`` in 0..1) of a non-empty ascending sequence."""
    rank = min(len(sorted_values), max(1, math.ceil(share * len(sorted_values))))
    return sorted_values[rank - 1]


def _timed_pass(
    pipeline: Pipeline, envelopes: Sequence[Envelope]
) -> tuple[float, list[int], list[str], int, int]:
    translate = pipeline.translate
    clock = time.perf_counter_ns
    latencies: list[int] = []
    outcomes: list[str] = []
    readings = quads = 0
    gc.collect()
    started = clock()
    for envelope in envelopes:
        before = clock()
        outcome = translate(envelope)
        latencies.append(clock() - before)
        if isinstance(outcome, Translated):
            outcomes.append("valid")
            readings += len(outcome.readings)
            quads += 0 if outcome.graph is None else len(outcome.graph)
        else:
            outcomes.append(outcome.stage)
    return (clock() - started) / 1e9, latencies, outcomes, readings, quads


def _bare_pass(pipeline: Pipeline, envelopes: Sequence[Envelope]) -> tuple[float, float]:
    translate = pipeline.translate
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    for envelope in envelopes:
        translate(envelope)
    return time.perf_counter() - wall, time.process_time() - cpu


def run_translate(
    pipeline: Pipeline, envelopes: Sequence[Envelope], *, repeats: int = 3
) -> TranslateResult:
    """One pass with a timer per message, then ``repeats`` bare passes (the best one counts).

    The best of several passes is the usual way to see through a busy machine: other load
    only ever makes a pass slower.
    """
    timed, latencies, outcomes, readings, quads = _timed_pass(pipeline, envelopes)
    passes = [_bare_pass(pipeline, envelopes) for _ in range(repeats)]
    return TranslateResult(
        messages=len(envelopes),
        seconds=min(wall for wall, _ in passes),
        cpu_seconds=min(cpu for _, cpu in passes),
        timed_seconds=timed,
        latencies_ns=latencies,
        outcomes=outcomes,
        readings=readings,
        quads=quads,
        repeats=repeats,
    )


class CountingStore(TwinStore):
    """A ``TwinStore`` that adds up the ``WriteStats`` of every write (the ingestor drops them).

    The ingestor's writer thread is the only caller of ``write_prepared``; read the totals
    after ``Ingestor.flush``.
    """

    def __init__(self, store: Store, *, path: Path | None, read_only: bool, workers: int) -> None:
        super().__init__(store, path=path, read_only=read_only, workers=workers)
        self.totals: Counter[str] = Counter()
        self.batches = 0

    def write_prepared(self, batch: Sequence[PreparedMessage]) -> WriteStats:
        """Write, and count what was written (``write`` comes here too)."""
        stats = super().write_prepared(batch)
        self.batches += 1
        self.totals.update(
            history=stats.quads, state=stats.state_updates, things=stats.things,
            readings=stats.readings, stale=stats.stale_readings,
        )  # fmt: skip
        return stats


@dataclass(slots=True)
class StoreResult:
    """The translate + store phase."""

    messages: int
    seconds: float
    accepted: int
    rejected: int
    dead_letters: int
    batch_size: int
    batches: int
    totals: Counter[str]
    rss_start_mb: float
    rss_peak_mb: float
    rss_own_peak: bool
    disk_mb: float
    by_stage: dict[str, int] = field(default_factory=dict)

    @property
    def msg_s(self) -> float:
        """Messages per second, final flush included."""
        return self.messages / self.seconds

    @property
    def history_per_msg(self) -> float:
        """History quads inserted per accepted message."""
        return self.totals["history"] / self.accepted if self.accepted else 0.0

    @property
    def state_per_msg(self) -> float:
        """Latest-state entries created or replaced per accepted message."""
        return self.totals["state"] / self.accepted if self.accepted else 0.0


def run_store(
    pipeline: Pipeline, envelopes: Sequence[Envelope], *, batch_size: int, folder: Path | None
) -> StoreResult:
    """Ingest every envelope into a fresh on-disk store under ``folder`` (a temp dir if None)."""
    with tempfile.TemporaryDirectory(prefix="bench-store-", dir=folder) as tmp:
        root = Path(tmp)
        store = CountingStore.open(root / "store")
        assert isinstance(store, CountingStore)  # ``open`` builds ``cls``
        dead = DeadLetterStore.open(root / "dead-letters.sqlite")
        try:
            store.load_meta(pipeline.mappings.mappings.values())
            ingestor = Ingestor(pipeline, store, dead, batch_size=batch_size)
            gc.collect()
            peak = PhasePeak()
            peak.start()
            started = time.perf_counter()
            for envelope in envelopes:
                ingestor.feed(envelope)
            ingestor.flush()
            store.flush()
            seconds = time.perf_counter() - started
            peak_mb = peak.peak_mb()
            dead_count = dead.count()
        finally:
            store.close()
            dead.close()
        disk = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    stats = ingestor.stats
    return StoreResult(
        messages=len(envelopes),
        seconds=seconds,
        accepted=stats.accepted,
        rejected=stats.rejected,
        dead_letters=dead_count,
        batch_size=batch_size,
        batches=store.batches,
        totals=store.totals,
        rss_start_mb=peak.start_mb,
        rss_peak_mb=peak_mb,
        rss_own_peak=peak.own,
        disk_mb=disk / (1024 * 1024),
        by_stage=dict(stats.by_stage),
    )


@dataclass(frozen=True, slots=True)
class CeilingResult:
    """The Python ceiling: decode plus plain tuples, nothing else."""

    messages: int
    seconds: float
    triples: int

    @property
    def msg_s(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds


def _decode(envelope: Envelope) -> Any:
    payload = envelope.payload
    if (envelope.content_format or "").endswith("cbor"):
        return cbor2.loads(payload)
    if payload[:1] in (b"{", b"["):
        return orjson.loads(payload)
    return payload.decode()


def _tuples(subject: str, doc: Any, out: list[tuple[str, str, Any]]) -> None:
    """Four triples per scalar value of an object (or of each object of an array)."""
    records = doc if isinstance(doc, list) else [doc]
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            record = {"value": record}
        for key, value in record.items():
            if isinstance(value, int | float | str | bool):
                node = f"{subject}-{index}-{key}"
                out.append((node, "rdf:type", "sosa:Observation"))
                out.append((node, "sosa:madeBySensor", subject))
                out.append((node, "sosa:observedProperty", key))
                out.append((node, "sosa:hasSimpleResult", value))


def run_ceiling(envelopes: Sequence[Envelope]) -> CeilingResult:
    """Decode every payload and build its triples as plain tuples."""
    triples = 0
    gc.collect()
    started = time.perf_counter()
    for envelope in envelopes:
        out: list[tuple[str, str, Any]] = []
        try:
            doc = _decode(envelope)
        except (ValueError, cbor2.CBORError):
            continue  # the broken ones: decoding failed, nothing to build
        _tuples(envelope.channel, doc, out)
        triples += len(out)
    seconds = time.perf_counter() - started
    return CeilingResult(len(envelopes), seconds, triples)
