"""ShapeGate: one message of pyoxigraph triples in, readable blocking violations out."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from shacl_helpers import EX, PREFIXES, graph, triples

from translator.rdf.observations import ObservationBuilder
from translator.validation import ShapeGate, Violation
from translator.validation.dataview import DataView
from translator.values import Envelope, Protocol, Provenance, Reading

XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
RANGE_SHAPES = """
ex:ReadingShape a sh:NodeShape ;
    sh:targetClass ex:Reading ;
    sh:property [
        sh:path ( ex:result ex:value ) ;
        sh:datatype xsd:double ; sh:minInclusive 0 ; sh:maxInclusive 100 ;
        sh:minCount 1 ; sh:maxCount 1 ;
    ] .
"""
GOOD = 'ex:r1 a ex:Reading ; ex:result ex:r1v . ex:r1v ex:value "42.0"^^xsd:double .'
BAD = 'ex:r1 a ex:Reading ; ex:result ex:r1v . ex:r1v ex:value "140.0"^^xsd:double .'


@pytest.fixture(scope="module")
def gate() -> ShapeGate:
    return ShapeGate.from_graph(graph(RANGE_SHAPES))


def test_valid_message_has_no_violations(gate: ShapeGate) -> None:
    assert gate.compiled_fully
    assert gate.check(triples(GOOD)) == ()
    assert gate.check([]) == ()


def test_violation_is_readable(gate: ShapeGate) -> None:
    (violation,) = gate.check(triples(BAD))
    assert isinstance(violation, Violation)
    assert violation.focus == ox.NamedNode(EX + "r1")
    assert violation.path == "ex:result/ex:value"
    assert violation.value == ox.Literal("140.0", datatype=ox.NamedNode(XSD_DOUBLE))
    assert violation.component == "MaxInclusiveConstraintComponent"
    assert violation.severity == "Violation"
    assert violation.message == "value 140.0 is above the maximum 100"
    assert str(violation) == (
        "ex:r1 ex:result/ex:value 140.0: value 140.0 is above the maximum 100"
        " [MaxInclusiveConstraintComponent]"
    )


def test_quads_are_accepted_and_graph_names_ignored(gate: ShapeGate) -> None:
    name = ox.NamedNode(EX + "graph")
    quads = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples(BAD)]
    assert [v.component for v in gate.check(quads)] == ["MaxInclusiveConstraintComponent"]


def test_repeated_triples_count_once(gate: ShapeGate) -> None:
    message = triples(GOOD)
    assert gate.check(message + message) == ()


def test_from_path_reads_turtle(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(PREFIXES + RANGE_SHAPES, encoding="utf-8")
    assert ShapeGate.from_path(shapes).check(triples(BAD))


def test_sh_message_replaces_the_generated_message() -> None:
    gate = ShapeGate.from_graph(
        graph(
            "ex:S a sh:NodeShape ; sh:targetClass ex:C ;"
            ' sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:message "falsch"@de, "wrong"@en ] .'
        )
    )
    (violation,) = gate.check(triples("ex:a a ex:C ."))
    assert violation.message == "wrong"


SEVERITY_SHAPES = """
ex:W a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:severity sh:Warning ] .
ex:I a sh:NodeShape ; sh:targetClass ex:C ; sh:severity sh:Violation ;
    sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:severity sh:Info ] .
"""


def test_every_severity_blocks_by_default_like_pyshacl() -> None:
    gate = ShapeGate.from_graph(graph(SEVERITY_SHAPES))
    found = gate.check(triples("ex:a a ex:C ."))
    assert sorted(v.severity for v in found) == ["Info", "Warning"]


def test_allow_warnings_and_infos_let_lower_severities_pass() -> None:
    message = triples("ex:a a ex:C .")
    allow_warnings = ShapeGate.from_graph(graph(SEVERITY_SHAPES), allow_warnings=True)
    allow_infos = ShapeGate.from_graph(graph(SEVERITY_SHAPES), allow_infos=True)
    assert allow_warnings.check(message) == ()
    assert [v.severity for v in allow_infos.check(message)] == ["Warning"]
    assert len(allow_warnings.results(message)) == 2


SPARQL_SHAPES = """
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:select "SELECT $this WHERE { $this <http://example.org/p> 13 . }" ] .
"""


def test_unsupported_shapes_fall_back_to_pyshacl_never_to_valid() -> None:
    gate = ShapeGate.from_graph(graph(SPARQL_SHAPES))
    assert not gate.compiled_fully
    assert gate.compiled.unsupported is not None
    assert "sparql" in gate.compiled.unsupported
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (violation,) = gate.check(triples("ex:a a ex:C ; ex:p 13 ."))
        assert gate.check(triples("ex:a a ex:C ; ex:p 12 .")) == ()
    assert violation.component == "SPARQLConstraintComponent"
    assert violation.focus == ox.NamedNode(EX + "a")


@pytest.mark.parametrize(
    "shapes",
    [
        "ex:S sh:targetNode ex:a ; ex:unknown 1 ; sh:someFutureParameter 1 .",
        "ex:S sh:targetNode ex:a ; sh:path [ ex:weird ex:p ] ; sh:minCount 1 .",
        "ex:S sh:targetNode ex:a ; sh:target [ a ex:CustomTarget ] .",
        "ex:C a sh:ConstraintComponent . ex:S sh:targetNode ex:a .",
    ],
)
def test_what_the_compiler_does_not_know_is_refused(shapes: str) -> None:
    assert not ShapeGate.from_graph(graph(shapes)).compiled_fully


RECURSIVE_SHAPES = """
ex:Person a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:property [ sh:path ex:knows ; sh:node ex:Person ] ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""


def test_recursive_shapes_terminate_on_cyclic_data() -> None:
    gate = ShapeGate.from_graph(graph(RECURSIVE_SHAPES))
    cyclic = 'ex:a a ex:Person ; ex:name "A" ; ex:knows ex:b . ex:b ex:name "B" ; ex:knows ex:a .'
    assert gate.check(triples(cyclic)) == ()
    broken = 'ex:a a ex:Person ; ex:name "A" ; ex:knows ex:b . ex:b ex:knows ex:a .'
    assert [(v.component, v.value) for v in gate.check(triples(broken))] == [
        ("NodeConstraintComponent", ox.NamedNode(EX + "b"))
    ]


def test_implicit_class_targets_use_subclasses_in_the_data() -> None:
    gate = ShapeGate.from_graph(
        graph("ex:C a rdfs:Class, sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .")
    )
    assert gate.check(triples("ex:x a ex:D . ex:D rdfs:subClassOf ex:C ."))
    assert gate.check(triples("ex:x a ex:D .")) == ()


def test_check_graph_judges_the_builders_index_like_its_quads() -> None:
    """The pipeline's way in (the builder's index) and the quads made from it agree."""
    shipped = ShapeGate.from_path(Path(__file__).resolve().parents[2] / "ontology" / "shapes.ttl")
    builder = ObservationBuilder()
    arrival = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    envelope = Envelope(Protocol.MQTT, "zigbee2mqtt/x", b"{}", arrival)
    source = Provenance("m", "1", Protocol.MQTT, "zigbee2mqtt/x")
    for value in (21.5, -300.0, float("nan")):  # fine, below absolute zero, not a number
        reading = Reading("urn:dev:x", "temperature", value, "DEG_C", arrival, source)
        graph = builder.build_graph(envelope, "m", "1", [reading])
        quads = graph.quads()
        assert DataView.from_triples(quads).out == graph.index
        assert len(graph) == len(quads)
        assert shipped.check_graph(graph) == shipped.check(quads)
        assert bool(shipped.check_graph(graph)) == (value != 21.5)


def test_nan_fails_a_numeric_range_instead_of_raising() -> None:
    """SPARQL compares NaN false; a Decimal bound must not turn that into an exception."""
    gate = ShapeGate.from_graph(graph(RANGE_SHAPES))
    nan = 'ex:r1 a ex:Reading ; ex:result ex:r1v . ex:r1v ex:value "NaN"^^xsd:double .'
    found = {v.component for v in gate.check(triples(nan))}
    assert found == {"MinInclusiveConstraintComponent", "MaxInclusiveConstraintComponent"}
