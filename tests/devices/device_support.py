"""Helpers for the device tests: bounded waits, an MQTT listener, loopback recorders."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiocoap
import aiocoap.resource
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from translator.devices import MqttBroker

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
WAIT = 10.0  # seconds: the bound of every wait in these tests


class Mosquitto:
    """A mosquitto process on 127.0.0.1:``port``; ``with`` starts and stops it (bounded)."""

    def __init__(self, folder: Path, port: int) -> None:
        if not Path(MOSQUITTO).is_file():
            pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
        self.port = port
        self.broker = MqttBroker(host="127.0.0.1", port=port, connect_timeout=WAIT)
        self._config = folder / "mosquitto.conf"
        self._config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self._config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"mosquitto exited with {self._process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"mosquitto did not listen on port {self.port} within {WAIT} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT)

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool


class MqttListener:
    """A paho subscriber that records everything under its topic filters, and can publish."""

    def __init__(self, broker: MqttBroker, filters: tuple[str, ...]) -> None:
        self.messages: list[Received] = []
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        self._filters = filters
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{id(self)}")
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        if not self._subscribed.wait(WAIT):
            self.close()
            pytest.fail("test listener: no SUBACK from mosquitto")

    def _on_connect(self, client: mqtt.Client, *args: object) -> None:
        client.subscribe([(f, 1) for f in self._filters])

    def _on_subscribe(self, *args: object) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain)))
            self._changed.notify_all()

    def on(self, topic: str) -> list[Received]:
        with self._changed:
            return [m for m in self.messages if m.topic == topic]

    async def wait_for(
        self, predicate: Callable[[list[Received]], bool], what: str
    ) -> list[Received]:
        """Wait (bounded) until ``predicate(all messages so far)`` holds."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self._changed:
                snapshot = list(self.messages)
            if predicate(snapshot):
                return snapshot
            await asyncio.sleep(0.02)
        topics = sorted({m.topic for m in self.messages})
        pytest.fail(f"timed out after {WAIT} s waiting for {what}; topics seen: {topics}")

    async def wait_count(self, topic: str, count: int) -> list[Received]:
        await self.wait_for(
            lambda ms: sum(m.topic == topic for m in ms) >= count, f"{count} on {topic}"
        )
        return self.on(topic)

    def publish(self, topic: str, payload: bytes) -> None:
        info = self._client.publish(topic, payload, qos=1)
        info.wait_for_publish(WAIT)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpRecorder:
    """A loopback HTTP server that records every request and answers ``status``."""

    base: str
    requests: list[Request] = field(default_factory=list)
    status: int = 201
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[Request]:
        with self.lock:
            return list(self.requests)


@dataclass
class CoapPost:
    path: tuple[str, ...]
    content_format: int | None
    payload: bytes


class _Recording(aiocoap.resource.Resource):
    def __init__(self, posts: list[CoapPost], path: tuple[str, ...]) -> None:
        super().__init__()
        self._posts = posts
        self._path = path  # the Site strips the path it routed on

    async def render_post(self, request: aiocoap.Message) -> aiocoap.Message:
        fmt = request.opt.content_format
        self._posts.append(CoapPost(self._path, None if fmt is None else int(fmt), request.payload))
        return aiocoap.Message(code=aiocoap.CHANGED)


@dataclass
class CoapRecorder:
    """A loopback aiocoap server; ``accept(path)`` adds a resource that records POSTs."""

    base: str
    posts: list[CoapPost]
    site: aiocoap.resource.Site

    def accept(self, *path: str) -> None:
        self.site.add_resource(path, _Recording(self.posts, path))
