"""The data graph as the compiled checks see it: a small index over one message's triples.

Built once per message (or once per ``validate`` call from an rdflib graph), then read by the
compiled targets, paths and constraints: ``out`` maps subject → predicate → objects (each list
holds distinct terms), the inverse index and the ``rdf:type`` index are built on first use,
and every literal's typed value is parsed at most once (per view, or per cache shared by the
views of one gate: the typed value is a function of the literal alone, so sharing is safe).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeAlias

import pyoxigraph as ox
import rdflib

from translator.validation.literals import Parsed, parse_literal
from translator.validation.terms import RDF_TYPE, RDFS_SUBCLASS_OF, Term, TermConverter

Index: TypeAlias = dict[Term, dict[ox.NamedNode, list[Term]]]
"""node → predicate → distinct neighbour nodes."""

NO_TERMS: Final[Sequence[Term]] = ()
PARSED_LIMIT: Final = 4096  # literals whose typed value a shared cache keeps, at most
_MISSING: Final = object()


class DataView:
    """Indexed, read-only view of one data graph, plus per-evaluation scratch state.

    ``guard`` holds the (shape, node) pairs under evaluation, so recursive shapes stop
    (a node met again on a shape cycle is assumed to conform).
    """

    __slots__ = ("_classes", "_inverse", "_limit", "_parsed", "_supers", "guard", "out")

    def __init__(
        self,
        out: Index,
        parsed: dict[ox.Literal, Parsed | None] | None = None,
        parsed_limit: int = PARSED_LIMIT,
    ) -> None:
        self.out = out
        self.guard: set[tuple[int, Term]] = set()
        self._inverse: Index | None = None
        self._classes: dict[Term, list[Term]] | None = None
        self._supers: dict[Term, set[Term]] | None = None
        # literal → typed value; may be shared between views (a pure function of the term)
        self._parsed: dict[ox.Literal, Parsed | None] = {} if parsed is None else parsed
        self._limit = parsed_limit

    @classmethod
    def from_triples(
        cls,
        triples: Iterable[ox.Triple | ox.Quad],
        parsed: dict[ox.Literal, Parsed | None] | None = None,
    ) -> DataView:
        """Index pyoxigraph triples or quads (graph names are ignored)."""
        # typed loosely: an RDF-star triple term would be indexed as an opaque node
        out: dict[Any, dict[Any, list[Any]]] = {}
        for triple in triples:
            subject = triple.subject
            predicate = triple.predicate
            value = triple.object
            by_predicate = out.get(subject)
            if by_predicate is None:
                out[subject] = {predicate: [value]}
                continue
            values = by_predicate.get(predicate)
            if values is None:
                by_predicate[predicate] = [value]
            elif value not in values:
                values.append(value)
        return cls(out, parsed)

    @classmethod
    def from_rdflib(cls, graph: rdflib.Graph, converter: TermConverter) -> DataView:
        """Index an rdflib graph, converting its terms once through ``converter``."""
        out: Index = {}
        to_ox = converter.to_ox
        for s, p, o in graph:
            predicate = to_ox(p)
            assert isinstance(predicate, ox.NamedNode)
            values = out.setdefault(to_ox(s), {}).setdefault(predicate, [])
            value = to_ox(o)
            if value not in values:
                values.append(value)
        return cls(out)

    def objects(self, subject: Term, predicate: ox.NamedNode) -> Sequence[Term]:
        """Distinct objects of ``subject predicate ?o``."""
        by_predicate = self.out.get(subject)
        if by_predicate is None:
            return NO_TERMS
        return by_predicate.get(predicate, NO_TERMS)

    def subjects(self, value: Term, predicate: ox.NamedNode) -> Sequence[Term]:
        """Distinct subjects of ``?s predicate value``."""
        by_predicate = self.inverse().get(value)
        if by_predicate is None:
            return NO_TERMS
        return by_predicate.get(predicate, NO_TERMS)

    def inverse(self) -> Index:
        """object → predicate → subjects, built on first use."""
        if self._inverse is None:
            inverse: Index = {}
            for subject, by_predicate in self.out.items():
                for predicate, values in by_predicate.items():
                    for value in values:
                        inverse.setdefault(value, {}).setdefault(predicate, []).append(subject)
            self._inverse = inverse
        return self._inverse

    def subjects_of(self, predicate: ox.NamedNode) -> list[Term]:
        """Every subject of a triple with ``predicate``."""
        return [s for s, by_predicate in self.out.items() if predicate in by_predicate]

    def objects_of(self, predicate: ox.NamedNode) -> list[Term]:
        """Every distinct object of a triple with ``predicate``."""
        found: dict[Term, None] = {}
        for by_predicate in self.out.values():
            for value in by_predicate.get(predicate, NO_TERMS):
                found[value] = None
        return list(found)

    def instances(self, cls: Term) -> Sequence[Term]:
        """SHACL instances of ``cls``: ``rdf:type/rdfs:subClassOf*`` in this data graph."""
        classes = self._class_index()
        supers = self._superclasses()
        if not supers:
            return classes.get(cls, NO_TERMS)
        found: dict[Term, None] = {}
        for type_, members in classes.items():
            if type_ == cls or cls in supers.get(type_, ()):
                found.update(dict.fromkeys(members))
        return list(found)

    def is_instance(self, node: Term, cls: Term) -> bool:
        """Whether ``node`` is a SHACL instance of ``cls`` in this data graph."""
        types = self.objects(node, RDF_TYPE)
        if not types:
            return False
        if cls in types:
            return True
        supers = self._superclasses()
        return bool(supers) and any(cls in supers.get(t, ()) for t in types)

    def parsed(self, literal: ox.Literal) -> Parsed | None:
        """``parse_literal(literal)``, computed once per literal (and per shared cache)."""
        cache = self._parsed
        found = cache.get(literal, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]  # a Parsed or None, never _MISSING
        if len(cache) >= self._limit:
            cache.clear()  # crude but bounded
        result = cache[literal] = parse_literal(literal)
        return result

    def _class_index(self) -> dict[Term, list[Term]]:
        if self._classes is None:
            self._index_classes()
        return self._classes  # type: ignore[return-value]  # set by _index_classes

    def _superclasses(self) -> dict[Term, set[Term]]:
        """class → all its (strict or reflexive-by-cycle) superclasses via rdfs:subClassOf."""
        if self._supers is None:
            self._index_classes()
        return self._supers  # type: ignore[return-value]  # set by _index_classes

    def _index_classes(self) -> None:
        """The ``rdf:type`` index and the ``rdfs:subClassOf`` closure, in one pass."""
        classes: dict[Term, list[Term]] = {}
        direct: dict[Term, list[Term]] = {}
        for subject, by_predicate in self.out.items():
            types = by_predicate.get(RDF_TYPE)
            if types is not None:
                for type_ in types:
                    members = classes.get(type_)
                    if members is None:
                        classes[type_] = [subject]
                    else:
                        members.append(subject)
            parents = by_predicate.get(RDFS_SUBCLASS_OF)
            if parents is not None:
                direct[subject] = parents
        self._classes = classes
        self._supers = {cls: _reach(cls, direct) for cls in direct}


def _reach(start: Term, edges: dict[Term, list[Term]]) -> set[Term]:
    seen: set[Term] = set()
    todo = list(edges.get(start, NO_TERMS))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, NO_TERMS))
    return seen
