"""HTTP for simulated senders: POST each report to the translator's webhook URL (httpx).

Used by senders that are servers in real life (The Things Stack's webhook integration, a
FHIR client posting Observations). A failed request (no server, timeout, error status) is
logged and the sender carries on with its next report. Proxy environment variables are
ignored: the translator is reached directly.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from translator.devices.base import DeviceModel, Outgoing, Pace, pace_reports

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HttpEndpoint:
    """The translator's HTTP server: ``base`` is ``http://host:port`` (plus a path prefix).

    ``headers`` go on every request (e.g. ``Authorization`` when tokens are required).
    """

    base: str = "http://127.0.0.1:8000"
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0


class HttpDevice:
    """Runs a ``DeviceModel`` whose reports are HTTP POSTs."""

    def __init__(
        self, model: DeviceModel, endpoint: HttpEndpoint, pace: Pace | None = None
    ) -> None:
        self._model = model
        self._endpoint = endpoint
        self._pace = pace or Pace()

    @property
    def name(self) -> str:
        """The device's name."""
        return self._model.name

    @property
    def model(self) -> DeviceModel:
        """The device's state and payload shapes."""
        return self._model

    async def run(self, stop: asyncio.Event) -> int:
        """POST reports until ``stop`` or the pace's bounds; return how many were sent."""
        endpoint = self._endpoint
        async with httpx.AsyncClient(
            base_url=endpoint.base.rstrip("/"),
            headers=dict(endpoint.headers),
            timeout=endpoint.timeout,
            trust_env=False,
        ) as client:

            async def send(message: Outgoing) -> None:
                await self._post(client, message)

            return await pace_reports(self.name, stop, self._pace, self._model.report, send)

    async def _post(self, client: httpx.AsyncClient, message: Outgoing) -> None:
        headers = dict(message.headers)
        if message.content_format is not None:
            headers["Content-Type"] = message.content_format
        path = "/" + message.channel.lstrip("/")
        try:
            response = await client.post(path, content=message.payload, headers=headers)
        except httpx.HTTPError as err:
            logger.warning("device %s: HTTP POST %s failed: %s", self.name, path, err)
            return
        if response.is_error:
            logger.warning(
                "device %s: HTTP POST %s answered %d: %s",
                self.name,
                path,
                response.status_code,
                response.text[:200],
            )
