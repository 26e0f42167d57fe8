"""CoAP for simulated devices: POST each report to the translator's CoAP server (aiocoap client).

A request that fails (no server, timeout, error response) is logged and the device carries
on with its next report, as a constrained sensor would; nothing is retried beyond CoAP's own
confirmable-message retransmissions, bounded here by ``CoapEndpoint.timeout``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiocoap
from aiocoap.numbers.contentformat import ContentFormat

from translator.devices.base import DeviceModel, Outgoing, Pace, pace_reports

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CoapEndpoint:
    """The translator's CoAP server: ``base`` is ``coap://host:port`` without a path."""

    base: str = "coap://127.0.0.1:5683"
    timeout: float = 10.0


class CoapDevice:
    """Runs a ``DeviceModel`` whose reports are CoAP POSTs (SenML sensors)."""

    def __init__(
        self, model: DeviceModel, endpoint: CoapEndpoint, pace: Pace | None = None
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
        context = await aiocoap.Context.create_client_context()
        try:

            async def send(message: Outgoing) -> None:
                await self._post(context, message)

            return await pace_reports(self.name, stop, self._pace, self._model.report, send)
        finally:
            await context.shutdown()

    async def _post(self, context: aiocoap.Context, message: Outgoing) -> None:
        uri = f"{self._endpoint.base.rstrip('/')}/{message.channel}"
        request = aiocoap.Message(code=aiocoap.POST, uri=uri, payload=message.payload)
        if message.content_format is not None:
            request.opt.content_format = ContentFormat.by_media_type(message.content_format)
        try:
            async with asyncio.timeout(self._endpoint.timeout):
                response = await context.request(request).response
        except (TimeoutError, aiocoap.error.Error, OSError) as err:
            logger.warning("device %s: CoAP POST %s failed: %s", self.name, uri, err)
            return
        if not response.code.is_successful():
            logger.warning(
                "device %s: CoAP POST %s answered %s: %r",
                self.name,
                uri,
                response.code,
                response.payload[:200],
            )
