"""What every simulated device is made of: a pace, outgoing messages, bounded random walks.

A simulator is split in two halves (perception layer, talking to the translator only over the
real network):

* a **model** (``zigbee2mqtt.py``, ``tasmota.py``, …): pure Python, no I/O. It keeps the
  device's physical state, advances it one step per report with its own seeded
  ``random.Random``, and renders the vendor's exact payloads as ``Outgoing`` messages;
* a **runner** (``mqtt.py``, ``coap.py``, ``http.py``): the transport. It paces the reports,
  sends them, and for MQTT hands incoming commands back to the model.

With a seed, the sequence of states is deterministic: the model advances by the nominal
period, never by wall-clock jitter; only the timestamps inside payloads come from the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time (aware, UTC). Injected so tests can freeze timestamps."""


def utc_now() -> datetime:
    """The default clock: now, in UTC."""
    return datetime.now(UTC)


def seeded_rng(seed: int | None) -> random.Random:
    """The random source of one simulated device (``None``: seeded from the OS)."""
    return random.Random(seed)  # noqa: S311 -- simulated readings, not cryptography


@dataclass(frozen=True, slots=True)
class Pace:
    """How often a simulator reports, and when it stops on its own.

    ``period`` is the time between two reports in seconds (demo: 1 to 2 s; tests: a few ms).
    ``max_messages`` bounds the number of telemetry messages sent (command replies are not
    counted); ``duration`` bounds the running time in seconds. ``None`` means unbounded.
    """

    period: float = 1.5
    max_messages: int | None = None
    duration: float | None = None

    def __post_init__(self) -> None:
        if not self.period > 0:
            raise ValueError(f"period must be > 0 seconds, got {self.period}")
        if self.max_messages is not None and self.max_messages < 0:
            raise ValueError(f"max_messages must be >= 0, got {self.max_messages}")
        if self.duration is not None and not self.duration > 0:
            raise ValueError(f"duration must be > 0 seconds, got {self.duration}")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message a device sends: MQTT topic or CoAP/HTTP path (no leading slash), bytes.

    ``content_format`` is a media type (CoAP/HTTP only); ``retain`` is MQTT only;
    ``headers`` are extra HTTP request headers the vendor sends (HTTP only).
    """

    channel: str
    payload: bytes
    content_format: str | None = None
    retain: bool = False
    headers: tuple[tuple[str, str], ...] = ()


class Simulator(Protocol):
    """A running simulated device: what ``DeviceFleet`` starts and stops."""

    @property
    def name(self) -> str:
        """The device's name (friendly name, MQTT topic, device id)."""
        ...

    async def run(self, stop: asyncio.Event) -> int:
        """Report until ``stop`` is set or the pace's bounds are reached; return the count."""
        ...


class DeviceModel(Protocol):
    """The I/O-free half of a simulator: state plus the vendor's payload shapes."""

    @property
    def name(self) -> str:
        """The device's name as it appears in topics and payloads."""
        ...

    def report(self, elapsed: float) -> list[Outgoing]:
        """Advance the state by ``elapsed`` seconds and render the telemetry of that step."""
        ...


class ReportOnly:
    """Defaults for an MQTT model that only reports: no commands, no birth, no last will.

    Models that listen or announce themselves override what they need.
    """

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """Topics listened to for commands: none."""
        return ()

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """No commands: nothing to answer."""
        return []

    def birth(self) -> list[Outgoing]:
        """Nothing published on connect."""
        return []

    def will(self) -> Outgoing | None:
        """No last will."""
        return None


@dataclass(slots=True)
class Walk:
    """A bounded random walk: each ``step`` moves by at most ``step``, reflected at the bounds."""

    value: float
    low: float
    high: float
    step: float

    def __post_init__(self) -> None:
        if not self.low <= self.value <= self.high:
            raise ValueError(f"start {self.value} outside [{self.low}, {self.high}]")

    def next(self, rng: random.Random) -> float:
        """Move once and return the new value."""
        moved = self.value + rng.uniform(-self.step, self.step)
        if moved > self.high:
            moved = 2 * self.high - moved
        if moved < self.low:
            moved = 2 * self.low - moved
        self.value = min(self.high, max(self.low, moved))
        return self.value


@dataclass(slots=True)
class Battery:
    """A battery that drains by one percent now and then, never below ``floor``."""

    percent: int = 100
    drain_chance: float = 0.02
    floor: int = 5

    def next(self, rng: random.Random) -> int:
        """Maybe drain one percent; return the level."""
        if self.percent > self.floor and rng.random() < self.drain_chance:
            self.percent -= 1
        return self.percent

    @property
    def millivolts(self) -> int:
        """A CR2032-like cell voltage for the level (2.7 V empty … 3.1 V full)."""
        return 2700 + 4 * self.percent


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; return whether it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


async def pace_reports(
    name: str,
    stop: asyncio.Event,
    pace: Pace,
    report: Callable[[float], Iterable[Outgoing]],
    send: Callable[[Outgoing], Awaitable[None]],
) -> int:
    """Call ``report`` every ``pace.period`` and ``send`` what it returns, within the bounds.

    The first report goes out at once. ``report`` is told the nominal period, not the
    measured one, so a seeded model gives the same values however busy the machine is.
    Returns the number of messages sent.
    """
    loop = asyncio.get_running_loop()
    deadline = None if pace.duration is None else loop.time() + pace.duration
    sent = 0
    while not stop.is_set():
        if deadline is not None and loop.time() >= deadline:
            break
        for message in report(pace.period):
            if pace.max_messages is not None and sent >= pace.max_messages:
                return sent
            await send(message)
            sent += 1
            logger.debug("%s sent %s (%d bytes)", name, message.channel, len(message.payload))
        if pace.max_messages is not None and sent >= pace.max_messages:
            break
        wait = pace.period
        if deadline is not None:
            wait = max(0.0, min(wait, deadline - loop.time()))
        if await wait_or_stop(stop, wait):
            break
    return sent
