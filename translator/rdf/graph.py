"""One message's triples, indexed by subject and predicate as they are built.

``ObservationBuilder.build_graph`` fills a ``MessageGraph`` instead of a flat list of quads:
the SHACL gate reads the index directly (no re-indexing of quads it was just handed), and
``Translated`` carries the very same index to the store, which writes it as N-Quads text
(``translator.rdf.nquads``), so what the gate judged and what the store receives cannot
differ. Nothing on the hot path makes pyoxigraph ``Quad`` objects from it; ``quads`` does, on
demand, for the code that wants them (tests, the dry run, the naive benchmark). The index is
in insertion order: the envelope first, its ``rdf:type`` first, then each observation and its
result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad

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

    @classmethod
    def of(cls, quads: Iterable[Quad]) -> MessageGraph:
        """The index of default-graph quads, in their order (duplicates dropped).

        Raises:
            ValueError: a quad is in a named graph, or has a triple term.
        """
        index: Index = {}
        for quad in quads:
            subject, value = quad.subject, quad.object
            if not isinstance(quad.graph_name, DefaultGraph):
                raise ValueError(f"a message's quads are in the default graph: {quad}")
            if not isinstance(subject, NamedNode | BlankNode) or not isinstance(
                value, NamedNode | BlankNode | Literal
            ):
                raise ValueError(f"a message holds no triple terms: {quad}")
            objects = index.setdefault(subject, {}).setdefault(quad.predicate, [])
            if value not in objects:
                objects.append(value)
        return cls(index)

    def __len__(self) -> int:
        return sum(len(objects) for by in self.index.values() for objects in by.values())

    def quads(self) -> list[Quad]:
        """Every triple as a quad of the default graph, in the index's order (~1 µs a quad)."""
        return [
            Quad(subject, predicate, value)  # type: ignore[arg-type]  # subjects are never literals
            for subject, by_predicate in self.index.items()
            for predicate, objects in by_predicate.items()
            for value in objects
        ]
