"""Data for the SHACL proofs: the W3C Core suite's cases and generated project messages.

A plain module (not a conftest) so the tests import it by a name no other folder uses.
``valid_messages`` builds messages the way the pipeline does (``ObservationBuilder``) from
readings that fit ``ontology/shapes.ttl`` (numbers in range, converted ones with a source
unit of the right kind, booleans, text); ``mutated_messages`` breaks such messages
(missing and extra triples, wrong terms, predicates in another order, values repeated,
a class hierarchy in the data, several observed properties).
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import strategies as st

from translator.ontology.model import ValueKind
from translator.ontology.vocabulary import load_vocabulary
from translator.rdf.graph import Index, MessageGraph
from translator.rdf.namespaces import PROV, QUDT, RDF, RDFS, SOSA, TR, TRP, UNIT, XSD
from translator.rdf.observations import ObservationBuilder
from translator.values import Envelope, Protocol, Provenance, Reading

SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "testsuites"
MANIFEST = SUITE / "shacl-core" / "manifest.ttl"

N = ox.NamedNode
VOCABULARY = load_vocabulary()
PROPERTIES = sorted(VOCABULARY.properties.values(), key=lambda p: p.name)
ARRIVAL = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def suite_cases() -> Iterator[tuple[str, rdflib.Graph, rdflib.Graph]]:
    """``(test id, data graph, shapes graph)`` of every W3C SHACL Core test (or a skip)."""
    runner_path = SUITE / "run_shacl_suite.py"
    if not runner_path.is_file() or not MANIFEST.is_file():
        pytest.skip(f"../shared not present: no {MANIFEST}")
    spec = importlib.util.spec_from_file_location("run_shacl_suite", runner_path)
    assert spec is not None
    assert spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    logger = logging.getLogger("rdflib")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for test in runner.load_tests(MANIFEST):
                data = runner.parse_file(test.data_path)
                shapes = runner.parse_file(test.shapes_path)
                yield test.id, data, shapes
    finally:
        logger.setLevel(level)


class Keys:
    """Envelope keys M0, M1, … (predictable subjects for the mutations)."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next_key(self) -> str:
        return f"M{next(self._counter)}"


@st.composite
def readings(draw: st.DrawFn, *, valid: bool = False) -> list[Reading]:
    """One or two readings; ``valid``: in range, and converted ones from a fitting unit."""
    provenance = Provenance("m", "1", Protocol.MQTT, "t/x")
    found = []
    for _ in range(draw(st.integers(1, 2))):
        prop = draw(st.sampled_from(PROPERTIES))
        time = ARRIVAL + timedelta(seconds=draw(st.integers(0, 2)))
        source_value, source_unit = None, None
        if prop.kind is ValueKind.BOOLEAN:
            value: float | bool | str = draw(st.booleans())
            unit = None
        elif prop.kind is ValueKind.TEXT:
            value, unit = draw(st.text(max_size=5)), None
        else:
            low = prop.minimum if prop.minimum is not None else -1e6
            high = prop.maximum if prop.maximum is not None else 1e6
            margin = 0 if valid else 1
            value = draw(st.floats(low - margin, high + margin, allow_nan=False))
            unit = str(prop.canonical_unit)
            if draw(st.booleans()):  # converted: the vendor's value and unit are kept
                units = sorted(VOCABULARY.applicable_units(prop.name))
                wrong = [] if valid else ["DEG_F", "K", "PERCENT"]
                source_unit = draw(st.sampled_from([*units, *wrong]))
                source_value = draw(st.floats(-1e3, 1e3, allow_nan=False))
        reading = Reading("urn:dev:x", prop.name, value, unit, time, provenance)
        found.append(replace(reading, source_value=source_value, source_unit=source_unit))
    return found


def build(found: list[Reading], keys: Keys | None = None) -> MessageGraph:
    """The message of ``found`` as the pipeline builds it."""
    builder = ObservationBuilder(keys or Keys())
    envelope = Envelope(Protocol.MQTT, "t/x", b"{}", ARRIVAL)
    return builder.build_graph(envelope, "m", "1", found)


@st.composite
def valid_messages(draw: st.DrawFn) -> MessageGraph:
    """A message that conforms to ``ontology/shapes.ttl``, built by the pipeline's builder."""
    return build(draw(readings(valid=True)))


SUBJECT_POOL = ["envelope", "observation-0", "observation-0-result", "observation-1"]
PREDICATES = [
    N(RDF + "type"), N(SOSA + "madeBySensor"), N(SOSA + "observedProperty"),
    N(SOSA + "resultTime"), N(SOSA + "hasResult"), N(SOSA + "hasSimpleResult"),
    N(PROV + "wasDerivedFrom"), N(QUDT + "numericValue"), N(QUDT + "unit"),
    N(TR + "sourceValue"), N(TR + "sourceUnit"), N(TR + "protocol"), N(TR + "channel"),
    N(TR + "receivedAt"), N(TR + "payloadSha256"), N(TR + "translatedBy"),
    N(RDFS + "subClassOf"),
]  # fmt: skip


def double(lexical: str) -> ox.Literal:
    return ox.Literal(lexical, datatype=N(XSD + "double"))


OBJECT_POOL: list[ox.NamedNode | ox.Literal] = [
    N(SOSA + "Observation"), N(QUDT + "QuantityValue"), N(TR + "Envelope"), N(TR + "State"),
    N(TRP + "temperature"), N(TRP + "onOff"), N(TRP + "action"), N(TRP + "batteryLevel"),
    N(TRP + "latitude"), N(TRP + "noSuchProperty"), N(UNIT + "DEG_C"), N(UNIT + "PERCENT"),
    N(UNIT + "DEG_F"), N(UNIT + "K"), N(UNIT + "DEG"), N("urn:dev:other"),
    double("21.5"), double("-300.0"), double("100.0"), double("100.0000000000001"),
    double("-273.15"), double("-273.15000000000003"), double("1e9"), double("NaN"),
    double("INF"), double("-INF"), double("abc"), ox.Literal("90", datatype=N(XSD + "integer")),
    ox.Literal("-90.5", datatype=N(XSD + "decimal")),
    ox.Literal("true", datatype=N(XSD + "boolean")),
    ox.Literal("yes", datatype=N(XSD + "boolean")), ox.Literal("mqtt"), ox.Literal("ftp"),
    ox.Literal("2026-11-25T10:00:00Z", datatype=N(XSD + "dateTime")),
    ox.Literal("2026-02-30T10:00:00Z", datatype=N(XSD + "dateTime")),
    ox.Literal("2026-11-25T10:00:00+01:00", datatype=N(XSD + "dateTime")),
    ox.Literal("a" * 64), ox.Literal("a" * 64 + "\n"), ox.Literal("A" * 64),
]  # fmt: skip


@st.composite
def mutated_triples(draw: st.DrawFn) -> list[ox.Triple]:
    """A message's triples, then up to four changes: a triple removed, added or re-aimed."""
    graph = build(draw(readings()))
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in graph.quads()]
    subjects = list(dict.fromkeys(t.subject for t in triples))
    for _ in range(draw(st.integers(0, 4))):
        change = draw(st.sampled_from(["remove", "add", "replace"]))
        value = draw(st.sampled_from([*OBJECT_POOL, *subjects]))
        if triples and change != "add":
            old = triples.pop(draw(st.integers(0, len(triples) - 1)))
            if change == "replace":  # the same triple with another object
                triples.append(ox.Triple(old.subject, old.predicate, value))
            continue
        subject = draw(st.sampled_from(subjects))
        predicate = draw(st.sampled_from(PREDICATES))
        triples.append(ox.Triple(subject, predicate, value))
    return triples


@st.composite
def mutated_messages(draw: st.DrawFn) -> MessageGraph:
    """``mutated_triples`` indexed, each node's predicates maybe shuffled (a new layout)."""
    index: Index = {}
    for triple in draw(mutated_triples()):
        values = index.setdefault(triple.subject, {}).setdefault(triple.predicate, [])  # type: ignore[arg-type]
        if triple.object not in values:
            values.append(triple.object)  # type: ignore[arg-type]
    if draw(st.booleans()):
        index = {
            subject: dict(draw(st.permutations(list(by_predicate.items()))))
            for subject, by_predicate in index.items()
        }
    return MessageGraph(index)
