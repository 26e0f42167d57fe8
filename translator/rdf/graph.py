"""One message's triples, indexed by subject and predicate as they are built.

``ObservationBuilder.build_graph`` fills a ``MessageGraph`` instead of a flat list of quads:
the SHACL gate reads the index directly (no re-indexing of quads it was just handed), and the
quads for the store are made from the same index (``quads``), so what the gate judged and what
the store receives cannot differ. The index is in insertion order: the envelope first, its
``rdf:type`` first, then each observation and its result.
"""

from __future__ import annotations

from typing import TypeAlias

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

Term: TypeAlias = NamedNode | BlankNode | Literal
"""A term a triple of the translator can hold (no RDF-star triple terms)."""

Index: TypeAlias = dict[Term, dict[NamedNode, list[Term]]]
"""subject → predicate → objects; each list holds distinct terms."""


class MessageGraph:
    """The triples of one message as ``subject → predicate → objects`` (read-only once built).

    Invariant, kept by whoever builds the index: an object list never holds the same term
    twice (it is a set of triples), so ``len`` counts triples and ``quads`` makes no duplicate.
    """

    __slots__ = ("index",)

    def __init__(self, index: Index) -> None:
        self.index = index

    def __len__(self) -> int:
        return sum(len(objects) for by in self.index.values() for objects in by.values())

    def quads(self) -> list[Quad]:
        """Every triple as a quad of the default graph, in the index's order."""
        return [
            Quad(subject, predicate, value)  # type: ignore[arg-type]  # subjects are never literals
            for subject, by_predicate in self.index.items()
            for predicate, objects in by_predicate.items()
            for value in objects
        ]
