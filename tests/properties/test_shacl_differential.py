"""Differential test: the compiled SHACL gate agrees with pyshacl on the project shapes.

Hypothesis builds messages exactly in the shape of docs/rdf-model.md (an envelope, numeric
observations with and without a converted source value, boolean and text observations,
sometimes a latest-state node), valid or mutated to be invalid (missing and extra triples,
wrong datatypes, ill-typed literals, out-of-range values, a unit of the wrong quantity kind,
literals where IRIs are due and the reverse, unknown properties). For each message the gate's
verdict must equal pyshacl's, and so must the set of results
(focus node, path, constraint component, source shape, value).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.ontology.files import ontology_dir
from translator.ontology.model import PropertyDef, ValueKind
from translator.ontology.vocabulary import Vocabulary, load_vocabulary
from translator.rdf.namespaces import ID, PROV, QUDT, RDF, SOSA, TR, TRP, UNIT, XSD
from translator.validation import ShapeGate, Violation, oracle_validate
from translator.validation.oracle import report_violations
from translator.validation.terms import TermConverter, to_rdflib

N = ox.NamedNode
Triple = ox.Triple
RDF_TYPE = N(RDF + "type")
ENVELOPE = N(ID + "envelope/E")
SENSOR = N("urn:dev:zigbee2mqtt:living_room_sensor")

VOCABULARY: Vocabulary = load_vocabulary()
PROPERTIES: list[PropertyDef] = sorted(VOCABULARY.properties.values(), key=lambda p: p.name)
UNITS: list[str] = sorted(VOCABULARY.units)
GATE = ShapeGate.from_path(ontology_dir() / "shapes.ttl")

ILL_TYPED = {  # ill-typed for XSD and for rdflib alike (rdflib is laxer on some others)
    XSD + "double": ["abc", "", "1.2.3", "12,5", "0x1A", "1e", "--1", "TRUE"],
    XSD + "boolean": ["yes", "TRUE", "2", "", "on"],
    XSD + "dateTime": ["yesterday", "2026-13-01T00:00:00Z", "2026-11-25T25:00:00Z", ""],
}
RETYPED = [XSD + "integer", XSD + "decimal", XSD + "float", XSD + "string", XSD + "date"]


def literal(lexical: str, datatype: str) -> ox.Literal:
    return ox.Literal(lexical, datatype=N(datatype))


def time_literal(second: int) -> ox.Literal:
    return literal(f"2026-11-25T10:00:{second:02d}Z", XSD + "dateTime")


def envelope() -> list[Triple]:
    return [
        Triple(ENVELOPE, RDF_TYPE, N(TR + "Envelope")),
        Triple(ENVELOPE, N(TR + "protocol"), ox.Literal("mqtt")),
        Triple(ENVELOPE, N(TR + "channel"), ox.Literal("zigbee2mqtt/living_room_sensor")),
        Triple(ENVELOPE, N(TR + "receivedAt"), time_literal(0)),
        Triple(ENVELOPE, N(TR + "payloadSha256"), ox.Literal("9f86d081" * 8)),
        Triple(ENVELOPE, N(TR + "translatedBy"), N(ID + "mapping/zigbee2mqtt-climate/1")),
    ]


@st.composite
def numeric_value(draw: st.DrawFn, prop: PropertyDef) -> float:
    low = prop.minimum if prop.minimum is not None else -1e6
    high = prop.maximum if prop.maximum is not None else 1e6
    return draw(st.floats(min_value=low, max_value=high, allow_nan=False))


@st.composite
def observation(draw: st.DrawFn, index: int) -> list[Triple]:
    prop = draw(st.sampled_from(PROPERTIES))
    obs = N(f"{ID}observation/E-{index}")
    triples = [
        Triple(obs, RDF_TYPE, N(SOSA + "Observation")),
        Triple(obs, N(SOSA + "madeBySensor"), SENSOR),
        Triple(obs, N(SOSA + "observedProperty"), N(prop.iri)),
        Triple(obs, N(SOSA + "resultTime"), time_literal(index)),
        Triple(obs, N(PROV + "wasDerivedFrom"), ENVELOPE),
    ]
    if prop.kind is ValueKind.BOOLEAN:
        flag = draw(st.sampled_from(["true", "false"]))
        return [*triples, Triple(obs, N(SOSA + "hasSimpleResult"), literal(flag, XSD + "boolean"))]
    if prop.kind is ValueKind.TEXT:
        text = draw(st.text(max_size=12))
        return [*triples, Triple(obs, N(SOSA + "hasSimpleResult"), ox.Literal(text))]
    result = N(f"{ID}observation/E-{index}/result")
    value = draw(numeric_value(prop))
    triples += [
        Triple(obs, N(SOSA + "hasResult"), result),
        Triple(result, RDF_TYPE, N(QUDT + "QuantityValue")),
        Triple(result, N(QUDT + "numericValue"), literal(repr(value), XSD + "double")),
        Triple(result, N(QUDT + "unit"), N(UNIT + str(prop.canonical_unit))),
    ]
    applicable: list[str] = sorted(VOCABULARY.applicable_units(prop.name))
    converted: bool = draw(st.booleans())
    if applicable and converted:
        source_unit = draw(st.sampled_from(applicable))
        source_value = draw(st.floats(allow_nan=False, allow_infinity=False, width=32))
        triples += [
            Triple(result, N(TR + "sourceValue"), literal(repr(source_value), XSD + "double")),
            Triple(result, N(TR + "sourceUnit"), N(UNIT + source_unit)),
        ]
    return triples


@st.composite
def state(draw: st.DrawFn) -> list[Triple]:
    prop = draw(st.sampled_from([p for p in PROPERTIES if p.kind is ValueKind.NUMBER]))
    node = N(f"{ID}state/abc/{prop.name}")
    return [
        Triple(node, RDF_TYPE, N(TR + "State")),
        Triple(node, N(TR + "ofThing"), SENSOR),
        Triple(node, N(SOSA + "observedProperty"), N(prop.iri)),
        Triple(node, N(SOSA + "hasSimpleResult"), literal("21.5", XSD + "double")),
        Triple(node, N(QUDT + "unit"), N(UNIT + str(prop.canonical_unit))),
        Triple(node, N(SOSA + "resultTime"), time_literal(0)),
        Triple(node, N(TR + "latestObservation"), N(ID + "observation/E-0")),
    ]


Draw = Callable[[st.SearchStrategy[Any]], Any]
Mutation = Callable[[Draw, list[Triple]], list[Triple]]


def _pick(draw: Draw, triples: list[Triple], wanted: Callable[[Triple], bool]) -> int | None:
    indexes = [i for i, t in enumerate(triples) if wanted(t)]
    return draw(st.sampled_from(indexes)) if indexes else None


def _replace_object(
    triples: list[Triple], i: int, value: ox.NamedNode | ox.Literal
) -> list[Triple]:
    t = triples[i]
    return [*triples[:i], Triple(t.subject, t.predicate, value), *triples[i + 1 :]]


def drop_triple(draw: Draw, triples: list[Triple]) -> list[Triple]:
    i = draw(st.integers(0, len(triples) - 1))
    return triples[:i] + triples[i + 1 :]


def extra_value(draw: Draw, triples: list[Triple]) -> list[Triple]:
    t = draw(st.sampled_from(triples))
    others: list[ox.NamedNode | ox.Literal] = [
        time_literal(59), literal("7.5", XSD + "double"), N(UNIT + "K"), ox.Literal("x"),
        N(TRP + "temperature"), N(TRP + "onOff"), N("urn:dev:other"),
    ]  # fmt: skip
    other = draw(st.sampled_from(others))
    return [*triples, Triple(t.subject, t.predicate, other)]


def retype(draw: Draw, triples: list[Triple]) -> list[Triple]:
    i = _pick(draw, triples, lambda t: isinstance(t.object, ox.Literal))
    if i is None:
        return triples
    old = triples[i].object
    assert isinstance(old, ox.Literal)
    return _replace_object(triples, i, literal(old.value, draw(st.sampled_from(RETYPED))))


def ill_type(draw: Draw, triples: list[Triple]) -> list[Triple]:
    def typed(t: Triple) -> bool:
        return isinstance(t.object, ox.Literal) and t.object.datatype.value in ILL_TYPED

    i = _pick(draw, triples, typed)
    if i is None:
        return triples
    old = triples[i].object
    assert isinstance(old, ox.Literal)
    lexical = draw(st.sampled_from(ILL_TYPED[old.datatype.value]))
    return _replace_object(triples, i, literal(lexical, old.datatype.value))


def out_of_range(draw: Draw, triples: list[Triple]) -> list[Triple]:
    i = _pick(draw, triples, lambda t: t.predicate == N(QUDT + "numericValue"))
    if i is None:
        return triples
    value = draw(st.sampled_from(["-1000.0", "-300.0", "-1.0", "101.0", "256.0", "1e9"]))
    return _replace_object(triples, i, literal(value, XSD + "double"))


def wrong_unit(draw: Draw, triples: list[Triple]) -> list[Triple]:
    units = (N(QUDT + "unit"), N(TR + "sourceUnit"))
    i = _pick(draw, triples, lambda t: t.predicate in units)
    if i is None:
        return triples
    return _replace_object(triples, i, N(UNIT + draw(st.sampled_from(UNITS))))


def wrong_property(draw: Draw, triples: list[Triple]) -> list[Triple]:
    i = _pick(draw, triples, lambda t: t.predicate == N(SOSA + "observedProperty"))
    if i is None:
        return triples
    choices = [N(p.iri) for p in PROPERTIES] + [N(TRP + "noSuchProperty")]
    return _replace_object(triples, i, draw(st.sampled_from(choices)))


def iri_to_literal(draw: Draw, triples: list[Triple]) -> list[Triple]:
    i = _pick(draw, triples, lambda t: isinstance(t.object, ox.NamedNode))
    if i is None:
        return triples
    old = triples[i].object
    assert isinstance(old, ox.NamedNode)
    return _replace_object(triples, i, ox.Literal(old.value))


def literal_to_iri(draw: Draw, triples: list[Triple]) -> list[Triple]:
    i = _pick(draw, triples, lambda t: isinstance(t.object, ox.Literal))
    if i is None:
        return triples
    return _replace_object(triples, i, N("urn:example:not-a-literal"))


MUTATIONS: list[Mutation] = [
    drop_triple, extra_value, retype, ill_type, out_of_range, wrong_unit, wrong_property,
    iri_to_literal, literal_to_iri,
]  # fmt: skip


@dataclass(frozen=True)
class Message:
    triples: list[Triple]
    mutations: list[str]


@st.composite
def messages(draw: st.DrawFn) -> Message:
    triples = envelope() if draw(st.integers(0, 9)) else []
    for index in range(draw(st.integers(1, 3))):
        triples += draw(observation(index))
    if draw(st.integers(0, 4)) == 0:
        triples += draw(state())
    applied = []
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), max_size=3)):
        triples = mutation(draw, triples) if triples else triples
        applied.append(mutation.__name__)
    return Message(triples, applied)


@contextmanager
def quiet_rdflib() -> Iterator[None]:
    """rdflib warns and logs when it meets the ill-typed literals we make on purpose."""
    logger = logging.getLogger("rdflib")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def oracle(triples: list[Triple]) -> tuple[bool, tuple[Violation, ...]]:
    with quiet_rdflib():
        graph = rdflib.Graph()
        for t in triples:
            assert not isinstance(t.subject, ox.Triple)
            assert not isinstance(t.object, ox.Triple)
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        conforms, report = oracle_validate(graph, GATE.compiled.shapes_graph)
        return conforms, report_violations(report, TermConverter(), GATE.compiled.prefixes)


def keys(violations: tuple[Violation, ...]) -> set[tuple[str, str | None, str, str, str]]:
    return {(str(v.focus), v.path, v.component, v.shape, str(v.value)) for v in violations}


def test_gate_is_compiled() -> None:
    """The project shapes need no pyshacl fallback: the gate really runs compiled."""
    assert GATE.compiled_fully


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(message=messages())
def test_gate_agrees_with_pyshacl(message: Message) -> None:
    expected_conforms, expected = oracle(message.triples)
    found = GATE.check(message.triples)
    assert (not found) == expected_conforms, message.mutations
    assert keys(found) == keys(expected), message.mutations


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__)
def test_each_mutation_can_break_a_message(mutation: Mutation) -> None:
    """The generator is not vacuous: every mutation yields invalid messages somewhere."""
    found_invalid = False

    @settings(max_examples=40, deadline=None, database=None)
    @given(data=st.data())
    def probe(data: st.DataObject) -> None:
        nonlocal found_invalid
        triples = envelope() + data.draw(observation(0))
        mutated = mutation(data.draw, triples)
        if GATE.check(mutated):
            found_invalid = True

    probe()
    assert found_invalid
