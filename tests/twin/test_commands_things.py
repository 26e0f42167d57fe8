"""What the command path needs from the things graph: registration, variables, families."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from translator.pipeline import Pipeline, build_pipeline
from translator.rdf.namespaces import TR
from translator.rdf.terms import THINGS
from translator.rdf.things import parse_variable, registration_quads
from translator.settings import Settings
from translator.twin.sparql import AskResult
from translator.twin.store import TwinStore
from translator.twin.things import (
    ThingDirectory,
    compact_iri,
    describing_plans,
    infos_from_triples,
)
from translator.values import Envelope, Placement, Protocol, ThingInfo, Translated

KITCHEN = ThingInfo(
    iri="urn:dev:tasmota:kitchen",
    mapping_id="tasmota-sensor",
    type="saref:Sensor",
    label="Kitchen plug",
    placement=Placement("kitchen", (1.5, 0.0, -2.25), "plug.glb", "Plug_01"),
    variables=(("device", "kitchen"),),
)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(Settings())


def describing(*things: ThingInfo) -> Translated:
    envelope = Envelope(Protocol.MQTT, "tele/kitchen/SENSOR", b"{}", datetime.now(UTC))
    return Translated(envelope, things[0].mapping_id, (), things)


def test_registration_quads_say_the_mapping_and_every_variable() -> None:
    info = ThingInfo("urn:dev:x:a%2Fb", "m", variables=(("device", "a/b"), ("eq", "x=y")))
    quads = registration_quads(info)
    thing = NamedNode("urn:dev:x:a%2Fb")
    assert set(quads) == {
        Quad(thing, NamedNode(TR + "registeredBy"), Literal("m"), THINGS),
        Quad(thing, NamedNode(TR + "variable"), Literal("device=a/b"), THINGS),
        Quad(thing, NamedNode(TR + "variable"), Literal("eq=x=y"), THINGS),
    }
    assert parse_variable("eq=x=y") == ("eq", "x=y")
    assert parse_variable("no sign") is None


def test_the_directory_reads_back_what_the_store_keeps(store: TwinStore) -> None:
    store.write([describing(KITCHEN)])
    loaded = ThingDirectory.load(store)
    assert list(loaded) == [KITCHEN]
    ask = store.query(
        "ASK { GRAPH <https://w3id.org/semantic-translator/graph/things> { "
        '<urn:dev:tasmota:kitchen> tr:variable "device=kitchen" ; '
        'tr:registeredBy "tasmota-sensor" } }'
    )
    assert isinstance(ask, AskResult)
    assert ask.value


def test_another_mapping_rewrites_the_registration(store: TwinStore) -> None:
    store.write([describing(KITCHEN)])
    switch = ThingInfo(
        KITCHEN.iri, "tasmota-state", "saref:Switch", "kitchen", None, KITCHEN.variables
    )
    store.write([describing(switch)])
    assert list(ThingDirectory.load(store)) == [switch]


def test_a_thing_written_before_registration_existed_has_no_mapping() -> None:
    thing = NamedNode("urn:dev:old")
    triples = [
        Quad(
            thing,
            NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            NamedNode("https://saref.etsi.org/core/Switch"),
            THINGS,
        ),
        Quad(thing, NamedNode(TR + "positionX"), Literal("not a number"), THINGS),
    ]
    (info,) = infos_from_triples(triples)
    assert info == ThingInfo("urn:dev:old", "", "saref:Switch")


def test_the_directory_learns_from_translated_messages() -> None:
    directory = ThingDirectory()
    directory.learn(describing(KITCHEN))
    assert KITCHEN.iri in directory
    assert len(directory) == 1
    assert directory.get(KITCHEN.iri) == KITCHEN
    assert directory.get("urn:dev:none") is None


def test_the_directory_changes_a_thing_only_when_its_description_does() -> None:
    directory = ThingDirectory()
    directory.learn(describing(KITCHEN))
    alike = replace(KITCHEN, mapping_id="tasmota-state")  # the family, same description
    directory.learn(describing(alike))
    assert directory.get(KITCHEN.iri) == KITCHEN  # as the things graph keeps it
    for changed in (
        replace(alike, type="saref:Switch"),
        replace(alike, label="Kitchen"),
        replace(alike, placement=None),
        replace(alike, variables=(("device", "kitchen2"),)),
    ):
        directory.learn(describing(changed))
        assert directory.get(KITCHEN.iri) == changed


def test_compact_iri_takes_the_longest_namespace() -> None:
    assert compact_iri("https://saref.etsi.org/core/Switch") == "saref:Switch"
    assert compact_iri("https://w3id.org/semantic-translator/property/power") == "trp:power"
    assert compact_iri("urn:x:y") == "urn:x:y"


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (
            ThingInfo("urn:dev:tasmota:desk", "tasmota-sensor", variables=(("device", "desk"),)),
            ["tasmota-sensor", "tasmota-state", "tasmota-power"],
        ),
        (
            ThingInfo(
                "urn:dev:zigbee2mqtt:hall", "zigbee2mqtt-climate", variables=(("device", "hall"),)
            ),
            ["zigbee2mqtt-climate"],
        ),
        (
            ThingInfo("urn:dev:shelly:s1", "shelly-gen2-http", variables=(("device", "s1"),)),
            ["shelly-gen2-http", "shelly-gen2-switch"],
        ),
        (
            ThingInfo("urn:dev:tasmota:desk", "gone-mapping", variables=(("device", "desk"),)),
            ["tasmota-sensor", "tasmota-state", "tasmota-power"],
        ),
        (
            ThingInfo("urn:dev:tasmota:desk", "tasmota-sensor", variables=(("name", "desk"),)),
            ["tasmota-sensor"],
        ),
    ],
    ids=["family", "rivals-on-one-channel", "two-transports", "unloaded-mapping", "other-names"],
)
def test_describing_plans(pipeline: Pipeline, info: ThingInfo, expected: list[str]) -> None:
    found = [plan.id for plan in describing_plans(pipeline.mappings.mappings, info)]
    if info.mapping_id in pipeline.mappings.mappings:
        assert found[0] == info.mapping_id  # the registering mapping comes first
    assert sorted(found) == sorted(expected)
