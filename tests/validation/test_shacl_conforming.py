"""The specialised conforming path decides exactly what the generic evaluator decides.

``conforming.specialize`` replaces each shape's ``conforms`` with a flat closure, and the
target groups test conformance first, reporting only for nodes that fail. Three proofs, on
the W3C SHACL Core suite and on mutated project messages (hypothesis):

* every specialised shape and every node of the data graph: ``conforms`` equals the generic
  ``reference_conforms`` (which calls the specialised closures one level down, so by
  induction over the shape graph the closures equal the generic definition everywhere);
* every dispatch-table shape simplified by ``assume``: equal to ``reference_conforms`` on the
  focus nodes that reach it;
* ``CompiledShapes.evaluate`` (conforms first) returns the very results, in the same order,
  that reporting every shape on every focus node returns.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.ontology.files import ontology_dir
from translator.ontology.model import ValueKind
from translator.ontology.vocabulary import load_vocabulary
from translator.rdf.namespaces import PROV, QUDT, RDF, SOSA, TR, TRP, UNIT, XSD
from translator.rdf.observations import ObservationBuilder
from translator.validation import ShapeGate, compile_shapes
from translator.validation.compiled import CompiledShape, CompiledShapes, RawResult
from translator.validation.dataview import DataView
from translator.validation.terms import Term, TermConverter
from translator.values import Envelope, Protocol, Provenance, Reading

SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "testsuites"
MANIFEST = SUITE / "shacl-core" / "manifest.ttl"

N = ox.NamedNode
GATE = ShapeGate.from_path(ontology_dir() / "shapes.ttl")
VOCABULARY = load_vocabulary()
PROPERTIES = sorted(VOCABULARY.properties.values(), key=lambda p: p.name)
ARRIVAL = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def all_shapes(compiled: CompiledShapes) -> list[CompiledShape]:
    """Every shape reachable from the target groups."""
    found: dict[int, CompiledShape] = {}
    todo = [shape for group in compiled.groups for shape in group.members()]
    while todo:
        shape = todo.pop()
        if shape.key in found:
            continue
        found[shape.key] = shape
        todo.extend(ref for c in shape.all_constraints() for ref in c.refs)
        todo.extend(shape.properties)
    return list(found.values())


def nodes(view: DataView) -> list[Term]:
    """Every subject and object of the data graph."""
    seen: dict[Term, None] = dict.fromkeys(view.out)
    for by_predicate in view.out.values():
        for values in by_predicate.values():
            seen.update(dict.fromkeys(values))
    return list(seen)


def reference_results(compiled: CompiledShapes, view: DataView) -> list[RawResult]:
    """Every shape of every group reports on every focus node (no conforms-first)."""
    out: list[RawResult] = []
    for group in compiled.groups:
        for focus in group.find_focus(view):
            for shape in group.shapes:
                shape.report(view, focus, out)
            if group.table:
                keys = (focus,) if group.path is None else group.path.values(view, focus)
                for key in keys:
                    for shape in group.table.get(key, ()):
                        shape.report(view, focus, out)
    return out


def keyed(results: list[RawResult]) -> list[tuple[object, ...]]:
    return [
        (r.shape.key, r.constraint.component, r.focus, r.value, r.path and r.path.text({}))
        for r in results
    ]


def assert_equivalent(compiled: CompiledShapes, view: DataView) -> int:
    """All three proofs on one data graph; returns how many specialised shapes were met."""
    shapes = [s for s in all_shapes(compiled) if s.specialized]
    for shape in shapes:
        for node in nodes(view):
            fresh = DataView(view.out)
            assert shape.conforms(fresh, node) == shape.reference_conforms(fresh, node), (
                shape.node,
                node,
            )
    for group in compiled.groups:
        for focus in group.find_focus(view):
            keys = (focus,) if group.path is None else group.path.values(view, focus)
            for key in keys:
                for shape, conforms in group.guarded.get(key, ()):
                    assert conforms(view, focus) == shape.reference_conforms(view, focus)
    assert keyed(compiled.evaluate(DataView(view.out))) == keyed(
        reference_results(compiled, DataView(view.out))
    )
    return len(shapes)


# -- the W3C SHACL Core suite ---------------------------------------------------------------


def suite_cases() -> Iterator[tuple[str, rdflib.Graph, rdflib.Graph]]:
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


def test_specialised_closures_agree_on_the_w3c_core_suite() -> None:
    met = 0
    cases = 0
    for test_id, data, shapes in suite_cases():
        converter = TermConverter()
        compiled = compile_shapes(shapes, converter)
        assert compiled.unsupported is None, test_id
        view = DataView.from_rdflib(data, converter)
        met += assert_equivalent(compiled, view)
        cases += 1
    assert cases == 98
    assert met > 300  # the proof really covered the suite's shapes


# -- mutated project messages -------------------------------------------------------------

SUBJECT_POOL = ["envelope", "observation-0", "observation-0-result", "observation-1"]
PREDICATES = [
    N(RDF + "type"), N(SOSA + "madeBySensor"), N(SOSA + "observedProperty"),
    N(SOSA + "resultTime"), N(SOSA + "hasResult"), N(SOSA + "hasSimpleResult"),
    N(PROV + "wasDerivedFrom"), N(QUDT + "numericValue"), N(QUDT + "unit"),
    N(TR + "sourceValue"), N(TR + "sourceUnit"), N(TR + "protocol"), N(TR + "channel"),
    N(TR + "receivedAt"), N(TR + "payloadSha256"), N(TR + "translatedBy"),
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
    ox.Literal("2026-02-30T10:00:00Z", datatype=N(XSD + "dateTime")), ox.Literal("a" * 64),
]  # fmt: skip


class Keys:
    """Envelope keys M0, M1, … (predictable subjects for the mutations)."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next_key(self) -> str:
        return f"M{next(self._counter)}"


@st.composite
def readings(draw: st.DrawFn) -> list[Reading]:
    provenance = Provenance("m", "1", Protocol.MQTT, "t/x")
    found = []
    for _ in range(draw(st.integers(1, 2))):
        prop = draw(st.sampled_from(PROPERTIES))
        time = ARRIVAL + timedelta(seconds=draw(st.integers(0, 2)))
        if prop.kind is ValueKind.BOOLEAN:
            value: float | bool | str = draw(st.booleans())
            unit = None
        elif prop.kind is ValueKind.TEXT:
            value, unit = draw(st.text(max_size=5)), None
        else:
            low = prop.minimum if prop.minimum is not None else -1e6
            high = prop.maximum if prop.maximum is not None else 1e6
            value = draw(st.floats(low - 1, high + 1, allow_nan=False))
            unit = str(prop.canonical_unit)
        found.append(Reading("urn:dev:x", prop.name, value, unit, time, provenance))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> list[ox.Triple]:
    builder = ObservationBuilder(Keys())
    envelope = Envelope(Protocol.MQTT, "t/x", b"{}", ARRIVAL)
    quads = builder.build(envelope, "m", "1", draw(readings()))
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    subjects = list(dict.fromkeys(t.subject for t in triples))
    for _ in range(draw(st.integers(0, 4))):
        remove: bool = draw(st.booleans())
        if triples and remove:
            triples.pop(draw(st.integers(0, len(triples) - 1)))
            continue
        subject = draw(st.sampled_from(subjects))
        predicate = draw(st.sampled_from(PREDICATES))
        value = draw(st.sampled_from([*OBJECT_POOL, *subjects]))
        triples.append(ox.Triple(subject, predicate, value))
    return triples


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(triples=mutated())
def test_specialised_closures_agree_on_mutated_messages(triples: list[ox.Triple]) -> None:
    view = DataView.from_triples(triples)
    assert assert_equivalent(GATE.compiled, view) > 100


def test_every_project_shape_is_specialised() -> None:
    """The project shapes have no recursion: all of them take the fast path."""
    shapes = all_shapes(GATE.compiled)
    assert shapes
    assert all(s.specialized for s in shapes if not s.deactivated)


def test_the_per_property_table_is_simplified() -> None:
    """``sh:or ( [ sh:not <about X> ] <fits X> )`` becomes ``<fits X>`` for X's observations."""
    (group,) = [g for g in GATE.compiled.groups if g.guarded]
    (shape, conforms) = group.guarded[N(TRP + "temperature")][0]
    assert conforms is not shape.conforms
    fits = [alt for c in shape.constraints for alt in c.refs if str(alt.node).endswith("Fits")]
    assert conforms is fits[0].conforms
