"""Start a set of simulated devices as asyncio tasks, keep them running, stop them cleanly.

A fleet is a list of ``DeviceSpec`` (kind + name) plus the translator's ``Endpoints``. Each
kind is one row of ``KINDS``: how to build its model and which transport runs it. Every
simulator runs in its own named task under one ``asyncio.TaskGroup``; one that fails (broker
not up yet, a bug) is logged and restarted after ``restart_delay`` with its state kept, so one
device never takes the others down. ``DEMO_FLEET`` is the set ``translator demo`` starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from translator.devices.base import Pace, Simulator, wait_or_stop
from translator.devices.coap import CoapDevice, CoapEndpoint
from translator.devices.fhir import PulseOximeter
from translator.devices.homeassistant import HomeAssistantNode
from translator.devices.http import HttpDevice, HttpEndpoint
from translator.devices.mqtt import MqttBroker, MqttDevice, MqttModel
from translator.devices.owntracks import OwnTracksPhone
from translator.devices.senml import SenmlSensor
from translator.devices.shelly import ShellySwitch
from translator.devices.tasmota import TasmotaPlug
from translator.devices.ttn import TtnUplinkSender
from translator.devices.zigbee2mqtt import ClimateSensor, ContactSensor, SmartPlug
from translator.errors import AdapterError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the simulators reach the translator: its broker, CoAP server and HTTP server."""

    mqtt: MqttBroker = field(default_factory=MqttBroker)
    coap: CoapEndpoint = field(default_factory=CoapEndpoint)
    http: HttpEndpoint = field(default_factory=HttpEndpoint)


Builder = Callable[[str, int | None, Endpoints, Pace], Simulator]


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of simulated device: what it is and how to build it."""

    protocol: Literal["mqtt", "coap", "http"]
    description: str
    build: Builder


def _mqtt(model: Callable[[str, int | None], MqttModel]) -> Builder:
    def build(name: str, seed: int | None, endpoints: Endpoints, pace: Pace) -> Simulator:
        return MqttDevice(model(name, seed), endpoints.mqtt, pace)

    return build


def _senml(encoding: Literal["json", "cbor"]) -> Builder:
    def build(name: str, seed: int | None, endpoints: Endpoints, pace: Pace) -> Simulator:
        return CoapDevice(SenmlSensor(name, seed=seed, encoding=encoding), endpoints.coap, pace)

    return build


def _ttn(name: str, seed: int | None, endpoints: Endpoints, pace: Pace) -> Simulator:
    return HttpDevice(TtnUplinkSender(name, seed=seed), endpoints.http, pace)


def _fhir(name: str, seed: int | None, endpoints: Endpoints, pace: Pace) -> Simulator:
    return HttpDevice(PulseOximeter(name, seed=seed), endpoints.http, pace)


KINDS: Mapping[str, Kind] = {
    "zigbee2mqtt-climate": Kind(
        "mqtt",
        "Aqara WSDCGQ11LM climate sensor via Zigbee2MQTT",
        _mqtt(lambda name, seed: ClimateSensor(name, seed=seed)),
    ),
    "zigbee2mqtt-contact": Kind(
        "mqtt",
        "Aqara MCCGQ11LM door contact via Zigbee2MQTT",
        _mqtt(lambda name, seed: ContactSensor(name, seed=seed)),
    ),
    "zigbee2mqtt-plug": Kind(
        "mqtt",
        "TuYa TS011F metering plug via Zigbee2MQTT (switchable)",
        _mqtt(lambda name, seed: SmartPlug(name, seed=seed)),
    ),
    "tasmota-plug": Kind(
        "mqtt",
        "Tasmota metering plug (switchable)",
        _mqtt(lambda name, seed: TasmotaPlug(name, seed=seed)),
    ),
    "shelly-switch": Kind(
        "mqtt",
        "Shelly Gen2 metering switch over MQTT RPC (switchable)",
        _mqtt(lambda name, seed: ShellySwitch(name, seed=seed)),
    ),
    "homeassistant-node": Kind(
        "mqtt",
        "Multisensor node with Home Assistant MQTT discovery (switchable relay)",
        _mqtt(lambda name, seed: HomeAssistantNode(name, seed=seed)),
    ),
    "owntracks": Kind(
        "mqtt",
        "OwnTracks phone walking around home",
        _mqtt(lambda name, seed: OwnTracksPhone(name, seed=seed)),
    ),
    "senml-json": Kind("coap", "SenML sensor POSTing JSON packs over CoAP", _senml("json")),
    "senml-cbor": Kind("coap", "SenML sensor POSTing CBOR packs over CoAP", _senml("cbor")),
    "ttn-lht65": Kind("http", "Dragino LHT65 uplinks via The Things Stack webhook", _ttn),
    "fhir-oximeter": Kind("http", "Pulse oximeter posting FHIR R4 Observations", _fhir),
}
"""Every kind of simulated device, by the name used in ``DeviceSpec.kind``."""


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One device of a fleet: its ``kind`` (a key of ``KINDS``) and its name."""

    kind: str
    name: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            known = ", ".join(sorted(KINDS))
            raise ValueError(f"unknown device kind {self.kind!r}; known kinds: {known}")
        if not self.name or any(c in self.name for c in "/+#\x00"):
            raise ValueError(f"device name {self.name!r} must be non-empty, without / + # or NUL")

    @classmethod
    def parse(cls, text: str) -> DeviceSpec:
        """``KIND:NAME`` (as given on a command line) to a spec."""
        kind, sep, name = text.partition(":")
        if not sep:
            raise ValueError(f"{text!r}: write a device as KIND:NAME, e.g. tasmota-plug:desk")
        return cls(kind.strip(), name.strip())


DEMO_FLEET: tuple[DeviceSpec, ...] = (
    DeviceSpec("zigbee2mqtt-climate", "living_room_sensor"),
    DeviceSpec("zigbee2mqtt-plug", "kitchen_plug"),
    DeviceSpec("zigbee2mqtt-contact", "front_door"),
    DeviceSpec("tasmota-plug", "desk_lamp"),
    DeviceSpec("shelly-switch", "shellyplus1pm-c4d8d5500001"),
    DeviceSpec("homeassistant-node", "hallway"),
    DeviceSpec("owntracks", "phone"),
    DeviceSpec("senml-json", "balcony"),
    DeviceSpec("senml-cbor", "cellar"),
    DeviceSpec("ttn-lht65", "lht65-garden"),
    DeviceSpec("fhir-oximeter", "oximeter-1"),
)
"""The demo's devices: every kind once (twice for SenML, once per encoding)."""


def device_seed(seed: int | None, name: str) -> int | None:
    """A device's own seed: stable across runs for a fleet seed, different per device name."""
    return None if seed is None else seed ^ zlib.crc32(name.encode())


def build_simulator(
    spec: DeviceSpec, endpoints: Endpoints, *, pace: Pace | None = None, seed: int | None = None
) -> Simulator:
    """The simulator for one spec; ``seed`` is the fleet's (see ``device_seed``)."""
    return KINDS[spec.kind].build(
        spec.name, device_seed(seed, spec.name), endpoints, pace or Pace()
    )


class DeviceFleet:
    """A set of simulators run as asyncio tasks; ``async with`` starts and stops them."""

    def __init__(
        self,
        simulators: Sequence[Simulator],
        *,
        restart_delay: float = 2.0,
        stop_grace: float = 15.0,
    ) -> None:
        names = [simulator.name for simulator in simulators]
        if len(set(names)) != len(names):
            raise ValueError(f"device names must be unique in a fleet: {names}")
        self.simulators: tuple[Simulator, ...] = tuple(simulators)
        self._restart_delay = restart_delay
        self._stop_grace = stop_grace
        self._stop = asyncio.Event()
        self._task: asyncio.Task[dict[str, int]] | None = None

    @classmethod
    def from_specs(
        cls,
        specs: Sequence[DeviceSpec],
        endpoints: Endpoints,
        *,
        pace: Pace | None = None,
        seed: int | None = None,
        restart_delay: float = 2.0,
        stop_grace: float = 15.0,
    ) -> DeviceFleet:
        """A fleet of the given kinds and names, all reaching the translator at ``endpoints``."""
        simulators = [build_simulator(s, endpoints, pace=pace, seed=seed) for s in specs]
        return cls(simulators, restart_delay=restart_delay, stop_grace=stop_grace)

    async def run(self, stop: asyncio.Event) -> dict[str, int]:
        """Run every simulator until ``stop`` (or their bounds); return messages sent by name."""
        sent: dict[str, int] = {}
        async with asyncio.TaskGroup() as group:
            for simulator in self.simulators:
                group.create_task(self._supervise(simulator, stop, sent), name=simulator.name)
        return sent

    async def start(self) -> None:
        """Start the fleet in the background (see ``stop``)."""
        if self._task is not None:
            raise RuntimeError("the fleet is already running")
        self._stop.clear()
        self._task = asyncio.create_task(self.run(self._stop), name="device-fleet")
        logger.info("device fleet started: %d simulators", len(self.simulators))

    async def stop(self) -> dict[str, int]:
        """Ask every simulator to stop, wait up to ``stop_grace`` s, cancel what is left.

        Returns the messages sent by each simulator that ended in time.
        """
        task, self._task = self._task, None
        if task is None:
            return {}
        self._stop.set()
        try:
            async with asyncio.timeout(self._stop_grace):
                sent = await asyncio.shield(task)
        except TimeoutError:
            logger.warning("device fleet did not stop within %s s; cancelling", self._stop_grace)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return {}
        logger.info("device fleet stopped: %d messages sent", sum(sent.values()))
        return sent

    async def __aenter__(self) -> DeviceFleet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _supervise(
        self, simulator: Simulator, stop: asyncio.Event, sent: dict[str, int]
    ) -> None:
        while not stop.is_set():
            try:
                count = await simulator.run(stop)
            except AdapterError as err:
                logger.warning("simulated device %s: %s; retrying", simulator.name, err)
                if await wait_or_stop(stop, self._restart_delay):
                    return
            except Exception:
                # A task boundary: one broken device is logged and restarted, never fatal.
                logger.exception("simulated device %s failed; restarting", simulator.name)
                if await wait_or_stop(stop, self._restart_delay):
                    return
            else:
                sent[simulator.name] = sent.get(simulator.name, 0) + count
                return
