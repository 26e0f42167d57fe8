"""The quads of one envelope are exactly those of docs/rdf-model.md."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdf_samples import ARRIVAL, PAYLOAD, THING, CountingMinter
from rdflib.compare import graph_diff, isomorphic

from translator.errors import ExtractionError
from translator.rdf.identifiers import IdMinter, envelope_key, observation_iri
from translator.rdf.observations import ObservationBuilder, envelope_of
from translator.rdf.terms import RDF_TYPE, SOSA_OBSERVATION
from translator.rdf.terms import SOSA_RESULT_TIME as RESULT_TIME
from translator.values import Envelope, Protocol, Provenance, Reading

ID = "https://w3id.org/semantic-translator/id/"
SHAPES = Path(__file__).resolve().parents[2] / "ontology" / "shapes.ttl"

EXPECTED = """
@prefix tr: <https://w3id.org/semantic-translator/ns#> .
@prefix trp: <https://w3id.org/semantic-translator/property/> .
@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/semantic-translator/id/envelope/K0> a tr:Envelope ;
    tr:protocol "mqtt" ;
    tr:channel "zigbee2mqtt/living_room_sensor" ;
    tr:receivedAt "2026-11-25T10:00:00Z"^^xsd:dateTime ;
    tr:payloadSha256 "SHA" ;
    tr:translatedBy <https://w3id.org/semantic-translator/id/mapping/zigbee2mqtt-climate/1> .

<https://w3id.org/semantic-translator/id/observation/K0-0> a sosa:Observation ;
    sosa:madeBySensor <urn:dev:zigbee2mqtt:living_room_sensor> ;
    sosa:observedProperty trp:temperature ;
    sosa:resultTime "2026-11-25T10:00:00Z"^^xsd:dateTime ;
    prov:wasDerivedFrom <https://w3id.org/semantic-translator/id/envelope/K0> ;
    sosa:hasResult <https://w3id.org/semantic-translator/id/observation/K0-0/result> .

<https://w3id.org/semantic-translator/id/observation/K0-0/result> a qudt:QuantityValue ;
    qudt:numericValue "21.5"^^xsd:double ;
    qudt:unit unit:DEG_C ;
    tr:sourceValue "70.7"^^xsd:double ;
    tr:sourceUnit unit:DEG_F .

<https://w3id.org/semantic-translator/id/observation/K0-1> a sosa:Observation ;
    sosa:madeBySensor <urn:dev:zigbee2mqtt:living_room_sensor> ;
    sosa:observedProperty trp:onOff ;
    sosa:resultTime "2026-11-25T10:00:00Z"^^xsd:dateTime ;
    prov:wasDerivedFrom <https://w3id.org/semantic-translator/id/envelope/K0> ;
    sosa:hasSimpleResult true .
"""


def to_rdflib(quads: list[ox.Quad]) -> rdflib.Graph:
    """Parse quads back through N-Triples (all of them are in the default graph)."""
    data = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=data.decode(), format="nt")


def test_numeric_and_boolean_readings_match_the_documented_model(
    builder: ObservationBuilder, envelope: Envelope, converted: Reading, switch: Reading
) -> None:
    quads = builder.build(envelope, "zigbee2mqtt-climate", "1", [converted, switch])
    expected = rdflib.Graph().parse(
        data=EXPECTED.replace("SHA", hashlib.sha256(PAYLOAD).hexdigest()), format="turtle"
    )
    got = to_rdflib(quads)
    _, only_got, only_expected = graph_diff(got, expected)
    assert isomorphic(got, expected), (sorted(only_got), sorted(only_expected))
    assert len(got) == len(quads)  # no duplicate quads


def test_quad_counts_per_envelope_and_reading(
    builder: ObservationBuilder,
    envelope: Envelope,
    provenance: Provenance,
    converted: Reading,
    switch: Reading,
) -> None:
    plain = Reading(THING, "temperature", 21.5, "DEG_C", ARRIVAL, provenance)
    text = Reading(THING, "action", "single", None, ARRIVAL, provenance)
    counts = {
        name: len(builder.build(envelope, "m", "1", readings)) - 6
        for name, readings in {
            "envelope only": [],
            "number": [plain],
            "converted number": [converted],
            "boolean": [switch],
            "text": [text],
        }.items()
    }
    assert counts == {
        "envelope only": 0,
        "number": 9,
        "converted number": 11,
        "boolean": 6,
        "text": 6,
    }


def test_everything_goes_to_the_default_graph(
    builder: ObservationBuilder, envelope: Envelope, converted: Reading
) -> None:
    quads = builder.build(envelope, "m", "1", [converted])
    assert {type(q.graph_name) for q in quads} == {ox.DefaultGraph}


def test_the_store_can_find_each_readings_observation(
    builder: ObservationBuilder, envelope: Envelope, converted: Reading, switch: Reading
) -> None:
    quads = builder.build(envelope, "m", "1", [converted, switch, converted])
    env = envelope_of(quads)
    assert env is not None
    assert quads[0] == ox.Quad(env, RDF_TYPE, ox.NamedNode(quads[0].object.value))
    key = envelope_key(env.value)
    assert key is not None
    observations = [
        q.subject for q in quads if q.predicate == RDF_TYPE and q.object == SOSA_OBSERVATION
    ]
    assert [o.value for o in observations] == [observation_iri(key, i) for i in range(3)]
    assert envelope_of(list(reversed(quads))) == env  # found even when not first
    assert envelope_of([]) is None


def test_payload_digest_is_computed_when_not_given(
    builder: ObservationBuilder, envelope: Envelope
) -> None:
    given = builder.build(envelope, "m", "1", [], sha256="ab" * 32)
    computed = builder.build(envelope, "m", "1", [])
    digests = [
        [q.object.value for q in quads if q.predicate.value.endswith("#payloadSha256")]
        for quads in (given, computed)
    ]
    assert digests == [["ab" * 32], [hashlib.sha256(PAYLOAD).hexdigest()]]


@pytest.mark.parametrize(
    ("moment", "lexical"),
    [
        (
            datetime(2026, 11, 25, 11, 30, tzinfo=timezone(timedelta(hours=1, minutes=30))),
            "2026-11-25T10:00:00Z",
        ),
        (datetime(2026, 11, 25, 10, 0, 0, 250000), "2026-11-25T10:00:00.250000Z"),  # naive = UTC
    ],
)
def test_times_are_utc_datetimes(
    builder: ObservationBuilder,
    provenance: Provenance,
    moment: datetime,
    lexical: str,
) -> None:
    envelope = Envelope(Protocol.HTTP, "ttn/uplink", b"{}", moment)
    reading = Reading(THING, "temperature", 1.0, "DEG_C", moment + timedelta(hours=1), provenance)
    quads = builder.build(envelope, "m", "1", [reading])
    times = {
        q.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]: q.object
        for q in quads
        if isinstance(q.object, ox.Literal) and q.object.datatype.value.endswith("#dateTime")
    }
    assert times["receivedAt"].value == lexical
    later = datetime.fromisoformat(times["resultTime"].value)
    assert later - datetime.fromisoformat(lexical) == timedelta(hours=1)
    assert times["resultTime"].value.endswith("Z")


@pytest.mark.parametrize(
    ("field", "bad", "role"),
    [
        ("thing", "urn:dev:bad thing", "thing"),
        ("property", "temp erature", "property"),
        ("unit", "DEG C", "unit"),
    ],
)
def test_a_bad_iri_is_an_extraction_error_that_names_it(
    builder: ObservationBuilder,
    envelope: Envelope,
    provenance: Provenance,
    field: str,
    bad: str,
    role: str,
) -> None:
    values = {"thing": THING, "property": "temperature", "unit": "DEG_C"} | {field: bad}
    reading = Reading(values["thing"], values["property"], 1.0, values["unit"], ARRIVAL, provenance)
    with pytest.raises(ExtractionError) as caught:
        builder.build(envelope, "zigbee2mqtt-climate", "1", [reading])
    assert caught.value.stage == "extract"
    assert caught.value.mapping_id == "zigbee2mqtt-climate"
    assert caught.value.detail["role"] == role
    assert bad in caught.value.reason


def test_real_minter_keys_differ_between_builders(envelope: Envelope) -> None:
    first, second = ObservationBuilder(IdMinter()), ObservationBuilder(IdMinter())
    subjects = {
        quads[0].subject
        for builder in (first, second, first, second)
        for quads in [builder.build(envelope, "m", "1", [])]
    }
    assert len(subjects) == 4


def test_output_conforms_to_the_shipped_shapes_per_pyshacl(
    builder: ObservationBuilder, envelope: Envelope, converted: Reading, switch: Reading
) -> None:
    pyshacl = pytest.importorskip("pyshacl")
    if not SHAPES.is_file():
        pytest.skip("ontology/shapes.ttl not built")
    data = to_rdflib(builder.build(envelope, "zigbee2mqtt-climate", "1", [converted, switch]))
    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes)
    assert conforms, text


def test_envelope_time_literal_is_shared_with_readings_timed_on_arrival(
    builder: ObservationBuilder, envelope: Envelope, switch: Reading
) -> None:
    quads = builder.build(envelope, "m", "1", [switch])
    received = next(q.object for q in quads if q.predicate.value.endswith("#receivedAt"))
    result_time = next(q.object for q in quads if q.predicate.value.endswith("/resultTime"))
    assert (
        received
        == result_time
        == ox.Literal(
            "2026-11-25T10:00:00Z",
            datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"),
        )
    )
    assert ARRIVAL.tzinfo is UTC


def test_the_graph_index_is_the_quads_envelope_first(
    envelope: Envelope, converted: Reading, switch: Reading
) -> None:
    """``build_graph`` indexes by subject what ``build`` returns as quads, in the same order."""
    graph = ObservationBuilder(CountingMinter()).build_graph(
        envelope, "zigbee2mqtt-climate", "1", [converted, switch]
    )
    quads = ObservationBuilder(CountingMinter()).build(
        envelope, "zigbee2mqtt-climate", "1", [converted, switch]
    )
    assert graph.quads() == quads
    assert len(graph) == len(quads) == len(set(quads)) == 6 + 11 + 6
    assert next(iter(graph.index)) == envelope_of(quads)
    lists = [values for by in graph.index.values() for values in by.values()]
    assert all(len(set(values)) == len(values) for values in lists)


def test_readings_that_share_a_time_share_its_literal(
    builder: ObservationBuilder, envelope: Envelope, converted: Reading
) -> None:
    later = replace(converted, time=ARRIVAL + timedelta(minutes=5))
    graph = builder.build_graph(envelope, "m", "1", [later, replace(later, property="humidity")])
    times = [by[RESULT_TIME][0] for by in graph.index.values() if RESULT_TIME in by]
    assert times[0] is times[1]
    assert times[0].value == "2026-11-25T10:05:00Z"
