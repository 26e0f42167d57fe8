"""Value dispatch: sh:or / sh:xone alternatives and targeted shapes chosen by a dict look-up.

Dispatch must only save work, never change a verdict: every case is checked against pyshacl.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from shacl_helpers import EX, graph, pyshacl_conforms, triples

from translator.validation import ShapeGate, compile_shapes
from translator.validation.compiler import ShapesCompiler
from translator.validation.dataview import DataView
from translator.validation.dispatch import Dispatch, fail_guards
from translator.validation.terms import TermConverter

OR_SHAPES = """
ex:S a sh:NodeShape ; sh:targetClass ex:Reading ; sh:{op} ( ex:AltA ex:AltB ex:AltB2 ex:Free ) .
ex:AltA sh:property [ sh:path ex:kind ; sh:hasValue ex:A ] ,
                    [ sh:path ex:unit ; sh:in ( ex:metre ) ] .
ex:AltB sh:property [ sh:path ex:kind ; sh:hasValue ex:B ] ,
                    [ sh:path ex:unit ; sh:in ( ex:second ) ] .
ex:AltB2 sh:property [ sh:path ex:kind ; sh:hasValue ex:B ] ,
                     [ sh:path ex:unit ; sh:in ( ex:second ex:minute ) ] .
ex:Free sh:property [ sh:path ex:free ; sh:minCount 1 ] .
"""

READINGS = [
    "ex:r a ex:Reading ; ex:kind ex:A ; ex:unit ex:metre .",
    "ex:r a ex:Reading ; ex:kind ex:A ; ex:unit ex:second .",
    "ex:r a ex:Reading ; ex:kind ex:B ; ex:unit ex:second .",
    "ex:r a ex:Reading ; ex:kind ex:B ; ex:unit ex:minute .",
    "ex:r a ex:Reading ; ex:kind ex:C ; ex:unit ex:metre .",
    "ex:r a ex:Reading ; ex:kind ex:A, ex:B ; ex:unit ex:metre, ex:second .",
    "ex:r a ex:Reading ; ex:unit ex:metre ; ex:free 1 .",
    "ex:r a ex:Reading ; ex:kind ex:B ; ex:unit ex:second ; ex:free 1 .",
    "ex:r a ex:Reading .",
]


def dispatch_of(shapes: rdflib.Graph, alternatives: list[str]) -> Dispatch:
    compiler = ShapesCompiler(shapes, TermConverter())
    compiler.compile()
    dispatch = Dispatch([compiler.shape(rdflib.URIRef(EX + a)) for a in alternatives])
    dispatch.build()
    return dispatch


def test_or_alternatives_are_indexed_by_pinned_value() -> None:
    dispatch = dispatch_of(graph(OR_SHAPES.format(op="or")), ["AltA", "AltB", "AltB2", "Free"])
    assert dispatch.path is not None
    assert dispatch.path.text({"ex": EX}) == "ex:kind"
    assert {k.value for k in dispatch.table} == {EX + "A", EX + "B"}
    assert [len(v) for v in dispatch.table.values()] == [1, 2]
    assert [a.node for a in dispatch.always] == [rdflib.URIRef(EX + "Free")]


def test_candidates_are_the_pinned_ones_plus_the_unpinned() -> None:
    dispatch = dispatch_of(graph(OR_SHAPES.format(op="or")), ["AltA", "AltB", "AltB2", "Free"])
    view = DataView.from_triples(triples(READINGS[2]))
    picked = dispatch.candidates(view, ox.NamedNode(EX + "r"))
    assert [str(a.node).removeprefix(EX) for a in picked] == ["AltB", "AltB2", "Free"]


@pytest.mark.parametrize("op", ["or", "xone"])
@pytest.mark.parametrize("data", READINGS)
def test_dispatched_verdicts_equal_pyshacl(op: str, data: str) -> None:
    shapes = OR_SHAPES.format(op=op)
    gate = ShapeGate.from_graph(graph(shapes))
    assert (not gate.check(triples(data))) == pyshacl_conforms(data, shapes)


PER_VALUE_SHAPES = """
ex:A-Shape a sh:NodeShape ; sh:targetClass ex:Reading ; sh:or ( ex:A-Other ex:A-Fits ) .
ex:A-Other sh:not ex:A-About .
ex:A-About sh:property [ sh:path ex:kind ; sh:hasValue ex:A ] .
ex:A-Fits sh:property [ sh:path ( ex:result ex:unit ) ; sh:in ( ex:metre ) ; sh:minCount 1 ] .
ex:B-Shape a sh:NodeShape ; sh:targetClass ex:Reading ; sh:or ( ex:B-Other ex:B-Fits ) .
ex:B-Other sh:not ex:B-About .
ex:B-About sh:property [ sh:path ex:kind ; sh:hasValue ex:B ] .
ex:B-Fits sh:property [ sh:path ( ex:result ex:unit ) ; sh:in ( ex:second ) ; sh:minCount 1 ] .
ex:Base a sh:NodeShape ; sh:targetClass ex:Reading ;
    sh:property [ sh:path ex:kind ; sh:minCount 1 ] .
"""

PER_VALUE_READINGS = [
    "ex:r a ex:Reading ; ex:kind ex:A ; ex:result ex:v . ex:v ex:unit ex:metre .",
    "ex:r a ex:Reading ; ex:kind ex:A ; ex:result ex:v . ex:v ex:unit ex:second .",
    "ex:r a ex:Reading ; ex:kind ex:B ; ex:result ex:v . ex:v ex:unit ex:second .",
    "ex:r a ex:Reading ; ex:kind ex:A, ex:B ; ex:result ex:v . ex:v ex:unit ex:metre .",
    "ex:r a ex:Reading ; ex:kind ex:C .",
    "ex:r a ex:Reading .",
]


def test_targeted_shapes_are_grouped_by_the_value_they_are_about() -> None:
    compiled = compile_shapes(graph(PER_VALUE_SHAPES))
    (group,) = compiled.groups
    assert [str(s.node).removeprefix(EX) for s in group.shapes] == ["Base"]
    assert group.path is not None
    assert group.path.text({"ex": EX}) == "ex:kind"
    assert {k.value.removeprefix(EX): [str(s.node) for s in v] for k, v in group.table.items()} == {
        "A": [EX + "A-Shape"],
        "B": [EX + "B-Shape"],
    }


@pytest.mark.parametrize("data", PER_VALUE_READINGS)
def test_grouped_verdicts_and_results_equal_pyshacl(data: str) -> None:
    gate = ShapeGate.from_graph(graph(PER_VALUE_SHAPES))
    assert (not gate.check(triples(data))) == pyshacl_conforms(data, PER_VALUE_SHAPES)


def test_no_guard_from_deactivated_or_counted_shapes() -> None:
    shapes = graph(
        PER_VALUE_SHAPES.replace(
            "ex:A-About sh:property [ sh:path ex:kind ; sh:hasValue ex:A ] .",
            "ex:A-About sh:property [ sh:path ex:kind ; sh:hasValue ex:A ; sh:deactivated true ] .",
        ).replace(
            "sh:or ( ex:B-Other ex:B-Fits ) .", "sh:or ( ex:B-Other ex:B-Fits ) ; sh:maxCount 0 ."
        )
    )
    compiler = ShapesCompiler(shapes, TermConverter())
    compiler.compile()
    assert fail_guards(compiler.shape(rdflib.URIRef(EX + "A-Shape"))) == {}
    assert fail_guards(compiler.shape(rdflib.URIRef(EX + "B-Shape"))) == {}
