"""The ingest benchmark's arithmetic and output: match, measure, tabulate, summarize.

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
import os
import platform
from array import array
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from bench._ingest_cpu import GC, GC_FULL, SERVICE, service_seconds
from bench._ingest_files import Message, Sent

CEILING_SHARE_TARGET: Final = 0.5  # ingest >= half the raw broker ceiling
P99_TARGET_MS: Final = 50.0  # at 5k msg/s
P99_TARGET_RATE: Final = 5000.0
PACKAGES: Final = ("paho-mqtt", "pyoxigraph", "amqtt")

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
    batch_interval_ms: int
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


# --- output --------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _target(phase: PhaseResult) -> str:
    return "max" if phase.target_msg_s is None else _n(phase.target_msg_s)


def _key(phase: PhaseResult) -> str:
    """The phase's key in the JSON: its rate as digits ("5000"), or "max"."""
    return "max" if phase.target_msg_s is None else f"{phase.target_msg_s:g}"


def _versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "?"
    return found


def _header(results: Results) -> list[str]:
    s = results.setup
    versions = ", ".join(f"{k} {v}" for k, v in _versions().items())
    return [
        f"## Ingest benchmark: MQTT publish → translator → on-disk store ({s.broker})",
        "",
        f"- publisher: a separate process, paho, QoS {s.qos}, at most {s.window} unacknowledged; "
        f"{s.devices} simulated devices' payloads (bench.stream); each phase ≤ {s.seconds:g} s "
        f"and ≤ {_n(s.max_count)} messages",
        f"- service: in-process, defaults but store batches of {_n(s.batch_size)} / "
        f"{s.batch_interval_ms} ms, stream republish {'on' if s.republish else 'off'}",
        f"- Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
        f"(1-minute load average {s.load[0]:.1f} at the start, {s.load[1]:.1f} at the end); "
        f"{versions}",
        "",
    ]


def _rows(results: Results) -> list[str]:
    rows = [
        "| phase | target msg/s | published msg/s | stored msg/s | p50 ms | p99 ms | max ms "
        "| acked | stored | dead letters | lost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in results.phases:
        name = f"{p.name} (not counted)" if p.warmup else p.name
        stored = _n(p.stored_msg_s) if p.drained else f"{_n(p.stored_msg_s)} (not drained)"
        rows.append(
            f"| {name} | {_target(p)} | {_n(p.publish_msg_s)} | **{stored}** | {_ms(p.p50_ms)} "
            f"| {_ms(p.p99_ms)} | {_ms(p.max_ms)} | {_n(p.acked)} | {_n(p.stored)} "
            f"| {p.dead_letters} | {p.lost} |"
        )
    c = results.ceiling
    if c is not None:
        rows.append(
            f"| ceiling: do-nothing paho subscriber | max | {_n(c.publish_msg_s)} "
            f"| **{_n(c.msg_s)}** received | - | - | - | {_n(c.acked)} | {_n(c.received)} | - "
            f"| {c.acked - c.received} |"
        )
    return [*rows, ""]


def _cpu_rows(results: Results) -> list[str]:
    names = [*SERVICE, GC, "broker", "publisher"]
    if not any(p.cpu for p in results.phases):
        return []
    rows = [
        "CPU used per second of the phase (1.00 = one core busy), and the service's own timers:",
        "",
        "| phase | "
        + " | ".join(names)
        + f" | {GC_FULL} | service CPU µs/msg | translate µs/msg | store µs/msg | msgs/batch |",
        "| --- |" + " ---: |" * (len(names) + 5),
    ]
    for p in results.phases:
        wall = p.wall_s or 1.0
        cells = [f"{p.cpu[n] / wall:.2f}" if n in p.cpu else "-" for n in names]
        rows.append(
            f"| {p.name} | " + " | ".join(cells) + f" | {p.cpu.get(GC_FULL, 0):.0f} "
            f"| {_ms(cpu_per_message(p))} "
            f"| {_ms(p.translate_us)} "
            f"| {_ms(p.store_us)} | {_ms(p.batch_mean)} |"
        )
    return [*rows, ""]


def cpu_per_message(phase: PhaseResult) -> float | None:
    """The service process's CPU µs per stored message: unlike msg/s, this does not move
    much when other processes compete for the cores."""
    if not phase.stored or not phase.cpu:
        return None
    return 1e6 * service_seconds(phase.cpu) / phase.stored


def _verdicts(results: Results) -> list[str]:
    lines = ["- targets: " + "; ".join(_targets(results))]
    if results.duplicates:
        lines.append(f"- {results.duplicates} stored copies matched no publish (redeliveries)")
    for p in results.phases:
        if p.adapter_dropped:
            lines.append(f"- WARNING {p.name}: the MQTT adapter dropped {p.adapter_dropped}")
        if not p.drained:
            lines.append(f"- WARNING {p.name}: not drained within the drain timeout")
    return [*lines, ""]


def _targets(results: Results) -> list[str]:
    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    out = []
    share = ingest_share(results)
    if share is not None:
        out.append(
            f"ingest ≥ {CEILING_SHARE_TARGET:.0%} of the ceiling: {share:.0%} "
            + mark(share >= CEILING_SHARE_TARGET)
        )
    at_target = _phase_at(results, P99_TARGET_RATE)
    if at_target is not None and at_target.p99_ms is not None:
        out.append(
            f"p99 < {P99_TARGET_MS:g} ms at {_n(P99_TARGET_RATE)} msg/s: "
            f"{at_target.p99_ms:,.1f} ms " + mark(at_target.p99_ms < P99_TARGET_MS)
        )
    lost = sum(p.lost for p in results.phases)
    out.append(f"nothing lost: {lost} lost " + mark(lost == 0))
    return out


def _phase_at(results: Results, rate: float) -> PhaseResult | None:
    return next((p for p in results.measured if p.target_msg_s == rate), None)


def ingest_share(results: Results) -> float | None:
    """The max phase's stored msg/s over the ceiling (None if either is missing)."""
    top, ceiling = results.max_phase, results.ceiling
    if top is None or ceiling is None or not ceiling.msg_s:
        return None
    return top.stored_msg_s / ceiling.msg_s


def render_table(results: Results) -> str:
    """The human-readable report (Markdown)."""
    return "\n".join(_header(results) + _rows(results) + _cpu_rows(results) + _verdicts(results))


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _phase_summary(p: PhaseResult) -> dict[str, Any]:
    return {
        "name": p.name,
        "target_msg_s": p.target_msg_s,
        "warmup": p.warmup,
        "sent": p.sent,
        "acked": p.acked,
        "stored": p.stored,
        "dead_letters": p.dead_letters,
        "lost": p.lost,
        "publish_msg_s": round(p.publish_msg_s, 1),
        "stored_msg_s": round(p.stored_msg_s, 1),
        "p50_ms": _round(p.p50_ms),
        "p99_ms": _round(p.p99_ms),
        "max_ms": _round(p.max_ms),
        "drained": p.drained,
        "wall_s": round(p.wall_s, 3),
        "service_cpu_us_per_msg": _round(cpu_per_message(p), 1),
        "translate_us": _round(p.translate_us),
        "store_us_per_msg": _round(p.store_us),
        "msgs_per_batch": _round(p.batch_mean, 1),
        "adapter_dropped": p.adapter_dropped,
        "cpu_s": dict(p.cpu),
    }


def summary(results: Results) -> dict[str, Any]:
    """The machine-readable report: one JSON object."""
    measured = results.measured
    top, ceiling, s = results.max_phase, results.ceiling, results.setup
    share = ingest_share(results)
    at_target = _phase_at(results, P99_TARGET_RATE)
    return {
        "ingest_msg_s": None if top is None else round(top.stored_msg_s, 1),
        "ceiling_msg_s": None if ceiling is None else round(ceiling.msg_s, 1),
        "ingest_share_of_ceiling": _round(share, 3),
        "p50_ms": {_key(p): _round(p.p50_ms) for p in measured},
        "p99_ms": {_key(p): _round(p.p99_ms) for p in measured},
        "stored_msg_s": {_key(p): round(p.stored_msg_s, 1) for p in measured},
        "publish_msg_s": {_key(p): round(p.publish_msg_s, 1) for p in measured},
        "lost": sum(p.lost for p in results.phases),
        "dead_letters": sum(p.dead_letters for p in results.phases),
        "duplicates": results.duplicates,
        "targets": {
            "half_of_ceiling": None if share is None else share >= CEILING_SHARE_TARGET,
            "p99_under_50ms_at_5k": None
            if at_target is None or at_target.p99_ms is None
            else at_target.p99_ms < P99_TARGET_MS,
        },
        "phases": [_phase_summary(p) for p in results.phases],
        "ceiling": None
        if ceiling is None
        else {
            "sent": ceiling.sent,
            "acked": ceiling.acked,
            "received": ceiling.received,
            "lost": ceiling.acked - ceiling.received,
            "publish_msg_s": round(ceiling.publish_msg_s, 1),
            "msg_s": round(ceiling.msg_s, 1),
            "cpu_s": dict(ceiling.cpu),
        },
        "setup": {
            "broker": s.broker,
            "qos": s.qos,
            "window": s.window,
            "seconds": s.seconds,
            "max_count": s.max_count,
            "batch_size": s.batch_size,
            "batch_interval_ms": s.batch_interval_ms,
            "republish": s.republish,
            "devices": s.devices,
            "load_average": list(s.load),
        },
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "versions": _versions(),
    }
