"""One phase against the running service: snapshot, publish, wait for the store, snapshot.

A snapshot reads what the service counts anyway (the intake's ``written``, the dead letters,
its Prometheus histograms of translate and store-batch time, the MQTT adapter's drops) plus
the CPU of its threads and of the broker (``bench._ingest_cpu``); a phase's figures are the
differences. The drain waits until the intake has written as many outcomes as the broker
acknowledged publishes, polling the counter (nothing announces it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench._ingest_broker import Broker
from bench._ingest_children import Publishing, publish
from bench._ingest_cpu import GcClock, difference, thread_seconds
from bench._ingest_files import Message
from bench._ingest_measure import PhaseRun
from translator.adapters.mqtt import MqttAdapter
from translator.service import Running

POLL_S: Final = 0.02


@dataclass(frozen=True, slots=True)
class PhasePlan:
    """One phase to run: its name, its rate (None: as fast as possible), its messages."""

    name: str
    rate: float | None
    messages: Sequence[Message]
    warmup: bool = False


@dataclass(frozen=True, slots=True)
class _Snapshot:
    written: int
    dead_letters: int
    cpu: dict[str, float]
    broker_s: float
    translate_s: float
    translated: int
    store_s: float
    batches: int
    dropped: int


def _sample(running: Running, name: str) -> float:
    value = running.metrics.registry.get_sample_value(name)
    return float(value or 0.0)


async def _snapshot(running: Running, target: Broker, clock: GcClock) -> _Snapshot:
    adapter = running.adapters.get("mqtt")
    dropped = adapter.stats().dropped if isinstance(adapter, MqttAdapter) else 0
    return _Snapshot(
        written=running.intake.written,
        dead_letters=await asyncio.to_thread(running.dead_letters.count),
        cpu=thread_seconds() | clock.snapshot(),
        broker_s=target.cpu_seconds(),
        translate_s=_sample(running, "translator_translate_seconds_sum"),
        translated=int(_sample(running, "translator_translate_seconds_count")),
        store_s=_sample(running, "translator_store_batch_seconds_sum"),
        batches=int(_sample(running, "translator_store_batch_seconds_count")),
        dropped=dropped,
    )


async def _drain(running: Running, written: int, within: float) -> bool:
    """Wait until the intake has written ``written`` outcomes; False after ``within`` s."""
    deadline = time.monotonic() + within
    while running.intake.written < written:  # a counter nobody announces: poll it
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(POLL_S)
    return True


async def run_phase(
    running: Running,
    target: Broker,
    clock: GcClock,
    work: Path,
    name: str,
    plan: PhasePlan,
    options: Publishing,
) -> PhaseRun:
    """Publish ``plan`` to the running service and wait (bounded) until it is stored."""
    before = await _snapshot(running, target, clock)
    sent, publisher_cpu = await publish(target, work, name, plan.messages, plan.rate, options)
    drained = await _drain(running, before.written + sent.acknowledged, options.drain_timeout)
    after = await _snapshot(running, target, clock)
    cpu = difference(after.cpu, before.cpu)
    cpu["broker"] = round(after.broker_s - before.broker_s, 3)
    cpu["publisher"] = publisher_cpu
    return PhaseRun(
        name=plan.name,
        target_msg_s=plan.rate,
        warmup=plan.warmup,
        messages=plan.messages,
        sent=sent,
        dead_letters=after.dead_letters - before.dead_letters,
        drained=drained,
        cpu=cpu,
        translate_s=after.translate_s - before.translate_s,
        translated=after.translated - before.translated,
        store_s=after.store_s - before.store_s,
        batches=after.batches - before.batches,
        adapter_dropped=after.dropped - before.dropped,
    )
