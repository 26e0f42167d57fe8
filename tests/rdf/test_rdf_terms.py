"""Identifiers, literals and the descriptions of things and mappings."""

from __future__ import annotations

import math
import multiprocessing
import re
import threading
from datetime import UTC, datetime, timedelta, timezone

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from translator.errors import ExtractionError
from translator.rdf.identifiers import (
    IdMinter,
    envelope_iri,
    envelope_key,
    mapping_iri,
    new_ulid,
    state_iri,
)
from translator.rdf.literals import datetime_literal, literal_datetime, literal_value, value_literal
from translator.rdf.things import expand_curie, mapping_quads, thing_quads
from translator.values import Placement, ThingInfo

ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def test_ulid_shape_and_order() -> None:
    first = new_ulid()
    assert ULID.match(first)
    assert new_ulid()[:8] >= first[:8]  # time-ordered prefix


def test_minted_keys_are_unique_across_threads() -> None:
    minter = IdMinter()
    keys: list[str] = []

    def mint() -> None:
        keys.extend(minter.next_key() for _ in range(5000))

    threads = [threading.Thread(target=mint) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == len(keys) == 20000


def _mint_in_child(minter: IdMinter, queue: multiprocessing.Queue[str]) -> None:
    queue.put(minter.next_key())


def test_a_forked_child_does_not_repeat_its_parents_keys() -> None:
    context = multiprocessing.get_context("fork")
    minter = IdMinter()
    queue: multiprocessing.Queue[str] = context.Queue()
    child = context.Process(target=_mint_in_child, args=(minter, queue))
    child.start()
    child_key = queue.get(timeout=30)
    child.join(timeout=30)
    parent_key = minter.next_key()
    assert child_key.split("-")[0] != parent_key.split("-")[0]


def test_envelope_keys_round_trip() -> None:
    assert envelope_key(envelope_iri("ABC-1f")) == "ABC-1f"
    assert envelope_key("urn:other") is None


def test_state_iri_is_stable_and_distinct() -> None:
    a = state_iri("urn:dev:a", "temperature")
    assert a == state_iri("urn:dev:a", "temperature")
    assert a != state_iri("urn:dev:b", "temperature")
    assert a != state_iri("urn:dev:a", "relativeHumidity")
    ox.NamedNode(state_iri("urn:dev:ä b/c?", "x y"))  # valid whatever the inputs


def test_mapping_iri_encodes_its_segments() -> None:
    assert (
        mapping_iri("tasmota", "2") == "https://w3id.org/semantic-translator/id/mapping/tasmota/2"
    )
    assert mapping_iri("a", "1.0/b c").endswith("/a/1.0%2Fb%20c")


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 1),
        max_value=datetime(9999, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=45))]
        ),
    )
)
def test_datetimes_round_trip_as_utc(moment: datetime) -> None:
    literal = datetime_literal(moment)
    assert literal.value.endswith("Z")
    assert literal_datetime(literal) == moment


@given(st.one_of(st.booleans(), st.floats(allow_nan=False), st.text()))
def test_values_round_trip(value: bool | float | str) -> None:
    assert literal_value(value_literal(value)) == value


def test_special_doubles_round_trip() -> None:
    assert math.isnan(float(literal_value(value_literal(float("nan")))))
    assert literal_value(value_literal(float("-inf"))) == float("-inf")
    with pytest.raises(ValueError, match="datatype"):
        literal_value(
            ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        )


def test_curies_expand_with_the_project_prefixes() -> None:
    assert expand_curie("saref:Switch") == "https://saref.etsi.org/core/Switch"
    assert expand_curie("https://example.org/Kind") == "https://example.org/Kind"
    assert expand_curie("urn:x:y") == "urn:x:y"


THING_TTL = """
@prefix tr: <https://w3id.org/semantic-translator/ns#> .
@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix saref: <https://saref.etsi.org/core/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<urn:dev:tasmota:kitchen_plug> a sosa:Platform, sosa:Sensor, saref:Switch ;
    rdfs:label "Kitchen plug" ;
    tr:area "kitchen" ;
    tr:positionX "1.5"^^xsd:double ;
    tr:positionY "0.0"^^xsd:double ;
    tr:positionZ "-2.25"^^xsd:double ;
    tr:model "plug.glb" ;
    tr:sceneNode "Plug_01" .
"""


def _graph(quads: list[ox.Quad]) -> rdflib.Graph:
    data = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=data.decode(), format="nt")


def test_thing_description() -> None:
    info = ThingInfo(
        "urn:dev:tasmota:kitchen_plug",
        "tasmota",
        "saref:Switch",
        "Kitchen plug",
        Placement("kitchen", (1.5, 0.0, -2.25), "plug.glb", "Plug_01"),
    )
    quads = thing_quads(info)
    assert {q.graph_name.value for q in quads} == {
        "https://w3id.org/semantic-translator/graph/things"
    }
    assert isomorphic(_graph(quads), rdflib.Graph().parse(data=THING_TTL, format="turtle"))


def test_minimal_thing_and_bad_type() -> None:
    assert len(thing_quads(ThingInfo("urn:dev:x", "m"))) == 2
    with pytest.raises(ExtractionError, match="thing type"):
        thing_quads(ThingInfo("urn:dev:x", "m", type="not a type"))


def test_mapping_description() -> None:
    quads = mapping_quads("zigbee2mqtt-climate", "1", "/somewhere/mappings/zigbee2mqtt.yaml")
    expected = """
    @prefix tr: <https://w3id.org/semantic-translator/ns#> .
    @prefix prov: <http://www.w3.org/ns/prov#> .
    @prefix owl: <http://www.w3.org/2002/07/owl#> .
    @prefix m: <https://w3id.org/semantic-translator/id/mapping/zigbee2mqtt-climate/> .
    m:1 a tr:Mapping, prov:Plan ;
        tr:mappingId "zigbee2mqtt-climate" ; owl:versionInfo "1" ;
        tr:sourceFile "zigbee2mqtt.yaml" .
    """
    assert isomorphic(_graph(quads), rdflib.Graph().parse(data=expected, format="turtle"))
    assert {q.graph_name.value for q in quads} == {
        "https://w3id.org/semantic-translator/graph/meta"
    }
