"""``translator demo``: the whole service on loopback plus a fleet of simulated vendor devices.

Embedded broker, CoAP and HTTP listeners, the store under ``data/demo`` (by default), and
one simulated device of every shipped vendor family talking to them over the real network.
Prints the addresses, then one throughput line every few seconds, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from prometheus_client import Counter
from rich.console import Console

from translator.cli.serve import install_stop_signals, print_addresses
from translator.devices import (
    DEMO_FLEET,
    CoapEndpoint,
    DeviceFleet,
    Endpoints,
    HttpEndpoint,
    MqttBroker,
    Pace,
)
from translator.service import Running, Service
from translator.settings import Settings
from translator.viewer.placements import DEMO_SCENE_FILE

SUMMARY = (
    "Live demo: embedded broker, CoAP + HTTP listeners, store, API and simulated devices "
    "of every shipped vendor, on loopback."
)
EXAMPLE = "translator demo\n  translator demo --http-port 8080 --period 0.5 --duration 60"

DEFAULT_DATA_DIR = Path("data/demo")
STATUS_EVERY_S = 5.0


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("--data-dir", type=Path, help=f"default: {DEFAULT_DATA_DIR}")
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--mqtt-port", type=int, default=1883, help="embedded broker port")
    parser.add_argument("--coap-port", type=int, default=5683)
    parser.add_argument("--period", type=float, default=1.5, help="seconds between reports")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated values")


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Run the demo until Ctrl-C (or ``--duration``)."""
    settings = demo_settings(settings, args)
    asyncio.run(_demo(settings, args, console))
    return 0


def demo_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """The user's settings on the demo's loopback ports and data directory."""
    return settings.model_copy(
        update={
            "data_dir": args.data_dir or DEFAULT_DATA_DIR,
            "mqtt": None,
            "broker": settings.broker.model_copy(update={"port": args.mqtt_port}),
            "coap": settings.coap.model_copy(update={"port": args.coap_port}),
            "http": settings.http.model_copy(update={"port": args.http_port}),
            "viewer": settings.viewer.model_copy(
                update={"scene_file": settings.viewer.scene_file or DEMO_SCENE_FILE}
            ),
        }
    )


async def _demo(settings: Settings, args: argparse.Namespace, console: Console) -> None:
    stop = install_stop_signals()
    started: asyncio.Queue[Running] = asyncio.Queue(maxsize=1)
    service = asyncio.create_task(Service(settings).run(stop, started.put_nowait), name="service")
    running = await _first(started, service)
    if running is None:
        await service  # raises what stopped the service
        return
    console.print("semantic-translator demo — Ctrl-C to stop", markup=False)
    print_addresses(console, running)
    fleet = DeviceFleet.from_specs(
        DEMO_FLEET,
        _endpoints(running),
        pace=Pace(period=args.period),
        seed=args.seed,
    )
    await fleet.start()
    status = asyncio.create_task(_status(console, running, stop), name="demo-status")
    if args.duration is not None:
        asyncio.get_running_loop().call_later(args.duration, stop.set)
    await stop.wait()
    await fleet.stop()
    status.cancel()
    await service


async def _first(started: asyncio.Queue[Running], service: asyncio.Task[None]) -> Running | None:
    """The running service, or ``None`` when it ended before it was ready."""
    ready = asyncio.create_task(started.get())
    done, _ = await asyncio.wait({ready, service}, return_when=asyncio.FIRST_COMPLETED)
    if ready in done:
        return ready.result()
    ready.cancel()
    return None


def _endpoints(running: Running) -> Endpoints:
    mqtt_host, _, mqtt_port = (running.mqtt_url or "mqtt://127.0.0.1:1883")[7:].rpartition(":")
    return Endpoints(
        mqtt=MqttBroker(host=mqtt_host, port=int(mqtt_port)),
        coap=CoapEndpoint(base=running.coap_url or "coap://127.0.0.1:5683"),
        http=HttpEndpoint(base=f"{running.http_url}/ingest"),
    )


async def _status(console: Console, running: Running, stop: asyncio.Event) -> None:
    """One line every few seconds: messages in, translated, rejected, stored, readings/s."""
    last = 0.0
    while not stop.is_set():
        await asyncio.sleep(STATUS_EVERY_S)
        metrics = running.metrics
        received = _total(metrics.messages_in)
        translated = _total(metrics.messages_out)
        rejected = _total(metrics.rejected)
        rate = (received - last) / STATUS_EVERY_S
        last = received
        console.print(
            f"  {received:.0f} messages in ({rate:.1f}/s), {translated:.0f} translated, "
            f"{rejected:.0f} rejected, {running.intake.written} stored, "
            f"{running.store.known_things()} things",
            markup=False,
            highlight=False,
        )


def _total(counter: Counter) -> float:
    return float(
        sum(
            s.value
            for metric in counter.collect()
            for s in metric.samples
            if s.name.endswith("_total")
        )
    )
