"""Deterministic Turtle output: rdflib's sorted serializer, our prefixes, an attribution header.

rdflib's Turtle serializer sorts subjects, predicates and objects; the only unstable part
would be blank-node labels, so the generators name every node that has siblings and leave
blank nodes only for RDF lists, which rdflib writes inline in list order.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .sources import Term

Triple = tuple[Node, Node, Node]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

PREFIXES: dict[str, str] = {
    "dcterms": "http://purl.org/dc/terms/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "qkdv": "http://qudt.org/vocab/dimensionvector/",
    "quantitykind": "http://qudt.org/vocab/quantitykind/",
    "qudt": "http://qudt.org/schema/qudt/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "saref": "https://saref.etsi.org/core/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "sosa": "http://www.w3.org/ns/sosa/",
    "ssn": "http://www.w3.org/ns/ssn/",
    "td": "https://www.w3.org/2019/wot/td#",
    "tr": "https://w3id.org/semantic-translator/ns#",
    "trp": "https://w3id.org/semantic-translator/property/",
    "trs": "https://w3id.org/semantic-translator/shapes#",
    "unit": "http://qudt.org/vocab/unit/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def rdflib_term(term: Term) -> Node:
    """The rdflib twin of a pyoxigraph term; literals keep their lexical form."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unsupported term {term!r}")


def expand(curie: str) -> URIRef:
    """``unit:DEG_C`` -> its IRI, for the prefixes above."""
    prefix, _, local = curie.partition(":")
    if prefix not in PREFIXES:
        raise KeyError(f"unknown prefix in {curie!r}")
    return URIRef(PREFIXES[prefix] + local)


def render(triples: Iterable[Triple], header: str) -> str:
    """Serialize ``triples`` as sorted Turtle under a ``#`` comment header."""
    graph = Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri)
    for triple in triples:
        graph.add(triple)
    body = graph.serialize(format="turtle")
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.strip().splitlines())
    return comment + "\n" + body


def write(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 with Unix newlines."""
    path.write_text(text, encoding="utf-8", newline="\n")
