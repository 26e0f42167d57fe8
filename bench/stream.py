"""A realistic mixed message stream for the benchmark, generated before anything is timed.

Every kind of simulated device (``translator.devices``) is instantiated many times, each with
its own seed, name and reporting period, on a simulated clock. Reports are merged in arrival
order (each message delayed by a small random network latency); switchable devices are now
and then switched by a command, so the command replies (Tasmota ``stat/…/POWER``, …) appear
too. MQTT messages the translator would never subscribe to (Tasmota LWT, Shelly RPC replies)
are left out, exactly as the broker would. Then about ``invalid_rate`` of the messages are
replaced by broken ones (``bench.corrupt``), each labelled with the pipeline stage that must
reject it. Everything is seeded: the same arguments give the same bytes.
"""

from __future__ import annotations

import heapq
import random
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, Protocol, runtime_checkable

from paho.mqtt.client import topic_matches_sub

from bench.corrupt import Label, corrupt
from translator.devices import (
    KINDS,
    ClimateSensor,
    ContactSensor,
    HomeAssistantNode,
    Outgoing,
    OwnTracksPhone,
    PulseOximeter,
    SenmlSensor,
    ShellySwitch,
    SmartPlug,
    TasmotaPlug,
    TtnUplinkSender,
)
from translator.devices.base import DeviceModel
from translator.values import Envelope
from translator.values import Protocol as Transport

START: Final = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
COMMAND_CHANCE: Final = 0.02  # per report of a switchable device: someone flips it
MEAN_LATENCY_S: Final = 0.015  # network + broker delay between sending and arrival
INVALID_MIX: Final[tuple[tuple[Label, float], ...]] = (
    ("shape", 0.40),  # out-of-range values only the SHACL gate catches
    ("schema", 0.25),  # payloads breaking the mapping's JSON Schema
    ("decode", 0.20),  # truncated JSON/CBOR, bytes that are not UTF-8
    ("match", 0.15),  # channels no mapping claims
)


class SimClock:
    """The simulated time the device models read for the timestamps inside payloads."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@runtime_checkable
class Switchable(Protocol):
    """A device model that takes commands (MQTT only)."""

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """Apply one command and return the device's answers."""
        ...


Build = Callable[[str, int, SimClock], DeviceModel]
Toggle = Callable[[str, random.Random], tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class FleetKind:
    """One kind of device in the benchmark fleet: how to build it, how often it reports."""

    kind: str  # a key of ``translator.devices.KINDS``
    period_s: float
    build: Build
    toggle: Toggle | None = None  # the command that switches it, if it is switchable


def _shelly_toggle(name: str, rng: random.Random) -> tuple[str, bytes]:
    frame = b'{"id":1,"src":"semantic-translator","method":"Switch.Toggle","params":{"id":0}}'
    return f"{name}/rpc", frame


FLEET: Final[tuple[FleetKind, ...]] = (
    FleetKind("zigbee2mqtt-climate", 60.0, lambda n, s, c: ClimateSensor(n, seed=s)),
    FleetKind("zigbee2mqtt-contact", 120.0, lambda n, s, c: ContactSensor(n, seed=s)),
    FleetKind(
        "zigbee2mqtt-plug",
        30.0,
        lambda n, s, c: SmartPlug(n, seed=s),
        lambda n, r: (f"zigbee2mqtt/{n}/set", b'{"state":"TOGGLE"}'),
    ),
    FleetKind(
        "tasmota-plug",
        60.0,
        lambda n, s, c: TasmotaPlug(n, seed=s, clock=c),
        lambda n, r: (f"cmnd/{n}/POWER", b"TOGGLE"),
    ),
    FleetKind(
        "shelly-switch", 60.0, lambda n, s, c: ShellySwitch(n, seed=s, clock=c), _shelly_toggle
    ),
    FleetKind(
        "homeassistant-node",
        60.0,
        lambda n, s, c: HomeAssistantNode(n, seed=s),
        lambda n, r: (f"homeassistant/switch/{n}/relay/set", r.choice((b"ON", b"OFF"))),
    ),
    FleetKind("owntracks", 120.0, lambda n, s, c: OwnTracksPhone(n, seed=s, clock=c)),
    FleetKind("senml-json", 60.0, lambda n, s, c: SenmlSensor(n, seed=s, clock=c)),
    FleetKind("senml-cbor", 60.0, lambda n, s, c: SenmlSensor(n, seed=s, encoding="cbor", clock=c)),
    FleetKind("ttn-lht65", 600.0, lambda n, s, c: TtnUplinkSender(n, seed=s, clock=c)),
    FleetKind(
        "fhir-oximeter",
        60.0,
        lambda n, s, c: PulseOximeter(n, patient=f"patient-{n}", seed=s, clock=c),
    ),
)


@dataclass(frozen=True, slots=True)
class Message:
    """One envelope of the stream, the device kind that sent it, and what must become of it."""

    envelope: Envelope
    kind: str
    label: Label  # "valid", or the stage that must reject it


@dataclass(frozen=True, slots=True)
class Stream:
    """The generated stream, in arrival order."""

    messages: tuple[Message, ...]
    devices: int
    seconds: float  # simulated time the stream spans

    def labels(self) -> Counter[str]:
        """How many messages carry each label."""
        return Counter(m.label for m in self.messages)

    def kinds(self) -> Counter[str]:
        """How many messages each device kind sent."""
        return Counter(m.kind for m in self.messages)


@dataclass(slots=True)
class _Device:
    spec: FleetKind
    name: str
    model: DeviceModel
    rng: random.Random
    started: bool = False


def build_stream(
    count: int,
    *,
    seed: int,
    topic_filters: Sequence[str],
    devices_per_kind: int = 20,
    invalid_rate: float = 0.01,
) -> Stream:
    """``count`` envelopes from a fleet of ``devices_per_kind`` devices of every kind.

    ``topic_filters`` are the MQTT filters the translator subscribes to
    (``MappingSet.topic_filters()``): other MQTT messages never reach it and are left out.
    """
    if count < 1 or devices_per_kind < 1 or not 0.0 <= invalid_rate <= 0.5:
        raise ValueError("need count >= 1, devices_per_kind >= 1, 0 <= invalid_rate <= 0.5")
    rng = random.Random(seed)
    clock = SimClock(START)
    fleet = _fleet(devices_per_kind, seed, clock)
    sent = _run(fleet, count, rng, clock, _subscribed(topic_filters))
    sent.sort(key=lambda item: item[0].received_at)
    messages = _break_some(sent, round(count * invalid_rate), rng)
    span = (messages[-1].envelope.received_at - START).total_seconds()
    return Stream(tuple(messages), len(fleet), span)


def _fleet(per_kind: int, seed: int, clock: SimClock) -> list[_Device]:
    devices = []
    for spec in FLEET:
        for index in range(per_kind):
            name = f"{spec.kind}-{index:03d}"
            device_seed = seed ^ zlib.crc32(name.encode())
            model = spec.build(name, device_seed, clock)
            devices.append(_Device(spec, name, model, random.Random(device_seed)))
    return devices


def _subscribed(filters: Sequence[str]) -> Callable[[str], bool]:
    cache: dict[str, bool] = {}

    def subscribed(topic: str) -> bool:
        known = cache.get(topic)
        if known is None:
            known = cache[topic] = any(topic_matches_sub(f, topic) for f in filters)
        return known

    return subscribed


def _run(
    fleet: list[_Device],
    count: int,
    rng: random.Random,
    clock: SimClock,
    subscribed: Callable[[str], bool],
) -> list[tuple[Envelope, str]]:
    """Let the devices report in simulated time until ``count`` messages were sent."""
    queue = [(rng.uniform(0.0, d.spec.period_s), i) for i, d in enumerate(fleet)]
    heapq.heapify(queue)
    sent: list[tuple[Envelope, str]] = []
    while len(sent) < count:
        at, index = heapq.heappop(queue)
        device = fleet[index]
        clock.now = START + timedelta(seconds=at)
        for message in _report(device):
            _deliver(sent, device, message, clock.now, rng, subscribed)
        period = device.spec.period_s
        heapq.heappush(queue, (at + period * rng.uniform(0.9, 1.1), index))
    del sent[count:]
    return sent


def _report(device: _Device) -> list[Outgoing]:
    """One report of a device, with its birth messages first and now and then a command."""
    out: list[Outgoing] = []
    if not device.started:
        device.started = True
        birth = getattr(device.model, "birth", None)
        if callable(birth):
            out += birth()
    out += device.model.report(device.spec.period_s)
    toggle = device.spec.toggle
    model = device.model
    flip = toggle is not None and device.rng.random() < COMMAND_CHANCE
    if flip and toggle is not None and isinstance(model, Switchable):
        out += model.handle(*toggle(device.name, device.rng))
    return out


def _deliver(
    sent: list[tuple[Envelope, str]],
    device: _Device,
    message: Outgoing,
    at: datetime,
    rng: random.Random,
    subscribed: Callable[[str], bool],
) -> None:
    protocol = KINDS[device.spec.kind].protocol
    if protocol == "mqtt" and not subscribed(message.channel):
        return
    latency = timedelta(seconds=rng.expovariate(1.0 / MEAN_LATENCY_S))
    envelope = Envelope(
        protocol=Transport(protocol),
        channel=message.channel,
        payload=message.payload,
        received_at=at + latency,
        content_format=message.content_format,
        peer=_peer(protocol, device.name),
    )
    sent.append((envelope, device.spec.kind))


def _peer(protocol: Literal["mqtt", "coap", "http"], name: str) -> str:
    return f"{protocol}-client:{name}" if protocol == "mqtt" else "127.0.0.1"


def _break_some(
    sent: list[tuple[Envelope, str]], invalid: int, rng: random.Random
) -> list[Message]:
    """Replace ``invalid`` messages, spread over the whole stream, by labelled broken ones."""
    messages = [Message(envelope, kind, "valid") for envelope, kind in sent]
    order = list(range(len(messages)))
    rng.shuffle(order)
    wanted = _split(invalid)
    cursor = 0
    for label, needed in wanted:
        done = 0
        tried = 0
        while done < needed and tried < len(order):
            index = order[(cursor + tried) % len(order)]
            tried += 1
            current = messages[index]
            if current.label != "valid":
                continue
            broken = corrupt(label, current.kind, current.envelope, rng)
            if broken is not None:
                messages[index] = Message(broken, current.kind, label)
                done += 1
        cursor += tried
    return messages


def _split(invalid: int) -> list[tuple[Label, int]]:
    """``invalid`` split over the labels of ``INVALID_MIX`` (the remainder goes to the first)."""
    counts = [(label, int(invalid * share)) for label, share in INVALID_MIX]
    rest = invalid - sum(n for _, n in counts)
    first_label, first = counts[0]
    return [(first_label, first + rest), *counts[1:]]
