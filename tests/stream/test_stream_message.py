"""The normalized message: its JSON Schema, and its JSON-LD reading through the shipped context."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
import pytest
from jsonschema import Draft202012Validator
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from stream_samples import T0, translated

from translator.ontology.files import ontology_dir
from translator.pipeline import Pipeline, build_pipeline
from translator.rdf.namespaces import PROV, QUDT, SOSA, TR, TRP, UNIT
from translator.settings import Settings
from translator.stream.hub import Hub, SeedEntry
from translator.stream.message import (
    Observation,
    StreamEvent,
    ThingMeta,
    compact_iri,
    context_prefix,
    message_schema,
    with_context,
)
from translator.values import Envelope, Protocol, Translated

# rdflib's JSON-LD parser builds a ConjunctiveGraph internally (rdflib 7.x); not our code.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

CONTEXT_URL = "http://127.0.0.1:8000/context.jsonld"
VALIDATOR = Draft202012Validator(
    message_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(Settings())


def contact_sensor(pipeline: Pipeline) -> Translated:
    """A real translation: battery voltage arrives in mV and is converted to V."""
    payload = b'{"battery":97,"contact":true,"temperature":21.5,"voltage":3025,"linkquality":87}'
    envelope = Envelope(Protocol.MQTT, "zigbee2mqtt/front_door", payload, T0, "application/json")
    outcome = pipeline.translate(envelope)
    assert isinstance(outcome, Translated), outcome
    return outcome


def messages(events: list[StreamEvent]) -> list[dict[str, Any]]:
    prefix = context_prefix(CONTEXT_URL)
    return [json.loads(with_context(event.body, prefix)) for event in events]


def published(translated_: Translated) -> list[StreamEvent]:
    hub = Hub()
    events: list[StreamEvent] = []
    hub.attach(_Collect(events))
    hub.publish(translated_)
    return events


class _Collect:
    def __init__(self, into: list[StreamEvent]) -> None:
        self.into = into
        self.closed = False

    def offer(self, event: StreamEvent) -> None:
        self.into.append(event)

    def close(self) -> None:
        self.closed = True


def as_json_ld(message: dict[str, Any]) -> str:
    """The message with the shipped context inlined in place of its URL: nothing is fetched."""
    context = json.loads((ontology_dir() / "context.jsonld").read_text(encoding="utf-8"))
    assert message["@context"] == CONTEXT_URL
    return json.dumps({**message, "@context": context["@context"]})


def test_real_translation_gives_schema_valid_messages(pipeline: Pipeline) -> None:
    found = messages(published(contact_sensor(pipeline)))
    assert [m["property"] for m in found] == [
        "contact",
        "batteryLevel",
        "batteryVoltage",
        "temperature",
        "linkQuality",
    ]
    for message in found:
        VALIDATOR.validate(message)
    voltage = found[2]
    assert voltage["value"] == pytest.approx(3.025)
    assert (voltage["unit"], voltage["sourceValue"], voltage["sourceUnit"]) == ("V", 3025, "MilliV")
    assert voltage["thingType"] == "saref:Sensor"
    assert voltage["source"]["mapping"] == "zigbee2mqtt-contact"
    assert voltage["source"]["channel"] == "zigbee2mqtt/front_door"
    assert voltage["time"] == "2026-11-25T10:00:00Z"
    assert "unit" not in found[0]  # a boolean has no unit


def test_message_json_ld_gives_the_observation_the_store_holds(pipeline: Pipeline) -> None:
    outcome = contact_sensor(pipeline)
    stored = {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in outcome.quads
        if isinstance(q.object, ox.NamedNode | ox.Literal)
    }
    for message in messages(published(outcome)):
        graph = Graph().parse(data=as_json_ld(message), format="json-ld")
        observation = URIRef(message["id"])
        assert (observation, RDF.type, URIRef(SOSA + "Observation")) in graph
        # the triples a JSON-LD processor reads are the store's, for the same observation IRI
        for predicate in ("madeBySensor", "observedProperty"):
            value = graph.value(observation, URIRef(SOSA + predicate))
            assert (message["id"], SOSA + predicate, str(value)) in stored
        envelope = graph.value(observation, URIRef(PROV + "wasDerivedFrom"))
        assert (message["id"], PROV + "wasDerivedFrom", str(envelope)) in stored
        assert graph.value(envelope, URIRef(TR + "protocol")) == Literal("mqtt")
        assert graph.value(envelope, URIRef(TR + "mappingId")) == Literal("zigbee2mqtt-contact")
        time = graph.value(observation, URIRef(SOSA + "resultTime"))
        assert isinstance(time, Literal)
        assert time.datatype == XSD.dateTime
        assert time.toPython() == T0


def test_json_ld_triples_of_a_numeric_message() -> None:
    (message,) = messages(published(translated([("power", 12.5, "W")])))
    graph = Graph().parse(data=as_json_ld(message), format="json-ld")
    observation = URIRef(message["id"])
    assert graph.value(observation, URIRef(SOSA + "madeBySensor")) == URIRef(message["thing"])
    assert graph.value(observation, URIRef(SOSA + "observedProperty")) == URIRef(TRP + "power")
    assert graph.value(observation, URIRef(QUDT + "unit")) == URIRef(UNIT + "W")
    value = graph.value(observation, URIRef(SOSA + "hasSimpleResult"))
    assert isinstance(value, Literal)
    assert value.toPython() == 12.5
    assert graph.value(observation, URIRef(TR + "area")) == Literal("kitchen")
    # thingType is deliberately unmapped (null in the context): it describes the thing
    assert not any("thingType" in str(term) for triple in graph for term in triple)
    assert not any("Switch" in str(term) for triple in graph for term in triple)


def test_oxigraph_reads_the_same_triples_as_rdflib() -> None:
    (message,) = messages(published(translated([("onOff", True, None)])))
    document = as_json_ld(message)
    expected = Graph().parse(data=document, format="json-ld")
    quads = list(ox.parse(document, format=ox.RdfFormat.JSON_LD))
    assert len(quads) == len(expected)
    predicates = {q.predicate.value for q in quads}
    assert predicates == {str(p) for p in expected.predicates()}


def test_seeded_state_message_without_source_is_valid() -> None:
    hub = Hub()
    observation = Observation(None, "urn:dev:x", "temperature", 21.0, "DEG_C", T0)
    hub.seed([("urn:dev:x", ThingMeta(area="hall"))], [SeedEntry(observation)])
    (message,) = messages(list(hub.snapshot()))
    VALIDATOR.validate(message)
    assert "source" not in message
    assert "id" not in message
    assert message["area"] == "hall"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"thing": None}, "thing is required"),
        ({"value": [1, 2]}, "values are numbers, booleans or texts"),
        ({"value": True}, "a boolean has no unit"),
        ({"sourceUnit": None}, "sourceValue needs sourceUnit"),
        ({"time": "2026-11-25T10:00:00+01:00"}, "times are UTC with Z"),
        ({"source": {"protocol": "ftp", "mapping": "m", "channel": "c"}}, "known protocols"),
        ({"extra": 1}, "no other members"),
    ],
)
def test_schema_rejects_broken_messages(change: dict[str, Any], why: str) -> None:
    (message,) = messages(published(translated([("power", 1200.0, "W")])))
    message |= {"sourceValue": 1.2, "sourceUnit": "KiloW"}
    VALIDATOR.validate(message)
    broken = {k: v for k, v in (message | change).items() if v is not None}
    assert not VALIDATOR.is_valid(broken), why


def test_compact_iri_prefers_the_longest_namespace() -> None:
    assert compact_iri("https://saref.etsi.org/core/Switch") == "saref:Switch"
    assert compact_iri("https://w3id.org/semantic-translator/property/power") == "trp:power"
    assert compact_iri("urn:example:Thing") == "urn:example:Thing"


def test_the_schema_ships_in_the_package() -> None:
    schema = message_schema()
    Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) == {"@context", "type", "thing", "property", "value", "time"}
