"""Shelly Gen2 switches over HTTP: JSON-RPC commands in, status notifications out by webhook.

Perception layer. A Shelly Gen2 device takes its RPC calls over HTTP as well as MQTT:
``POST http://<device>/rpc`` with the same JSON-RPC frame (``{"id": 1, "method":
"Switch.Set", "params": {"id": 0, "on": true}}``), answered in the response body
(``{"id": 1, "src": "<device id>", "result": {"was_on": false}}``). Here one small HTTP
server on loopback hosts several switches, each under its own path prefix (``POST
/{device id}/rpc``), as a reverse proxy in front of a site's devices would.

Status goes the other way the way a Shelly script forwards it (``Shelly.addStatusHandler``
+ ``HTTP.POST``): the ``NotifyStatus`` notification the device would publish on MQTT is
POSTed to the translator's webhook ``shelly/{device id}/events`` (under the endpoint's
base, e.g. ``http://127.0.0.1:8000/ingest``), right after a change and every pace period.
The switch model is ``shelly.ShellySwitch``; a failed POST is logged and the device carries
on. Proxy environment variables are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Final

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from translator.devices.base import Outgoing, Pace, pace_reports
from translator.devices.http import HttpEndpoint
from translator.devices.shelly import ShellySwitch

logger = logging.getLogger(__name__)

WEBHOOK: Final = "shelly/{device}/events"
CALLER: Final = "http-client"  # the ``src`` of an RPC frame that names none (HTTP needs none)
START_TIMEOUT_S: Final = 10.0


class ShellyHttpServer:
    """Serves ``POST /{device}/rpc`` for its switches and posts their notifications."""

    def __init__(
        self,
        switches: Sequence[ShellySwitch],
        endpoint: HttpEndpoint,
        pace: Pace | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._switches = {switch.name: switch for switch in switches}
        self._endpoint = endpoint
        self._pace = pace or Pace()
        self._host = host
        self._port = port
        self._ready = asyncio.Event()
        self._changed: asyncio.Queue[Outgoing] = asyncio.Queue()
        self.calls = 0

    @property
    def name(self) -> str:
        """A label for logs."""
        return f"shelly-http:{self._port}"

    @property
    def url(self) -> str:
        """``http://host:port`` once listening: the translator's ``commands.http.device_base``."""
        return f"http://{self._host}:{self._port}"

    async def ready(self) -> None:
        """Return once the server listens (``url`` has the real port then)."""
        await self._ready.wait()

    async def run(self, stop: asyncio.Event) -> int:
        """Serve and report until ``stop``; return the number of notifications posted."""
        app = Starlette(routes=[Route("/{device}/rpc", self._rpc, methods=["POST"])])
        config = uvicorn.Config(
            app,
            host=self._host,
            port=self._port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
        server = uvicorn.Server(config)
        async with (
            httpx.AsyncClient(
                base_url=self._endpoint.base.rstrip("/"),
                headers=dict(self._endpoint.headers),
                timeout=self._endpoint.timeout,
                trust_env=False,
            ) as client,
            asyncio.TaskGroup() as group,
        ):
            serving = group.create_task(server.serve(), name="shelly-http-server")
            await self._started(server, serving)
            reports = [
                group.create_task(self._report(client, switch, stop))
                for switch in self._switches.values()
            ]
            pushes = group.create_task(self._push_changes(client, stop))
            await stop.wait()
            server.should_exit = True
        return sum(task.result() for task in reports) + pushes.result()

    async def _started(self, server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not server.started:  # uvicorn has no "listening" event
                if serving.done():
                    serving.result()  # raises why it could not listen
                await asyncio.sleep(0.01)
        self._port = int(server.servers[0].sockets[0].getsockname()[1])
        self._ready.set()

    async def _rpc(self, request: Request) -> Response:
        switch = self._switches.get(request.path_params["device"])
        if switch is None:
            return Response(status_code=404)
        try:
            frame = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return Response(b'{"error": "not JSON"}', 400, media_type="application/json")
        if not isinstance(frame, dict):
            return Response(b'{"error": "not an object"}', 400, media_type="application/json")
        frame.setdefault("src", CALLER)
        self.calls += 1
        answer = b"{}"
        for message in switch.handle(f"{switch.name}/rpc", orjson.dumps(frame)):
            if message.channel.endswith("/events/rpc"):
                self._changed.put_nowait(_webhook(switch, message))
            else:
                answer = message.payload
        return Response(answer, 200, media_type="application/json")

    async def _report(
        self, client: httpx.AsyncClient, switch: ShellySwitch, stop: asyncio.Event
    ) -> int:
        def report(elapsed: float) -> list[Outgoing]:
            return [_webhook(switch, message) for message in switch.report(elapsed)]

        async def send(message: Outgoing) -> None:
            await _post(client, message)

        return await pace_reports(switch.name, stop, self._pace, report, send)

    async def _push_changes(self, client: httpx.AsyncClient, stop: asyncio.Event) -> int:
        sent = 0
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                changed = asyncio.create_task(self._changed.get())
                await asyncio.wait({changed, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not changed.done():
                    changed.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await changed
                    break
                await _post(client, changed.result())
                sent += 1
        finally:
            stopping.cancel()
        return sent


def _webhook(switch: ShellySwitch, message: Outgoing) -> Outgoing:
    """A NotifyStatus the model would publish on MQTT, bound for the translator's webhook."""
    channel = WEBHOOK.format(device=switch.name)
    return Outgoing(channel, message.payload, content_format="application/json")


async def _post(client: httpx.AsyncClient, message: Outgoing) -> None:
    path = "/" + message.channel.lstrip("/")
    headers = {"Content-Type": message.content_format or "application/json"}
    try:
        response = await client.post(path, content=message.payload, headers=headers)
    except httpx.HTTPError as err:
        logger.warning("Shelly HTTP: POST %s failed: %s", path, err)
        return
    if response.is_error:
        logger.warning("Shelly HTTP: POST %s answered %d", path, response.status_code)
