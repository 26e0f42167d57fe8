"""Vendor-faithful, proven: every simulator's payloads go through the shipped mappings.

Each kind of simulated device reports for a while; every message whose channel a shipped
mapping claims must translate (decode, match, JSON Schema, extraction, SHACL) into readings
(or, for discovery configs, things). Messages no mapping claims (Tasmota LWT and RESULT,
Shelly's online flag and RPC replies) are the ones the translator never subscribes to.
Then the shipped command templates are fed to the switchable devices, whose answers must
translate into the new on/off state: the command path, end to end, minus the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from paho.mqtt.client import topic_matches_sub

from translator.devices import KINDS, DeviceSpec, Endpoints, Outgoing
from translator.devices.fleet import build_simulator
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import Settings
from translator.values import Command, Envelope, Protocol, Rejected, Translated

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
UNMAPPED_BY_DESIGN = ("tele/+/LWT", "stat/+/RESULT", "+/online", "semantic-translator/rpc")
SWITCHABLE = ("zigbee2mqtt-plug", "tasmota-plug", "shelly-switch", "homeassistant-node")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(Settings(store={"in_memory": True}))


def model_of(kind: str, seed: int) -> Any:
    simulator = build_simulator(DeviceSpec(kind, f"sim-{kind}"), Endpoints(), seed=seed)
    return simulator.model  # type: ignore[attr-defined]  # every runner exposes its model


def envelope(kind: str, message: Outgoing) -> Envelope:
    return Envelope(
        protocol=Protocol(KINDS[kind].protocol),
        channel=message.channel,
        payload=message.payload,
        received_at=NOW,
        content_format=message.content_format,
    )


def messages(model: Any, steps: int) -> Iterator[Outgoing]:
    yield from getattr(model, "birth", list)()
    for _ in range(steps):
        yield from model.report(60.0)


def subscribed(pipeline: Pipeline, topic: str) -> bool:
    return any(topic_matches_sub(f, topic) for f in pipeline.mappings.topic_filters())


def translate(pipeline: Pipeline, kind: str, message: Outgoing) -> Translated:
    result = pipeline.translate(envelope(kind, message))
    if isinstance(result, Rejected):
        pytest.fail(
            f"{kind}: {message.channel} rejected at {result.stage} by {result.mapping_id}: "
            f"{result.reason}\npayload: {message.payload[:400]!r}"
        )
    return result


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_report_of_every_kind_is_accepted_by_the_shipped_mappings(
    pipeline: Pipeline, kind: str, seed: int
) -> None:
    translated = 0
    for message in messages(model_of(kind, seed), steps=30):
        if KINDS[kind].protocol == "mqtt" and not subscribed(pipeline, message.channel):
            assert any(topic_matches_sub(f, message.channel) for f in UNMAPPED_BY_DESIGN), (
                f"{kind} publishes on {message.channel}, which no mapping claims"
            )
            continue
        result = translate(pipeline, kind, message)
        assert result.readings or result.things, f"{kind}: {message.channel} said nothing"
        translated += 1
    assert translated >= 30


def test_every_kind_is_reached_and_readings_carry_the_simulated_values(
    pipeline: Pipeline,
) -> None:
    plug = model_of("zigbee2mqtt-plug", 3)
    (state,) = plug.report(60.0)
    readings = {
        r.property: r.value for r in translate(pipeline, "zigbee2mqtt-plug", state).readings
    }
    assert readings["onOff"] is True
    assert readings["power"] == pytest.approx(round(plug.meter.power))
    senml = model_of("senml-cbor", 4)
    (pack,) = senml.report(60.0)
    result = translate(pipeline, "senml-cbor", pack)
    assert result.mapping_id == "senml-cbor"
    temperature = next(r for r in result.readings if r.property == "temperature")
    assert temperature.value == pytest.approx(round(senml.temperature.value, 2))


@pytest.mark.parametrize("kind", SWITCHABLE)
def test_shipped_command_templates_switch_the_simulated_devices(
    pipeline: Pipeline, kind: str
) -> None:
    model = model_of(kind, 5)
    plans = pipeline.mappings.mappings
    thing = next(
        t
        for m in messages(model, steps=1)
        if not (KINDS[kind].protocol == "mqtt" and not subscribed(pipeline, m.channel))
        for t in translate(pipeline, kind, m).things
        if "setOnOff" in plans[t.mapping_id].commands
    )
    for wanted in (True, False):
        rendered = pipeline.mappings.render_command(
            thing.mapping_id, Command(thing.iri, "setOnOff", wanted), dict(thing.variables)
        )
        replies = model.handle(rendered.channel, rendered.payload) + model.report(60.0)
        states = [
            reading.value
            for reply in replies
            if subscribed(pipeline, reply.channel)
            for reading in translate(pipeline, kind, reply).readings
            if reading.property == "onOff" and reading.thing == thing.iri
        ]
        assert states, f"{kind}: no onOff reported after setOnOff {wanted}"
        assert set(states) == {wanted}
