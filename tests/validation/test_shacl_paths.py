"""Compiled property paths: forward and backward evaluation, and their readable text."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from shacl_helpers import EX, graph, triples

from translator.validation.dataview import DataView
from translator.validation.paths import Path, UnsupportedShapes, compile_path

DATA = """
ex:a ex:p ex:b ; ex:q "lit" .
ex:b ex:p ex:c ; ex:r ex:d .
ex:c ex:p ex:a .
ex:x ex:p ex:b .
"""

PATHS = """
ex:s1 sh:path ex:p .
ex:s2 sh:path ( ex:p ex:p ) .
ex:s3 sh:path [ sh:inversePath ex:p ] .
ex:s4 sh:path [ sh:alternativePath ( ex:q ex:p ) ] .
ex:s5 sh:path [ sh:zeroOrMorePath ex:p ] .
ex:s6 sh:path [ sh:oneOrMorePath ex:p ] .
ex:s7 sh:path [ sh:zeroOrOnePath ex:p ] .
ex:s8 sh:path [ sh:inversePath ( ex:p ex:r ) ] .
ex:s9 sh:path ( ex:p [ sh:alternativePath ( ex:r ex:p ) ] ) .
ex:bad sh:path [ ex:notAPath ex:p ] .
"""


def names(terms: object) -> set[str]:
    assert isinstance(terms, list | tuple)
    return {t.value.removeprefix(EX) for t in terms}


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return graph(PATHS)


@pytest.fixture(scope="module")
def view() -> DataView:
    return DataView.from_triples(triples(DATA))


def path_at(shapes: rdflib.Graph, shape: str) -> Path:
    node = shapes.value(rdflib.URIRef(EX + shape), rdflib.URIRef("http://www.w3.org/ns/shacl#path"))
    assert node is not None
    return compile_path(shapes, node)


@pytest.mark.parametrize(
    ("shape", "start", "forward", "text"),
    [
        ("s1", "a", {"b"}, "ex:p"),
        ("s2", "a", {"c"}, "ex:p/ex:p"),
        ("s3", "b", {"a", "x"}, "^ex:p"),
        ("s4", "a", {"lit", "b"}, "ex:q|ex:p"),
        ("s5", "a", {"a", "b", "c"}, "ex:p*"),
        ("s6", "a", {"a", "b", "c"}, "ex:p+"),
        ("s6", "x", {"b", "c", "a"}, "ex:p+"),
        ("s7", "a", {"a", "b"}, "ex:p?"),
        ("s8", "d", {"a", "x"}, "^(ex:p/ex:r)"),
        ("s9", "a", {"c", "d"}, "ex:p/(ex:r|ex:p)"),
    ],
)
def test_path_values(
    shapes: rdflib.Graph, view: DataView, shape: str, start: str, forward: set[str], text: str
) -> None:
    path = path_at(shapes, shape)
    assert names(path.values(view, ox.NamedNode(EX + start))) == forward
    assert path.text({"ex": EX}) == text


@pytest.mark.parametrize(("shape", "target", "backward"), [
    ("s1", "b", {"a", "x"}),
    ("s2", "c", {"x", "a"}),
    ("s3", "b", {"c"}),
    ("s5", "a", {"a", "b", "c", "x"}),
    ("s6", "x", set()),
    ("s8", "a", {"d"}),
])  # fmt: skip
def test_path_sources_invert_values(
    shapes: rdflib.Graph, view: DataView, shape: str, target: str, backward: set[str]
) -> None:
    path = path_at(shapes, shape)
    found = path.sources(view, ox.NamedNode(EX + target))
    assert names(found) == backward
    for source in found:  # sources are exactly the nodes whose values include the target
        assert ox.NamedNode(EX + target) in path.values(view, source)


def test_sequence_of_predicates_deduplicates_branches() -> None:
    view = DataView.from_triples(
        triples("ex:a ex:p ex:b1, ex:b2 . ex:b1 ex:q ex:c . ex:b2 ex:q ex:c .")
    )
    shapes = graph("ex:s sh:path ( ex:p ex:q ) .")
    path = path_at(shapes, "s")
    assert list(path.values(view, ox.NamedNode(EX + "a"))) == [ox.NamedNode(EX + "c")]


def test_duplicate_triples_give_distinct_values() -> None:
    same = triples("ex:a ex:p ex:b .")
    view = DataView.from_triples(same + same)
    assert view.objects(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p")) == [ox.NamedNode(EX + "b")]


def test_unknown_path_structure_is_refused(shapes: rdflib.Graph) -> None:
    with pytest.raises(UnsupportedShapes):
        path_at(shapes, "bad")
