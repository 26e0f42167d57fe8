"""CoAP plugs behind an LwM2M-style gateway: IPSO Power Control resources that take a PUT.

Perception layer. The gateway is one aiocoap server on loopback exposing, per plug, the
IPSO Power Control On/Off resource ``/{plug}/3312/0/5850`` (object 3312, instance 0,
resource 5850; LwM2M 1.2 gateways address their end devices with such a path prefix):

* ``PUT`` with ``1`` / ``0`` (LwM2M's plain-text Boolean, Content-Format 0) switches it and
  is answered 2.04 Changed (4.00 for any other value, 4.15 for another format);
* ``GET`` answers ``1`` / ``0``.

Each plug reports the way an LwM2M 1.1 client's Send operation does, a SenML JSON pack
POSTed to the translator's ``dp`` path, right after a PUT and then every pace period::

    [{"bn": "kitchen/", "bt": 1764064800.0, "n": "3312/0/5850", "vb": true},
     {"n": "3305/0/5800", "u": "W", "v": 41.3}]

(IPSO Power Measurement 3305, resource 5800: instantaneous active power). The base name is
the gateway prefix; LwM2M writes it with a leading ``/``, which RFC 8428 names may not start
with, so it is left out. A report that fails is logged and the plug carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any, Final

import aiocoap
import orjson
from aiocoap import resource
from aiocoap.numbers.codes import Code
from aiocoap.numbers.contentformat import ContentFormat

from translator.devices.base import Clock, Outgoing, Pace, pace_reports, seeded_rng, utc_now
from translator.devices.coap import CoapEndpoint
from translator.devices.meter import PowerMeter

logger = logging.getLogger(__name__)

SENML_JSON: Final = "application/senml+json"
REPORT_PATH: Final = "dp"
ON_OFF: Final = ("3312", "0", "5850")
ACTIVE_POWER: Final = "3305/0/5800"
TEXT_PLAIN: Final = 0  # CoAP Content-Format of text/plain;charset=utf-8


class CoapPlug:
    """One metering plug: relay state, load, and its SenML report."""

    def __init__(
        self, name: str, *, seed: int | None = None, on: bool = False, clock: Clock = utc_now
    ) -> None:
        self._name = name
        self._rng = seeded_rng(seed)
        self._clock = clock
        self.meter = PowerMeter(on=on)

    @property
    def name(self) -> str:
        """The plug's gateway prefix (the first Uri-Path segment)."""
        return self._name

    def write(self, payload: bytes) -> None:
        """Apply a PUT to ``3312/0/5850``.

        Raises:
            ValueError: the payload is not ``0`` or ``1``.
        """
        text = payload.decode("utf-8", "replace").strip()
        if text not in ("0", "1"):
            raise ValueError(f"On/Off takes 0 or 1, not {text[:20]!r}")
        self.meter.switch(text == "1")

    def report(self, elapsed: float) -> list[Outgoing]:
        """Advance the meter and render the Send pack."""
        self.meter.step(elapsed, self._rng)
        return [self.pack()]

    def pack(self) -> Outgoing:
        """The current state as a SenML JSON pack for the translator's ``dp`` path."""
        records: list[dict[str, Any]] = [
            {
                "bn": f"{self._name}/",
                "bt": round(self._clock().timestamp(), 3),
                "n": "/".join(ON_OFF),
                "vb": self.meter.on,
            },
            {"n": ACTIVE_POWER, "u": "W", "v": round(self.meter.power, 1)},
        ]
        return Outgoing(REPORT_PATH, orjson.dumps(records), content_format=SENML_JSON)


class _OnOff(resource.Resource):  # type: ignore[misc]  # aiocoap is untyped
    """``/{plug}/3312/0/5850``."""

    def __init__(self, plug: CoapPlug, changed: asyncio.Queue[CoapPlug]) -> None:
        super().__init__()
        self._plug = plug
        self._changed = changed

    async def render_get(self, request: aiocoap.Message) -> aiocoap.Message:
        return _text(Code.CONTENT, b"1" if self._plug.meter.on else b"0")

    async def render_put(self, request: aiocoap.Message) -> aiocoap.Message:
        fmt = request.opt.content_format
        if fmt is not None and int(fmt) != TEXT_PLAIN:
            return aiocoap.Message(code=Code.UNSUPPORTED_CONTENT_FORMAT)
        try:
            self._plug.write(request.payload)
        except ValueError as err:
            return aiocoap.Message(code=Code.BAD_REQUEST, payload=str(err).encode())
        self._changed.put_nowait(self._plug)
        logger.debug("plug %s switched %s", self._plug.name, self._plug.meter.on)
        return aiocoap.Message(code=Code.CHANGED)


class CoapPlugGateway:
    """Serves the plugs' resources on ``host:port`` and sends their reports to the translator."""

    def __init__(
        self,
        plugs: Sequence[CoapPlug],
        endpoint: CoapEndpoint,
        pace: Pace | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 5690,
    ) -> None:
        self._plugs = list(plugs)
        self._endpoint = endpoint
        self._pace = pace or Pace()
        self._host = host
        self._port = port
        self._ready = asyncio.Event()
        self._changed: asyncio.Queue[CoapPlug] = asyncio.Queue()

    @property
    def name(self) -> str:
        """A label for logs."""
        return f"coap-gateway:{self._port}"

    @property
    def url(self) -> str:
        """``coap://host:port``: the translator's ``coap.device_base``."""
        return f"coap://{self._host}:{self._port}"

    async def ready(self) -> None:
        """Return once the gateway listens."""
        await self._ready.wait()

    async def run(self, stop: asyncio.Event) -> int:
        """Serve and report until ``stop``; return the number of reports sent."""
        site = resource.Site()
        for plug in self._plugs:
            site.add_resource((plug.name, *ON_OFF), _OnOff(plug, self._changed))
        context = await aiocoap.Context.create_server_context(
            site, bind=(self._host, self._port), transports=["udp6"]
        )
        self._ready.set()
        try:
            async with asyncio.TaskGroup() as group:
                reports = [
                    group.create_task(self._pace_plug(context, plug, stop)) for plug in self._plugs
                ]
                pushes = group.create_task(self._push_changes(context, stop))
            return sum(task.result() for task in reports) + pushes.result()
        finally:
            await context.shutdown()

    async def _pace_plug(
        self, context: aiocoap.Context, plug: CoapPlug, stop: asyncio.Event
    ) -> int:
        async def send(message: Outgoing) -> None:
            await self._post(context, message)

        return await pace_reports(plug.name, stop, self._pace, plug.report, send)

    async def _push_changes(self, context: aiocoap.Context, stop: asyncio.Event) -> int:
        sent = 0
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                changed = asyncio.create_task(self._changed.get())
                await asyncio.wait({changed, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not changed.done():
                    changed.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await changed
                    break
                await self._post(context, changed.result().pack())
                sent += 1
        finally:
            stopping.cancel()
        return sent

    async def _post(self, context: aiocoap.Context, message: Outgoing) -> None:
        uri = f"{self._endpoint.base.rstrip('/')}/{message.channel}"
        request = aiocoap.Message(code=aiocoap.POST, uri=uri, payload=message.payload)
        request.opt.content_format = ContentFormat.by_media_type(SENML_JSON)
        try:
            async with asyncio.timeout(self._endpoint.timeout):
                response = await context.request(request).response
        except (TimeoutError, aiocoap.error.Error, OSError) as err:
            logger.warning("CoAP gateway: POST %s failed: %s", uri, err)
            return
        if not response.code.is_successful():
            logger.warning("CoAP gateway: POST %s answered %s", uri, response.code)


def _text(code: Code, payload: bytes) -> aiocoap.Message:
    message = aiocoap.Message(code=code, payload=payload)
    message.opt.content_format = ContentFormat(TEXT_PLAIN)
    return message
