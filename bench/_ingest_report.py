"""The ingest benchmark's output: a Markdown table for people (and the README), JSON for tools."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from bench._ingest_cpu import EXITED, GC, GC_FULL, LOOP, NATIVE, OTHER, PAHO, SERVICE, WORKERS
from bench._ingest_measure import (
    PhaseResult,
    Results,
    cpu_per_message,
    ingest_share,
    phase_at,
)

CEILING_SHARE_TARGET: Final = 0.5  # ingest >= half the raw broker ceiling
P99_TARGET_MS: Final = 50.0  # at 5k msg/s
P99_TARGET_RATE: Final = 5000.0
PACKAGES: Final = ("paho-mqtt", "pyoxigraph", "amqtt")


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
        f"- service: in-process, defaults but store batches of at most {_n(s.batch_size)} "
        f"(written as soon as the writer is idle), stream republish "
        f"{'on' if s.republish else 'off'}",
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


_HEADINGS: Final = {
    LOOP: "event loop",
    PAHO: "paho thread",
    WORKERS: "to_thread (store)",
    NATIVE: "native (RocksDB)",
    OTHER: "other threads",
    EXITED: "ended threads",
    GC: "of which GC",
}


def _cpu_rows(results: Results) -> list[str]:
    if not any(p.cpu for p in results.phases):
        return []
    optional = (OTHER, PAHO)  # shown only when some phase used them
    used = [n for n in SERVICE if n not in optional or any(p.cpu.get(n) for p in results.phases)]
    names = [*used, GC, "broker", "publisher"]
    headings = [_HEADINGS.get(n, n) for n in names]
    rows = [
        "CPU per second of the phase (1.00 = one core busy), and the service's own timers:",
        "",
        "| phase | " + " | ".join(headings) + " | full GCs | service CPU µs/msg "
        "| translate µs/msg | store µs/msg | msgs/batch |",
        "| --- |" + " ---: |" * (len(names) + 5),
    ]
    for p in results.phases:
        wall = p.wall_s or 1.0
        cells = [f"{p.cpu[n] / wall:.2f}" if n in p.cpu else "-" for n in names]
        rows.append(
            f"| {p.name} | " + " | ".join(cells) + f" | {p.cpu.get(GC_FULL, 0):.0f} "
            f"| {_ms(cpu_per_message(p))} | {_ms(p.translate_us)} | {_ms(p.store_us)} "
            f"| {_ms(p.batch_mean)} |"
        )
    return [*rows, ""]


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
    at_target = phase_at(results, P99_TARGET_RATE)
    if at_target is not None and at_target.p99_ms is not None:
        out.append(
            f"p99 < {P99_TARGET_MS:g} ms at {_n(P99_TARGET_RATE)} msg/s: "
            f"{at_target.p99_ms:,.1f} ms " + mark(at_target.p99_ms < P99_TARGET_MS)
        )
    lost = sum(p.lost for p in results.phases)
    out.append(f"nothing lost: {lost} lost " + mark(lost == 0))
    return out


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
    at_target = phase_at(results, P99_TARGET_RATE)
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
            "republish": s.republish,
            "devices": s.devices,
            "load_average": list(s.load),
        },
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "versions": _versions(),
    }
