"""Bearer-token auth: salted token hashes in settings, scopes per route, loopback without tokens.

A token reads ``<name>.<secret>`` (``translator token --name unity --scopes read,stream``
makes one and prints it once). Settings keep only its scrypt hash, salted, with the holder's
name and scopes; the name in the token picks the one hash to check, so a request with a
bad token costs at most one scrypt. A token once verified is remembered in memory as the
SHA-256 of the token, compared in constant time, so later requests cost microseconds.

Scopes: ``read`` (SPARQL queries, things, dead letters, metrics), ``stream`` (WebSocket /
SSE), ``actuate`` (commands), ``ingest`` (HTTP webhooks from devices), ``admin`` (SPARQL
Update; implies every other scope).

Routes declare what they need with the FastAPI dependency ``require(scope)``::

    @router.get("/things", dependencies=[Depends(require("read"))])

or take the caller's ``Principal``::

    def route(who: Annotated[Principal, Depends(require("actuate"))]) -> ...

(with ``from __future__ import annotations`` FastAPI evaluates that annotation in the
module's globals: call ``require`` there, do not name a local variable holding it).

Without any token configured auth is off: every request passes as ``anonymous`` with every
scope, and ``check_listen_address`` refuses any non-loopback address at start.

| outcome | HTTP | WebSocket |
| --- | --- | --- |
| no token, unknown or wrong token | 401 + ``WWW-Authenticate: Bearer`` | close 1008 (*) |
| token without the route's scope | 403 naming the scope | close 1008 (*) |

(*) raised before the handshake completes, which uvicorn answers with HTTP 403.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Final, get_args

from fastapi import FastAPI, HTTPException, WebSocketException, status
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from translator.errors import AuthError, ConfigError
from translator.settings import AuthSettings, Scope, TokenSettings

logger = logging.getLogger(__name__)

SCOPES: Final[tuple[Scope, ...]] = get_args(Scope)
ANONYMOUS: Final = "anonymous"
QUERY_PARAMETER: Final = "access_token"  # RFC 6750 §2.3, for clients that cannot set headers
SCRYPT_N: Final = 2**14
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
SALT_BYTES: Final = 16
SECRET_BYTES: Final = 32
_SCHEME: Final = "scrypt"
_REALM: Final = 'Bearer realm="translator"'


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request, and what they may do."""

    name: str
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        """Whether this principal holds ``scope`` (``admin`` holds every scope)."""
        return scope in self.scopes or "admin" in self.scopes


def new_token(name: str) -> str:
    """A fresh random token for the holder ``name`` (shown once, never stored)."""
    return f"{name}.{secrets.token_urlsafe(SECRET_BYTES)}"


def hash_token(token: str, *, salt: bytes | None = None) -> str:
    """The salted scrypt hash of ``token`` as settings store it.

    Format: ``scrypt$N$r$p$<salt base64>$<digest base64>``.
    """
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = _scrypt(token, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    encoded = (base64.b64encode(part).decode() for part in (salt, digest))
    return "$".join((_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), *encoded))


def verify_token(token: str, stored: str) -> bool:
    """Whether ``token`` hashes to ``stored`` (constant-time comparison).

    Raises:
        ConfigError: ``stored`` is not a hash made by ``hash_token``.
    """
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            raise ValueError(scheme)
        expected = base64.b64decode(digest, validate=True)
        actual = _scrypt(token, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except ValueError as err:
        raise ConfigError(f"auth.tokens: {stored[:12]}… is not a token hash: {err}") from err
    return hmac.compare_digest(actual, expected)


def _scrypt(token: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(token.encode(), salt=salt, n=n, r=r, p=p, maxmem=2**26, dklen=32)


class Authenticator:
    """Checks tokens against the configured hashes. One per app; thread-safe."""

    def __init__(self, tokens: Iterable[TokenSettings] = ()) -> None:
        self._tokens = {token.name: token for token in tokens}
        self._verified: dict[str, bytes] = {}  # name -> SHA-256 of the token once verified
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> Authenticator:
        """The authenticator for the ``auth`` settings group."""
        return cls(settings.tokens)

    @property
    def enabled(self) -> bool:
        """Whether any token is configured (otherwise every request is allowed)."""
        return bool(self._tokens)

    def authenticate(self, token: str | None) -> Principal:
        """The principal holding ``token``. May run scrypt once: call it off the event loop.

        Raises:
            AuthError: (401) no token, or a token that is not configured.
        """
        if not self.enabled:
            return Principal(ANONYMOUS, frozenset(SCOPES))
        if not token:
            raise AuthError("a bearer token is required: send 'Authorization: Bearer <token>'")
        name, _, _ = token.partition(".")
        entry = self._tokens.get(name)
        if entry is None or not self._check(entry, token):
            raise AuthError("invalid token: unknown, revoked or mistyped")
        return Principal(entry.name, frozenset(entry.scopes))

    def authorize(self, token: str | None, scope: Scope) -> Principal:
        """The principal holding ``token``, if it has ``scope``.

        Raises:
            AuthError: 401 as in ``authenticate``; 403 when the token lacks ``scope``.
        """
        principal = self.authenticate(token)
        if not principal.allows(scope):
            held = ", ".join(sorted(principal.scopes))
            raise AuthError(
                f"token {principal.name!r} lacks the {scope!r} scope (it has: {held})", status=403
            )
        return principal

    def is_cached(self, token: str | None) -> bool:
        """Whether ``authenticate(token)`` is cheap (no scrypt): auth off or token seen."""
        if not self.enabled or not token:
            return True
        name, _, _ = token.partition(".")
        with self._lock:
            known = self._verified.get(name)
        return known is not None and hmac.compare_digest(known, _fingerprint(token))

    def _check(self, entry: TokenSettings, token: str) -> bool:
        fingerprint = _fingerprint(token)
        with self._lock:
            known = self._verified.get(entry.name)
        if known is not None and hmac.compare_digest(known, fingerprint):
            return True
        if not verify_token(token, entry.hash):
            logger.warning("rejected a token for %r: wrong secret", entry.name)
            return False
        with self._lock:
            self._verified[entry.name] = fingerprint
        return True


def _fingerprint(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def install_authenticator(app: FastAPI, authenticator: Authenticator) -> None:
    """Make ``require`` on ``app``'s routes check tokens with ``authenticator``."""
    app.state.authenticator = authenticator


def authenticator_of(connection: HTTPConnection) -> Authenticator:
    """The app's authenticator; an app without one refuses every guarded route (fails closed)."""
    authenticator = getattr(connection.app.state, "authenticator", None)
    if not isinstance(authenticator, Authenticator):
        raise RuntimeError("no Authenticator installed on this app (use create_app)")
    return authenticator


def bearer_token(connection: HTTPConnection, *, query_token: bool = False) -> str | None:
    """The token of ``Authorization: Bearer …``, else (when allowed) of ``?access_token=``."""
    scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if query_token:
        return connection.query_params.get(QUERY_PARAMETER) or None
    return None


def require(scope: Scope, *, query_token: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency admitting requests whose token holds ``scope``.

    Works on HTTP and WebSocket routes. ``query_token`` also accepts ``?access_token=`` (for
    browsers' ``EventSource``); WebSockets always accept it, since browsers cannot set their
    headers. Raises 401/403 (HTTP) or closes with 1008 (WebSocket).
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; choose one of {', '.join(SCOPES)}")

    async def dependency(connection: HTTPConnection) -> Principal:
        authenticator = authenticator_of(connection)
        is_socket = isinstance(connection, WebSocket)
        token = bearer_token(connection, query_token=query_token or is_socket)
        try:
            if authenticator.is_cached(token):
                return authenticator.authorize(token, scope)
            return await asyncio.to_thread(authenticator.authorize, token, scope)
        except AuthError as err:
            if is_socket:
                raise WebSocketException(status.WS_1008_POLICY_VIOLATION, str(err)) from err
            raise auth_http_error(err, scope, token_sent=token is not None) from err

    return dependency


def auth_http_error(err: AuthError, scope: Scope, *, token_sent: bool) -> HTTPException:
    """The 401/403 answer for ``err`` (RFC 6750 ``WWW-Authenticate`` header)."""
    if err.status == status.HTTP_403_FORBIDDEN:
        challenge = f'{_REALM}, error="insufficient_scope", scope="{scope}"'
    elif token_sent:
        challenge = f'{_REALM}, error="invalid_token"'
    else:
        challenge = _REALM
    return HTTPException(err.status, str(err), headers={"WWW-Authenticate": challenge})


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen_address(host: str, settings: AuthSettings) -> None:
    """Refuse to serve beyond loopback without tokens; warn when running without auth.

    Raises:
        ConfigError: no token is configured and ``host`` is not a loopback address.
    """
    if settings.tokens:
        return
    if not is_loopback(host):
        raise ConfigError(
            f"http.host is {host!r} but no auth.tokens are configured: without tokens the "
            "service listens on loopback only (add a token with `translator token`, "
            "or set http.host to 127.0.0.1)"
        )
    logger.warning("no tokens configured: listening on loopback only, without auth")
