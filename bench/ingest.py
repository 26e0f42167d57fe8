"""End-to-end ingest benchmark: ``python -m bench.ingest [--json]``.

MQTT publish (a separate process) → broker → the translator service → its on-disk store,
on loopback, measured against the raw broker ceiling in the same run:

1. a realistic mix of vendor payloads is generated before anything is timed
   (``bench.stream``: every MQTT device family of ``translator.devices``, seeded, only the
   topics the shipped mappings subscribe to, nothing invalid);
2. **ceiling**: a publisher process (``bench._ingest_publisher``: paho, QoS 1, as fast as
   the broker acknowledges) against a subscriber process that does nothing but count
   (``bench._ingest_subscriber``, subscribed to the service's topic filters);
3. the service starts in this process (``bench._ingest_service``: ``Service`` as
   ``translator serve`` runs it, on-disk store in a temporary folder, HTTP on a free port,
   its MQTT adapter on the same broker), a warm-up phase runs, then one phase per rate of
   ``--rates`` (default 1000, 5000 and ``max``); each phase (``bench._ingest_phases``)
   publishes from a fresh publisher process for at most ``--seconds`` and ``--max-count``
   messages, then waits (at most ``--drain-timeout``) until everything acknowledged is in
   the store;
4. every stored envelope is matched to its publish (``bench._ingest_measure``) for
   publish→stored latency p50/p99, stored msg/s (first send to last arrival) and
   ``lost`` = acknowledged by the broker - stored - dead-lettered.

The broker (``bench._ingest_broker``) is a mosquitto of its own (``/usr/sbin/mosquitto``,
temporary config, 127.0.0.1, free port; the run stops with a message naming mosquitto when
it is missing) or, with ``--broker embedded``, the translator's embedded amqtt broker in
this process. Besides the table, a second one shows where the service process's CPU went per
phase (event loop, paho's thread, store writer threads, RocksDB's threads, garbage
collection; ``bench._ingest_cpu``). With ``--json`` the last line is one JSON object
(``ingest_msg_s``, ``ceiling_msg_s``, ``p50_ms``/``p99_ms`` per rate, ``lost``, …;
``bench._ingest_report``). Child processes end with the run: on errors, Ctrl-C and SIGTERM.
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
from collections.abc import Sequence
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
from bench._ingest_children import Interrupted, Publishing, ceiling
from bench._ingest_cpu import GcClock
from bench._ingest_files import Message
from bench._ingest_measure import Results, Setup, measure
from bench._ingest_phases import PhasePlan, run_phase
from bench._ingest_report import render_table, summary
from bench._ingest_service import StoredLog, running_service, service_settings
from bench.stream import FLEET, build_stream
from translator.pipeline import build_pipeline
from translator.settings import Settings, load_settings

MAX_RATE: Final = "max"


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
    add(
        "--batch-size",
        type=_bounded(int, 1, 100_000),
        default=None,
        help="most messages per store write (default: the service's)",
    )
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
        republish=settings.stream.republish,
        devices=args.devices_per_kind * len(FLEET),
        load=(load, _load()),
    )


def _publishing(args: argparse.Namespace) -> Publishing:
    return Publishing(args.seconds, args.window, args.qos, args.drain_timeout)


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
    options = _publishing(args)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        work = Path(folder)
        async with broker(kind, work / "broker", max_queued=2 * total + 1000) as target:
            top = None
            if not args.no_ceiling:
                say(f"ceiling ({target.version}) …")
                fastest = max(plans, key=lambda p: (p.rate is None, len(p.messages)))
                top = await ceiling(target, work, fastest.messages, filters, options)
            settings = service_settings(
                work / "data",
                target,
                batch_size=args.batch_size,
                republish=not args.no_republish,
            )
            log = StoredLog()
            runs = []
            async with running_service(settings) as running:
                running.intake.add_written_listener(log)
                with GcClock() as clock:
                    for index, plan in enumerate(plans):
                        say(f"{plan.name}: {len(plan.messages):,} messages …")
                        runs.append(
                            await run_phase(
                                running, target, clock, work, f"phase-{index}", plan, options
                            )
                        )
    gc.disable()  # matching allocates a lot and frees nothing: no cycles to look for
    try:
        return measure(_setup(args, settings, target, load), runs, log.batches, top)
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
