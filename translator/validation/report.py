"""Validation results made readable: ``Violation`` values and the standard ``sh:ValidationReport``.

``Violation`` is what the gate hands the pipeline (and a dead letter shows); ``build_report``
writes the W3C report graph for the general ``validate`` API, copying each ``sh:resultPath``
structure from the shapes graph as SHACL prescribes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import rdflib

from translator.rdf.namespaces import RDF, SH
from translator.validation.compiled import RawResult
from translator.validation.terms import (
    DISPLAY_PREFIXES,
    RdfTerm,
    Term,
    TermConverter,
    render,
    shorten,
)

_SH = rdflib.Namespace(SH)
_RDF_TYPE = rdflib.URIRef(RDF + "type")


@dataclass(frozen=True, slots=True)
class Violation:
    """One SHACL validation result, readable enough for a dead letter.

    ``str(v)`` reads like ``id:observation/E-0/result qudt:numericValue 140.0: value 140.0 is
    above the maximum 100 [MaxInclusiveConstraintComponent]``.
    """

    focus: Term  # sh:focusNode
    path: str | None  # sh:resultPath as SPARQL path text, e.g. "sosa:hasResult/qudt:unit"
    value: Term | None  # sh:value
    component: str  # local name of sh:sourceConstraintComponent
    shape: str  # sh:sourceShape, shortened
    severity: str  # local name of sh:resultSeverity: "Violation", "Warning", "Info"
    message: str  # sh:message of the shape, else a generated description
    prefixes: Mapping[str, str] = field(
        default_factory=lambda: DISPLAY_PREFIXES, compare=False, repr=False
    )

    def __str__(self) -> str:
        parts = [render(self.focus, self.prefixes)]
        if self.path:
            parts.append(self.path)
        if self.value is not None and (self.path or self.value != self.focus):
            parts.append(render(self.value, self.prefixes))
        return f"{' '.join(parts)}: {self.message} [{self.component}]"


def pick_message(messages: Sequence[rdflib.Literal]) -> str | None:
    """The English (or untagged) sh:message when there is one, else the first."""
    if not messages:
        return None
    for message in messages:
        if not message.language or message.language.lower().startswith("en"):
            return str(message)
    return str(messages[0])


def to_violation(result: RawResult, prefixes: Mapping[str, str]) -> Violation:
    """The readable form of one compiled result."""
    shape = result.shape
    message = pick_message(shape.messages) or result.constraint.describe(result.value)
    return Violation(
        focus=result.focus,
        path=None if result.path is None else result.path.text(prefixes),
        value=result.value,
        component=result.constraint.component,
        shape=_short(shape.node, prefixes),
        severity=_local(shape.severity),
        message=message,
        prefixes=prefixes,
    )


def _short(node: RdfTerm, prefixes: Mapping[str, str]) -> str:
    if isinstance(node, rdflib.URIRef):
        return shorten(str(node), prefixes)
    return f"_:{node}" if isinstance(node, rdflib.BNode) else str(node)


def _local(term: RdfTerm) -> str:
    text = str(term)
    return text[len(SH) :] if text.startswith(SH) else text


def build_report(
    results: Sequence[RawResult],
    converter: TermConverter,
    shapes_graph: rdflib.Graph,
) -> rdflib.Graph:
    """The ``sh:ValidationReport`` graph for ``results`` (conforms iff there are none)."""
    graph = rdflib.Graph()
    graph.bind("sh", SH)
    report = rdflib.BNode()
    graph.add((report, _RDF_TYPE, _SH.ValidationReport))
    graph.add((report, _SH.conforms, rdflib.Literal(not results)))
    for result in results:
        node = rdflib.BNode()
        graph.add((report, _SH.result, node))
        graph.add((node, _RDF_TYPE, _SH.ValidationResult))
        graph.add((node, _SH.focusNode, converter.to_rdflib(result.focus)))
        if result.path is not None:
            graph.add((node, _SH.resultPath, result.path.node))
            _copy_structure(shapes_graph, graph, result.path.node)
        if result.value is not None:
            graph.add((node, _SH.value, converter.to_rdflib(result.value)))
        graph.add((node, _SH.sourceShape, result.shape.node))
        graph.add((node, _SH.sourceConstraintComponent, _SH[result.constraint.component]))
        graph.add((node, _SH.resultSeverity, result.shape.severity))
        messages = result.shape.messages or (
            rdflib.Literal(result.constraint.describe(result.value)),
        )
        for message in messages:
            graph.add((node, _SH.resultMessage, message))
    return graph


def _copy_structure(source: rdflib.Graph, target: rdflib.Graph, node: RdfTerm) -> None:
    """Copy the blank-node structure rooted at ``node`` (a path) from ``source``."""
    todo = [node]
    seen: set[RdfTerm] = set()
    while todo:
        current = todo.pop()
        if not isinstance(current, rdflib.BNode) or current in seen:
            continue
        seen.add(current)
        for predicate, value in source.predicate_objects(current):
            target.add((current, predicate, value))
            todo.append(value)
