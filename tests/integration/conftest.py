"""The whole service, in-process, on free loopback ports, with its store in ``tmp_path``."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from translator.service import Running, Service
from translator.settings import Settings, load_settings

START_TIMEOUT_S = 30.0


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def service_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test service: free ports, short batches, data under ``data_dir``."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "broker": {"port": 0},
        "http": {"port": 0},
        "coap": {"port": free_udp_port()},
    }
    values.update(overrides)
    return load_settings(**values)


StartService = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_service(tmp_path: Path) -> AsyncIterator[StartService]:
    """``await start_service(**settings_overrides)`` → a running service, stopped at teardown."""
    started: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(**overrides: Any) -> Running:
        settings = service_settings(tmp_path / f"data-{len(started)}", **overrides)
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
                task.result()  # raises why the service ended
            pytest.fail(f"the service was not ready within {START_TIMEOUT_S} s")
        return waiter.result()

    yield start
    for stop, task in started:
        stop.set()
        await asyncio.wait_for(task, START_TIMEOUT_S)


async def wait_until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 -- polls state no event announces
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"condition not met within {within} s")
