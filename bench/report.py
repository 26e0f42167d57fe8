"""The benchmark's output: a Markdown table for people (and the README), a JSON object for tools."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from bench.naive import BatchedResult, NaiveResult
from bench.phases import CeilingResult, StoreResult, TranslateResult
from bench.stages import Breakdown
from bench.stream import Stream

TRANSLATE_TARGET: Final = 50_000  # msg/s on one core
NAIVE_FACTOR_TARGET: Final = 100  # translate / naive
STORE_TARGET: Final = 10_000  # msg/s
PACKAGES: Final = ("pyoxigraph", "pyshacl", "rdflib", "orjson", "jsonschema")


@dataclass(frozen=True, slots=True)
class Results:
    """Everything one run measured."""

    stream: Stream
    seed: int
    load_before: float  # 1-minute load average when the run started
    translate: TranslateResult
    store: StoreResult | None
    naive: NaiveResult
    naive_sample: int  # envelopes picked for the naive pipeline
    naive_shape_invalid: int  # … of which the gate rejected at the shape stage
    naive_batched: BatchedResult | None
    full_oracle: NaiveResult | None
    ceiling: CeilingResult
    breakdown: Breakdown | None

    @property
    def label_mismatches(self) -> int:
        """Messages whose outcome is not what the stream's label says it must be."""
        labels = (m.label for m in self.stream.messages)
        return sum(a != b for a, b in zip(labels, self.translate.outcomes, strict=True))

    @property
    def verdict_mismatches(self) -> int:
        """Messages on which the compiled gate and pyshacl disagree."""
        oracle = self.full_oracle
        return self.naive.mismatches + (oracle.mismatches if oracle else 0)

    @property
    def speedup(self) -> float:
        """Translate messages/s over naive messages/s."""
        naive = self.naive.msg_s
        return self.translate.msg_s / naive if naive else 0.0


def load_average() -> float:
    """The 1-minute load average (0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def _versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "?"
    return found


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _header(results: Results) -> list[str]:
    stream = results.stream
    labels = stream.labels()
    invalid = sum(n for label, n in labels.items() if label != "valid")
    broken = ", ".join(f"{n} {label}" for label, n in sorted(labels.items()) if label != "valid")
    versions = ", ".join(f"{k} {v}" for k, v in _versions().items())
    return [
        f"## Translation benchmark: {_n(len(stream.messages))} messages, seed {results.seed}",
        "",
        f"- stream: {stream.devices} simulated devices of {len(stream.kinds())} kinds, "
        f"{stream.seconds / 3600:.1f} h of simulated time; {_n(invalid)} invalid ({broken})",
        f"- Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {results.load_before:.2f} at start; {versions}",
        "",
    ]


def _rows(results: Results) -> list[str]:
    t, naive, ceiling = results.translate, results.naive, results.ceiling
    rows = [
        "| pipeline | messages | msg/s | per message | notes |",
        "| --- | ---: | ---: | --- | --- |",
        f"| translate: decode → match → JSON Schema → readings → RDF → SHACL gate, no I/O "
        f"| {_n(t.messages)} | **{_n(t.msg_s)}** | p50 {t.latency_us(0.5):,.1f} µs, "
        f"p99 {t.latency_us(0.99):,.1f} µs | one thread; best of {t.repeats} loops without "
        f"per-message timers ({_n(t.cpu_msg_s)} per CPU second) |",
    ]
    if results.store is not None:
        rows.append(_store_row(results.store))
    rows.append(
        f"| naive: fresh rdflib Graph + pyshacl.validate per message | {_n(naive.messages)} "
        f"| **{naive.msg_s:,.1f}** | pyshacl alone {naive.shacl_ms:,.1f} ms "
        f"| a sample: the {results.naive_shape_invalid} shape-invalid messages + random "
        f"valid ones |"
    )
    batched = results.naive_batched
    if batched is not None:
        rows.append(
            f"| naive, batched: one graph + one pyshacl.validate per {batched.batch} messages "
            f"| {_n(batched.messages)} | {batched.msg_s:,.1f} | | the same sample |"
        )
    rows += [
        f"| ceiling: orjson.loads + triples as plain tuples | {_n(ceiling.messages)} "
        f"| {_n(ceiling.msg_s)} | {ceiling.triples / ceiling.messages:.1f} tuples "
        f"| the fastest pure Python could go |",
        "",
    ]
    return rows


def _store_row(store: StoreResult) -> str:
    peak = "the phase's own" if store.rss_own_peak else "process"
    return (
        f"| translate + store: on-disk Oxigraph (history, latest state, provenance) + "
        f"dead letters, batches of {_n(store.batch_size)} | {_n(store.messages)} "
        f"| **{_n(store.msg_s)}** | {store.history_per_msg:.1f} history triples + "
        f"{store.state_per_msg:.1f} latest-state updates per accepted message "
        f"| {_n(store.accepted)} stored, {_n(store.rejected)} dead letters; peak RSS "
        f"{store.rss_peak_mb:,.0f} MiB ({peak} peak; {store.rss_start_mb:,.0f} MiB before); "
        f"{store.disk_mb:,.1f} MiB on disk |"
    )


def _verdicts(results: Results) -> list[str]:
    t, store, oracle = results.translate, results.store, results.full_oracle
    scope = f"{_n(results.naive.messages)} sampled messages"
    if oracle is not None:
        scope += f" and all {_n(oracle.messages)} that reach SHACL (--full-oracle)"
    stages = Counter(o for o in t.outcomes if o != "valid")
    rejected = ", ".join(f"{s} {n}" for s, n in sorted(stages.items())) or "none"
    lines = [
        f"- verdicts, compiled gate vs pyshacl: **{results.verdict_mismatches} mismatches** "
        f"on {scope}",
        f"- outcomes: {_n(t.accepted)} translated; rejected at {rejected}; "
        f"{results.label_mismatches} differ from the stream's labels",
        f"- per translated message: {t.readings / max(1, t.accepted):.1f} readings, "
        f"{t.quads / max(1, t.accepted):.1f} quads; translate runs at {results.speedup:,.0f} "
        f"times naive and {100 * t.msg_s / results.ceiling.msg_s:.1f} % of the ceiling",
        "- targets: " + "; ".join(_targets(results)),
    ]
    if store is not None and store.dead_letters != store.rejected:
        lines.append(f"- WARNING: {store.dead_letters} dead letters for {store.rejected} rejected")
    for example in results.naive.examples + (oracle.examples if oracle else []):
        lines.append(f"- MISMATCH {example}")
    return [*lines, ""]


def _targets(results: Results) -> list[str]:
    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    out = [
        f"translate ≥ {_n(TRANSLATE_TARGET)} msg/s "
        + mark(results.translate.msg_s >= TRANSLATE_TARGET),
        f"≥ {NAIVE_FACTOR_TARGET} times naive {mark(results.speedup >= NAIVE_FACTOR_TARGET)}",
    ]
    if results.store is not None:
        ok = results.store.msg_s >= STORE_TARGET
        out.append(f"translate + store ≥ {_n(STORE_TARGET)} msg/s {mark(ok)}")
    return out


def _breakdown(breakdown: Breakdown) -> list[str]:
    lines = [
        f"### Where translate spends its time ({_n(breakdown.messages)} messages, "
        f"{breakdown.translate_us:.1f} µs of CPU per message)",
        "",
        "| stage | µs per message | share | measured |",
        "| --- | ---: | ---: | --- |",
    ]
    for stage in breakdown.stages:
        if math.isnan(stage.us_per_msg):
            lines.append(f"| {stage.name} | n/a | n/a | {stage.how} |")
            continue
        share = 100 * stage.us_per_msg / breakdown.translate_us
        lines.append(f"| {stage.name} | {stage.us_per_msg:.1f} | {share:.0f} % | {stage.how} |")
    return [*lines, ""]


def _by_kind(results: Results) -> dict[str, tuple[int, float]]:
    """Per device kind: messages and median translate latency in µs."""
    latencies: dict[str, list[int]] = defaultdict(list)
    for message, nanos in zip(results.stream.messages, results.translate.latencies_ns, strict=True):
        latencies[message.kind].append(nanos)
    return {kind: (len(v), statistics.median(v) / 1000) for kind, v in sorted(latencies.items())}


def _kinds_table(results: Results) -> list[str]:
    lines = [
        "### Translate latency per device kind",
        "",
        "| device kind | messages | p50 µs |",
        "| --- | ---: | ---: |",
    ]
    for kind, (count, p50) in _by_kind(results).items():
        lines.append(f"| {kind} | {_n(count)} | {p50:.1f} |")
    return [*lines, ""]


def render_table(results: Results) -> str:
    """The human-readable report (Markdown)."""
    lines = _header(results) + _rows(results) + _verdicts(results)
    if results.breakdown is not None:
        lines += _breakdown(results.breakdown) + _kinds_table(results)
    return "\n".join(lines)


def summary(results: Results) -> dict[str, Any]:
    """The machine-readable report: one JSON object."""
    t, naive, oracle = results.translate, results.naive, results.full_oracle
    out: dict[str, Any] = {
        "messages": t.messages,
        "seed": results.seed,
        "devices": results.stream.devices,
        "labels": dict(results.stream.labels()),
        "translate_msg_s": round(t.msg_s, 1),
        "translate_cpu_msg_s": round(t.cpu_msg_s, 1),
        "translate_timed_msg_s": round(t.messages / t.timed_seconds, 1),
        "translate_p50_us": round(t.latency_us(0.5), 2),
        "translate_p99_us": round(t.latency_us(0.99), 2),
        "translate_max_us": round(t.latency_us(1.0), 2),
        "translate_repeats": t.repeats,
        "accepted": t.accepted,
        "rejected_by_stage": dict(Counter(o for o in t.outcomes if o != "valid")),
        "label_mismatches": results.label_mismatches,
        "readings_per_msg": round(t.readings / max(1, t.accepted), 3),
        "quads_per_msg": round(t.quads / max(1, t.accepted), 3),
        "naive_msg_s": round(naive.msg_s, 2),
        "naive_pyshacl_ms": round(naive.shacl_ms, 3),
        "naive_sample": results.naive_sample,
        "naive_checked": naive.messages,
        "naive_shape_invalid": results.naive_shape_invalid,
        "naive_nonconforming": naive.nonconforming,
        "naive_batched_msg_s": None
        if results.naive_batched is None
        else round(results.naive_batched.msg_s, 2),
        "verdict_mismatches": results.verdict_mismatches,
        "full_oracle_checked": None if oracle is None else oracle.messages,
        "speedup_vs_naive": round(results.speedup, 1),
        "ceiling_msg_s": round(results.ceiling.msg_s, 1),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": round(results.load_before, 2),
        "versions": _versions(),
    }
    out.update(_store_summary(results.store))
    if results.breakdown is not None:
        out["stages_us"] = {
            s.name: None if math.isnan(s.us_per_msg) else round(s.us_per_msg, 2)
            for s in results.breakdown.stages
        }
        out["p50_us_by_kind"] = {k: round(v, 1) for k, (_, v) in _by_kind(results).items()}
    return out


def _store_summary(store: StoreResult | None) -> dict[str, Any]:
    if store is None:
        return {"store_msg_s": None, "triples_per_msg": None, "peak_rss_mb": None}
    return {
        "store_msg_s": round(store.msg_s, 1),
        "store_accepted": store.accepted,
        "store_rejected": store.rejected,
        "store_dead_letters": store.dead_letters,
        "store_batch_size": store.batch_size,
        "store_batches": store.batches,
        "triples_per_msg": round(store.history_per_msg, 3),
        "state_updates_per_msg": round(store.state_per_msg, 3),
        "store_things": store.totals["things"],
        "store_disk_mb": round(store.disk_mb, 2),
        "peak_rss_mb": round(store.rss_peak_mb, 1),
        "rss_before_mb": round(store.rss_start_mb, 1),
        "peak_rss_is_phase_own": store.rss_own_peak,
    }
