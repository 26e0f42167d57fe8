"""validate(): pyshacl's contract, the W3C sh:ValidationReport, data terms kept as written."""

from __future__ import annotations

import inspect

import rdflib
from rdflib.collection import Collection
from shacl_helpers import EX, graph

import translator.validation as validation
from translator.validation import validate

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")

SHAPES = """
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ( ex:p [ sh:inversePath ex:q ] ) ; sh:maxInclusive 5 ] ;
    sh:property [ sh:path ex:n ; sh:datatype xsd:integer ; sh:message "n is an integer"@en ] .
"""


def parse_raw(turtle: str) -> rdflib.Graph:
    """Parse without rdflib's literal normalisation (as the W3C suite runner does)."""
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        return graph(turtle)
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def test_conforming_data_gives_an_empty_report() -> None:
    conforms, report = validate(graph("ex:a a ex:C ; ex:n 1 ."), graph(SHAPES))
    assert conforms is True
    (node,) = report.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == rdflib.Literal(True)
    assert list(report.objects(node, SH.result)) == []


def test_report_fields_and_copied_path_structure() -> None:
    data = graph("ex:a a ex:C ; ex:p ex:b . ex:c ex:q ex:b .")  # a p/^q c, and c is not zzz
    shapes = graph(SHAPES.replace("sh:maxInclusive 5", "sh:hasValue ex:zzz"))
    conforms, report = validate(data, shapes)
    assert conforms is False
    (result,) = report.objects(None, SH.result)
    assert report.value(result, SH.focusNode) == rdflib.URIRef(EX + "a")
    assert report.value(result, SH.sourceConstraintComponent) == SH.HasValueConstraintComponent
    assert report.value(result, SH.resultSeverity) == SH.Violation
    assert report.value(result, SH.value) is None
    path = report.value(result, SH.resultPath)
    assert path is not None
    first, second = Collection(report, path)  # the path's list structure is in the report
    assert first == rdflib.URIRef(EX + "p")
    assert report.value(second, SH.inversePath) == rdflib.URIRef(EX + "q")
    assert isinstance(report.value(result, SH.sourceShape), rdflib.BNode)
    assert report.value(result, SH.resultMessage) is not None


def test_values_keep_their_lexical_form() -> None:
    data = parse_raw('ex:a a ex:C ; ex:n "01"^^xsd:integer, "1.0"^^xsd:integer .')
    conforms, report = validate(data, graph(SHAPES))
    assert conforms is False
    (result,) = report.objects(None, SH.result)
    value = report.value(result, SH.value)
    assert isinstance(value, rdflib.Literal)
    assert (str(value), value.datatype) == ("1.0", XSD.integer)
    assert {str(m) for m in report.objects(result, SH.resultMessage)} == {"n is an integer"}


def test_public_api_is_listed_and_sorted() -> None:
    public = {
        name
        for name in dir(validation)
        if not name.startswith("_") and not inspect.ismodule(getattr(validation, name))
    }
    assert list(validation.__all__) == sorted(validation.__all__)
    assert public - {"annotations"} == set(validation.__all__)
