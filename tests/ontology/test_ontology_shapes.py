"""ontology/shapes.ttl: SHACL Core only, and pyshacl accepts good graphs and rejects bad ones."""

from __future__ import annotations

from collections.abc import Callable

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH, XSD

from translator.ontology.vocabulary import Vocabulary

TR = Namespace("https://w3id.org/semantic-translator/ns#")
TRP = Namespace("https://w3id.org/semantic-translator/property/")
TRS = Namespace("https://w3id.org/semantic-translator/shapes#")
SOSA = Namespace("http://www.w3.org/ns/sosa/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
PROV = Namespace("http://www.w3.org/ns/prov#")
ID = "https://w3id.org/semantic-translator/id/"

ENVELOPE = URIRef(ID + "envelope/E")
NUMERIC = URIRef(ID + "observation/E-0")
RESULT = URIRef(ID + "observation/E-0/result")
BOOLEAN = URIRef(ID + "observation/E-1")
STATE = URIRef(ID + "state/abc/temperature")
SENSOR = URIRef("urn:dev:zigbee2mqtt:living_room_sensor")
WHEN = Literal("2026-11-25T10:00:00Z", datatype=XSD.dateTime)

VALID = f"""
@prefix tr: <{TR}> . @prefix trp: <{TRP}> . @prefix sosa: <{SOSA}> .
@prefix qudt: <{QUDT}> . @prefix unit: <{UNIT}> . @prefix prov: <{PROV}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<{ENVELOPE}> a tr:Envelope ;
    tr:protocol "mqtt" ; tr:channel "zigbee2mqtt/living_room_sensor" ;
    tr:receivedAt "2026-11-25T10:00:00Z"^^xsd:dateTime ;
    tr:payloadSha256 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" ;
    tr:translatedBy <{ID}mapping/zigbee2mqtt-climate/1> .

<{NUMERIC}> a sosa:Observation ;
    sosa:madeBySensor <{SENSOR}> ;
    sosa:observedProperty trp:temperature ;
    sosa:resultTime "2026-11-25T10:00:00Z"^^xsd:dateTime ;
    prov:wasDerivedFrom <{ENVELOPE}> ;
    sosa:hasResult <{RESULT}> .
<{RESULT}> a qudt:QuantityValue ;
    qudt:numericValue "21.5"^^xsd:double ;
    qudt:unit unit:DEG_C ;
    tr:sourceValue "70.7"^^xsd:double ; tr:sourceUnit unit:DEG_F .

<{BOOLEAN}> a sosa:Observation ;
    sosa:madeBySensor <{SENSOR}> ;
    sosa:observedProperty trp:onOff ;
    sosa:resultTime "2026-11-25T10:00:00Z"^^xsd:dateTime ;
    prov:wasDerivedFrom <{ENVELOPE}> ;
    sosa:hasSimpleResult true .

<{STATE}> a tr:State ;
    tr:ofThing <{SENSOR}> ; sosa:observedProperty trp:temperature ;
    sosa:hasSimpleResult "21.5"^^xsd:double ; qudt:unit unit:DEG_C ;
    sosa:resultTime "2026-11-25T10:00:00Z"^^xsd:dateTime ; tr:latestObservation <{NUMERIC}> .
"""

Edit = Callable[[Graph], None]


def valid_graph() -> Graph:
    return Graph().parse(data=VALID, format="turtle")


def validate(data: Graph, shapes: Graph) -> tuple[bool, set[URIRef]]:
    """pyshacl's verdict and the source shapes of its violations."""
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes)
    sources = {URIRef(str(shape)) for shape in report.objects(None, SH.sourceShape)}
    return bool(conforms), sources


def test_valid_graph_conforms(shapes: Graph) -> None:
    assert validate(valid_graph(), shapes) == (True, set())


def _numeric(prop: str, unit: str, value: float) -> Edit:
    def edit(graph: Graph) -> None:
        graph.set((NUMERIC, SOSA.observedProperty, TRP[prop]))
        graph.set((RESULT, QUDT.unit, UNIT[unit]))
        graph.set((RESULT, QUDT.numericValue, Literal(value)))
        graph.remove((RESULT, TR.sourceValue, None))
        graph.remove((RESULT, TR.sourceUnit, None))

    return edit


@pytest.mark.parametrize(
    ("prop", "unit", "value"),
    [
        ("relativeHumidity", "PERCENT_RH", 40.2),
        ("relativeHumidity", "PERCENT_RH", 100.0),
        ("batteryLevel", "PERCENT", 0.0),
        ("pressure", "HectoPA", 1013.25),
        ("latitude", "DEG", -90.0),
        ("powerFactor", "UNITLESS", -0.5),
        ("power", "W", -12.0),
        ("rssi", "DeciB_M", -67.0),
    ],
)
def test_valid_numeric_properties_conform(
    shapes: Graph, prop: str, unit: str, value: float
) -> None:
    graph = valid_graph()
    _numeric(prop, unit, value)(graph)
    assert validate(graph, shapes) == (True, set())


def _set(subject: URIRef, predicate: URIRef, obj: Literal | URIRef) -> Edit:
    def edit(graph: Graph) -> None:
        graph.set((subject, predicate, obj))

    return edit


def _add(subject: URIRef, predicate: URIRef, obj: Literal | URIRef) -> Edit:
    def edit(graph: Graph) -> None:
        graph.add((subject, predicate, obj))

    return edit


def _remove(subject: URIRef, predicate: URIRef) -> Edit:
    def edit(graph: Graph) -> None:
        graph.remove((subject, predicate, None))

    return edit


def _untype_result(graph: Graph) -> None:
    graph.remove((RESULT, RDF.type, None))


def _boolean_with_quantity(graph: Graph) -> None:
    graph.remove((BOOLEAN, SOSA.hasSimpleResult, None))
    graph.add((BOOLEAN, SOSA.hasResult, RESULT))


INVALID: dict[str, tuple[Edit, URIRef]] = {
    "no sensor": (_remove(NUMERIC, SOSA.madeBySensor), TRS["Observation-madeBySensor"]),
    "literal sensor": (
        _set(NUMERIC, SOSA.madeBySensor, Literal("urn:dev:x")),
        TRS["Observation-madeBySensor"],
    ),
    "two sensors": (
        _add(NUMERIC, SOSA.madeBySensor, URIRef("urn:dev:other")),
        TRS["Observation-madeBySensor"],
    ),
    "no property": (_remove(NUMERIC, SOSA.observedProperty), TRS["Observation-observedProperty"]),
    "unknown property": (
        _set(NUMERIC, SOSA.observedProperty, TRP.warpFactor),
        TRS["Observation-observedProperty"],
    ),
    "no result time": (_remove(NUMERIC, SOSA.resultTime), TRS["Observation-resultTime"]),
    "result time as string": (
        _set(NUMERIC, SOSA.resultTime, Literal("2026-11-25T10:00:00Z")),
        TRS["Observation-resultTime"],
    ),
    "two result times": (
        _add(NUMERIC, SOSA.resultTime, Literal("2026-11-25T10:00:01Z", datatype=XSD.dateTime)),
        TRS["Observation-resultTime"],
    ),
    "no provenance": (_remove(NUMERIC, PROV.wasDerivedFrom), TRS["Observation-wasDerivedFrom"]),
    "provenance not an envelope": (
        _set(NUMERIC, PROV.wasDerivedFrom, URIRef(ID + "envelope/missing")),
        TRS["Observation-wasDerivedFrom"],
    ),
    "no result at all": (_remove(NUMERIC, SOSA.hasResult), TRS.ObservationShape),
    "both results": (
        _add(NUMERIC, SOSA.hasSimpleResult, Literal(21.5)),
        TRS.ObservationShape,
    ),
    "result not typed": (_untype_result, TRS.QuantityValueShape),
    "value as decimal": (
        _set(RESULT, QUDT.numericValue, Literal("21.5", datatype=XSD.decimal)),
        TRS["QuantityValue-numericValue"],
    ),
    "unit as literal": (_set(RESULT, QUDT.unit, Literal("DEG_C")), TRS["QuantityValue-unit"]),
    "stored in a non-canonical unit": (
        _set(RESULT, QUDT.unit, UNIT.DEG_F),
        TRS["temperature-Shape"],
    ),
    "below absolute zero": (
        _set(RESULT, QUDT.numericValue, Literal(-300.0)),
        TRS["temperature-Shape"],
    ),
    "source unit of another kind": (
        _set(RESULT, TR.sourceUnit, UNIT.W),
        TRS["temperature-Shape"],
    ),
    "source value without source unit": (
        _remove(RESULT, TR.sourceUnit),
        TRS.QuantityValueShape,
    ),
    "humidity over 100": (
        _numeric("relativeHumidity", "PERCENT_RH", 120.0),
        TRS["relativeHumidity-Shape"],
    ),
    "battery below 0": (_numeric("batteryLevel", "PERCENT", -1.0), TRS["batteryLevel-Shape"]),
    "latitude over 90": (_numeric("latitude", "DEG", 91.0), TRS["latitude-Shape"]),
    "pressure in pascal": (_numeric("pressure", "PA", 101325.0), TRS["pressure-Shape"]),
    "boolean as string": (
        _set(BOOLEAN, SOSA.hasSimpleResult, Literal("true")),
        TRS["onOff-Shape"],
    ),
    "boolean with a quantity result": (_boolean_with_quantity, TRS["onOff-Shape"]),
    "envelope protocol": (_set(ENVELOPE, TR.protocol, Literal("amqp")), TRS["Envelope-protocol"]),
    "envelope digest": (
        _set(ENVELOPE, TR.payloadSha256, Literal("9F86D0")),
        TRS["Envelope-payloadSha256"],
    ),
    "envelope time": (
        _set(ENVELOPE, TR.receivedAt, Literal("yesterday")),
        TRS["Envelope-receivedAt"],
    ),
    "envelope mapping literal": (
        _set(ENVELOPE, TR.translatedBy, Literal("zigbee2mqtt-climate")),
        TRS["Envelope-translatedBy"],
    ),
    "envelope without channel": (_remove(ENVELOPE, TR.channel), TRS["Envelope-channel"]),
    "state without thing": (_remove(STATE, TR.ofThing), TRS["State-ofThing"]),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_graph_is_rejected_by_the_right_shape(shapes: Graph, case: str) -> None:
    edit, expected = INVALID[case]
    graph = valid_graph()
    edit(graph)
    conforms, sources = validate(graph, shapes)
    assert not conforms
    assert expected in sources


CORE_ONLY_FORBIDDEN = {SH.sparql, SH.SPARQLConstraint, SH.SPARQLTarget, SH.target, SH.rule}


def test_shapes_use_shacl_core_only(shapes: Graph) -> None:
    used = set(shapes.predicates()) | set(shapes.objects(None, RDF.type))
    assert used & CORE_ONLY_FORBIDDEN == set()


def test_every_shape_is_named_and_every_constraint_explains_itself(shapes: Graph) -> None:
    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(RDF.type, kind):
            assert shapes.value(shape, SH.name) is not None, shape
    for shape in shapes.subjects(RDF.type, SH.PropertyShape):
        assert shapes.value(shape, SH.message) is not None, shape
    for shape in shapes.subjects(SH.targetClass, None):
        has_own = shapes.value(shape, SH.message) is not None
        assert has_own or shapes.value(shape, SH.property) is not None, shape


def test_every_property_has_a_rule(shapes: Graph, vocabulary: Vocabulary) -> None:
    for name in vocabulary.properties:
        assert (TRS[f"{name}-Shape"], SH.targetClass, SOSA.Observation) in shapes
