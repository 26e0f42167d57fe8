"""Real parts for the device tests: a mosquitto broker, an MQTT listener, loopback servers."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiocoap
import aiocoap.resource
import pytest
from device_support import (
    WAIT,
    CoapRecorder,
    HttpRecorder,
    Mosquitto,
    MqttListener,
    Request,
    free_port,
)

from translator.devices import MqttBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MqttBroker]:
    """A mosquitto on 127.0.0.1:<free port> for the whole session."""
    with Mosquitto(tmp_path_factory.mktemp("mosquitto"), free_port()) as mosquitto:
        yield mosquitto.broker


@pytest.fixture
def listen(broker: MqttBroker) -> Iterator[Callable[..., MqttListener]]:
    """``listen("topic/#", ...)`` returns a connected, subscribed ``MqttListener``."""
    opened: list[MqttListener] = []

    def open_listener(*filters: str) -> MqttListener:
        listener = MqttListener(broker, filters)
        opened.append(listener)
        return listener

    yield open_listener
    for listener in opened:
        listener.close()


@pytest.fixture
def http_recorder() -> Iterator[HttpRecorder]:
    port = free_port()
    recorder = HttpRecorder(base=f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with recorder.lock:
                recorder.requests.append(
                    Request(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
            self.send_response(recorder.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="http-recorder", daemon=True
    )
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT)


@pytest.fixture
async def coap_recorder() -> AsyncIterator[CoapRecorder]:
    """An aiocoap server on 127.0.0.1:<free port> recording every POST."""
    port = free_port(socket.SOCK_DGRAM)
    site = aiocoap.resource.Site()
    context = await aiocoap.Context.create_server_context(
        site, bind=("127.0.0.1", port), transports=["udp6"]
    )
    try:
        yield CoapRecorder(base=f"coap://127.0.0.1:{port}", posts=[], site=site)
    finally:
        await context.shutdown()
