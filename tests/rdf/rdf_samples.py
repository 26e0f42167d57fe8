"""Sample values for the RDF-layer tests (imported by name: tests have no packages)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

ARRIVAL = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
THING = "urn:dev:zigbee2mqtt:living_room_sensor"
CHANNEL = "zigbee2mqtt/living_room_sensor"
PAYLOAD = b'{"temperature":70.7,"state":"ON"}'


class CountingMinter:
    """A minter with keys K0, K1, … (the real one is random; these make expected Turtle exact)."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next_key(self) -> str:
        return f"K{next(self._counter)}"
