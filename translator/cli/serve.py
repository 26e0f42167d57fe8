"""``translator serve``: run the service (adapters, store, API) until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from translator.service import Running, Service
from translator.settings import Settings

SUMMARY = "Run the translator service: adapters, store and HTTP API, until SIGINT or SIGTERM."
EXAMPLE = (
    "translator serve --config translator.toml\n"
    "  TRANSLATOR_MQTT__HOST=broker.local TRANSLATOR_MQTT__PORT=1883 translator serve"
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("--data-dir", type=Path, help="where the store lives")


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Serve until a signal; print the addresses once ready."""

    def ready(running: Running) -> None:
        print_addresses(console, running)

    asyncio.run(serve(settings, ready))
    return 0


async def serve(settings: Settings, on_ready: Callable[[Running], None]) -> None:
    """Run the service until SIGINT or SIGTERM."""
    stop = install_stop_signals()
    await Service(settings).run(stop, on_ready)


def install_stop_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (the service then drains and stops)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def print_addresses(console: Console, running: Running) -> None:
    """Where the running service can be reached."""
    rows = [
        ("API docs", f"{running.http_url}/docs" if running.http_url else None),
        ("3D viewer", f"{running.http_url}/viewer/" if running.http_url else None),
        ("webhooks", f"{running.http_url}/ingest/{{path}}" if running.http_url else None),
        ("dead letters", f"{running.http_url}/dead-letters" if running.http_url else None),
        ("metrics", f"{running.http_url}/metrics" if running.http_url else None),
        ("MQTT broker", running.mqtt_url),
        ("CoAP", running.coap_url),
    ]
    for label, url in rows:
        if url:
            console.print(f"  {label:<13} {url}", markup=False, highlight=False)
