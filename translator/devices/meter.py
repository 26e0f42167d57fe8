"""The electrical side of a simulated smart plug or relay: load, mains, energy counter.

Shared by the Zigbee2MQTT plug, the Tasmota plug and the Shelly switch, which differ only in
how they print these numbers. Physics kept simple and plausible: mains voltage wanders around
230 V, the load wanders within its range while the relay is on and is exactly 0 W when off,
the energy counter only ever grows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from translator.devices.base import Walk


@dataclass(slots=True)
class PowerMeter:
    """Relay state plus the readings a metering plug reports."""

    on: bool = True
    load: Walk = field(default_factory=lambda: Walk(60.0, 20.0, 150.0, 6.0))
    mains: Walk = field(default_factory=lambda: Walk(230.0, 224.0, 240.0, 0.8))
    power_factor: float = 0.92
    energy_wh: float = 0.0
    frequency: float = 50.0

    def step(self, elapsed: float, rng: random.Random) -> None:
        """Advance ``elapsed`` seconds: move the load and mains, integrate the energy."""
        self.load.next(rng)
        self.mains.next(rng)
        self.energy_wh += self.power * elapsed / 3600.0

    @property
    def power(self) -> float:
        """Active power in W (0 when the relay is off)."""
        return self.load.value if self.on else 0.0

    @property
    def voltage(self) -> float:
        """RMS mains voltage in V (measured whether or not the relay is on)."""
        return self.mains.value

    @property
    def current(self) -> float:
        """RMS current in A."""
        return self.apparent_power / self.voltage if self.on else 0.0

    @property
    def apparent_power(self) -> float:
        """Apparent power in VA."""
        return self.power / self.power_factor if self.on else 0.0

    @property
    def reactive_power(self) -> float:
        """Reactive power in var."""
        apparent = self.apparent_power
        return math.sqrt(max(0.0, apparent * apparent - self.power * self.power))

    @property
    def factor(self) -> float:
        """Power factor as the meter prints it (0 with no load)."""
        return self.power_factor if self.on else 0.0

    def switch(self, on: bool) -> bool:
        """Set the relay; return whether it was on before."""
        was_on = self.on
        self.on = on
        return was_on
