"""Compile a SHACL shapes graph once into ``CompiledShapes``.

Passes: (1) refuse what the compiler does not implement (SHACL-SPARQL, custom constraint
components, custom targets, unknown ``sh:`` parameters) by recording the reason, so callers
use the pyshacl oracle; (2) find the shapes that have targets, as pyshacl does; (3) compile
each shape and, on demand, every shape it references; (4) mark shapes on reference cycles;
(5) run the look-ups that need every shape compiled (``sh:or``/``sh:xone`` dispatch tables);
(6) specialise every shape's conformance test into one flat closure (``conforming``);
(7) merge the shapes of each target into one whole-message fast check (``fastpath``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Final

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection

from translator.rdf.namespaces import RDF, RDFS, SH, XSD
from translator.validation.compiled import CompiledShape, CompiledShapes, Constraint, FocusFinder
from translator.validation.conforming import specialize
from translator.validation.dataview import DataView
from translator.validation.dispatch import Targets, build_groups
from translator.validation.fastpath import build_fast_path
from translator.validation.pair_checks import PAIR_COMPONENTS
from translator.validation.paths import Path, UnsupportedShapes, compile_path
from translator.validation.shape_checks import SHAPE_COMPONENTS
from translator.validation.source import ComponentCompiler
from translator.validation.terms import (
    DISPLAY_PREFIXES,
    RdfTerm,
    Term,
    TermConversionError,
    TermConverter,
    render,
)
from translator.validation.value_checks import VALUE_COMPONENTS

logger = logging.getLogger(__name__)

COMPONENTS: Final[dict[str, ComponentCompiler]] = {
    **VALUE_COMPONENTS,
    **PAIR_COMPONENTS,
    **SHAPE_COMPONENTS,
}
"""Every supported constraint parameter (local name in ``sh:``) → its compiler."""

_NON_CONSTRAINT: Final = frozenset(
    {
        "path", "property", "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf",
        "severity", "message", "deactivated", "name", "description", "order", "group",
        "defaultValue", "flags", "ignoredProperties", "qualifiedMinCount", "qualifiedMaxCount",
        "qualifiedValueShapesDisjoint", "prefixes", "declare",
    }
)  # fmt: skip
_TARGETS: Final = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
_UNSUPPORTED_ANYWHERE: Final = (
    "sparql", "parameter", "validator", "nodeValidator", "propertyValidator",
    "target", "rule", "js", "expression",
)  # fmt: skip
_SHAPE_VALUED: Final = ("property", "node", "not", "qualifiedValueShape")
_SHAPE_LISTS: Final = ("and", "or", "xone")

_RDF_TYPE = rdflib.URIRef(RDF + "type")
_RDFS_CLASS = rdflib.URIRef(RDFS + "Class")
_RDFS_SUBCLASS_OF = rdflib.URIRef(RDFS + "subClassOf")
_XSD_BOOLEAN = rdflib.URIRef(XSD + "boolean")
_LIST_LIMIT: Final = 8


def _sh(local: str) -> rdflib.URIRef:
    return rdflib.URIRef(SH + local)


def compile_shapes(
    shapes_graph: rdflib.Graph, converter: TermConverter | None = None
) -> CompiledShapes:
    """Compile ``shapes_graph``; check ``.unsupported`` before trusting the result alone."""
    return ShapesCompiler(shapes_graph, converter or TermConverter()).compile()


class ShapesCompiler:
    """Reads one shapes graph; implements ``source.ShapeSource`` for the component compilers."""

    def __init__(self, graph: rdflib.Graph, converter: TermConverter) -> None:
        self.graph = graph
        self.converter = converter
        self._shapes: dict[RdfTerm, CompiledShape] = {}
        self._hooks: list[Callable[[], None]] = []
        self.prefixes: dict[str, str] = {
            prefix: str(ns) for prefix, ns in graph.namespaces() if prefix and str(ns)
        }
        self.prefixes.update(DISPLAY_PREFIXES)

    def compile(self) -> CompiledShapes:
        """Run every pass; never raises for unsupported input (see ``unsupported``)."""
        try:
            self._refuse_unsupported()
            targeted: list[tuple[Targets, FocusFinder, CompiledShape]] = []
            for node in self._targeted_nodes():
                found = self._focus_finder(node)
                shape = self.shape(node)
                if found is not None and not shape.deactivated:
                    targeted.append((found[0], found[1], shape))
            _mark_recursive(list(self._shapes.values()))
            for hook in self._hooks:
                hook()
            specialize(self._shapes.values())
            groups = build_groups(targeted)
            fast = build_fast_path(groups)
        except (UnsupportedShapes, TermConversionError) as err:
            logger.info("shapes need the pyshacl oracle: %s", err)
            return CompiledShapes(self.graph, (), str(err), self.prefixes)
        return CompiledShapes(self.graph, tuple(groups), None, self.prefixes, fast)

    # -- ShapeSource ---------------------------------------------------------------------

    def values(self, node: RdfTerm, local_name: str) -> list[RdfTerm]:
        """Objects of ``node sh:<local_name> ?o``."""
        return list(self.graph.objects(node, _sh(local_name)))

    def items(self, list_node: RdfTerm) -> list[RdfTerm]:
        """Members of the RDF list at ``list_node``."""
        return list(Collection(self.graph, list_node))

    def term(self, node: RdfTerm) -> Term:
        """The pyoxigraph term for a shapes-graph term."""
        return self.converter.to_ox(node)

    def is_true(self, node: RdfTerm | None) -> bool:
        """Whether ``node`` is the xsd:boolean literal ``true`` as written."""
        return (
            isinstance(node, rdflib.Literal)
            and node.datatype == _XSD_BOOLEAN
            and str(node) == "true"
        )

    def shape(self, node: RdfTerm) -> CompiledShape:
        """The compiled shape at ``node``, compiling it (and what it references) on first use."""
        found = self._shapes.get(node)
        if found is not None:
            return found
        shape = CompiledShape(node, len(self._shapes))
        self._shapes[node] = shape
        self._fill(shape)
        return shape

    def path(self, node: RdfTerm) -> Path:
        """The compiled property path at ``node``."""
        return compile_path(self.graph, node)

    def render(self, term: Term | None) -> str:
        """Readable text for a term, with the shapes graph's prefixes."""
        return render(term, self.prefixes)

    def render_list(self, terms: Sequence[Term]) -> str:
        """``(a, b, c)``, cut after a few members."""
        shown = ", ".join(self.render(t) for t in terms[:_LIST_LIMIT])
        more = f", … {len(terms) - _LIST_LIMIT} more" if len(terms) > _LIST_LIMIT else ""
        return f"({shown}{more})"

    def parent_properties(self, node: RdfTerm) -> list[RdfTerm]:
        """Shapes whose ``sh:property`` includes ``node``."""
        return list(self.graph.subjects(_sh("property"), node))

    def after_compile(self, step: Callable[[], None]) -> None:
        """Run ``step`` once every shape is compiled."""
        self._hooks.append(step)

    # -- passes --------------------------------------------------------------------------

    def _refuse_unsupported(self) -> None:
        for local in _UNSUPPORTED_ANYWHERE:
            if (None, _sh(local), None) in self.graph:
                raise UnsupportedShapes(f"sh:{local} (SHACL-SPARQL / SHACL-AF) is not compiled")
        for kind in ("ConstraintComponent", "SPARQLConstraint", "JSConstraint"):
            if (None, _RDF_TYPE, _sh(kind)) in self.graph:
                raise UnsupportedShapes(f"sh:{kind} (custom constraint components) is not compiled")

    def _targeted_nodes(self) -> list[RdfTerm]:
        g = self.graph
        nodes: set[RdfTerm] = set()
        for local in _TARGETS:
            nodes.update(g.subjects(_sh(local), None))
        nodes.update(n for n in self._declared_shapes() if self._is_class(n))
        return sorted(nodes, key=lambda n: (type(n).__name__, str(n)))

    def _declared_shapes(self) -> set[RdfTerm]:
        """Nodes pyshacl treats as shapes (typed, or in a shape-expecting position)."""
        g = self.graph
        found: set[RdfTerm] = set(g.subjects(_RDF_TYPE, _sh("NodeShape")))
        found.update(g.subjects(_RDF_TYPE, _sh("PropertyShape")))
        for local in ("property", "node"):
            found.update(g.subjects(_sh(local), None))
        for local in _SHAPE_VALUED:
            found.update(g.objects(None, _sh(local)))
        for local in _SHAPE_LISTS:
            for list_node in g.objects(None, _sh(local)):
                found.update(self.items(list_node))
        return found

    def _is_class(self, node: RdfTerm) -> bool:
        class_types = {_RDFS_CLASS, *self.graph.subjects(_RDFS_SUBCLASS_OF, _RDFS_CLASS)}
        return any(t in class_types for t in self.graph.objects(node, _RDF_TYPE))

    def _focus_finder(self, node: RdfTerm) -> tuple[Targets, FocusFinder] | None:
        """``(signature, finder)``: shapes with equal signatures have the same focus nodes."""
        fixed = [self.term(o) for o in self.values(node, "targetNode")]
        classes = [self.term(o) for o in self.values(node, "targetClass")]
        if self._is_class(node) and node in self._declared_shapes():
            classes.append(self.term(node))
        subjects_of = [self._predicate(o) for o in self.values(node, "targetSubjectsOf")]
        objects_of = [self._predicate(o) for o in self.values(node, "targetObjectsOf")]
        if not (fixed or classes or subjects_of or objects_of):
            return None
        signature: Targets = (
            frozenset(fixed), frozenset(classes), frozenset(subjects_of), frozenset(objects_of)
        )  # fmt: skip
        if len(classes) == 1 and not (fixed or subjects_of or objects_of):
            only = classes[0]
            return signature, lambda view: view.instances(only)
        return signature, _union_finder(fixed, classes, subjects_of, objects_of)

    def _predicate(self, node: RdfTerm) -> ox.NamedNode:
        term = self.term(node)
        if not isinstance(term, ox.NamedNode):
            raise UnsupportedShapes(f"target predicate {node!r} is not an IRI")
        return term

    def _fill(self, shape: CompiledShape) -> None:
        node = shape.node
        if any(self.is_true(d) for d in self.values(node, "deactivated")):
            shape.deactivate()
        paths = self.values(node, "path")
        if len(paths) > 1:
            raise UnsupportedShapes(f"shape {node!r} has {len(paths)} sh:path values")
        if paths:
            shape.set_path(self.path(paths[0]))
        severities = self.values(node, "severity")
        if severities:
            shape.severity = severities[0]
        shape.messages = tuple(
            m for m in self.values(node, "message") if isinstance(m, rdflib.Literal)
        )
        if shape.deactivated:
            return
        constraints: list[Constraint] = []
        properties: list[RdfTerm] = []
        pairs = sorted(self.graph.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1])))
        for predicate, value in pairs:
            local = str(predicate)[len(SH) :] if str(predicate).startswith(SH) else None
            if local is None or local in _NON_CONSTRAINT:
                if local == "property":
                    properties.append(value)
                continue
            compiler = COMPONENTS.get(local)
            if compiler is None:
                raise UnsupportedShapes(f"sh:{local} on shape {node!r} is not compiled")
            constraints.extend(compiler(self, shape, value))
        shape.freeze(constraints, [self.shape(p) for p in properties])


def _union_finder(
    fixed: list[Term],
    classes: list[Term],
    subjects_of: list[ox.NamedNode],
    objects_of: list[ox.NamedNode],
) -> FocusFinder:
    def find(view: DataView) -> Sequence[Term]:
        found: dict[Term, None] = dict.fromkeys(fixed)
        for cls in classes:
            found.update(dict.fromkeys(view.instances(cls)))
        for predicate in subjects_of:
            found.update(dict.fromkeys(view.subjects_of(predicate)))
        for predicate in objects_of:
            found.update(dict.fromkeys(view.objects_of(predicate)))
        return list(found)

    return find


def _successors(shape: CompiledShape) -> Iterable[CompiledShape]:
    for constraint in shape.all_constraints():
        yield from constraint.refs
    yield from shape.properties


def _mark_recursive(shapes: list[CompiledShape]) -> None:
    """Flag every shape that can reach itself through references."""
    for shape in shapes:
        seen: set[int] = set()
        todo = list(_successors(shape))
        while todo:
            current = todo.pop()
            if current is shape:
                shape.mark_recursive()
                break
            if current.key not in seen:
                seen.add(current.key)
                todo.extend(_successors(current))
