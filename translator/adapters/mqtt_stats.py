"""The MQTT adapter's counters: running (``Counts``) and as a snapshot (``MqttStats``).

What each counter means is tabled in ``docs/adapters-mqtt.md`` ("Counters").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MqttStats:
    """A snapshot of the adapter's counters (``MqttAdapter.stats()``)."""

    received: int
    delivered: int
    rejected: int
    dropped: int
    waits: int
    sink_errors: int
    published: int
    connects: int
    queue_depth: int
    queue_high_water: int
    connected: bool

    @property
    def reconnects(self) -> int:
        """Connections after the first one."""
        return max(self.connects - 1, 0)


@dataclass(slots=True)
class Counts:
    """The adapter's running counters (event loop only); ``MqttStats`` is their snapshot."""

    received: int = 0
    delivered: int = 0
    rejected: int = 0
    sink_errors: int = 0
    published: int = 0
    connects: int = 0
    lost: int = 0  # dropped before the queue: BLOCK timeouts, QoS 0 while stopping, bad topics
    packets: int = 0  # messages and publish acknowledgements read (MqttLink's progress)
