"""Bearer tokens: hashing, scopes, the FastAPI dependency (HTTP and WebSocket), the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
import uvicorn
import websockets
from fastapi import APIRouter, Depends, FastAPI, WebSocket
from pydantic import ValidationError
from websockets.exceptions import InvalidStatus

from translator.api.app import create_app
from translator.api.auth import (
    SCOPES,
    Authenticator,
    Principal,
    check_listen_address,
    hash_token,
    is_loopback,
    new_token,
    require,
    verify_token,
)
from translator.cli import main as cli_main
from translator.errors import AuthError, ConfigError
from translator.settings import AuthSettings, Settings, TokenSettings


def token_entry(name: str, *scopes: str) -> tuple[str, TokenSettings]:
    token = new_token(name)
    entry = TokenSettings.model_validate(
        {"name": name, "scopes": list(scopes), "hash": hash_token(token)}
    )
    return token, entry


@pytest.fixture(scope="module")
def tokens() -> dict[str, tuple[str, TokenSettings]]:
    return {
        "reader": token_entry("reader", "read"),
        "streamer": token_entry("streamer", "stream", "actuate"),
        "admin": token_entry("admin", "admin"),
    }


@pytest.fixture(scope="module")
def authenticator(tokens: dict[str, tuple[str, TokenSettings]]) -> Authenticator:
    return Authenticator(entry for _, entry in tokens.values())


# --- hashing ------------------------------------------------------------------------------


def test_hash_is_salted_and_never_the_token() -> None:
    token = new_token("unity")
    first, second = hash_token(token), hash_token(token)
    assert first != second  # a fresh salt each time
    assert token not in first
    assert token.split(".", 1)[1] not in first
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_token(token, first)
    assert verify_token(token, second)
    assert not verify_token(token + "x", first)


def test_tokens_are_random_and_carry_the_name() -> None:
    one, two = new_token("unity"), new_token("unity")
    assert one != two
    assert one.startswith("unity.")
    assert len(one.split(".", 1)[1]) >= 40


def test_a_hash_that_is_not_ours_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a token hash"):
        verify_token("a.b", "scrypt$16384$8$1$!!!$???")


def test_settings_refuse_plain_tokens_and_duplicate_names() -> None:
    with pytest.raises(ValidationError):
        TokenSettings.model_validate({"name": "x", "scopes": ["read"], "hash": "x.secret"})
    with pytest.raises(ValidationError):
        TokenSettings.model_validate({"name": "x", "scopes": ["god"], "hash": hash_token("x.y")})
    _, entry = token_entry("twice", "read")
    with pytest.raises(ValidationError, match="unique"):
        AuthSettings(tokens=(entry, entry))


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    token, entry = token_entry("env", "read", "stream")
    monkeypatch.setenv("TRANSLATOR_AUTH__TOKENS", f"[{entry.model_dump_json()}]")
    settings = Settings()
    assert Authenticator.from_settings(settings.auth).authorize(token, "stream").name == "env"


# --- the authenticator --------------------------------------------------------------------


def test_scopes_are_checked(
    authenticator: Authenticator, tokens: dict[str, tuple[str, TokenSettings]]
) -> None:
    reader, _ = tokens["reader"]
    assert authenticator.authorize(reader, "read") == Principal("reader", frozenset({"read"}))
    with pytest.raises(AuthError) as refused:
        authenticator.authorize(reader, "actuate")
    assert refused.value.status == 403
    assert "'actuate'" in str(refused.value)


def test_admin_holds_every_scope(
    authenticator: Authenticator, tokens: dict[str, tuple[str, TokenSettings]]
) -> None:
    admin, _ = tokens["admin"]
    for scope in SCOPES:
        assert authenticator.authorize(admin, scope).name == "admin"


@pytest.mark.parametrize(
    "token", [None, "", "reader", "reader.wrong-secret", "nobody.secret", "Bearer x"]
)
def test_missing_or_bad_tokens_are_401(authenticator: Authenticator, token: str | None) -> None:
    with pytest.raises(AuthError) as refused:
        authenticator.authenticate(token)
    assert refused.value.status == 401


def test_a_verified_token_is_cached_by_fingerprint(
    tokens: dict[str, tuple[str, TokenSettings]],
) -> None:
    token, entry = tokens["reader"]
    fresh = Authenticator([entry])
    assert not fresh.is_cached(token)
    fresh.authenticate(token)
    assert fresh.is_cached(token)
    assert not fresh.is_cached(token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(AuthError):
        fresh.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_wrong_secret_is_logged_without_the_token(
    authenticator: Authenticator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(AuthError):
        authenticator.authenticate("reader.not-the-secret")
    assert "reader" in caplog.text
    assert "not-the-secret" not in caplog.text


def test_without_tokens_everyone_is_anonymous_with_every_scope() -> None:
    open_door = Authenticator()
    assert not open_door.enabled
    assert open_door.authorize(None, "admin").scopes == frozenset(SCOPES)


def test_unknown_scope_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown scope"):
        require("write")  # type: ignore[arg-type]


# --- listening address --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_no_tokens_refuses_a_public_address() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        check_listen_address("0.0.0.0", AuthSettings())


def test_no_tokens_on_loopback_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="translator.api.auth"):
        check_listen_address("127.0.0.1", AuthSettings())
    assert "no tokens configured: listening on loopback only, without auth" in caplog.text


def test_tokens_allow_any_address(
    tokens: dict[str, tuple[str, TokenSettings]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="translator.api.auth"):
        check_listen_address("0.0.0.0", AuthSettings(tokens=(tokens["reader"][1],)))
    assert "no tokens" not in caplog.text


# --- the dependency on HTTP and WebSocket routes --------------------------------------------


def guarded_app(authenticator: Authenticator | None) -> FastAPI:
    router = APIRouter()

    @router.get("/read", dependencies=[Depends(require("read"))])
    def read() -> dict[str, str]:
        return {"ok": "read"}

    @router.get("/whoami")
    def whoami(who: Annotated[Principal, Depends(require("actuate"))]) -> dict[str, str]:
        return {"name": who.name}

    @router.get("/events", dependencies=[Depends(require("stream", query_token=True))])
    def events() -> dict[str, str]:
        return {"ok": "stream"}

    @router.websocket("/socket", dependencies=[Depends(require("stream"))])
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    return create_app([router], authenticator=authenticator)


def in_process(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def http(authenticator: Authenticator) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(guarded_app(authenticator)) as client:
        yield client


@pytest.fixture
async def ws_url(authenticator: Authenticator) -> AsyncIterator[str]:
    """The guarded app on a real loopback server (WebSockets need one)."""
    config = uvicorn.Config(
        guarded_app(authenticator),
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):
        while not server.started:  # noqa: ASYNC110 -- uvicorn has no "listening" event
            await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"ws://127.0.0.1:{port}/socket"
    server.should_exit = True
    await asyncio.wait_for(task, 30)


async def test_401_names_the_scheme(http: httpx.AsyncClient) -> None:
    response = await http.get("/read")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="translator"'
    assert "Authorization: Bearer" in response.json()["detail"]


async def test_401_for_an_invalid_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/read", headers={"Authorization": "Bearer reader.nope"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_403_names_the_missing_scope(
    http: httpx.AsyncClient, tokens: dict[str, tuple[str, TokenSettings]]
) -> None:
    reader, _ = tokens["reader"]
    response = await http.get("/whoami", headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 403
    assert "'actuate'" in response.json()["detail"]
    assert 'scope="actuate"' in response.headers["WWW-Authenticate"]


async def test_the_principal_reaches_the_route(
    http: httpx.AsyncClient, tokens: dict[str, tuple[str, TokenSettings]]
) -> None:
    streamer, _ = tokens["streamer"]
    response = await http.get("/whoami", headers={"Authorization": f"bearer {streamer}"})
    assert response.json() == {"name": "streamer"}


async def test_query_token_only_where_allowed(
    http: httpx.AsyncClient, tokens: dict[str, tuple[str, TokenSettings]]
) -> None:
    streamer, _ = tokens["streamer"]
    reader, _ = tokens["reader"]
    assert (await http.get("/events", params={"access_token": streamer})).status_code == 200
    assert (await http.get("/read", params={"access_token": reader})).status_code == 401


async def test_websocket_with_the_scope_connects(
    ws_url: str, tokens: dict[str, tuple[str, TokenSettings]]
) -> None:
    streamer, _ = tokens["streamer"]
    header = {"Authorization": f"Bearer {streamer}"}
    async with websockets.connect(ws_url, additional_headers=header) as socket:
        assert await socket.recv() == "hello"
    async with websockets.connect(f"{ws_url}?access_token={streamer}") as socket:
        assert await socket.recv() == "hello"


@pytest.mark.parametrize("who", [None, "reader"])
async def test_websocket_without_the_scope_is_refused(
    ws_url: str, tokens: dict[str, tuple[str, TokenSettings]], who: str | None
) -> None:
    url = ws_url if who is None else f"{ws_url}?access_token={tokens[who][0]}"
    # refused before the handshake completes: uvicorn answers the upgrade with HTTP 403
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(url):
            pass
    assert refused.value.response.status_code == 403


async def test_without_tokens_routes_are_open() -> None:
    async with in_process(guarded_app(None)) as client:
        assert (await client.get("/read")).json() == {"ok": "read"}
        assert (await client.get("/whoami")).json() == {"name": "anonymous"}


async def test_an_app_without_an_authenticator_fails_closed() -> None:
    app = FastAPI()
    app.include_router(guarded_app(None).router)
    async with in_process(app) as client:
        assert (await client.get("/read")).status_code == 500


# --- translator token ---------------------------------------------------------------------


def test_cli_prints_a_token_and_its_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["token", "--name", "unity", "--scopes", "read,stream"]) == 0
    out = capsys.readouterr().out
    token = out.split("keep it secret): ", 1)[1].split()[0]
    hashed = out.split('hash = "', 1)[1].split('"', 1)[0]
    assert token.startswith("unity.")
    assert verify_token(token, hashed)
    assert 'scopes = ["read", "stream"]' in out
    assert "TRANSLATOR_AUTH__TOKENS=" in out
    assert hashlib.sha256(token.encode()).hexdigest() not in out


def test_cli_refuses_unknown_scopes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["token", "--name", "x", "--scopes", "read,root"])
    assert exited.value.code == 2
    assert "root" in capsys.readouterr().err
