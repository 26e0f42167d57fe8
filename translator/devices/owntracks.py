"""An OwnTracks phone walking around home, publishing ``_type: location`` over MQTT.

From the OwnTracks booklet (JSON format): in MQTT mode the app publishes to
``owntracks/{user}/{device}`` (retained by default) objects such as
``{"_type": "location", "tid": "ph", "lat": 52.52, "lon": 13.405, "tst": 1700000000,
"acc": 12, "alt": 40, "vac": 3, "vel": 5, "cog": 90, "batt": 81, "bs": 1, "conn": "w",
"m": 2, "t": "t", "created_at": 1700000000}``: degrees (WGS84), epoch seconds, metres,
km/h, degrees from north, percent; ``t: "t"`` marks a timer-based report in move mode.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from translator.devices.base import (
    Battery,
    Clock,
    Outgoing,
    ReportOnly,
    Walk,
    seeded_rng,
    utc_now,
)

METRES_PER_DEGREE = 111_320.0
HOME = (52.5200, 13.4050)


class OwnTracksPhone(ReportOnly):
    """A phone on foot within ``radius`` metres of ``home``."""

    def __init__(
        self,
        device: str,
        *,
        user: str = "demo",
        seed: int | None = None,
        home: tuple[float, float] = HOME,
        radius: float = 400.0,
        speed: float = 1.4,
        clock: Clock = utc_now,
    ) -> None:
        self._device = device
        self._user = user
        self._rng = seeded_rng(seed)
        self._clock = clock
        self._speed = speed
        lat, lon = home
        span_lat = radius / METRES_PER_DEGREE
        span_lon = span_lat / max(0.01, math.cos(math.radians(lat)))
        self.lat = Walk(lat, lat - span_lat, lat + span_lat, 0.0)
        self.lon = Walk(lon, lon - span_lon, lon + span_lon, 0.0)
        self.altitude = Walk(40.0, 30.0, 60.0, 0.5)
        self.battery = Battery(percent=self._rng.randint(60, 100), drain_chance=0.05)
        self._heading = self._rng.uniform(0.0, 360.0)

    @property
    def name(self) -> str:
        """The device name (the last level of the topic)."""
        return self._device

    @property
    def topic(self) -> str:
        """``owntracks/{user}/{device}``."""
        return f"owntracks/{self._user}/{self._device}"

    def report(self, elapsed: float) -> list[Outgoing]:
        """Walk for ``elapsed`` seconds and publish the new location."""
        distance = self._walk(elapsed)
        now = int(self._clock().timestamp())
        location: dict[str, Any] = {
            "_type": "location",
            "tid": self._device[-2:],
            "lat": round(self.lat.value, 6),
            "lon": round(self.lon.value, 6),
            "tst": now,
            "acc": self._rng.randint(5, 25),
            "alt": round(self.altitude.next(self._rng)),
            "vac": self._rng.randint(2, 8),
            "vel": round(distance / elapsed * 3.6) if elapsed > 0 else 0,
            "cog": round(self._heading) % 360,
            "batt": self.battery.next(self._rng),
            "bs": 1,
            "conn": "w",
            "m": 2,
            "t": "t",
            "created_at": now,
        }
        return [Outgoing(self.topic, orjson.dumps(location), retain=True)]

    def _walk(self, elapsed: float) -> float:
        """Turn a little, step forward, bounce off the edge of the area; return metres."""
        self._heading = (self._heading + self._rng.uniform(-30.0, 30.0)) % 360.0
        distance = self._speed * elapsed * self._rng.uniform(0.6, 1.2)
        north = distance * math.cos(math.radians(self._heading))
        east = distance * math.sin(math.radians(self._heading))
        lat = self.lat.value + north / METRES_PER_DEGREE
        lon = self.lon.value + east / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
        if not (self.lat.low <= lat <= self.lat.high and self.lon.low <= lon <= self.lon.high):
            self._heading = (self._heading + 180.0) % 360.0
            return 0.0
        self.lat.value, self.lon.value = lat, lon
        return distance
