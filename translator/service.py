"""The composition root: wires every layer together and runs them in one asyncio process.

``Service.run(stop)`` loads the mappings and shapes, opens the store, starts the embedded
broker when no external one is configured, the enabled adapters, the intake writer and the
HTTP server, all under one ``TaskGroup``; when ``stop`` is set it shuts down in order:
adapters stop and drain into the intake, the intake drains into the store, then the HTTP
server, the broker and the store close. ``translator serve`` and ``translator demo`` use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import APIRouter, Depends

from translator.adapters.base import Adapter
from translator.adapters.broker import EmbeddedBroker
from translator.adapters.coap import CoapAdapter
from translator.adapters.http import ingest_router
from translator.adapters.http_client import HttpCommandClient
from translator.adapters.mqtt import MqttAdapter, MqttSettings
from translator.api.app import create_app
from translator.api.auth import Authenticator, check_listen_address, require
from translator.api.deadletters import dead_letter_router
from translator.api.health import health_router
from translator.api.sparql import sparql_router
from translator.api.things import things_router
from translator.errors import AdapterError
from translator.metrics import Metrics
from translator.ontology.files import ontology_dir
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import Settings
from translator.stream import (
    Hub,
    Republisher,
    context_router,
    read_seed,
    sse_router,
    websocket_router,
)
from translator.stream.context import CONTEXT_PATH
from translator.twin.commands import CommandSender, CommandService
from translator.twin.deadletter import DeadLetterStore
from translator.twin.descriptions import ThingDescriber
from translator.twin.intake import Intake
from translator.twin.paths import open_dead_letters, open_store
from translator.twin.store import TwinStore
from translator.twin.things import ThingDirectory
from translator.values import Protocol
from translator.viewer.routes import load_viewer, viewer_router

logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 30.0
REPUBLISH_DRAIN_S = 5.0  # at shutdown, pending republishes get this long
WS_MAX_BYTES = 1024 * 1024  # largest WebSocket message a client may send
RETENTION_PERIOD_S = 3600.0


@dataclass
class Running:
    """What a started service exposes: addresses for people and parts for tests."""

    http_url: str
    mqtt_url: str | None
    coap_url: str | None
    pipeline: Pipeline
    store: TwinStore
    dead_letters: DeadLetterStore
    intake: Intake
    metrics: Metrics
    adapters: dict[str, Adapter] = field(default_factory=dict)
    hub: Hub | None = None
    republisher: Republisher | None = None
    things: ThingDirectory | None = None
    commands: CommandService | None = None


class Service:
    """One translator process. Build with settings; ``run`` until ``stop`` is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def run(
        self, stop: asyncio.Event, on_ready: Callable[[Running], None] | None = None
    ) -> None:
        """Start everything, call ``on_ready``, wait for ``stop``, shut down cleanly."""
        settings = self.settings
        if "http" in settings.adapters:
            check_listen_address(settings.http.host, settings.auth)
        pipeline = await asyncio.to_thread(build_pipeline, settings)
        metrics = Metrics()
        with open_store(settings) as store, open_dead_letters(settings) as letters:
            await asyncio.to_thread(
                store.load_meta, pipeline.mappings.mappings.values(), ontology=ontology_dir()
            )
            intake = Intake(
                pipeline,
                store,
                letters,
                metrics,
                batch_size=settings.store.batch_size,
            )
            async with self._broker() as broker:
                hub = await self._stream_hub(store, intake)
                await self._serve(
                    stop, on_ready, pipeline, store, letters, intake, metrics, broker, hub
                )
        logger.info("stopped", extra={"written": intake.written})

    async def _serve(
        self,
        stop: asyncio.Event,
        on_ready: Callable[[Running], None] | None,
        pipeline: Pipeline,
        store: TwinStore,
        letters: DeadLetterStore,
        intake: Intake,
        metrics: Metrics,
        broker: EmbeddedBroker | None,
        hub: Hub,
    ) -> Running:
        settings = self.settings
        adapters = self._adapters(pipeline, intake, broker)
        things = await asyncio.to_thread(ThingDirectory.load, store)
        intake.add_listener(things.learn)
        http_commands = HttpCommandClient(settings.commands.http)
        commands = self._command_service(pipeline, things, adapters, http_commands, metrics)
        intake.add_listener(commands.observe)
        describer = ThingDescriber(pipeline.vocabulary.properties)
        server = self._http_server(
            intake,
            letters,
            metrics,
            adapters,
            hub,
            store,
            commands,
            [things_router(things, store, pipeline.mappings, describer, commands)],
        )
        async with asyncio.TaskGroup() as group:
            writer = group.create_task(intake.run(), name="intake-writer")
            tasks = [group.create_task(a.run(), name=f"adapter-{n}") for n, a in adapters.items()]
            http = group.create_task(server.serve(), name="http-server") if server else None
            retention = group.create_task(self._retention(store, stop), name="retention")
            await self._await_ready(adapters, server)
            republisher = self._republisher(hub, adapters, metrics, _server_url(server))
            republish = (
                group.create_task(republisher.run(), name="stream-republish")
                if republisher is not None
                else None
            )
            running = Running(
                http_url=_server_url(server),
                mqtt_url=broker.url if broker else _mqtt_url(settings.mqtt),
                coap_url=f"coap://{settings.coap.bind_host}:{settings.coap.port}"
                if "coap" in adapters
                else None,
                pipeline=pipeline,
                store=store,
                dead_letters=letters,
                intake=intake,
                metrics=metrics,
                adapters=adapters,
                hub=hub,
                republisher=republisher,
                things=things,
                commands=commands,
            )
            logger.info("ready", extra={"http": running.http_url, "mqtt": running.mqtt_url})
            if on_ready is not None:
                on_ready(running)
            with _startup_frozen():
                await stop.wait()
            logger.info("stopping: draining adapters, then the intake")
            await _stop_stream(hub, republisher, republish)
            for adapter in adapters.values():
                await adapter.stop()
            await asyncio.gather(*tasks)
            commands.close()
            await http_commands.close()
            await intake.stop()
            await writer
            if server is not None and http is not None:
                server.should_exit = True
                await http
            retention.cancel()
        return running

    def _adapters(
        self, pipeline: Pipeline, intake: Intake, broker: EmbeddedBroker | None
    ) -> dict[str, Adapter]:
        settings = self.settings
        adapters: dict[str, Adapter] = {}
        if "mqtt" in settings.adapters:
            mqtt = broker.client_settings(settings.mqtt) if broker else settings.mqtt
            assert mqtt is not None  # no broker only when settings.mqtt is set
            filters = pipeline.mappings.topic_filters()
            adapters["mqtt"] = MqttAdapter(mqtt, filters, intake.sink("mqtt"))
        if "coap" in settings.adapters:
            adapters["coap"] = CoapAdapter(settings.coap, intake.sink("coap"))
        return adapters

    def _http_server(
        self,
        intake: Intake,
        letters: DeadLetterStore,
        metrics: Metrics,
        adapters: dict[str, Adapter],
        hub: Hub,
        store: TwinStore,
        commands: CommandService | None = None,
        more_routers: Sequence[APIRouter] = (),
    ) -> uvicorn.Server | None:
        settings = self.settings
        if "http" not in settings.adapters:
            return None
        ingest = APIRouter(dependencies=[Depends(require("ingest"))])  # webhooks need a token
        ingest.include_router(
            ingest_router(
                intake.sink("http"),
                intake.refuse,
                max_payload_bytes=settings.limits.max_payload_bytes,
            )
        )
        routers: list[APIRouter] = [
            ingest,
            dead_letter_router(letters),
            sparql_router(store, settings.sparql),
            health_router(metrics, lambda: _health(adapters, intake)),
            *self._stream_routers(hub, metrics, commands),
            *self._viewer_routers(store),
            *more_routers,
        ]
        config = uvicorn.Config(
            create_app(routers, authenticator=Authenticator.from_settings(settings.auth)),
            host=settings.http.host,
            port=settings.http.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            ws_max_size=WS_MAX_BYTES,
            ws_per_message_deflate=settings.stream.compress,  # per client: costly in fan-out
        )
        return uvicorn.Server(config)

    def _command_service(
        self,
        pipeline: Pipeline,
        things: ThingDirectory,
        adapters: dict[str, Adapter],
        http_commands: HttpCommandClient,
        metrics: Metrics,
    ) -> CommandService:
        """Commands go out through the MQTT and CoAP adapters and the HTTP command client."""
        senders: dict[Protocol, CommandSender] = {Protocol.HTTP: http_commands}
        for protocol in (Protocol.MQTT, Protocol.COAP):
            if protocol.value in adapters:
                senders[protocol] = adapters[protocol.value]
        return CommandService(
            pipeline.mappings,
            things,
            senders,
            metrics=metrics,
            confirm_timeout_s=self.settings.commands.confirm_timeout_s,
            history=self.settings.commands.history,
        )

    def _viewer_routers(self, store: TwinStore) -> list[APIRouter]:
        """``/viewer``: reads the bundle and the scene file and writes the scene placements
        (once, before the server starts, so blocking here delays nothing that runs)."""
        if not self.settings.viewer.enabled:
            return []
        return [viewer_router(load_viewer(self.settings.viewer, store))]

    @contextlib.asynccontextmanager
    async def _broker(self) -> AsyncIterator[EmbeddedBroker | None]:
        settings = self.settings
        if settings.mqtt is not None or "mqtt" not in settings.adapters:
            yield None
            return
        broker = EmbeddedBroker(host=settings.broker.host, port=settings.broker.port)
        await broker.start()
        logger.info("embedded MQTT broker listening", extra={"url": broker.url})
        try:
            yield broker
        finally:
            await broker.stop()

    async def _await_ready(
        self, adapters: dict[str, Adapter], server: uvicorn.Server | None
    ) -> None:
        async with asyncio.timeout(READY_TIMEOUT_S):
            for name, adapter in adapters.items():
                ready = getattr(adapter, "ready", None)
                if ready is not None:
                    try:
                        await ready()
                    except AdapterError:
                        logger.exception("adapter %s failed to start", name)
                        raise
            # uvicorn exposes no event for "listening", only this flag
            while server is not None and not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    async def _retention(self, store: TwinStore, stop: asyncio.Event) -> None:
        days = self.settings.store.retention_days
        if days is None:
            return
        from datetime import UTC, datetime, timedelta

        while not stop.is_set():
            cutoff = datetime.now(UTC) - timedelta(days=days)
            removed = await asyncio.to_thread(store.apply_retention, cutoff)
            logger.info("retention removed %d observations", removed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETENTION_PERIOD_S)

    async def _stream_hub(self, store: TwinStore, intake: Intake) -> Hub:
        """The stream hub, seeded with the store's latest state and listening to the intake."""
        hub = Hub(ring_size=self.settings.stream.ring_size)
        seed = await asyncio.to_thread(read_seed, store)
        hub.seed(seed.things, seed.entries)
        intake.add_listener(hub.publish)
        return hub

    def _stream_routers(
        self, hub: Hub, metrics: Metrics, commands: CommandService | None = None
    ) -> list[APIRouter]:
        stream = self.settings.stream
        guard = require("stream", query_token=True)
        return [
            context_router(),
            websocket_router(
                hub,
                stream,
                metrics,
                guard=guard,
                actuate=require("actuate"),
                commands=commands.handle if commands is not None else None,
                follow=_final_status(commands) if commands is not None else None,
            ),
            sse_router(hub, stream, metrics, guard=guard),
        ]

    def _republisher(
        self, hub: Hub, adapters: dict[str, Adapter], metrics: Metrics, http_url: str
    ) -> Republisher | None:
        stream = self.settings.stream
        mqtt = adapters.get("mqtt")
        if not stream.republish or not isinstance(mqtt, MqttAdapter):
            return None
        return Republisher(
            hub,
            mqtt,
            metrics,
            context_url=stream.context_url or http_url + CONTEXT_PATH,
            prefix=stream.republish_prefix,
            qos=stream.republish_qos,
            queue_size=stream.republish_queue,
        )


@contextlib.contextmanager
def _startup_frozen() -> Iterator[None]:
    """While the service runs, keep what start-up built out of the garbage collector's scans.

    Compiled mappings and shapes, the vocabulary, the parsed ontology: ~170k long-lived
    objects that every full collection would walk again (~100 ms each, a pause of the whole
    process, several times a minute under load). ``gc.freeze`` moves them to the permanent
    generation; ``gc.unfreeze`` at stop gives them back, so a stopped service is collected.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _final_status(commands: CommandService) -> Callable[[str], Awaitable[dict[str, Any]]]:
    """What the WebSocket awaits to report a command's final status (confirmed, timed out)."""

    async def final(command_id: str) -> dict[str, Any]:
        return (await commands.wait(command_id)).as_dict()

    return final


async def _stop_stream(
    hub: Hub, republisher: Republisher | None, republish: asyncio.Task[None] | None
) -> None:
    """Publish what is pending (bounded), then end every stream client's subscription."""
    if republisher is not None and republish is not None:
        await republisher.stop()
        try:
            await asyncio.wait_for(republish, REPUBLISH_DRAIN_S)
        except TimeoutError:
            logger.warning("republish drain cut short after %s s", REPUBLISH_DRAIN_S)
    hub.close()


def _health(adapters: dict[str, Adapter], intake: Intake) -> dict[str, Any]:
    return {
        "adapters": sorted(adapters),
        "written": intake.written,
    }


def _server_url(server: uvicorn.Server | None) -> str:
    if server is None or not server.servers:
        return ""
    sockets = server.servers[0].sockets
    host, port = sockets[0].getsockname()[:2]
    return f"http://{host}:{port}"


def _mqtt_url(settings: MqttSettings | None) -> str | None:
    return None if settings is None else f"mqtt://{settings.host}:{settings.port}"
