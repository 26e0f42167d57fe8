"""A Shelly Gen2 metering switch (Plus 1PM, Plus Plug S) as its MQTT RPC channel has it.

From the Shelly Gen2 API docs (RPC protocol, Notifications, Switch component):

* status changes go out as JSON-RPC notifications on ``{prefix}/events/rpc``:
  ``{"src": id, "dst": "{prefix}/events", "method": "NotifyStatus",
  "params": {"ts": 1631186545.04, "switch:0": {"id": 0, "source", "output", "apower",
  "voltage", "current", "aenergy": {"total", "by_minute", "minute_ts"},
  "temperature": {"tC", "tF"}}}}`` (W, V, A, Wh, mWh, °C/°F);
* requests arrive on ``{prefix}/rpc``: ``{"id": 1, "src": "caller", "method": "Switch.Set",
  "params": {"id": 0, "on": false}}``; the answer goes to ``{src}/rpc`` as
  ``{"id": 1, "src": id, "dst": "caller", "result": {"was_on": true}}`` (or ``"error"``),
  followed by a NotifyStatus with the new output. ``Switch.Toggle``, ``Switch.GetStatus``
  and ``Shelly.GetStatus`` are answered too;
* ``{prefix}/online`` is ``true`` / ``false`` (retained).

The topic prefix defaults to the device id (``shellyplus1pm-a8032ab12345``), used here as name.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime
from typing import Any

import orjson

from translator.devices.base import Clock, Outgoing, Walk, seeded_rng, utc_now
from translator.devices.meter import PowerMeter

logger = logging.getLogger(__name__)

ERROR_NO_HANDLER = 404
ERROR_INVALID_ARGUMENT = -103


class RpcError(Exception):
    """A request the switch refuses; becomes the ``error`` member of the response frame."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class ShellySwitch:
    """Switch component ``switch:0`` with power metering, reachable over MQTT RPC."""

    def __init__(
        self,
        device_id: str,
        *,
        seed: int | None = None,
        on: bool = True,
        clock: Clock = utc_now,
    ) -> None:
        self._id = device_id
        self._rng = seeded_rng(seed)
        self._clock = clock
        self.meter = PowerMeter(on=on, energy_wh=self._rng.uniform(500.0, 20000.0))
        self.temperature = Walk(self._rng.uniform(40.0, 46.0), 30.0, 60.0, 0.4)
        self.source = "init"
        self._minute = self._minute_of(clock())
        self._minute_mwh = 0.0
        self._by_minute: deque[float] = deque([0.0, 0.0, 0.0], maxlen=3)

    @property
    def name(self) -> str:
        """The device id, which is also the MQTT topic prefix."""
        return self._id

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The RPC request topic."""
        return (f"{self._id}/rpc",)

    def birth(self) -> list[Outgoing]:
        """``{prefix}/online true``, retained."""
        return [Outgoing(f"{self._id}/online", b"true", retain=True)]

    def will(self) -> Outgoing | None:
        """``{prefix}/online false``, retained."""
        return Outgoing(f"{self._id}/online", b"false", retain=True)

    def report(self, elapsed: float) -> list[Outgoing]:
        """Advance the meter and notify the status of ``switch:0``."""
        before = self.meter.energy_wh
        self.meter.step(elapsed, self._rng)
        self.temperature.next(self._rng)
        self._count_minutes(self._clock(), (self.meter.energy_wh - before) * 1000.0)
        return [self._notify_status()]

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """Answer one JSON-RPC request frame; a state change is followed by NotifyStatus."""
        if topic != f"{self._id}/rpc":
            return []
        try:
            request = orjson.loads(payload)
        except orjson.JSONDecodeError:
            logger.warning("%s: RPC frame is not JSON: %r", self._id, payload[:80])
            return []
        if not isinstance(request, dict):
            logger.warning("%s: RPC frame is not an object", self._id)
            return []
        output_before = self.meter.on
        frame: dict[str, Any] = {"id": request.get("id"), "src": self._id}
        try:
            frame["result"] = self._call(str(request.get("method", "")), request.get("params"))
        except RpcError as err:
            frame["error"] = {"code": err.code, "message": err.message}
        replies = []
        caller = request.get("src")
        if isinstance(caller, str) and caller:
            frame["dst"] = caller
            replies.append(Outgoing(f"{caller}/rpc", orjson.dumps(frame)))
        else:
            logger.warning("%s: RPC request without src, no reply sent", self._id)
        if self.meter.on != output_before:
            replies.append(self._notify_status())
        return replies

    def status(self) -> dict[str, Any]:
        """The ``switch:0`` status object, as ``Switch.GetStatus`` returns it."""
        meter = self.meter
        celsius = round(self.temperature.value, 1)
        return {
            "id": 0,
            "source": self.source,
            "output": meter.on,
            "apower": round(meter.power, 1),
            "voltage": round(meter.voltage, 1),
            "current": round(meter.current, 3),
            "aenergy": {
                "total": round(meter.energy_wh, 3),
                "by_minute": [round(mwh, 3) for mwh in self._by_minute],
                "minute_ts": self._minute,
            },
            "temperature": {"tC": celsius, "tF": round(celsius * 9 / 5 + 32, 1)},
        }

    def _call(self, method: str, params: object) -> dict[str, Any]:
        if method == "Shelly.GetStatus":
            return {"switch:0": self.status()}
        if method not in ("Switch.Set", "Switch.Toggle", "Switch.GetStatus"):
            raise RpcError(ERROR_NO_HANDLER, f"No handler for {method}")
        if not isinstance(params, dict) or params.get("id") != 0:
            raise RpcError(ERROR_INVALID_ARGUMENT, "Invalid argument 'id': no such component")
        if method == "Switch.GetStatus":
            return self.status()
        if method == "Switch.Toggle":
            wanted = not self.meter.on
        elif isinstance(params.get("on"), bool):
            wanted = params["on"]
        else:
            raise RpcError(ERROR_INVALID_ARGUMENT, "Invalid argument 'on': boolean expected")
        self.source = "MQTT"
        return {"was_on": self.meter.switch(wanted)}

    def _notify_status(self) -> Outgoing:
        frame = {
            "src": self._id,
            "dst": f"{self._id}/events",
            "method": "NotifyStatus",
            "params": {"ts": round(self._clock().timestamp(), 2), "switch:0": self.status()},
        }
        return Outgoing(f"{self._id}/events/rpc", orjson.dumps(frame))

    def _count_minutes(self, now: datetime, mwh: float) -> None:
        minute = self._minute_of(now)
        if minute != self._minute:
            self._by_minute.appendleft(self._minute_mwh)
            self._minute, self._minute_mwh = minute, 0.0
        self._minute_mwh += mwh

    @staticmethod
    def _minute_of(moment: datetime) -> int:
        return int(moment.timestamp()) // 60 * 60
