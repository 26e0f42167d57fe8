"""RDF terms for the compiled SHACL gate: pyoxigraph terms, their rdflib twins, readable text.

The gate runs on pyoxigraph terms (cheap to build, go straight into the store). rdflib terms
appear only at the edges: the shapes graph is read with rdflib at compile time, and the
general ``validate`` API takes and returns rdflib graphs. ``TermConverter`` maps rdflib terms
to pyoxigraph terms once and remembers the way back, so a report names the data's own terms
(same lexical forms, same blank nodes).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, TypeAlias

import pyoxigraph as ox
import rdflib

from translator.rdf.namespaces import ID, PREFIXES, RDF, RDFS, XSD
from translator.validation.literals import parse_lexical

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal
"""Any RDF term that can be a focus node or a value node."""

RdfTerm: TypeAlias = rdflib.term.Node
"""An rdflib node as read from a graph (``URIRef``, ``BNode`` or ``Literal`` in practice)."""

RDF_TYPE: Final = ox.NamedNode(RDF + "type")
RDF_FIRST: Final = ox.NamedNode(RDF + "first")
RDF_REST: Final = ox.NamedNode(RDF + "rest")
RDF_NIL: Final = ox.NamedNode(RDF + "nil")
RDF_LANG_STRING: Final = ox.NamedNode(RDF + "langString")
RDFS_SUBCLASS_OF: Final = ox.NamedNode(RDFS + "subClassOf")
RDFS_LITERAL: Final = ox.NamedNode(RDFS + "Literal")
RDFS_DATATYPE: Final = ox.NamedNode(RDFS + "Datatype")
XSD_STRING: Final = ox.NamedNode(XSD + "string")
XSD_BOOLEAN: Final = ox.NamedNode(XSD + "boolean")

DISPLAY_PREFIXES: Final[Mapping[str, str]] = MappingProxyType({**PREFIXES, "id": ID})
"""Prefixes used to shorten IRIs in readable output (``sh:``, ``qudt:``, ``id:`` …)."""


class TermConversionError(ValueError):
    """An rdflib term has no pyoxigraph equivalent (relative IRI, bad language tag …)."""


class TermConverter:
    """Converts rdflib terms to pyoxigraph terms and remembers the reverse mapping.

    Blank nodes get fresh pyoxigraph blank nodes (rdflib labels need not be valid
    N-Triples labels); the same rdflib blank node always maps to the same pyoxigraph one.
    """

    __slots__ = ("_back", "_forward")

    def __init__(self) -> None:
        self._forward: dict[RdfTerm, Term] = {}
        self._back: dict[Term, RdfTerm] = {}

    def to_ox(self, term: RdfTerm) -> Term:
        """The pyoxigraph term for ``term``; raises ``TermConversionError``."""
        known = self._forward.get(term)
        if known is not None:
            return known
        converted = _convert(term)
        self._forward[term] = converted
        self._back.setdefault(converted, term)
        return converted

    def to_rdflib(self, term: Term) -> RdfTerm:
        """The rdflib term ``term`` came from, or a faithful new one."""
        known = self._back.get(term)
        return known if known is not None else to_rdflib(term)


def _convert(term: RdfTerm) -> Term:
    try:
        if isinstance(term, rdflib.Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            return ox.Literal(str(term))
        if isinstance(term, rdflib.BNode):
            return ox.BlankNode()
        if isinstance(term, rdflib.URIRef):
            return ox.NamedNode(str(term))
    except ValueError as err:
        raise TermConversionError(f"{term!r}: {err}") from err
    raise TermConversionError(f"{term!r} is not an RDF term")


def to_rdflib(term: Term) -> RdfTerm:
    """An rdflib term equal to ``term``, keeping the literal's lexical form as it is."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language, normalize=False)
    datatype = term.datatype.value
    if datatype == XSD + "string":
        return rdflib.Literal(term.value, normalize=False)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype), normalize=False)


def shorten(iri: str, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
    """``prefix:local`` when a prefix covers ``iri`` (longest namespace wins), else ``<iri>``."""
    best = ""
    best_prefix = ""
    for prefix, namespace in prefixes.items():
        if len(namespace) > len(best) and iri.startswith(namespace) and iri != namespace:
            best, best_prefix = namespace, prefix
    if best:
        return f"{best_prefix}:{iri[len(best) :]}"
    return f"<{iri}>"


def render(term: Term | None, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
    """Readable Turtle-like text for a term: ``qudt:unit``, ``21.5``, ``"on"@en``, ``_:b0``."""
    if term is None:
        return "-"
    if isinstance(term, ox.NamedNode):
        return shorten(term.value, prefixes)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if term.language:
        return f'"{term.value}"@{term.language}'
    datatype = term.datatype.value
    if datatype in _BARE_DATATYPES and parse_lexical(term.value, datatype) is not None:
        return term.value
    if datatype == XSD + "string":
        return f'"{term.value}"'
    return f'"{term.value}"^^{shorten(datatype, prefixes)}'


_BARE_DATATYPES: Final = frozenset(
    XSD + name for name in ("integer", "decimal", "double", "float", "boolean")
)
