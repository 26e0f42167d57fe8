"""SHACL property paths compiled once into small evaluators over a ``DataView``.

Every path evaluates forwards (``values``: the nodes reached from a focus node) and backwards
(``sources``: the nodes from which a given node is reached), so ``sh:inversePath`` works around
any path. ``text`` is the SPARQL-like form used in readable results (``sosa:hasResult/qudt:unit``);
``node`` is the path's node in the shapes graph, copied into ``sh:resultPath`` of a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection

from translator.rdf.namespaces import RDF, SH
from translator.validation.dataview import NO_TERMS, DataView
from translator.validation.terms import DISPLAY_PREFIXES, RdfTerm, Term, shorten


class UnsupportedShapes(Exception):
    """The shapes use something the compiler does not implement; validate with the oracle."""


class Path:
    """A compiled property path."""

    __slots__ = ("node",)

    def __init__(self, node: RdfTerm) -> None:
        self.node = node

    def values(self, view: DataView, focus: Term) -> Sequence[Term]:
        """Distinct nodes reached from ``focus``."""
        raise NotImplementedError

    def sources(self, view: DataView, target: Term) -> Sequence[Term]:
        """Distinct nodes from which ``target`` is reached."""
        raise NotImplementedError

    def text(self, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
        """SPARQL property-path syntax, IRIs shortened with ``prefixes``."""
        raise NotImplementedError

    def atomic_text(self, prefixes: Mapping[str, str]) -> str:
        """``text`` wrapped in parentheses when it is not a single step."""
        return f"({self.text(prefixes)})"


class PredicatePath(Path):
    """A plain IRI: ``ex:p``."""

    __slots__ = ("predicate",)

    def __init__(self, node: RdfTerm, predicate: ox.NamedNode) -> None:
        super().__init__(node)
        self.predicate = predicate

    def values(self, view: DataView, focus: Term) -> Sequence[Term]:
        by_predicate = view.out.get(focus)
        if by_predicate is None:
            return NO_TERMS
        return by_predicate.get(self.predicate, NO_TERMS)

    def sources(self, view: DataView, target: Term) -> Sequence[Term]:
        return view.subjects(target, self.predicate)

    def text(self, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
        return shorten(self.predicate.value, prefixes)

    def atomic_text(self, prefixes: Mapping[str, str]) -> str:
        return self.text(prefixes)


class InversePath(Path):
    """``[ sh:inversePath p ]``: ``^p``."""

    __slots__ = ("inner",)

    def __init__(self, node: RdfTerm, inner: Path) -> None:
        super().__init__(node)
        self.inner = inner

    def values(self, view: DataView, focus: Term) -> Sequence[Term]:
        return self.inner.sources(view, focus)

    def sources(self, view: DataView, target: Term) -> Sequence[Term]:
        return self.inner.values(view, target)

    def text(self, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
        return "^" + self.inner.atomic_text(prefixes)

    def atomic_text(self, prefixes: Mapping[str, str]) -> str:
        return self.text(prefixes)


class SequencePath(Path):
    """An RDF list of paths: ``p1/p2/…``."""

    __slots__ = ("predicates", "steps")

    def __init__(self, node: RdfTerm, steps: Sequence[Path]) -> None:
        super().__init__(node)
        self.steps = tuple(steps)
        self.predicates: tuple[ox.NamedNode, ...] | None = None
        if all(isinstance(step, PredicatePath) for step in self.steps):
            self.predicates = tuple(step.predicate for step in self.steps)  # type: ignore[attr-defined]

    def values(self, view: DataView, focus: Term) -> Sequence[Term]:
        predicates = self.predicates
        if predicates is None:
            return _chain([focus], self.steps, lambda step, n: step.values(view, n))
        out = view.out
        current: Sequence[Term] = (focus,)
        for predicate in predicates:
            if len(current) == 1:  # the common case: a chain of single values
                by_predicate = out.get(current[0])
                current = (
                    NO_TERMS if by_predicate is None else by_predicate.get(predicate, NO_TERMS)
                )
            else:
                reached: dict[Term, None] = {}
                for node in current:
                    by_predicate = out.get(node)
                    if by_predicate is not None:
                        reached.update(dict.fromkeys(by_predicate.get(predicate, NO_TERMS)))
                current = list(reached)
            if not current:
                return NO_TERMS
        return current

    def sources(self, view: DataView, target: Term) -> Sequence[Term]:
        return _chain([target], self.steps[::-1], lambda step, n: step.sources(view, n))

    def text(self, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
        return "/".join(step.atomic_text(prefixes) for step in self.steps)


class AlternativePath(Path):
    """``[ sh:alternativePath ( p1 p2 … ) ]``: ``p1|p2|…``."""

    __slots__ = ("choices",)

    def __init__(self, node: RdfTerm, choices: Sequence[Path]) -> None:
        super().__init__(node)
        self.choices = tuple(choices)

    def values(self, view: DataView, focus: Term) -> Sequence[Term]:
        found: dict[Term, None] = {}
        for choice in self.choices:
            found.update(dict.fromkeys(choice.values(view, focus)))
        return list(found)

    def sources(self, view: DataView, target: Term) -> Sequence[Term]:
        found: dict[Term, None] = {}
        for choice in self.choices:
            found.update(dict.fromkeys(choice.sources(view, target)))
        return list(found)

    def text(self, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
        return "|".join(choice.atomic_text(prefixes) for choice in self.choices)


class RepeatPath(Path):
    """A repeated path: ``sh:zeroOrMorePath`` (``p*``), ``sh:oneOrMorePath`` (``p+``),
    ``sh:zeroOrOnePath`` (``p?``)."""

    __slots__ = ("inner", "many", "operator", "zero")

    def __init__(self, node: RdfTerm, inner: Path, *, zero: bool, many: bool) -> None:
        super().__init__(node)
        self.inner = inner
        self.zero = zero
        self.many = many
        self.operator = "*" if zero and many else "+" if many else "?"

    def values(self, view: DataView, focus: Term) -> Sequence[Term]:
        return self._walk(focus, lambda n: self.inner.values(view, n))

    def sources(self, view: DataView, target: Term) -> Sequence[Term]:
        return self._walk(target, lambda n: self.inner.sources(view, n))

    def _walk(self, start: Term, step: Callable[[Term], Sequence[Term]]) -> list[Term]:
        found: dict[Term, None] = {start: None} if self.zero else {}
        if not self.many:
            found.update(dict.fromkeys(step(start)))
            return list(found)
        seen = {start}
        todo = [start]
        while todo:
            for node in step(todo.pop()):
                found[node] = None
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
        return list(found)

    def text(self, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
        return self.inner.atomic_text(prefixes) + self.operator

    def atomic_text(self, prefixes: Mapping[str, str]) -> str:
        return self.text(prefixes)


def _chain(
    start: list[Term], steps: Sequence[Path], step_fn: Callable[[Path, Term], Sequence[Term]]
) -> list[Term]:
    current = start
    for step in steps:
        reached: dict[Term, None] = {}
        for node in current:
            reached.update(dict.fromkeys(step_fn(step, node)))
        current = list(reached)
    return current


_RDF_FIRST = rdflib.URIRef(RDF + "first")
_UNARY = {
    rdflib.URIRef(SH + "zeroOrMorePath"): (True, True),
    rdflib.URIRef(SH + "oneOrMorePath"): (False, True),
    rdflib.URIRef(SH + "zeroOrOnePath"): (True, False),
}
_INVERSE = rdflib.URIRef(SH + "inversePath")
_ALTERNATIVE = rdflib.URIRef(SH + "alternativePath")


def compile_path(graph: rdflib.Graph, node: RdfTerm, depth: int = 0) -> Path:
    """Compile the path at ``node`` of the shapes graph; raises ``UnsupportedShapes``."""
    if depth > 64:
        raise UnsupportedShapes(f"path nested too deeply at {node!r}")
    if isinstance(node, rdflib.URIRef):
        return PredicatePath(node, ox.NamedNode(str(node)))
    if not isinstance(node, rdflib.BNode):
        raise UnsupportedShapes(f"a literal is not a property path: {node!r}")
    if (node, _RDF_FIRST, None) in graph:
        steps = [compile_path(graph, i, depth + 1) for i in Collection(graph, node)]
        return SequencePath(node, steps)
    inverse = graph.value(node, _INVERSE)
    if inverse is not None:
        return InversePath(node, compile_path(graph, inverse, depth + 1))
    alternatives = graph.value(node, _ALTERNATIVE)
    if alternatives is not None:
        choices = [compile_path(graph, i, depth + 1) for i in Collection(graph, alternatives)]
        return AlternativePath(node, choices)
    for predicate, (zero, many) in _UNARY.items():
        inner = graph.value(node, predicate)
        if inner is not None:
            return RepeatPath(node, compile_path(graph, inner, depth + 1), zero=zero, many=many)
    raise UnsupportedShapes(f"not a SHACL property path: {node!r}")
