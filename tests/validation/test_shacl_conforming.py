"""The specialised conforming path decides exactly what the generic evaluator decides.

``conforming.specialize`` replaces each shape's ``conforms`` with a flat closure, and the
target groups test conformance first, reporting only for nodes that fail. Three proofs, on
the W3C SHACL Core suite and on mutated project messages (hypothesis):

* every specialised shape and every node of the data graph: ``conforms`` equals the generic
  ``reference_conforms`` (which calls the specialised closures one level down, so by
  induction over the shape graph the closures equal the generic definition everywhere);
* every dispatch-table shape simplified by ``assume``: equal to ``reference_conforms`` on the
  focus nodes that reach it;
* ``CompiledShapes.evaluate`` (the whole-message fast check, then conforms first) returns
  the very results, in the same order, that reporting every shape on every focus node
  returns (``test_shacl_fastpath.py`` proves the fast check on its own).
"""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from shacl_messages import mutated_triples, suite_cases

from translator.ontology.files import ontology_dir
from translator.rdf.namespaces import TRP
from translator.validation import ShapeGate, compile_shapes
from translator.validation.compiled import CompiledShape, CompiledShapes, RawResult
from translator.validation.dataview import DataView
from translator.validation.terms import Term, TermConverter

N = ox.NamedNode
GATE = ShapeGate.from_path(ontology_dir() / "shapes.ttl")


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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(triples=mutated_triples())
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
