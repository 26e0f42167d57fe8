"""The ingest benchmark's arithmetic: the raw facts of a run in, figures out.

After the run, every stored envelope is matched to the publish it came from by its
(topic, payload), first in first out: MQTT keeps one publisher's QoS 1 messages in order per
topic to each subscriber, the adapter hands them on in order and the intake writes them in
order, so the k-th stored copy of a (topic, payload) is the k-th one published. Latency is
stored time minus send time, both ``time.monotonic_ns()`` (one clock per machine).
Throughput is counted from the phase's first send to its last arrival, so a service that
falls behind is charged for the time it takes to catch up.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench._ingest_cpu import service_seconds
from bench._ingest_files import Message, Sent

StoredBatch = tuple[int, Sequence[Message]]


@dataclass(frozen=True, slots=True)
class PhaseRun:
    """The raw facts of one publisher run against the service."""

    name: str
    target_msg_s: float | None  # None: as fast as possible
    warmup: bool
    messages: Sequence[Message]
    sent: Sent
    dead_letters: int  # dead letters written during the phase
    drained: bool  # everything acknowledged reached the store (or the dead letters) in time
    cpu: Mapping[str, float]  # CPU seconds by thread group, plus "broker" and "publisher"
    translate_s: float  # the service's own histograms: seconds in Pipeline.translate …
    translated: int  # … over this many envelopes
    store_s: float  # seconds in store batch writes …
    batches: int  # … over this many batches
    adapter_dropped: int  # the MQTT adapter's overload drops during the phase


@dataclass(frozen=True, slots=True)
class CeilingRun:
    """The raw broker ceiling: the same publisher at full speed to a do-nothing subscriber."""

    sent: Sent
    received: int
    last_received_ns: int
    cpu: Mapping[str, float]  # "broker", "publisher", "subscriber"


@dataclass(frozen=True, slots=True)
class Setup:
    """How the run was configured (for the header and the JSON)."""

    broker: str
    qos: int
    window: int
    seconds: float
    max_count: int
    batch_size: int
    republish: bool
    devices: int
    load: tuple[float, float]  # 1-minute load average at the start and at the end


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """One phase, measured."""

    name: str
    target_msg_s: float | None
    warmup: bool
    sent: int
    acked: int
    stored: int
    dead_letters: int
    lost: int
    publish_msg_s: float
    stored_msg_s: float
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    drained: bool
    wall_s: float  # first send to last arrival
    translate_us: float | None
    store_us: float | None  # store write time per stored message
    batch_mean: float | None
    adapter_dropped: int
    cpu: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CeilingResult:
    """The ceiling, measured."""

    sent: int
    acked: int
    received: int
    publish_msg_s: float
    msg_s: float
    cpu: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Results:
    """Everything one run measured."""

    setup: Setup
    phases: tuple[PhaseResult, ...]
    ceiling: CeilingResult | None
    duplicates: int  # stored copies no publish accounts for (redeliveries)

    @property
    def measured(self) -> tuple[PhaseResult, ...]:
        """The phases that count (not the warm-up)."""
        return tuple(p for p in self.phases if not p.warmup)

    @property
    def max_phase(self) -> PhaseResult | None:
        """The as-fast-as-possible phase, if it ran."""
        return next((p for p in self.measured if p.target_msg_s is None), None)


def percentile(ordered: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of sorted values (None when there are none)."""
    if not ordered:
        return None
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def match(runs: Sequence[PhaseRun], batches: Sequence[StoredBatch]) -> tuple[list[array[int]], int]:
    """Each run's stored time per message (0: never stored), and the unmatched stored copies."""
    pending: dict[Message, deque[tuple[int, int]]] = {}
    for run_index, run in enumerate(runs):
        for index, sent_ns in enumerate(run.sent.send_ns):
            if sent_ns:
                pending.setdefault(run.messages[index], deque()).append((run_index, index))
    stored = [array("q", bytes(8 * len(run.messages))) for run in runs]
    unmatched = 0
    for stored_ns, batch in batches:
        for message in batch:
            waiting = pending.get(message)
            if not waiting:
                unmatched += 1
                continue
            run_index, index = waiting.popleft()
            stored[run_index][index] = stored_ns
    return stored, unmatched


def _rate(count: int, first_ns: int, last_ns: int) -> float:
    seconds = (last_ns - first_ns) / 1e9
    return count / seconds if seconds > 0 else 0.0


def measure_phase(run: PhaseRun, stored_ns: array[int]) -> PhaseResult:
    """Turn a run and its matched store times into figures."""
    send_ns = run.sent.send_ns
    acked = run.sent.acked
    sent_times = [ns for ns in send_ns if ns]
    latencies: list[float] = []
    stored_acked = 0
    for index, stored_at in enumerate(stored_ns):
        if stored_at:
            latencies.append((stored_at - send_ns[index]) / 1e6)
            stored_acked += acked[index]
    latencies.sort()
    first = min(sent_times, default=0)
    last_stored = max(stored_ns, default=0)
    stored = len(latencies)
    return PhaseResult(
        name=run.name,
        target_msg_s=run.target_msg_s,
        warmup=run.warmup,
        sent=len(sent_times),
        acked=run.sent.acknowledged,
        stored=stored,
        dead_letters=run.dead_letters,
        lost=run.sent.acknowledged - stored_acked - run.dead_letters,
        publish_msg_s=_rate(len(sent_times), first, max(sent_times, default=0)),
        stored_msg_s=_rate(stored, first, last_stored),
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else None,
        drained=run.drained,
        wall_s=max(0.0, (last_stored - first) / 1e9) if stored else 0.0,
        translate_us=1e6 * run.translate_s / run.translated if run.translated else None,
        store_us=1e6 * run.store_s / stored if stored else None,
        batch_mean=stored / run.batches if run.batches else None,
        adapter_dropped=run.adapter_dropped,
        cpu=dict(run.cpu),
    )


def measure_ceiling(run: CeilingRun) -> CeilingResult:
    """The ceiling's figures: received messages per second from first send to last arrival."""
    times = [ns for ns in run.sent.send_ns if ns]
    first = min(times, default=0)
    return CeilingResult(
        sent=len(times),
        acked=run.sent.acknowledged,
        received=run.received,
        publish_msg_s=_rate(len(times), first, max(times, default=0)),
        msg_s=_rate(run.received, first, run.last_received_ns),
        cpu=dict(run.cpu),
    )


def measure(
    setup: Setup,
    runs: Sequence[PhaseRun],
    batches: Sequence[StoredBatch],
    ceiling: CeilingRun | None,
) -> Results:
    """Match the store log to the publishes and measure every phase."""
    stored, unmatched = match(runs, batches)
    phases = tuple(measure_phase(run, times) for run, times in zip(runs, stored, strict=True))
    return Results(setup, phases, measure_ceiling(ceiling) if ceiling else None, unmatched)


def cpu_per_message(phase: PhaseResult) -> float | None:
    """The service process's CPU µs per stored message: unlike msg/s, this does not move
    much when other processes compete for the cores."""
    if not phase.stored or not phase.cpu:
        return None
    return 1e6 * service_seconds(phase.cpu) / phase.stored


def phase_at(results: Results, rate: float) -> PhaseResult | None:
    """The measured phase published at ``rate`` msg/s, if any."""
    return next((p for p in results.measured if p.target_msg_s == rate), None)


def ingest_share(results: Results) -> float | None:
    """The max phase's stored msg/s over the ceiling (None if either is missing)."""
    top, ceiling = results.max_phase, results.ceiling
    if top is None or ceiling is None or not ceiling.msg_s:
        return None
    return top.stored_msg_s / ceiling.msg_s
