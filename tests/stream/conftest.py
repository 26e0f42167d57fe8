"""Fixtures of the stream tests: a hub, a small app serving its routes on loopback, the service.

``serve_stream`` runs the stream routers (and only them) on a uvicorn server in the test's
event loop, on a free loopback port; ``start_service`` runs the whole service in-process
(against the session's mosquitto when asked), both stopped at teardown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import APIRouter
from stream_support import ServeStream, StartService, StreamServer, free_udp_port

from translator.api.app import create_app
from translator.api.auth import Authenticator, require
from translator.metrics import Metrics
from translator.service import Running, Service
from translator.settings import StreamSettings, load_settings
from translator.stream import Hub, context_router, sse_router, websocket_router
from translator.stream.seams import CommandFollow, CommandHandler

START_TIMEOUT_S = 30.0


@pytest.fixture
async def serve_stream() -> AsyncIterator[ServeStream]:
    """``await serve_stream(hub, settings=…, authenticator=…, commands=…)`` → a running server."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None], Hub]] = []

    async def serve(
        hub: Hub | None = None,
        *,
        settings: StreamSettings | None = None,
        authenticator: Authenticator | None = None,
        commands: CommandHandler | None = None,
        follow: CommandFollow | None = None,
    ) -> StreamServer:
        hub = hub or Hub()
        settings = settings or StreamSettings()
        metrics = Metrics()
        guard = require("stream", query_token=True)
        routers: list[APIRouter] = [
            context_router(),
            websocket_router(
                hub,
                settings,
                metrics,
                guard=guard,
                actuate=require("actuate"),
                commands=commands,
                follow=follow,
            ),
            sse_router(hub, settings, metrics, guard=guard),
        ]
        app = create_app(routers, authenticator=authenticator)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(), name="stream-test-server")
        servers.append((server, task, hub))
        async with asyncio.timeout(START_TIMEOUT_S):
            while not server.started:  # noqa: ASYNC110 -- uvicorn has no "listening" event
                await asyncio.sleep(0.01)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        return StreamServer(hub, metrics, f"http://{host}:{port}")

    yield serve
    for server, task, hub in servers:
        hub.close()  # ends the SSE responses, which uvicorn would otherwise wait for
        server.should_exit = True
        await asyncio.wait_for(task, START_TIMEOUT_S)


@pytest.fixture
async def start_service(tmp_path: Path) -> AsyncIterator[StartService]:
    """``await start_service(**settings_overrides)`` → a running service, stopped at teardown."""
    started: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(**overrides: Any) -> Running:
        values: dict[str, Any] = {
            "data_dir": tmp_path / f"data-{len(started)}",
            "broker": {"port": 0},
            "http": {"port": 0},
            "coap": {"port": free_udp_port()},
        }
        settings = load_settings(**(values | overrides))
        stop = asyncio.Event()
        ready: asyncio.Queue[Running] = asyncio.Queue(maxsize=1)
        task = asyncio.create_task(Service(settings).run(stop, ready.put_nowait))
        started.append((stop, task))
        waiter = asyncio.create_task(ready.get())
        done, _ = await asyncio.wait(
            {waiter, task}, timeout=START_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            if task in done:
                task.result()
            pytest.fail(f"the service was not ready within {START_TIMEOUT_S} s")
        return waiter.result()

    yield start
    for stop, task in started:
        stop.set()
        await asyncio.wait_for(task, START_TIMEOUT_S)
