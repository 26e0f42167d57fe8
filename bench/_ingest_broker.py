"""The ingest benchmark's broker: a mosquitto process of its own, or the embedded broker.

``mosquitto`` (the default) runs ``/usr/sbin/mosquitto`` (or the one on ``PATH``) with a
config written to a temporary folder: one listener on 127.0.0.1 at a free port, anonymous
clients, no persistence, and a per-client queue big enough for every message of the run
(``max_queued_messages``; mosquitto's default of 1000 would *drop* QoS 1 messages for a
subscriber that falls behind, and the benchmark must see a slow service as latency, not as
loss). ``embedded`` runs the translator's own amqtt broker inside the benchmark process,
which is where ``translator serve`` runs it when no broker is configured.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Final, Literal

from bench._ingest_cpu import process_seconds
from translator.adapters.broker import EmbeddedBroker

MOSQUITTO_HINT: Final = (
    "mosquitto is not installed: apt-get install mosquitto (or run with --broker embedded)"
)
START_TIMEOUT_S: Final = 10.0
STOP_TIMEOUT_S: Final = 10.0

BrokerKind = Literal["mosquitto", "embedded"]


class BrokerMissing(RuntimeError):
    """The broker the benchmark was asked for cannot be started here."""


@dataclass(frozen=True, slots=True)
class Broker:
    """Where the broker listens, which MQTT version the service speaks to it, and its pid."""

    kind: BrokerKind
    host: str
    port: int
    protocol: Literal["3.1.1", "5"]
    pid: int | None  # None: runs inside this process
    version: str

    def cpu_seconds(self) -> float:
        """CPU seconds the broker process used so far (0 inside this process: its time is
        the service's threads' time)."""
        if self.pid is None:
            return 0.0
        return process_seconds(self.pid) or 0.0


def mosquitto_binary() -> str | None:
    """The mosquitto executable, or None when it is not installed."""
    found = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    return found if os.access(found, os.X_OK) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _mosquitto_version(binary: str) -> str:
    probe = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=10, check=False)
    first = (probe.stdout or probe.stderr).splitlines()
    return first[0].strip() if first else "mosquitto"


def _write_config(workdir: Path, port: int, max_queued: int) -> Path:
    config = workdir / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        f"max_queued_messages {max_queued}\n"
        f"log_dest file {workdir / 'mosquitto.log'}\n"
        "log_type error\nlog_type warning\n"
        # as root, mosquitto would switch to the 'mosquitto' user and lose the temp folder
        f"user {getpass.getuser()}\n"
    )
    return config


def _wait_accepting(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _accepting(port):
        if process.poll() is not None or time.monotonic() > deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise BrokerMissing(f"mosquitto did not start on port {port}:\n{text}")
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _spawn_mosquitto(
    binary: str, workdir: Path, max_queued: int
) -> tuple[subprocess.Popen[bytes], int]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    config = _write_config(workdir, port, max_queued)
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return process, port


@asynccontextmanager
async def mosquitto(workdir: Path, max_queued: int) -> AsyncIterator[Broker]:
    """Run a mosquitto of our own for the ``async with`` block.

    Raises:
        BrokerMissing: mosquitto is not installed or would not start.
    """
    # spawned on the loop (a fork and an exec, no waiting) so that a Ctrl-C at any later
    # point finds it in ``process`` and stops it
    binary = mosquitto_binary()
    if binary is None:
        raise BrokerMissing(MOSQUITTO_HINT)
    process, port = _spawn_mosquitto(binary, workdir, max_queued)
    try:
        await asyncio.to_thread(_wait_accepting, process, port, workdir / "mosquitto.log")
        banner = await asyncio.to_thread(_mosquitto_version, binary)
        yield Broker("mosquitto", "127.0.0.1", port, "5", process.pid, banner)
    finally:
        await asyncio.to_thread(_stop, process)


@asynccontextmanager
async def embedded() -> AsyncIterator[Broker]:
    """Run the translator's embedded (amqtt) broker in this process for the block."""
    async with EmbeddedBroker(host="127.0.0.1", port=0) as broker:
        yield Broker(
            "embedded", "127.0.0.1", broker.port, "3.1.1", None, f"amqtt {version('amqtt')}"
        )


@asynccontextmanager
async def broker(kind: BrokerKind, workdir: Path, max_queued: int) -> AsyncIterator[Broker]:
    """The broker ``kind`` for the block (see ``mosquitto`` and ``embedded``)."""
    if kind == "mosquitto":
        async with mosquitto(workdir, max_queued) as running:
            yield running
    else:
        async with embedded() as running:
            yield running
