"""``translator demo`` as a subprocess on free loopback ports, for the viewer's browser tests,
the engine-client tests and ``scripts/screenshot``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from tests.conftest import free_port
from tests.integration.conftest import free_udp_port

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0

DEMO_THINGS = (
    "urn:dev:zigbee2mqtt:living_room_sensor",
    "urn:dev:zigbee2mqtt:kitchen_plug",
    "urn:dev:zigbee2mqtt:front_door",
    "urn:dev:tasmota:desk_lamp",
    "urn:dev:shelly:shellyplus1pm-c4d8d5500001",
    "urn:dev:homeassistant:hallway",
    "urn:dev:homeassistant:hallway:relay",
    "urn:dev:owntracks:demo:phone",
    "urn:dev:senml:balcony",
    "urn:dev:senml:cellar",
    "urn:dev:ttn:sim-sensors:lht65-garden",
    "urn:fhir:Patient%2Fexample",
)
"""The things the demo fleet reports (one simulated device may report several)."""


class ViewerNotBuilt(RuntimeError):
    """``/viewer/`` answers 503: the front end was not built (no node/npm at install)."""


@dataclass
class Demo:
    """A running ``translator demo``: its HTTP base URL and its output so far."""

    data_dir: Path
    period: float = 0.5
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    output: bytes = b""

    @property
    def url(self) -> str:
        """The HTTP server, e.g. ``http://127.0.0.1:8123``."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def stream_url(self) -> str:
        """The WebSocket stream."""
        return f"ws://127.0.0.1:{self.http_port}/stream"

    def start(self) -> None:
        """Start the demo and wait until ``/viewer/`` answers."""
        command = [
            sys.executable, "-m", "translator.cli", "--log-level", "warning", "demo",
            "--data-dir", str(self.data_dir), "--http-port", str(self.http_port),
            "--mqtt-port", str(free_port()), "--coap-port", str(free_udp_port()),
            "--period", str(self.period),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=os.environ | {"NO_COLOR": "1"},
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"the demo exited early:\n{self.output.decode()}")
                try:
                    status = client.get("/viewer/").status_code
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                if status == 503:
                    self.stop()
                    raise ViewerNotBuilt(self.url)
                if status == 200:
                    return
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the demo did not serve /viewer/ within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        """Stop the demo the way Ctrl-C does; keep its output."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.output += out or b""
        self.process = None

    def __enter__(self) -> Demo:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
