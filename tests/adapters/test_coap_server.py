"""CoAP ingest server, driven by a real peer: libcoap's ``coap-client-notls`` on loopback."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import cbor2
import pytest

from translator.adapters.base import IngestResult
from translator.adapters.coap import CoapAdapter, CoapSettings
from translator.adapters.coap_server import ingest_prefix
from translator.errors import AdapterError
from translator.values import Envelope, Protocol

COAP_CLIENT = shutil.which("coap-client-notls")
needs_libcoap = pytest.mark.skipif(
    COAP_CLIENT is None,
    reason="coap-client-notls not found: install libcoap3-bin (apt-get install libcoap3-bin)",
)
MAX_BYTES = 512
# An incoming response in coap-client's debug dump:
#   v:1 t:ACK c:2.04 i:615c {01} [ Size1:512 ] :: 'x'
RESPONSE_LINE = re.compile(
    r"t:(?:ACK|CON|NON) c:(\d\.\d\d) i:\w+ \{\w*\} \[ ?(.*?) ?\](?: :: (.*))?$"
)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RecordingSink:
    """Accepts every envelope unless its payload contains ``reject``; keeps them all."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def __call__(self, envelope: Envelope) -> IngestResult:
        self.envelopes.append(envelope)
        if b"explode" in envelope.payload:
            raise RuntimeError("sink bug")
        if b"reject" in envelope.payload:
            return IngestResult(False, "schema: $.temperature is not a number")
        return IngestResult(True)


@dataclass
class Server:
    port: int
    sink: RecordingSink

    def uri(self, path: str) -> str:
        return f"coap://127.0.0.1:{self.port}/{path}"


@dataclass
class Reply:
    code: str
    options: str
    payload: str
    output: str


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    sink = RecordingSink()
    settings = CoapSettings(
        port=free_udp_port(),
        ingest_paths=("senml/{device}", "sensors/"),
        max_payload_bytes=MAX_BYTES,
    )
    async with CoapAdapter(settings, sink):
        yield Server(settings.port, sink)


async def coap_client(*args: str) -> Reply:
    """Run coap-client-notls (debug output), return the last response it received."""
    assert COAP_CLIENT is not None
    process = await asyncio.create_subprocess_exec(
        COAP_CLIENT,
        "-v",
        "7",
        "-B",
        "5",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = out.decode(errors="replace") + err.decode(errors="replace")
    replies = [m for line in output.splitlines() if (m := RESPONSE_LINE.search(line))]
    assert replies, f"no response in coap-client output:\n{output}"
    last = replies[-1]
    return Reply(last[1], last[2], (last[3] or "").strip("'"), output)


@needs_libcoap
async def test_senml_json_post_is_accepted_with_exact_bytes(server: Server) -> None:
    body = '[{"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1}]'
    reply = await coap_client("-m", "post", "-t", "110", "-e", body, server.uri("senml/dev1"))
    assert reply.code == "2.04"
    [envelope] = server.sink.envelopes
    assert envelope.protocol is Protocol.COAP
    assert envelope.channel == "senml/dev1"
    assert envelope.payload == body.encode()
    assert envelope.content_format == "application/senml+json"
    assert envelope.peer is not None
    assert envelope.peer.startswith("127.0.0.1:")
    assert envelope.received_at.tzinfo is not None


@needs_libcoap
async def test_senml_cbor_from_file_keeps_binary_payload(server: Server, tmp_path: Path) -> None:
    body = cbor2.dumps([{-2: "urn:dev:ow:10e2073a01080063:", 0: "temp", 1: "Cel", 2: 23.1}])
    payload_file = tmp_path / "senml.cbor"
    payload_file.write_bytes(body)
    reply = await coap_client(
        "-m", "post", "-t", "112", "-f", str(payload_file), server.uri("senml/dev2")
    )
    assert reply.code == "2.04"
    [envelope] = server.sink.envelopes
    assert envelope.payload == body
    assert envelope.content_format == "application/senml+cbor"
    assert envelope.channel == "senml/dev2"


@needs_libcoap
@pytest.mark.parametrize(
    ("number", "media_type"), [("50", "application/json"), ("0", "text/plain")]
)
async def test_json_and_text_put(server: Server, number: str, media_type: str) -> None:
    reply = await coap_client(
        "-m", "put", "-t", number, "-e", '{"temperature":21.5}', server.uri("sensors/kitchen")
    )
    assert reply.code == "2.04"
    [envelope] = server.sink.envelopes
    assert (envelope.channel, envelope.content_format) == ("sensors/kitchen", media_type)
    assert envelope.payload == b'{"temperature":21.5}'


@needs_libcoap
async def test_missing_content_format_is_left_to_the_mapping(server: Server) -> None:
    reply = await coap_client("-m", "post", "-e", "21.5", server.uri("sensors/x"))
    assert reply.code == "2.04"
    assert server.sink.envelopes[0].content_format is None


@needs_libcoap
async def test_rejection_is_400_with_the_reason(server: Server) -> None:
    reply = await coap_client(
        "-m", "post", "-t", "50", "-e", '{"reject":1}', server.uri("sensors/kitchen")
    )
    assert reply.code == "4.00"
    assert reply.payload == "schema: $.temperature is not a number"
    assert len(server.sink.envelopes) == 1


@needs_libcoap
async def test_sink_failure_is_500_and_the_server_goes_on(server: Server) -> None:
    reply = await coap_client("-m", "post", "-t", "50", "-e", "explode", server.uri("sensors/a"))
    assert reply.code == "5.00"
    reply = await coap_client("-m", "post", "-t", "50", "-e", "{}", server.uri("sensors/a"))
    assert reply.code == "2.04"


@needs_libcoap
async def test_unsupported_content_format_is_415(server: Server) -> None:
    reply = await coap_client("-m", "post", "-t", "41", "-e", "<t>1</t>", server.uri("sensors/a"))
    assert reply.code == "4.15"
    assert server.sink.envelopes == []


@needs_libcoap
async def test_oversize_payload_is_413_with_size1(server: Server, tmp_path: Path) -> None:
    payload_file = tmp_path / "big.json"
    payload_file.write_bytes(b"[" + b"1," * 300 + b"1]")
    reply = await coap_client(
        "-m", "post", "-t", "50", "-f", str(payload_file), server.uri("sensors/a")
    )
    assert reply.code == "4.13"
    assert f"Size1:{MAX_BYTES}" in reply.options
    assert server.sink.envelopes == []


@needs_libcoap
async def test_blockwise_upload_is_assembled_under_the_limit(
    server: Server, tmp_path: Path
) -> None:
    body = b"[" + b"1," * 150 + b"1]"
    payload_file = tmp_path / "blocks.json"
    payload_file.write_bytes(body)
    reply = await coap_client(
        "-m", "post", "-t", "50", "-b", "64", "-f", str(payload_file), server.uri("sensors/b")
    )
    assert reply.code == "2.04"
    [envelope] = server.sink.envelopes
    assert envelope.payload == body


@needs_libcoap
async def test_blockwise_upload_over_the_limit_is_413(server: Server, tmp_path: Path) -> None:
    payload_file = tmp_path / "huge.json"
    payload_file.write_bytes(b"[" + b"1," * 2000 + b"1]")
    reply = await coap_client(
        "-m", "post", "-t", "50", "-b", "64", "-f", str(payload_file), server.uri("sensors/b")
    )
    assert reply.code == "4.13"
    assert f"Size1:{MAX_BYTES}" in reply.options
    assert "Block1:1/" not in reply.output  # refused at the first block: nothing spooled
    assert server.sink.envelopes == []


@needs_libcoap
@pytest.mark.parametrize("method", ["get", "delete"])
async def test_other_methods_are_405(server: Server, method: str) -> None:
    reply = await coap_client("-m", method, server.uri("senml/dev1"))
    assert reply.code == "4.05"


@needs_libcoap
@pytest.mark.parametrize("path", ["elsewhere/x", "senmlx/dev1", ""])
async def test_paths_outside_the_ingest_prefixes_are_404(server: Server, path: str) -> None:
    reply = await coap_client("-m", "post", "-t", "50", "-e", "{}", server.uri(path))
    assert reply.code == "4.04"
    assert server.sink.envelopes == []


@needs_libcoap
async def test_well_known_core_lists_the_ingest_resources(server: Server) -> None:
    reply = await coap_client("-m", "get", server.uri(".well-known/core"))
    assert reply.code == "2.05"
    assert "Content-Format:application/link-format" in reply.options
    links = set(reply.payload.split(","))
    assert links == {
        '</.well-known/core>;ct="40"',
        '</senml>;ct="0 50 110 112";rt="translator.ingest"',
        '</sensors>;ct="0 50 110 112";rt="translator.ingest"',
    }


@needs_libcoap
async def test_empty_ingest_paths_accept_every_path() -> None:
    sink = RecordingSink()
    settings = CoapSettings(port=free_udp_port())
    async with CoapAdapter(settings, sink):
        uri = f"coap://127.0.0.1:{settings.port}/any/deep/path"
        reply = await coap_client("-m", "post", "-t", "50", "-e", "{}", uri)
    assert reply.code == "2.04"
    assert sink.envelopes[0].channel == "any/deep/path"


class SlowSink:
    """Holds every envelope until released."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, envelope: Envelope) -> IngestResult:
        self.entered.set()
        await self.release.wait()
        return IngestResult(True)


@needs_libcoap
async def test_stop_finishes_requests_in_flight_and_refuses_new_ones() -> None:
    sink = SlowSink()
    port = free_udp_port()
    adapter = CoapAdapter(CoapSettings(port=port), sink)
    uri = f"coap://127.0.0.1:{port}/"
    runner = asyncio.create_task(adapter.run())
    async with asyncio.timeout(5):
        await adapter.ready()
        first = asyncio.create_task(coap_client("-m", "post", "-t", "50", "-e", "1", uri + "a"))
        await sink.entered.wait()
        stopping = asyncio.create_task(adapter.stop())
        second = await coap_client("-m", "post", "-t", "50", "-e", "2", uri + "b")
        sink.release.set()
        assert (await first).code == "2.04"
        await stopping
        await runner
    assert second.code == "5.03"
    stats = adapter.stats()
    assert (stats.received, stats.refused, stats.rejected) == (1, 1, 0)


async def test_port_taken_is_an_adapter_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        adapter = CoapAdapter(CoapSettings(port=port), RecordingSink())
        with pytest.raises(AdapterError, match=f"port {port}"):
            await adapter.run()
        with pytest.raises(AdapterError, match=f"port {port}"):
            await adapter.ready()


async def test_a_second_adapter_cannot_share_the_port() -> None:
    settings = CoapSettings(port=free_udp_port())
    async with CoapAdapter(settings, RecordingSink()):
        with pytest.raises(AdapterError, match=f"port {settings.port}"):
            async with CoapAdapter(settings, RecordingSink()):
                pass


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        ("senml/{device}", ("senml",)),
        ("/sensors/", ("sensors",)),
        ("a/b/{x+}", ("a", "b")),
        ("{device}/data", ()),
        ("", ()),
    ],
)
def test_ingest_prefix_cuts_at_the_first_variable(path: str, prefix: tuple[str, ...]) -> None:
    assert ingest_prefix(path) == prefix
