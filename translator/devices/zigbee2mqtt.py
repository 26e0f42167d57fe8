"""Zigbee2MQTT devices: state objects on ``zigbee2mqtt/{friendly_name}``, commands on ``/set``.

Payload shapes follow the zigbee2mqtt.io device pages (exposes, units, types):

* ``ClimateSensor`` — Aqara WSDCGQ11LM: ``battery`` %, ``temperature`` °C, ``humidity`` %,
  ``pressure`` hPa, ``voltage`` mV, ``linkquality`` 0 to 255;
* ``SmartPlug`` — TuYa TS011F_plug_1 (Nous A1Z, …): ``state`` ON/OFF, ``power`` W,
  ``current`` A, ``voltage`` V, ``energy`` kWh, ``power_outage_memory``, ``linkquality``;
  commands ``{"state": "ON" | "OFF" | "TOGGLE"}`` on ``zigbee2mqtt/{name}/set`` (a bare
  ``ON``/``OFF`` text payload works too, as in Zigbee2MQTT) and ``{"state": ""}`` on ``/get``;
* ``ContactSensor`` — Aqara MCCGQ11LM: ``contact`` (true = closed), ``battery``,
  ``temperature``, ``voltage``, ``linkquality``.

Zigbee2MQTT publishes the whole device state every time, keys in alphabetical order.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from translator.devices.base import Battery, Outgoing, ReportOnly, Walk, seeded_rng
from translator.devices.meter import PowerMeter

logger = logging.getLogger(__name__)

BASE_TOPIC = "zigbee2mqtt"
OUTAGE_MEMORY = ("on", "off", "restore")


def _encode(state: dict[str, Any]) -> bytes:
    return orjson.dumps(state, option=orjson.OPT_SORT_KEYS)


class _Zigbee2MqttDevice(ReportOnly):
    """What every Zigbee2MQTT device shares: topic, radio link quality, no birth or will."""

    def __init__(self, name: str, *, seed: int | None, base_topic: str) -> None:
        self._name = name
        self._rng = seeded_rng(seed)
        self._base = base_topic
        self._link = Walk(120.0, 30.0, 230.0, 12.0)

    @property
    def name(self) -> str:
        """The device's friendly name."""
        return self._name

    @property
    def topic(self) -> str:
        """Where the device's state is published."""
        return f"{self._base}/{self._name}"

    def _linkquality(self) -> int:
        return round(self._link.next(self._rng))


class ClimateSensor(_Zigbee2MqttDevice):
    """Aqara WSDCGQ11LM temperature, humidity and pressure sensor."""

    def __init__(
        self,
        name: str,
        *,
        seed: int | None = None,
        base_topic: str = BASE_TOPIC,
    ) -> None:
        super().__init__(name, seed=seed, base_topic=base_topic)
        rng = self._rng
        self.temperature = Walk(rng.uniform(20.0, 23.0), 18.0, 26.0, 0.15)
        self.humidity = Walk(rng.uniform(38.0, 50.0), 30.0, 60.0, 0.6)
        self.pressure = Walk(rng.uniform(1005.0, 1020.0), 980.0, 1040.0, 0.3)
        self.battery = Battery(percent=rng.randint(85, 100))

    def report(self, elapsed: float) -> list[Outgoing]:
        """One state message with fresh readings."""
        rng = self._rng
        state = {
            "battery": self.battery.next(rng),
            "humidity": round(self.humidity.next(rng), 2),
            "linkquality": self._linkquality(),
            "pressure": round(self.pressure.next(rng), 1),
            "temperature": round(self.temperature.next(rng), 2),
            "voltage": self.battery.millivolts,
        }
        return [Outgoing(self.topic, _encode(state))]


class ContactSensor(_Zigbee2MqttDevice):
    """Aqara MCCGQ11LM door and window contact sensor; the door opens and closes now and then."""

    def __init__(
        self,
        name: str,
        *,
        seed: int | None = None,
        base_topic: str = BASE_TOPIC,
        toggle_chance: float = 0.15,
    ) -> None:
        super().__init__(name, seed=seed, base_topic=base_topic)
        rng = self._rng
        self.contact = True
        self.toggle_chance = toggle_chance
        self.temperature = Walk(rng.uniform(19.0, 22.0), 18.0, 26.0, 0.1)
        self.battery = Battery(percent=rng.randint(85, 100))

    def report(self, elapsed: float) -> list[Outgoing]:
        """One state message; the contact flips with ``toggle_chance``."""
        rng = self._rng
        if rng.random() < self.toggle_chance:
            self.contact = not self.contact
        state = {
            "battery": self.battery.next(rng),
            "contact": self.contact,
            "linkquality": self._linkquality(),
            "temperature": round(self.temperature.next(rng)),
            "voltage": self.battery.millivolts,
        }
        return [Outgoing(self.topic, _encode(state))]


class SmartPlug(_Zigbee2MqttDevice):
    """TuYa TS011F_plug_1 metering plug, switchable through ``zigbee2mqtt/{name}/set``."""

    def __init__(
        self,
        name: str,
        *,
        seed: int | None = None,
        base_topic: str = BASE_TOPIC,
        on: bool = True,
    ) -> None:
        super().__init__(name, seed=seed, base_topic=base_topic)
        self.meter = PowerMeter(on=on, energy_wh=self._rng.uniform(100.0, 5000.0))
        self.power_outage_memory = "restore"

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """``/set`` for commands, ``/get`` for state reads."""
        return (f"{self.topic}/set", f"{self.topic}/get")

    def report(self, elapsed: float) -> list[Outgoing]:
        """Advance the meter and publish the state."""
        self.meter.step(elapsed, self._rng)
        return [self._state()]

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """Apply ``/set`` (state, power_outage_memory) or answer ``/get``; publish the state."""
        if topic == f"{self.topic}/get":
            return [self._state()]
        if topic != f"{self.topic}/set":
            return []
        command = _parse_set(payload)
        if command is None:
            logger.warning("%s: unreadable /set payload %r", self._name, payload[:80])
            return []
        changed = False
        if "state" in command:
            changed |= self._set_state(command["state"])
        if command.get("power_outage_memory") in OUTAGE_MEMORY:
            self.power_outage_memory = command["power_outage_memory"]
            changed = True
        return [self._state()] if changed else []

    def _set_state(self, value: object) -> bool:
        wanted = str(value).upper()
        if wanted == "TOGGLE":
            self.meter.switch(not self.meter.on)
        elif wanted in ("ON", "OFF"):
            self.meter.switch(wanted == "ON")
        else:
            logger.warning("%s: no such state %r (ON, OFF, TOGGLE)", self._name, value)
            return False
        return True

    def _state(self) -> Outgoing:
        meter = self.meter
        state = {
            "current": round(meter.current, 2),
            "energy": round(meter.energy_wh / 1000.0, 2),
            "linkquality": self._linkquality(),
            "power": round(meter.power),
            "power_outage_memory": self.power_outage_memory,
            "state": "ON" if meter.on else "OFF",
            "voltage": round(meter.voltage),
        }
        return Outgoing(self.topic, _encode(state))


def _parse_set(payload: bytes) -> dict[str, Any] | None:
    """A ``/set`` payload: a JSON object, or bare text taken as the ``state`` (Zigbee2MQTT)."""
    try:
        decoded = orjson.loads(payload)
    except orjson.JSONDecodeError:
        text = payload.decode("utf-8", "replace").strip()
        return {"state": text} if text else None
    if isinstance(decoded, dict):
        return decoded
    if isinstance(decoded, str):
        return {"state": decoded}
    return None
