"""Serving benchmark, stream section: fan-out to many WebSocket clients at a steady ingest rate.

The service runs in a child process (HTTP only, store on disk in a temporary folder, the
embedded broker off); readings enter through its intake, so the figures are the stream's,
not a broker's. This process runs the ``--stream-clients`` WebSocket clients (the
``websockets`` library, one event loop), each subscribed to everything with
``"batch": --stream-batch``. Then the child injects Zigbee2MQTT plug envelopes (two readings
each: on/off and power, timed by arrival) at ``--stream-rate`` readings/s for
``--stream-seconds``, and the clients record, per message, receive time minus the message's
``time`` (the moment the envelope was built): reading → client latency, one clock.

Figures: delivered messages/s (all clients), latency p50/p90/p99/max, messages dropped for
slow clients (should be 0), the child's CPU use. Target: p99 < 50 ms with 100 clients at
2,000 readings/s. Both processes share the machine: the clients' parsing competes with the
service for the cores, so on a small machine the figures are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

import orjson
import websockets

from translator.service import Running, Service
from translator.settings import load_settings
from translator.values import Envelope, Protocol

P99_TARGET_MS: Final = 50.0
DEVICES: Final = 50
READINGS_PER_ENVELOPE: Final = 2
TICK_S: Final = 0.005
START_TIMEOUT_S: Final = 60.0
DRAIN_S: Final = 5.0


def add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    """The stream section's options."""
    group = parser.add_argument_group("stream")
    group.add_argument("--stream-clients", type=int, default=100)
    group.add_argument("--stream-rate", type=int, default=2000, help="readings per second")
    group.add_argument("--stream-seconds", type=float, default=10.0)
    group.add_argument("--stream-batch", type=int, default=100, help="most readings per frame")
    group.add_argument("--stream-store", choices=("disk", "memory"), default="disk")


def stream_section(args: argparse.Namespace) -> dict[str, Any]:
    """Run the fan-out benchmark; return its figures."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as folder:
        child = context.Process(
            target=_child,
            args=(theirs, folder, args.stream_store, args.stream_rate, args.stream_seconds),
            name="bench-stream-service",
        )
        child.start()
        try:
            figures = asyncio.run(_clients(ours, args))
        finally:
            child.join(START_TIMEOUT_S)
            if child.is_alive():
                child.kill()
    return figures


# --- the service's side (child process) ---------------------------------------------------


def _child(conn: Connection, folder: str, store: str, rate: int, seconds: float) -> None:
    asyncio.run(_serve(conn, Path(folder), store, rate, seconds))


async def _serve(conn: Connection, folder: Path, store: str, rate: int, seconds: float) -> None:
    settings = load_settings(
        data_dir=folder,
        adapters=("http",),
        http={"port": 0},
        stream={"queue_size": 10_000},
        store={"in_memory": store == "memory"},
    )
    stop = asyncio.Event()
    ready: asyncio.Queue[Running] = asyncio.Queue(maxsize=1)
    service = asyncio.create_task(Service(settings).run(stop, ready.put_nowait))
    running = await asyncio.wait_for(ready.get(), START_TIMEOUT_S)
    conn.send(running.http_url)
    await asyncio.to_thread(conn.recv)  # the clients are subscribed
    conn.send(await _inject(running, rate, seconds))
    await asyncio.to_thread(conn.recv)  # the clients are done
    stop.set()
    await service


async def _inject(running: Running, rate: int, seconds: float) -> dict[str, Any]:
    per_second = rate / READINGS_PER_ENVELOPE
    loop = asyncio.get_running_loop()
    cpu, start = time.process_time(), loop.time()
    total, sent = int(seconds * per_second), 0
    while sent < total:  # all of them, on schedule when the machine keeps up
        due = min(int((loop.time() - start) * per_second) + 1, total)
        while sent < due:
            await running.intake.submit(_envelope(sent), "bench")
            sent += 1
        await asyncio.sleep(TICK_S)
    took = loop.time() - start
    cpu_during = time.process_time() - cpu
    await asyncio.sleep(DRAIN_S / 2)
    metrics = running.metrics
    return {
        "envelopes": sent,
        "readings": sent * READINGS_PER_ENVELOPE,
        "seconds": took,
        "published": running.hub.published if running.hub else 0,
        "sent": metrics.stream_sent.labels("websocket")._value.get(),
        "dropped": metrics.stream_dropped.labels("websocket")._value.get(),
        "cpu_percent": 100 * cpu_during / took,
    }


def _envelope(n: int) -> Envelope:
    payload = orjson.dumps({"state": "ON" if n % 2 else "OFF", "power": float(n % 3000)})
    channel = f"zigbee2mqtt/bench_plug_{n % DEVICES}"
    return Envelope(Protocol.MQTT, channel, payload, datetime.now(UTC), "application/json")


# --- the clients' side (this process) -----------------------------------------------------


class _Client:
    """One subscriber; keeps the latency of every message it receives (ms)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.dropped = 0

    async def run(self, url: str, batch: int, subscribed: asyncio.Event) -> None:
        """Subscribe, then take frames until cancelled."""
        async with websockets.connect(url, max_size=None, max_queue=None) as ws:
            await ws.send(orjson.dumps({"type": "subscribe", "batch": batch}).decode())
            await ws.recv()  # the (empty) snapshot
            subscribed.set()
            async for frame in ws:
                self._take(orjson.loads(frame), time.time())

    def _take(self, frame: dict[str, Any], now: float) -> None:
        kind = frame["type"]
        if kind == "dropped":
            self.dropped += frame["count"]
            return
        messages = frame["readings"] if kind == "readings" else [frame["reading"]]
        for message in messages:
            sent = datetime.fromisoformat(message["time"]).timestamp()
            self.latencies.append((now - sent) * 1000)


async def _clients(conn: Connection, args: argparse.Namespace) -> dict[str, Any]:
    http_url = await asyncio.to_thread(_recv, conn, START_TIMEOUT_S)
    url = http_url.replace("http://", "ws://", 1) + "/stream"
    clients = [_Client() for _ in range(args.stream_clients)]
    subscribed = [asyncio.Event() for _ in clients]
    tasks = [
        asyncio.create_task(client.run(url, args.stream_batch, ready))
        for client, ready in zip(clients, subscribed, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in subscribed)), 60)
    conn.send("go")
    cpu, wall = time.process_time(), time.monotonic()
    service = await asyncio.to_thread(_recv, conn, args.stream_seconds + START_TIMEOUT_S)
    service["clients_cpu_percent"] = 100 * (time.process_time() - cpu) / (time.monotonic() - wall)
    expected = service["readings"]
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline and _lagging(clients, expected):  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # polls the clients' counters: no event says "all in"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send("done")
    return _figures(args, service, clients)


def _lagging(clients: list[_Client], expected: int) -> bool:
    return any(len(client.latencies) < expected for client in clients)


def _recv(conn: Connection, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise TimeoutError("the benchmark's service process did not answer")
    return conn.recv()


def _figures(
    args: argparse.Namespace, service: dict[str, Any], clients: list[_Client]
) -> dict[str, Any]:
    latencies = sorted(latency for client in clients for latency in client.latencies)
    delivered = len(latencies)
    cuts = (
        statistics.quantiles(latencies, n=100, method="inclusive") if delivered > 1 else [0.0] * 99
    )
    p99 = cuts[98]
    return {
        "clients": len(clients),
        "batch": args.stream_batch,
        "store": args.stream_store,
        "target_readings_per_s": args.stream_rate,
        "readings_per_s": round(service["readings"] / service["seconds"], 1),
        "seconds": round(service["seconds"], 2),
        "readings": service["readings"],
        "delivered": delivered,
        "expected": service["readings"] * len(clients),
        "delivered_per_s": round(delivered / service["seconds"], 1),
        "dropped": int(service["dropped"]) + sum(c.dropped for c in clients),
        "latency_p50_ms": round(cuts[49], 2),
        "latency_p90_ms": round(cuts[89], 2),
        "latency_p99_ms": round(p99, 2),
        "latency_max_ms": round(latencies[-1], 2) if latencies else 0.0,
        "service_cpu_percent": round(service["cpu_percent"], 1),
        "clients_cpu_percent": round(service["clients_cpu_percent"], 1),
        "service_cpu_us_per_delivered": round(
            1e6 * service["cpu_percent"] / 100 * service["seconds"] / max(delivered, 1), 2
        ),
        "target_met": p99 < P99_TARGET_MS and delivered == service["readings"] * len(clients),
    }


def print_stream(figures: dict[str, Any]) -> None:
    """The stream figures as a few lines."""
    f = figures
    print(
        f"\nStream fan-out: {f['clients']} WebSocket clients (batch {f['batch']}), "
        f"{f['readings_per_s']:,} readings/s for {f['seconds']} s, store on {f['store']}"
    )
    print(
        f"  delivered {f['delivered']:,} of {f['expected']:,} messages "
        f"({f['delivered_per_s']:,}/s), dropped {f['dropped']:,}"
    )
    print(
        f"  reading -> client latency ms: p50 {f['latency_p50_ms']}, p90 {f['latency_p90_ms']}, "
        f"p99 {f['latency_p99_ms']}, max {f['latency_max_ms']}"
    )
    target = f"target p99 < {P99_TARGET_MS} ms, nothing lost: {f['target_met']}"
    print(
        f"  CPU: service {f['service_cpu_percent']} % "
        f"({f['service_cpu_us_per_delivered']} us per delivered message), "
        f"clients {f['clients_cpu_percent']} %"
    )
    print(f"  {target}")


if __name__ == "__main__":
    sys.exit("run: python -m bench.serve --only stream")
