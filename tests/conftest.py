"""Shared fixtures: real brokers on loopback, and a sink that records what adapters hand it.

``mosquitto`` is one broker for the whole session; ``private_mosquitto`` is a broker of the
test's own (for tests that stop or restart it), ``mosquitto_factory`` starts more of those
with extra config lines (password file, TLS). All listen on 127.0.0.1 on a free port with
persistence on in a temporary directory, and are skipped with a message when the mosquitto
binary is missing. ``Mosquitto.cli`` (or ``mqtt_cli(port)`` for any other broker) publishes
and subscribes with the ``mosquitto_pub``/``mosquitto_sub`` clients, byte for byte.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from translator.adapters.base import IngestResult
from translator.adapters.mqtt import MqttAdapter, MqttSettings
from translator.values import Envelope

MOSQUITTO_HINT = "mosquitto not installed (apt-get install mosquitto mosquitto-clients)"
CLIENT_TIMEOUT_S = 20.0
_MESSAGE_MARK = "MSG>>"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepting(port: int) -> bool:
    """Whether 127.0.0.1:``port`` accepts a TCP connection now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Mosquitto:
    """A mosquitto process on 127.0.0.1:``port``, persistence in ``workdir``."""

    def __init__(
        self, binary: str, workdir: Path, port: int | None = None, extra_config: str = ""
    ) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "persistence true\n"
            f"persistence_location {workdir}/\n"
            "autosave_interval 1\n"
            f"log_dest file {workdir}/mosquitto.log\n"
            "log_type all\n"
            # as root, mosquitto would switch to the 'mosquitto' user and lose the tmp dir
            f"user {getpass.getuser()}\n" + extra_config
        )

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        process = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.process = process
        deadline = time.monotonic() + 10
        while not accepting(self.port):
            if process.poll() is not None:
                pytest.fail(f"mosquitto exited with {process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"mosquitto does not accept on port {self.port}:\n{self.log()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the broker the polite way (SIGTERM: it saves its persistence file)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        """Stop, then start again on the same port with the same persistence file."""
        self.stop()
        self.start()

    def log(self) -> str:
        """The broker's log so far (for failure messages)."""
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def cli(self) -> MqttCli:
        """``mosquitto_pub``/``mosquitto_sub`` pointed at this broker."""
        return MqttCli(self.port)


class MqttCli:
    """The mosquitto command-line clients against any broker on 127.0.0.1:``port``."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        version: str = "311",
        content_type: str | None = None,
    ) -> None:
        """Publish one message, byte for byte, with ``mosquitto_pub``."""
        # -s reads the payload from stdin byte for byte; it refuses empty input, -n sends none
        args = ["-s" if payload else "-n", *self._args(topic, qos, version)]
        if retain:
            args.append("-r")
        if content_type is not None:
            args += ["-D", "publish", "content-type", content_type]
        await self._run_pub(args, payload)

    async def publish_lines(
        self, topic: str, lines: list[bytes], *, qos: int = 1, version: str = "311"
    ) -> None:
        """Publish each line as one message, in order, over one ``mosquitto_pub`` connection."""
        payload = b"".join(line + b"\n" for line in lines)
        await self._run_pub(["-l", *self._args(topic, qos, version)], payload)

    @asynccontextmanager
    async def subscribe(
        self, topic: str, *, count: int, qos: int = 1, version: str = "311"
    ) -> AsyncIterator[Subscription]:
        """Run ``mosquitto_sub`` for ``count`` messages; the block starts once it is subscribed."""
        args = ["-d", "-C", str(count), "-F", f"{_MESSAGE_MARK} %x %t", "-W", "30"]
        # stdbuf: mosquitto_sub block-buffers a pipe, and we must see SUBACK before publishing
        line_buffered = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
        process = await asyncio.create_subprocess_exec(
            *line_buffered,
            "mosquitto_sub",
            *args,
            *self._args(topic, qos, version),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        subscription = Subscription(process)
        try:
            await subscription.wait_subscribed()
            yield subscription
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()

    def _args(self, topic: str, qos: int, version: str) -> list[str]:
        args = ["-h", "127.0.0.1", "-p", str(self.port), "-t", topic, "-q", str(qos)]
        return [*args, "-V", "mqttv5" if version == "5" else "mqttv311"]

    async def _run_pub(self, args: list[str], stdin: bytes) -> None:
        process = await asyncio.create_subprocess_exec(
            "mosquitto_pub",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(CLIENT_TIMEOUT_S):
            out, err = await process.communicate(stdin)
        assert process.returncode == 0, (out + err).decode(errors="replace")


class Subscription:
    """A running ``mosquitto_sub``: wait for it to be subscribed, then read its messages."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.transcript: list[str] = []

    async def _line(self) -> str:
        assert self.process.stdout is not None
        raw = await self.process.stdout.readline()
        if not raw:
            pytest.fail("mosquitto_sub ended early:\n" + "\n".join(self.transcript))
        line = raw.decode(errors="replace").rstrip("\n")
        self.transcript.append(line)
        return line

    async def wait_subscribed(self) -> None:
        """Read mosquitto_sub's debug output until the broker acknowledged the SUBSCRIBE."""
        async with asyncio.timeout(CLIENT_TIMEOUT_S):
            while "SUBACK" not in await self._line():
                pass

    async def messages(self, count: int) -> list[tuple[str, bytes]]:
        """The next ``count`` messages as (topic, payload bytes)."""
        found: list[tuple[str, bytes]] = []
        async with asyncio.timeout(CLIENT_TIMEOUT_S):
            while len(found) < count:
                line = await self._line()
                if line.startswith(_MESSAGE_MARK + " "):
                    hex_payload, _space, topic = line[len(_MESSAGE_MARK) + 1 :].partition(" ")
                    found.append((topic, bytes.fromhex(hex_payload)))
        return found


def _mosquitto_binary() -> str:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.access(binary, os.X_OK) or shutil.which("mosquitto_pub") is None:
        pytest.skip(MOSQUITTO_HINT)
    return binary


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """One mosquitto broker for the whole test session."""
    broker = Mosquitto(
        _mosquitto_binary(), tmp_path_factory.mktemp("mosquitto"), None, "allow_anonymous true\n"
    )
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[Callable[..., Mosquitto]]:
    """Start brokers of this test's own: ``start(extra_config, port=None)``. The listener and
    ``user`` lines are written for you, ``allow_anonymous`` is not. All stop with the test."""
    binary = _mosquitto_binary()
    started: list[Mosquitto] = []

    def start(extra_config: str = "allow_anonymous true\n", port: int | None = None) -> Mosquitto:
        broker = Mosquitto(binary, tmp_path / f"mosquitto-{len(started)}", port, extra_config)
        started.append(broker)
        broker.start()
        return broker

    yield start
    for broker in started:
        broker.stop()


@pytest.fixture
def private_mosquitto(mosquitto_factory: Callable[..., Mosquitto]) -> Mosquitto:
    """A mosquitto broker of this test's own, free to stop and restart."""
    return mosquitto_factory("allow_anonymous true\n")


class EnvelopeCollector:
    """An ``EnvelopeSink`` that records every envelope and lets a test wait for a count."""

    def __init__(self, verdict: IngestResult | None = None) -> None:
        self.envelopes: list[Envelope] = []
        self.verdict = verdict or IngestResult(accepted=True)
        self._changed = asyncio.Event()

    async def __call__(self, envelope: Envelope) -> IngestResult:
        self.envelopes.append(envelope)
        self._changed.set()
        return self.verdict

    @property
    def payloads(self) -> list[bytes]:
        """The payloads received so far, in order."""
        return [envelope.payload for envelope in self.envelopes]

    async def wait_for(self, count: int, within: float = 10.0) -> list[Envelope]:
        """Wait until at least ``count`` envelopes arrived; fail the test after ``within`` s."""
        try:
            async with asyncio.timeout(within):
                while len(self.envelopes) < count:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"got {len(self.envelopes)} envelopes, wanted {count}, in {within} s")
        return self.envelopes


@pytest.fixture
def mqtt_cli() -> Callable[[int], MqttCli]:
    """Build mosquitto command-line clients for a broker on 127.0.0.1:<port>."""
    return MqttCli


@pytest.fixture
def make_collector() -> Callable[[], EnvelopeCollector]:
    """Build ``EnvelopeCollector`` sinks (a test may need several)."""
    return EnvelopeCollector


MQTT_READY_TIMEOUT_S = 10.0


@pytest.fixture
def mqtt_settings() -> Callable[..., MqttSettings]:
    """Adapter settings for a broker on 127.0.0.1:<port>: unique client id, fast backoff."""

    def build(port: int, **overrides: Any) -> MqttSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": port,
            "client_id": f"test-{uuid.uuid4().hex[:12]}",
            "reconnect_min_s": 0.05,
            "reconnect_max_s": 0.5,
            "publish_timeout_s": 5.0,
        }
        return MqttSettings(**(values | overrides))

    return build


@asynccontextmanager
async def _running(adapter: MqttAdapter) -> AsyncIterator[MqttAdapter]:
    task = asyncio.create_task(adapter.run(), name="mqtt-adapter-under-test")
    try:
        async with asyncio.timeout(MQTT_READY_TIMEOUT_S):
            await adapter.ready()
        yield adapter
    finally:
        async with asyncio.timeout(MQTT_READY_TIMEOUT_S):
            await adapter.stop()
            await task


@pytest.fixture
def run_adapter() -> Callable[[MqttAdapter], AbstractAsyncContextManager[MqttAdapter]]:
    """``async with run_adapter(adapter):`` runs it, ready, and stops it at the end."""
    return _running


async def _until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    # polling on purpose: the counters belong to the code under test, which signals nothing
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.fixture
def until() -> Callable[..., Awaitable[None]]:
    """``await until(lambda: condition, within=seconds)``: poll, fail with TimeoutError."""
    return _until
