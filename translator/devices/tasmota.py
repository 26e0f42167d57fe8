"""A Tasmota metering plug (Sonoff POW, Gosund SP111, …) as Tasmota's MQTT interface has it.

Topics use Tasmota's default FullTopic ``%prefix%/%topic%/``:

* ``tele/{topic}/STATE`` — ``{"Time", "Uptime", "UptimeSec", "Heap", "SleepMode", "Sleep",
  "LoadAvg", "MqttCount", "POWER": "ON"|"OFF", "Wifi": {…}}`` every TelePeriod;
* ``tele/{topic}/SENSOR`` — ``{"Time", "ENERGY": {"TotalStartTime", "Total", "Yesterday",
  "Today", "Period", "Power", "ApparentPower", "ReactivePower", "Factor", "Voltage",
  "Current"}}`` every TelePeriod (kWh, W, VA, var, V, A);
* ``cmnd/{topic}/POWER`` with ``ON``/``OFF``/``TOGGLE`` (or ``1``/``0``/``2``; empty asks)
  is answered with ``stat/{topic}/RESULT`` ``{"POWER":"OFF"}`` and ``stat/{topic}/POWER``
  ``OFF``; the next telemetry shows the new load;
* ``tele/{topic}/LWT`` ``Online`` / ``Offline`` (retained) tells whether the plug is there.

``Time`` is Tasmota's local time without offset; the simulator's clock is UTC, as a plug
with ``Timezone 0`` prints it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import orjson

from translator.devices.base import Clock, Outgoing, Walk, seeded_rng, utc_now
from translator.devices.meter import PowerMeter

logger = logging.getLogger(__name__)

POWER_WORDS = {"ON": True, "1": True, "OFF": False, "0": False}
TOGGLE_WORDS = ("TOGGLE", "2")


def _tasmota_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _duration(seconds: int) -> str:
    """Tasmota's ``Uptime`` format: ``{days}T{hh}:{mm}:{ss}``."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}T{hours:02d}:{minutes:02d}:{secs:02d}"


class TasmotaPlug:
    """A single-relay Tasmota plug with an energy monitor."""

    def __init__(
        self,
        topic: str,
        *,
        seed: int | None = None,
        on: bool = True,
        clock: Clock = utc_now,
    ) -> None:
        self._topic = topic
        self._rng = seeded_rng(seed)
        self._clock = clock
        self.meter = PowerMeter(on=on, energy_wh=self._rng.uniform(1000.0, 50000.0))
        self._total_start = clock() - timedelta(days=self._rng.randint(30, 400))
        self._uptime = 0.0
        self._today_wh = self._rng.uniform(0.0, 800.0)
        self._yesterday_wh = self._rng.uniform(200.0, 1500.0)
        self._day = clock().date()
        self._rssi = Walk(self._rng.uniform(50.0, 80.0), 20.0, 100.0, 3.0)

    @property
    def name(self) -> str:
        """The device's MQTT topic (``Topic`` in Tasmota)."""
        return self._topic

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The POWER command topic."""
        return (f"cmnd/{self._topic}/POWER",)

    def birth(self) -> list[Outgoing]:
        """``tele/{topic}/LWT Online``, retained."""
        return [Outgoing(f"tele/{self._topic}/LWT", b"Online", retain=True)]

    def will(self) -> Outgoing | None:
        """``tele/{topic}/LWT Offline``, retained."""
        return Outgoing(f"tele/{self._topic}/LWT", b"Offline", retain=True)

    def report(self, elapsed: float) -> list[Outgoing]:
        """One TelePeriod: STATE, then SENSOR with the energy block."""
        now = self._clock()
        before = self.meter.energy_wh
        self.meter.step(elapsed, self._rng)
        self._uptime += elapsed
        self._roll_day(now)
        period_wh = self.meter.energy_wh - before
        self._today_wh += period_wh
        return [self._state(now), self._sensor(now, period_wh)]

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """``cmnd/{topic}/POWER``: switch (or just report) and answer on ``stat/``."""
        if topic != f"cmnd/{self._topic}/POWER":
            return []
        word = payload.decode("utf-8", "replace").strip().upper()
        if word in POWER_WORDS:
            self.meter.switch(POWER_WORDS[word])
        elif word in TOGGLE_WORDS:
            self.meter.switch(not self.meter.on)
        elif word:
            logger.warning("%s: POWER %r is not ON, OFF or TOGGLE", self._topic, word)
        power = "ON" if self.meter.on else "OFF"
        return [
            Outgoing(f"stat/{self._topic}/RESULT", orjson.dumps({"POWER": power})),
            Outgoing(f"stat/{self._topic}/POWER", power.encode()),
        ]

    def _roll_day(self, now: datetime) -> None:
        if now.date() != self._day:
            self._day = now.date()
            self._yesterday_wh, self._today_wh = self._today_wh, 0.0

    def _state(self, now: datetime) -> Outgoing:
        rssi = round(self._rssi.next(self._rng))
        uptime = int(self._uptime)
        state: dict[str, Any] = {
            "Time": _tasmota_time(now),
            "Uptime": _duration(uptime),
            "UptimeSec": uptime,
            "Heap": 24,
            "SleepMode": "Dynamic",
            "Sleep": 50,
            "LoadAvg": 19,
            "MqttCount": 1,
            "POWER": "ON" if self.meter.on else "OFF",
            "Wifi": {
                "AP": 1,
                "SSId": "sim-iot",
                "BSSId": "02:00:00:00:00:01",
                "Channel": 6,
                "Mode": "11n",
                "RSSI": rssi,
                "Signal": rssi // 2 - 100,
                "LinkCount": 1,
                "Downtime": "0T00:00:03",
            },
        }
        return Outgoing(f"tele/{self._topic}/STATE", orjson.dumps(state))

    def _sensor(self, now: datetime, period_wh: float) -> Outgoing:
        meter = self.meter
        energy = {
            "TotalStartTime": _tasmota_time(self._total_start),
            "Total": round(meter.energy_wh / 1000.0, 3),
            "Yesterday": round(self._yesterday_wh / 1000.0, 3),
            "Today": round(self._today_wh / 1000.0, 3),
            "Period": round(period_wh),
            "Power": round(meter.power),
            "ApparentPower": round(meter.apparent_power),
            "ReactivePower": round(meter.reactive_power),
            "Factor": round(meter.factor, 2),
            "Voltage": round(meter.voltage),
            "Current": round(meter.current, 3),
        }
        body = {"Time": _tasmota_time(now), "ENERGY": energy}
        return Outgoing(f"tele/{self._topic}/SENSOR", orjson.dumps(body))
