"""HTTP command delivery: a rendered command becomes one request to the device (httpx).

Network layer, outbound only (the inbound side is ``http.py``, the ``/ingest`` webhooks).
A command's channel is a path under ``HttpCommandSettings.device_base`` (``{device}/rpc`` →
``http://gateway:8080/kitchen/rpc``), or an absolute ``http(s)://`` URL whose origin is the
device base's or one of ``allowed_origins``: a mapping cannot make the translator call an
arbitrary host. The body is the rendered payload with its content type; any 2xx answer is
success, anything else (or no answer within ``timeout_s``) an ``AdapterError``. Proxy
environment variables are ignored: devices are reached directly.

    async with HttpCommandClient(settings) as client:
        await client.send(rendered)
"""

from __future__ import annotations

import logging
from typing import Final, Self
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from translator.errors import AdapterError
from translator.values import RenderedCommand

logger = logging.getLogger(__name__)

_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_DETAIL_CHARS: Final = 200


class HttpCommandSettings(BaseModel):
    """Where HTTP commands go and how long they may take."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device_base: str | None = Field(
        None, description="http(s)://host:port[/prefix] that relative command channels go to."
    )
    allowed_origins: tuple[str, ...] = Field(
        (), description="Other origins (scheme://host:port) absolute command URLs may name."
    )
    timeout_s: float = Field(10.0, gt=0, le=300, description="Longest wait for the answer.")

    @field_validator("device_base")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is not None and _origin(value) is None:
            raise ValueError("expected http(s)://host[:port][/prefix]")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        origins = tuple(_origin(value) for value in values)
        if None in origins:
            raise ValueError("expected http(s)://host[:port] origins")
        return tuple(origin for origin in origins if origin is not None)


class HttpCommandClient:
    """Sends rendered HTTP commands; one connection pool, opened on first use."""

    name = "http"

    def __init__(self, settings: HttpCommandSettings) -> None:
        self._settings = settings
        self._client: httpx.AsyncClient | None = None
        base = settings.device_base
        self._origins = frozenset(settings.allowed_origins) | (
            {origin} if base is not None and (origin := _origin(base)) else set()
        )
        self.sent = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool (idempotent)."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def send(self, command: RenderedCommand) -> None:
        """Deliver one rendered command; return when the device answered 2xx.

        Raises:
            AdapterError: no address for the channel, a refused origin, no answer in time, a
                transport error or a non-2xx answer.
        """
        method = (command.method or "POST").upper()
        if method not in _METHODS:
            raise AdapterError(f"HTTP commands cannot use the method {method}")
        url = self.url(command.channel)
        headers = {"Content-Type": command.content_format} if command.content_format else {}
        try:
            response = await self._pool().request(
                method, url, content=command.payload, headers=headers
            )
        except httpx.TimeoutException as err:
            raise AdapterError(
                f"HTTP {method} {url}: no answer in {self._settings.timeout_s} s"
            ) from err
        except httpx.HTTPError as err:
            raise AdapterError(f"HTTP {method} {url} failed: {err}") from err
        if not response.is_success:
            detail = response.text[:_DETAIL_CHARS]
            raise AdapterError(f"HTTP {method} {url}: {response.status_code} {detail}")
        self.sent += 1
        logger.debug("HTTP command %s sent: %d", command.command.name, response.status_code)

    def url(self, channel: str) -> str:
        """The URL a command channel names.

        Raises:
            AdapterError: a relative channel without ``device_base``, or an absolute URL
                whose origin is not allowed.
        """
        origin = _origin(channel)
        if origin is not None:
            if origin not in self._origins:
                raise AdapterError(
                    f"command URL {channel!r}: origin {origin} is not the device base or one "
                    "of commands.http.allowed_origins"
                )
            return channel
        base = self._settings.device_base
        if base is None:
            raise AdapterError(
                f"command channel {channel!r} is a path and commands.http.device_base is unset"
            )
        return f"{base.rstrip('/')}/{channel.lstrip('/')}"

    def _pool(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._settings.timeout_s, trust_env=False, follow_redirects=False
            )
        return self._client


def _origin(url: str) -> str | None:
    """``scheme://host:port`` of an absolute http(s) URL (default port filled in), else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"
