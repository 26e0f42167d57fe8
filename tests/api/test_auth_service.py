"""Auth as the running service wires it: every scope on every route, loopback without tokens."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from translator.api.auth import hash_token, new_token
from translator.errors import ConfigError
from translator.service import Running, Service
from translator.settings import Settings, load_settings
from translator.stream.context import CONTEXT_PATH

START_TIMEOUT_S = 30.0
SCOPES = ("read", "stream", "actuate", "ingest", "admin")
# What anyone may fetch: liveness, the API description, the stream's JSON-LD @context, and
# the viewer's files (they hold no data; the page sends its token to the data routes).
OPEN = {"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", CONTEXT_PATH}
OPEN_PREFIXES = ("/viewer",)
ASK = {"query": "ASK { ?s ?p ?o }"}

# (method, path, request keywords, scope) of the routes this change guards
ROUTES: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "/sparql", {"params": ASK}, "read"),
    ("POST", "/sparql", {"data": ASK}, "read"),
    ("POST", "/sparql/update", {"data": {"update": "CLEAR GRAPH <urn:g>"}}, "admin"),
    ("GET", "/dead-letters", {}, "read"),
    ("GET", "/dead-letters/1", {}, "read"),
    ("GET", "/dead-letters/1/payload", {}, "read"),
    ("GET", "/metrics", {}, "read"),
    ("POST", "/ingest/ttn/uplink", {"json": {}}, "ingest"),
]

Start = Callable[..., Awaitable[Running]]


@pytest.fixture(scope="module")
def tokens() -> dict[str, tuple[str, dict[str, Any]]]:
    """One token per scope, and one holding every scope but admin."""
    made = {}
    for name, scopes in [(s, [s]) for s in SCOPES] + [("all-but-admin", list(SCOPES[:-1]))]:
        token = new_token(name)
        made[name] = (token, {"name": name, "scopes": scopes, "hash": hash_token(token)})
    return made


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "adapters": ["http"],
        "http": {"port": 0},
    }
    return load_settings(**(values | overrides))


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    started: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def run(**overrides: Any) -> Running:
        stop = asyncio.Event()
        ready: asyncio.Queue[Running] = asyncio.Queue(maxsize=1)
        service = Service(settings_for(tmp_path / f"data-{len(started)}", **overrides))
        task = asyncio.create_task(service.run(stop, ready.put_nowait))
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

    yield run
    for stop, task in started:
        stop.set()
        await asyncio.wait_for(task, START_TIMEOUT_S)


@pytest.fixture
async def guarded(
    start: Start, tokens: dict[str, tuple[str, dict[str, Any]]]
) -> AsyncIterator[httpx.AsyncClient]:
    running = await start(auth={"tokens": [entry for _, entry in tokens.values()]})
    async with httpx.AsyncClient(base_url=running.http_url, timeout=30) as client:
        yield client


def bearer(tokens: dict[str, tuple[str, dict[str, Any]]], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[name][0]}"}


async def test_every_scope_on_every_route(
    guarded: httpx.AsyncClient, tokens: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    problems = []
    for method, path, sent, needed in ROUTES:
        outcomes = {"(none)": (await guarded.request(method, path, **sent)).status_code}
        for name in tokens:
            response = await guarded.request(method, path, headers=bearer(tokens, name), **sent)
            outcomes[name] = response.status_code
        for name, status in outcomes.items():
            scopes = tokens[name][1]["scopes"] if name in tokens else []
            allowed = needed in scopes or "admin" in scopes
            expected_ok = status not in (401, 403)
            if name == "(none)" and status != 401:
                problems.append(f"{method} {path} without a token: {status}, not 401")
            elif name != "(none)" and allowed != expected_ok:
                problems.append(f"{method} {path} with {name}: {status}")
            elif name != "(none)" and not allowed and status != 403:
                problems.append(f"{method} {path} with {name}: {status}, not 403")
    assert not problems, "\n".join(problems)


async def test_403_names_the_scope(
    guarded: httpx.AsyncClient, tokens: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    response = await guarded.post(
        "/sparql/update", data={"update": "CLEAR ALL"}, headers=bearer(tokens, "all-but-admin")
    )
    assert response.status_code == 403
    assert "lacks the 'admin' scope" in response.json()["detail"]


async def test_no_route_reads_or_acts_without_a_token(guarded: httpx.AsyncClient) -> None:
    """Every HTTP operation the API describes answers 401 to a request without a token."""
    spec = (await guarded.get("/openapi.json")).json()
    open_doors = []
    for path, operations in spec["paths"].items():
        url = re.sub(r"\{[^}]+\}", "x", path)
        for method in operations:
            if path in OPEN or path.startswith(OPEN_PREFIXES):
                continue
            status = (await guarded.request(method.upper(), url)).status_code
            if status != 401:
                open_doors.append(f"{method.upper()} {path}: {status}")
    assert not open_doors, "routes answering without a token:\n" + "\n".join(open_doors)


async def test_open_routes_stay_open(guarded: httpx.AsyncClient) -> None:
    assert (await guarded.get("/health")).status_code == 200
    page = await guarded.get("/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


async def test_without_tokens_the_service_is_open_on_loopback(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="translator.api.auth"):
        running = await start()
    assert "no tokens configured: listening on loopback only, without auth" in caplog.text
    async with httpx.AsyncClient(base_url=running.http_url, timeout=30) as client:
        assert (await client.get("/sparql", params=ASK)).json()["boolean"] is True
        assert (await client.get("/dead-letters")).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
async def test_without_tokens_a_public_address_is_refused(tmp_path: Path, host: str) -> None:
    settings = settings_for(tmp_path, http={"host": host, "port": 0})
    with pytest.raises(ConfigError, match="loopback"):
        await Service(settings).run(asyncio.Event())
