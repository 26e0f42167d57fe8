"""ontology/context.jsonld makes the normalized stream message valid JSON-LD (no network)."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD

from translator.ontology.files import ontology_dir

SOSA = "http://www.w3.org/ns/sosa/"
QUDT = "http://qudt.org/schema/qudt/"
TR = "https://w3id.org/semantic-translator/ns#"
PROV = "http://www.w3.org/ns/prov#"
TRP = "https://w3id.org/semantic-translator/property/"
UNIT = "http://qudt.org/vocab/unit/"

# rdflib's JSON-LD parser builds a ConjunctiveGraph internally (rdflib 7.x); not our code.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

MESSAGE = {
    "thing": "urn:dev:tasmota:kitchen-plug",
    "property": "power",
    "value": 12.0,
    "unit": "W",
    "time": "2026-11-25T10:00:00Z",
    "source": {"protocol": "mqtt", "mapping": "tasmota", "channel": "tele/kitchen/SENSOR"},
}


def context() -> dict[str, Any]:
    document = json.loads((ontology_dir() / "context.jsonld").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def with_context(message: dict[str, Any]) -> str:
    """The message with the shipped context inlined: nothing is fetched."""
    return json.dumps({"@context": context()["@context"], **message})


def parse(message: dict[str, Any]) -> Graph:
    return Graph().parse(data=with_context(message), format="json-ld")


def one_observation(graph: Graph) -> BNode | URIRef:
    subjects = set(graph.subjects(URIRef(SOSA + "madeBySensor"), None))
    assert len(subjects) == 1
    (subject,) = subjects
    assert isinstance(subject, BNode | URIRef)
    return subject


def test_context_is_json_ld_1_1_and_local() -> None:
    ctx = context()["@context"]
    assert ctx["@version"] == 1.1
    text = json.dumps(ctx)
    assert "@import" not in text
    assert all(
        not isinstance(value, str) or value.startswith(("http", "@")) or ":" in value
        for value in ctx.values()
    )


def test_numeric_message_expands_to_the_expected_triples() -> None:
    graph = parse(MESSAGE)
    observation = one_observation(graph)

    def get(predicate: str) -> object:
        return graph.value(observation, URIRef(predicate))

    assert get(SOSA + "madeBySensor") == URIRef("urn:dev:tasmota:kitchen-plug")
    assert get(SOSA + "observedProperty") == URIRef(TRP + "power")
    assert get(QUDT + "unit") == URIRef(UNIT + "W")
    value = get(SOSA + "hasSimpleResult")
    assert isinstance(value, Literal)
    assert value.datatype == XSD.double
    assert value.toPython() == 12.0
    time = get(SOSA + "resultTime")
    assert isinstance(time, Literal)
    assert time.datatype == XSD.dateTime
    source = graph.value(observation, URIRef(PROV + "wasDerivedFrom"))
    assert graph.value(source, URIRef(TR + "protocol")) == Literal("mqtt")
    assert graph.value(source, URIRef(TR + "mappingId")) == Literal("tasmota")
    assert graph.value(source, URIRef(TR + "channel")) == Literal("tele/kitchen/SENSOR")


@pytest.mark.parametrize(
    ("prop", "unit"), [("temperature", "DEG_C"), ("energy", "KiloW-HR"), ("pm25", "MicroGM-PER-M3")]
)
def test_unit_short_names_are_qudt_local_names(prop: str, unit: str) -> None:
    graph = parse({**MESSAGE, "property": prop, "unit": unit})
    observation = one_observation(graph)
    assert graph.value(observation, URIRef(QUDT + "unit")) == URIRef(UNIT + unit)
    assert graph.value(observation, URIRef(SOSA + "observedProperty")) == URIRef(TRP + prop)


def test_boolean_message_keeps_its_type() -> None:
    message = {key: value for key, value in MESSAGE.items() if key != "unit"}
    graph = parse({**message, "property": "onOff", "value": True})
    value = graph.value(one_observation(graph), URIRef(SOSA + "hasSimpleResult"))
    assert value == Literal(True)
    assert (None, URIRef(QUDT + "unit"), None) not in graph


def test_converted_value_keeps_its_source() -> None:
    graph = parse({**MESSAGE, "sourceValue": 12000.0, "sourceUnit": "MilliW"})
    observation = one_observation(graph)
    assert graph.value(observation, URIRef(TR + "sourceUnit")) == URIRef(UNIT + "MilliW")
    assert graph.value(observation, URIRef(TR + "sourceValue")) == Literal(
        "12000.0", datatype=XSD.double
    )


def test_thing_id_and_type_keywords() -> None:
    graph = parse({**MESSAGE, "id": "urn:obs:1", "type": "sosa:Observation"})
    assert (URIRef("urn:obs:1"), RDF.type, URIRef(SOSA + "Observation")) in graph


def test_oxigraph_reads_the_same_graph() -> None:
    expected = parse(MESSAGE)
    quads = ox.parse(with_context(MESSAGE), format=ox.RdfFormat.JSON_LD)
    actual = Graph()
    for quad in quads:
        actual.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    assert isomorphic(_canonical_literals(expected), _canonical_literals(actual))


def _rdflib(term: object) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.datatype.value == str(XSD.string):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _canonical_literals(graph: Graph) -> Graph:
    """Compare literal values, not lexical forms ("Z" vs "+00:00").

    Numbers compare as numbers: JSON-LD 1.1 (section 8.6, "Object to RDF Conversion") types
    ``12.0`` as ``xsd:integer`` (no fractional part), which pyoxigraph follows and rdflib
    does not (``xsd:double``).
    """
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype is not None:
            value = o.toPython()
            if isinstance(value, int | float) and not isinstance(value, bool):
                o = Literal(float(value))
            else:
                o = Literal(str(value), datatype=o.datatype)
        out.add((s, p, o))
    return out
