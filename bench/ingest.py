"""End-to-end ingest benchmark: ``python -m bench.ingest [--json]``.

MQTT publish (a separate process) → broker → the translator service → its on-disk store,
on loopback, measured against the raw broker ceiling in the same run:

1. a realistic mix of vendor payloads is generated before anything is timed
   (``bench.stream``: every MQTT device family of ``translator.devices``, seeded, only the
   topics the shipped mappings subscribe to, nothing invalid);
2. **ceiling**: a publisher process (``bench._ingest_publisher``: paho, QoS 1, as fast as
   the broker acknowledges) against a subscriber process that does nothing but count
   (``bench._ingest_subscriber``, subscribed to the service's topic filters);
3. the service starts in this process (``translator.service.Service``, as
   ``translator serve`` runs it: on-disk store in a temporary folder, HTTP on a free port,
   its MQTT adapter on the same broker), a warm-up phase runs, then one phase per rate of
   ``--rates`` (default 1000, 5000 and ``max``); each phase publishes from a fresh
   publisher process for at most ``--seconds`` and ``--max-count`` messages, then waits
   (at most ``--drain-timeout``) until everything acknowledged is in the store;
4. every stored envelope is matched to its publish (``bench._ingest_report``) for
   publish→stored latency p50/p99, stored msg/s (first send to last arrival) and
   ``lost`` = acknowledged by the broker - stored - dead-lettered.

The broker is a mosquitto of its own (``/usr/sbin/mosquitto``, temporary config, 127.0.0.1,
free port; exits with a message naming mosquitto when it is missing) or, with
``--broker embedded``, the translator's embedded amqtt broker in this process. Besides the
table, a second one shows where the service process's CPU went per phase (event loop, paho's
thread, store writer threads, native threads; ``bench._ingest_cpu``). With ``--json`` the
last line is one JSON object (``ingest_msg_s``, ``ceiling_msg_s``, ``p50_ms``/``p99_ms`` per
rate, ``lost``, …). Child processes are ended on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench._ingest_broker import (
    MOSQUITTO_HINT,
    Broker,
    BrokerKind,
    BrokerMissing,
    broker,
    mosquitto_binary,
)
from bench._ingest_cpu import GcClock, difference, process_seconds, thread_seconds
from bench._ingest_files import Message, Sent, write_messages
from bench._ingest_publisher import ACK_TIMEOUT_S
from bench._ingest_report import (
    CeilingRun,
    PhaseRun,
    Results,
    Setup,
    measure,
    render_table,
    summary,
)
from bench._ingest_service import StoredLog, running_service, service_settings
from bench._ingest_subscriber import SUBSCRIBED
from bench.stream import FLEET, build_stream
from translator.adapters.mqtt import MqttAdapter
from translator.pipeline import build_pipeline
from translator.service import Running
from translator.settings import Settings, load_settings

REPO: Final = Path(__file__).resolve().parents[1]
MAX_RATE: Final = "max"
CHILD_SLACK_S: Final = 30.0  # beyond its own bounds, how long a child process may take
POLL_S: Final = 0.02
INTERRUPTED: Final = (130, -signal.SIGINT, 143, -signal.SIGTERM)  # how a child ends on a signal


@dataclass(frozen=True, slots=True)
class PhasePlan:
    """One phase to run: its name, its rate (None: as fast as possible), its messages."""

    name: str
    rate: float | None
    messages: Sequence[Message]
    warmup: bool = False


# --- arguments --------------------------------------------------------------------------


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Any:
    """An argparse type: a number of ``kind`` in [low, high]."""

    def parse(text: str) -> int | float:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not in [{low:,}, {high:,}]")
        return value

    return parse


def _rates(text: str) -> list[float | None]:
    rates: list[float | None] = []
    for part in text.split(","):
        part = part.strip()
        if part == MAX_RATE:
            rates.append(None)
            continue
        value = float(part)
        if not 0 < value <= 1_000_000:
            raise argparse.ArgumentTypeError(f"rate {part} is not in (0, 1000000] or 'max'")
        rates.append(value)
    if not rates:
        raise argparse.ArgumentTypeError("give at least one rate")
    return rates


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description="Measure MQTT publish → translator → store, against the broker ceiling.",
        epilog="example: .venv/bin/python -m bench.ingest --seconds 10 --json",
    )
    add = parser.add_argument
    add(
        "--broker",
        choices=("mosquitto", "embedded"),
        default="mosquitto",
        help="a mosquitto of its own (default), or the embedded amqtt broker in this process",
    )
    add("--rates", type=_rates, default=_rates("1000,5000,max"), help="msg/s list, or 'max'")
    add(
        "--seconds",
        type=_bounded(float, 0.1, 3600),
        default=10.0,
        help="longest a phase publishes, in seconds",
    )
    add(
        "--max-count",
        type=_bounded(int, 1, 10_000_000),
        default=50_000,
        help="most messages a phase publishes",
    )
    add(
        "--warmup",
        type=_bounded(int, 0, 1_000_000),
        default=1000,
        help="messages published first at 1000 msg/s, not counted",
    )
    add(
        "--window",
        type=_bounded(int, 1, 65_535),
        default=100,
        help="QoS 1 publishes waiting for their PUBACK at most",
    )
    add("--qos", type=int, choices=(0, 1), default=1, help="QoS of the publishes")
    add("--batch-size", type=int, default=None, help="store batch size (default: service's)")
    add("--batch-interval-ms", type=int, default=None, help="store batch wait (service's)")
    add("--no-republish", action="store_true", help="turn the stream's MQTT republish off")
    add("--no-ceiling", action="store_true", help="skip the raw broker ceiling")
    add(
        "--devices-per-kind",
        type=_bounded(int, 1, 1000),
        default=20,
        help="simulated devices of each kind",
    )
    add("--seed", type=int, default=7, help="seed of the message stream")
    add(
        "--drain-timeout",
        type=_bounded(float, 1, 3600),
        default=120.0,
        help="longest wait, in seconds, for the store to catch up after a phase",
    )
    add("--json", action="store_true", help="end with one JSON line")
    add("--quiet", action="store_true", help="no progress on stderr")
    return parser


# --- messages ---------------------------------------------------------------------------


def _messages(count: int, topic_filters: Sequence[str], per_kind: int, seed: int) -> list[Message]:
    """``count`` MQTT messages of the benchmark fleet, in arrival order."""
    wanted = max(count, 1)
    size = wanted * 2
    while True:
        stream = build_stream(
            size,
            seed=seed,
            topic_filters=topic_filters,
            devices_per_kind=per_kind,
            invalid_rate=0.0,
        )
        mqtt = [
            (m.envelope.channel, m.envelope.payload)
            for m in stream.messages
            if m.envelope.protocol.value == "mqtt"
        ]
        if len(mqtt) >= wanted:
            return mqtt[:count]
        size *= 2


def _plan(args: argparse.Namespace, topic_filters: Sequence[str]) -> list[PhasePlan]:
    counts = [
        args.max_count if rate is None else min(args.max_count, round(rate * args.seconds))
        for rate in args.rates
    ]
    pool = _messages(args.warmup + sum(counts), topic_filters, args.devices_per_kind, args.seed)
    plans = []
    if args.warmup:
        plans.append(PhasePlan("warm-up", 1000.0, pool[: args.warmup], warmup=True))
    start = args.warmup
    for rate, count in zip(args.rates, counts, strict=True):
        name = MAX_RATE if rate is None else f"{rate:g} msg/s"
        plans.append(PhasePlan(name, rate, pool[start : start + count]))
        start += count
    return plans


# --- child processes --------------------------------------------------------------------


async def _reap(process: asyncio.subprocess.Process) -> None:
    """End ``process`` if it still runs (a failure, a timeout or Ctrl-C got us here)."""
    if process.returncode is None:
        process.kill()
        await process.wait()


class Interrupted(Exception):
    """A child process was interrupted (Ctrl-C reaches the whole process group) or the
    benchmark was asked to stop (SIGTERM)."""


def _last_json(out: bytes, err: bytes, what: str, returncode: int | None) -> dict[str, Any]:
    lines = out.decode(errors="replace").strip().splitlines()
    if returncode in INTERRUPTED:
        raise Interrupted(f"{what} was interrupted")
    if returncode != 0 or not lines:
        raise RuntimeError(f"{what} failed ({returncode}): {err.decode(errors='replace')}")
    loaded: dict[str, Any] = json.loads(lines[-1])
    return loaded


async def _publish(
    target: Broker, work: Path, name: str, plan: PhasePlan, args: argparse.Namespace
) -> tuple[Sent, float]:
    """Run one publisher process over ``plan``; its sent file and its CPU seconds."""
    messages_file, sent_file = work / f"{name}.messages", work / f"{name}.sent"
    write_messages(messages_file, plan.messages)
    command = [
        sys.executable, "-m", "bench._ingest_publisher",
        "--host", target.host, "--port", str(target.port),
        "--messages", str(messages_file), "--out", str(sent_file),
        "--rate", str(plan.rate or 0), "--seconds", str(args.seconds),
        "--window", str(args.window), "--qos", str(args.qos),
        "--client-id", f"bench-ingest-pub-{uuid.uuid4().hex[:8]}",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        limit = args.seconds + ACK_TIMEOUT_S + CHILD_SLACK_S
        out, err = await asyncio.wait_for(process.communicate(), limit)
    finally:
        await _reap(process)
    result = _last_json(out, err, "the publisher", process.returncode)
    return Sent.read(sent_file), float(result["cpu_s"])


async def _subscriber(
    target: Broker, filters: Sequence[str], expect: int
) -> asyncio.subprocess.Process:
    command = [
        sys.executable, "-m", "bench._ingest_subscriber",
        "--host", target.host, "--port", str(target.port),
        "--expect", str(expect), "--protocol", target.protocol,
        *[arg for f in filters for arg in ("--filter", f)],
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), CHILD_SLACK_S)
    if line.decode().strip() != SUBSCRIBED:
        await _reap(process)
        raise RuntimeError(f"the ceiling subscriber did not subscribe: {line!r}")
    return process


async def _ceiling(
    target: Broker, work: Path, plan: PhasePlan, filters: Sequence[str], args: argparse.Namespace
) -> CeilingRun:
    """The same publisher, as fast as it goes, to a subscriber that only counts."""
    process = await _subscriber(target, filters, len(plan.messages))
    try:
        broker_before = _broker_seconds(target)
        sent, publisher_cpu = await _publish(target, work, "ceiling", plan, args)
        out, err = await asyncio.wait_for(process.communicate(), args.drain_timeout)
    finally:
        await _reap(process)
    result = _last_json(out, err, "the ceiling subscriber", process.returncode)
    cpu = {
        "broker": _broker_seconds(target) - broker_before,
        "publisher": publisher_cpu,
        "subscriber": float(result["cpu_s"]),
    }
    return CeilingRun(sent, int(result["received"]), int(result["last_ns"]), cpu)


# --- phases against the service ---------------------------------------------------------


def _broker_seconds(target: Broker) -> float:
    if target.pid is None:
        return 0.0  # in this process: counted in the service's threads
    return process_seconds(target.pid) or 0.0


def _sample(running: Running, name: str) -> float:
    value = running.metrics.registry.get_sample_value(name)
    return float(value or 0.0)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    written: int
    dead_letters: int
    threads: dict[str, float]
    broker_s: float
    translate_s: float
    translated: int
    store_s: float
    batches: int
    dropped: int


async def _snapshot(running: Running, target: Broker, clock: GcClock) -> _Snapshot:
    adapter = running.adapters.get("mqtt")
    dropped = adapter.stats().dropped if isinstance(adapter, MqttAdapter) else 0
    return _Snapshot(
        written=running.intake.written,
        dead_letters=await asyncio.to_thread(running.dead_letters.count),
        threads=thread_seconds() | clock.snapshot(),
        broker_s=_broker_seconds(target),
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


async def _phase(
    running: Running,
    target: Broker,
    clock: GcClock,
    work: Path,
    index: int,
    plan: PhasePlan,
    args: Any,
) -> PhaseRun:
    before = await _snapshot(running, target, clock)
    sent, publisher_cpu = await _publish(target, work, f"phase-{index}", plan, args)
    drained = await _drain(running, before.written + sent.acknowledged, args.drain_timeout)
    after = await _snapshot(running, target, clock)
    cpu = difference(after.threads, before.threads)
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


# --- the run ----------------------------------------------------------------------------


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def _setup(args: argparse.Namespace, settings: Settings, target: Broker, load: float) -> Setup:
    return Setup(
        broker=target.version,
        qos=args.qos,
        window=args.window,
        seconds=args.seconds,
        max_count=args.max_count,
        batch_size=settings.store.batch_size,
        batch_interval_ms=settings.store.batch_interval_ms,
        republish=settings.stream.republish,
        devices=args.devices_per_kind * len(FLEET),
        load=(load, _load()),
    )


async def run(args: argparse.Namespace) -> Results:
    """Generate the messages, measure the ceiling, then every phase against the service."""

    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    if args.broker == "mosquitto" and mosquitto_binary() is None:
        raise BrokerMissing(MOSQUITTO_HINT)  # before a minute goes into generating messages
    _stop_on_sigterm()
    load = _load()
    filters = build_pipeline(load_settings(store={"in_memory": True})).mappings.topic_filters()
    say("generating messages …")
    plans = _plan(args, filters)
    gc.collect()
    gc.freeze()  # the messages are not the service's garbage to scan
    total = sum(len(p.messages) for p in plans)
    kind: BrokerKind = args.broker
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        work = Path(folder)
        async with broker(kind, work / "broker", max_queued=2 * total + 1000) as target:
            ceiling = None
            if not args.no_ceiling:
                say(f"ceiling ({target.version}) …")
                fastest = max(plans, key=lambda p: (p.rate is None, len(p.messages)))
                ceiling = await _ceiling(target, work, fastest, filters, args)
            settings = service_settings(
                work / "data",
                target,
                batch_size=args.batch_size,
                batch_interval_ms=args.batch_interval_ms,
                republish=not args.no_republish,
            )
            log = StoredLog()
            runs = []
            async with running_service(settings) as running:
                running.intake.add_written_listener(log)
                with GcClock() as clock:
                    for index, plan in enumerate(plans):
                        say(f"{plan.name}: {len(plan.messages):,} messages …")
                        phase = await _phase(running, target, clock, work, index, plan, args)
                        runs.append(phase)
    gc.disable()  # matching allocates a lot and frees nothing: no cycles to look for
    try:
        return measure(_setup(args, settings, target, load), runs, log.batches, ceiling)
    finally:
        gc.enable()


def _stop_on_sigterm() -> None:
    """SIGTERM cancels the run like Ctrl-C does, so child processes end with it."""
    task = asyncio.current_task()
    if task is not None and threading.current_thread() is threading.main_thread():
        with contextlib.suppress(NotImplementedError):  # no signal handlers on this loop
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table (and the JSON line); 2 without a broker."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        results = asyncio.run(run(args))
    except BrokerMissing as err:
        print(f"bench.ingest: {err}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted, asyncio.CancelledError):
        print("bench.ingest: interrupted; child processes ended", file=sys.stderr)
        return 130
    print(render_table(results))
    if args.json:
        print(json.dumps(summary(results)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
