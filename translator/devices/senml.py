"""A SenML (RFC 8428) sensor that POSTs its packs over CoAP, as JSON or CBOR.

One pack per report, base fields on the first record, e.g.::

    [{"bn": "urn:dev:mac:0024befffe804ff1:", "bt": 1700000000.0,
      "n": "temp", "u": "Cel", "v": 21.3},
     {"n": "hum", "u": "%RH", "v": 45.1},
     {"n": "batt", "u": "%EL", "v": 87}]

sent as ``application/senml+json`` (CoAP Content-Format 110) or, with the integer labels of
RFC 8428 Table 6 (``bn`` -2, ``bt`` -3, ``n`` 0, ``u`` 1, ``v`` 2), as
``application/senml+cbor`` (112). Units are SenML registry units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import cbor2
import orjson

from translator.devices.base import Battery, Clock, Outgoing, Walk, seeded_rng, utc_now

SENML_JSON = "application/senml+json"
SENML_CBOR = "application/senml+cbor"
CBOR_LABELS = {"bn": -2, "bt": -3, "n": 0, "u": 1, "v": 2}

Encoding = Literal["json", "cbor"]


@dataclass(frozen=True, slots=True)
class SenmlNames:
    """The record names (after the base name) and the CoAP path the sensor posts to."""

    temperature: str = "temp"
    humidity: str = "hum"
    battery: str = "batt"
    path: str = "senml"


class SenmlSensor:
    """A battery temperature/humidity node named ``urn:dev:mac:{eui}:``."""

    def __init__(
        self,
        name: str,
        *,
        seed: int | None = None,
        encoding: Encoding = "json",
        names: SenmlNames | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._name = name
        self._rng = seeded_rng(seed)
        self._encoding: Encoding = encoding
        self._names = names or SenmlNames()
        self._clock = clock
        self._eui = "".join(f"{self._rng.randrange(256):02x}" for _ in range(8))
        self.temperature = Walk(self._rng.uniform(19.0, 24.0), 18.0, 26.0, 0.2)
        self.humidity = Walk(self._rng.uniform(35.0, 55.0), 30.0, 60.0, 0.8)
        self.battery = Battery(percent=self._rng.randint(70, 100), drain_chance=0.03)

    @property
    def name(self) -> str:
        """The device's name (the last level of its CoAP path)."""
        return self._name

    @property
    def base_name(self) -> str:
        """The SenML base name every record's name starts with."""
        return f"urn:dev:mac:{self._eui}:"

    def pack(self) -> list[dict[str, Any]]:
        """Advance the readings once and return the pack as JSON-label records."""
        names = self._names
        return [
            {
                "bn": self.base_name,
                "bt": round(self._clock().timestamp(), 3),
                "n": names.temperature,
                "u": "Cel",
                "v": round(self.temperature.next(self._rng), 2),
            },
            {"n": names.humidity, "u": "%RH", "v": round(self.humidity.next(self._rng), 1)},
            {"n": names.battery, "u": "%EL", "v": self.battery.next(self._rng)},
        ]

    def report(self, elapsed: float) -> list[Outgoing]:
        """One pack, encoded as configured, to ``{path}/{name}``."""
        records = self.pack()
        channel = f"{self._names.path}/{self._name}"
        if self._encoding == "cbor":
            labelled = [{CBOR_LABELS[key]: value for key, value in r.items()} for r in records]
            return [Outgoing(channel, cbor2.dumps(labelled), content_format=SENML_CBOR)]
        return [Outgoing(channel, orjson.dumps(records), content_format=SENML_JSON)]
