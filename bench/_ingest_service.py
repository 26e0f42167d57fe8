"""The service under test, in the benchmark's process, and the log of what reached its store.

``running_service`` starts ``translator.service.Service`` exactly as ``translator serve``
would (on-disk store in a temporary data folder, HTTP on a free loopback port, its MQTT
adapter on the benchmark's broker), and ``StoredLog`` hooks the intake's writer
(``Intake.add_written_listener``): each time a batch of translated envelopes is in the store,
it notes the time and the batch's (topic, payload) pairs. O(1) per batch plus one tuple per
message; nothing is matched or counted against the publisher until the run is over.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from bench._ingest_broker import Broker
from bench._ingest_files import Message
from translator.service import Running, Service
from translator.settings import Settings, load_settings
from translator.values import Translated

logger = logging.getLogger(__name__)

START_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 60.0
CANCEL_TIMEOUT_S: Final = 10.0


class StoredLog:
    """When each batch of translated envelopes was in the store: ``(monotonic ns, batch)``."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, list[Message]]] = []
        self.count = 0

    def __call__(self, translated: Sequence[Translated]) -> None:
        """The intake's written-listener: called on the event loop after each store write."""
        now = time.monotonic_ns()
        self.batches.append((now, [(t.envelope.channel, t.envelope.payload) for t in translated]))
        self.count += len(translated)


def service_settings(
    data_dir: Path,
    broker: Broker,
    *,
    batch_size: int | None,
    republish: bool,
) -> Settings:
    """The service's settings: its defaults, but for the broker, free ports and the options."""
    store: dict[str, Any] = {}
    if batch_size is not None:
        store["batch_size"] = batch_size
    mqtt = {
        "host": broker.host,
        "port": broker.port,
        "protocol": broker.protocol,
        "client_id": f"bench-ingest-{uuid.uuid4().hex[:12]}",
    }
    return load_settings(
        data_dir=data_dir,
        adapters=("mqtt", "http"),
        mqtt=mqtt,
        http={"port": 0},
        store=store,
        stream={"republish": republish},
    )


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[Running]:
    """The service, started and ready, for the block; stopped (drained) after it."""
    stop = asyncio.Event()
    ready: asyncio.Queue[Running] = asyncio.Queue(maxsize=1)
    task = asyncio.create_task(Service(settings).run(stop, ready.put_nowait), name="service")
    started = False
    try:
        waiter = asyncio.create_task(ready.get())
        done, _ = await asyncio.wait(
            {waiter, task}, timeout=START_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            if task in done:
                task.result()  # raises why the service ended
            raise TimeoutError(f"the service was not ready within {START_TIMEOUT_S} s")
        started = True
        yield waiter.result()
    finally:
        await _stop(task, stop, report=started)


async def _stop(task: asyncio.Task[None], stop: asyncio.Event, *, report: bool) -> None:
    """Stop the service and wait for it, bounded, even while being cancelled (Ctrl-C): the
    data folder must not vanish under a store that is still writing."""
    stop.set()  # a clean stop drains the adapters and the intake into the store
    loop = asyncio.get_running_loop()
    interrupted = False
    for limit, cancel in ((STOP_TIMEOUT_S, False), (CANCEL_TIMEOUT_S, True)):
        if cancel and not task.done():
            task.cancel()
        deadline = loop.time() + limit
        while not task.done() and loop.time() < deadline:
            try:
                await asyncio.wait({task}, timeout=deadline - loop.time())
            except asyncio.CancelledError:
                interrupted = True  # keep waiting; cancelled again once the service is down
    failure = task.exception() if task.done() and not task.cancelled() else None
    if failure is not None and report:  # (a failure to start is already on its way up)
        logger.error("the service failed while stopping", exc_info=failure)
    if interrupted:
        raise asyncio.CancelledError
