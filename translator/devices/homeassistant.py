"""A multisensor node (ESPHome-like) announcing itself with Home Assistant MQTT discovery.

From the MQTT integration page of Home Assistant: discovery configs are retained JSON objects
on ``homeassistant/<component>/<node_id>/<object_id>/config``; states are plain text on the
entity's ``state_topic``; a switch takes ``ON``/``OFF`` on its ``command_topic`` and reports
the new state. The node has four entities, object id = device class:

* ``sensor/{node}/temperature`` (°C) and ``sensor/{node}/humidity`` (%), e.g. ``"21.37"``;
* ``binary_sensor/{node}/motion``: ``ON`` / ``OFF``, someone walks by now and then;
* ``switch/{node}/relay``: commands on ``homeassistant/switch/{node}/relay/set``.

When Home Assistant announces itself (``online`` on ``homeassistant/status``) the node
publishes its configs again, as MQTT devices are asked to.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from translator.devices.base import Outgoing, Walk, seeded_rng

logger = logging.getLogger(__name__)

PREFIX = "homeassistant"
STATUS_TOPIC = f"{PREFIX}/status"


class HomeAssistantNode:
    """Temperature, humidity, motion and a relay on one node, discovered by Home Assistant."""

    def __init__(
        self, node: str, *, seed: int | None = None, motion_chance: float = 0.1, on: bool = False
    ) -> None:
        self._node = node
        self._rng = seeded_rng(seed)
        self._motion_chance = motion_chance
        self.temperature = Walk(self._rng.uniform(20.0, 23.0), 18.0, 26.0, 0.15)
        self.humidity = Walk(self._rng.uniform(38.0, 50.0), 30.0, 60.0, 0.6)
        self.motion = False
        self.relay = on

    @property
    def name(self) -> str:
        """The node id."""
        return self._node

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The relay's command topic and Home Assistant's birth topic."""
        return (self._topic("switch", "relay", "set"), STATUS_TOPIC)

    def birth(self) -> list[Outgoing]:
        """The discovery configs of every entity, retained."""
        return self.discovery()

    def will(self) -> Outgoing | None:
        """None: availability is not announced in the configs."""
        return None

    def discovery(self) -> list[Outgoing]:
        """One retained config per entity."""
        configs = [
            ("sensor", "temperature", {"unit_of_measurement": "°C", "device_class": "temperature"}),
            ("sensor", "humidity", {"unit_of_measurement": "%", "device_class": "humidity"}),
            ("binary_sensor", "motion", {"device_class": "motion"}),
            ("switch", "relay", {"command_topic": self._topic("switch", "relay", "set")}),
        ]
        return [
            Outgoing(
                self._topic(component, entity, "config"),
                orjson.dumps(self._config(component, entity, extra)),
                retain=True,
            )
            for component, entity, extra in configs
        ]

    def report(self, elapsed: float) -> list[Outgoing]:
        """Every entity's state as text."""
        rng = self._rng
        if rng.random() < self._motion_chance:
            self.motion = not self.motion
        return [
            self._state("sensor", "temperature", f"{self.temperature.next(rng):.2f}"),
            self._state("sensor", "humidity", f"{self.humidity.next(rng):.1f}"),
            self._state("binary_sensor", "motion", "ON" if self.motion else "OFF"),
            self._relay_state(),
        ]

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """``ON``/``OFF`` switch the relay; Home Assistant's ``online`` asks for the configs."""
        text = payload.decode("utf-8", "replace").strip()
        if topic == STATUS_TOPIC:
            return self.discovery() if text == "online" else []
        if topic != self._topic("switch", "relay", "set"):
            return []
        if text not in ("ON", "OFF"):
            logger.warning("%s: relay command %r is not ON or OFF", self._node, text)
            return []
        self.relay = text == "ON"
        return [self._relay_state()]

    def _config(self, component: str, entity: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": entity.replace("_", " ").capitalize(),
            "unique_id": f"{self._node}_{entity}",
            "state_topic": self._topic(component, entity, "state"),
            **extra,
            "device": {
                "identifiers": [self._node],
                "name": self._node,
                "manufacturer": "espressif",
                "model": "esp32 multisensor (simulated)",
            },
        }

    def _state(self, component: str, entity: str, text: str) -> Outgoing:
        return Outgoing(self._topic(component, entity, "state"), text.encode())

    def _relay_state(self) -> Outgoing:
        return self._state("switch", "relay", "ON" if self.relay else "OFF")

    def _topic(self, component: str, entity: str, leaf: str) -> str:
        return f"{PREFIX}/{component}/{self._node}/{entity}/{leaf}"
