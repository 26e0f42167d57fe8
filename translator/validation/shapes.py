"""The SHACL gate of the edge layer: shapes compiled once, checked per message.

``ShapeGate.check`` validates one message's pyoxigraph triples with the compiled shapes and
returns the blocking ``Violation``s (empty: the message conforms); ``check_graph`` does the
same for a message its builder already indexed (``rdf.graph.MessageGraph``), skipping the
re-indexing of its triples. ``validate`` is the general
rdflib API with pyshacl's signature and W3C report; the SHACL Core test suite runs through it.
Shapes the compiler does not implement are validated by the pyshacl oracle, never passed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path as FilePath

import pyoxigraph as ox
import rdflib

from translator.rdf.graph import MessageGraph
from translator.validation.compiled import CompiledShapes, RawResult
from translator.validation.compiler import compile_shapes
from translator.validation.dataview import DataView
from translator.validation.literals import Parsed
from translator.validation.oracle import oracle_validate, report_violations
from translator.validation.report import Violation, build_report, to_violation
from translator.validation.terms import TermConversionError, TermConverter, to_rdflib

logger = logging.getLogger(__name__)


class ShapeGate:
    """Compiled SHACL shapes that judge one message at a time.

    Like pyshacl's defaults, every result blocks, whatever its severity; pass
    ``allow_warnings=True`` (sh:Warning and sh:Info pass) or ``allow_infos=True``
    (sh:Info passes) to let lower severities through, as pyshacl's flags of the same names do.
    """

    __slots__ = ("_allowed", "_literals", "compiled")

    def __init__(
        self, compiled: CompiledShapes, *, allow_warnings: bool = False, allow_infos: bool = False
    ) -> None:
        self.compiled = compiled
        allowed: set[str] = set()
        if allow_warnings:
            allowed |= {"Warning", "Info"}
        if allow_infos:
            allowed.add("Info")
        self._allowed = frozenset(allowed)
        self._literals: dict[ox.Literal, Parsed | None] = {}  # typed values, across messages
        if compiled.unsupported:
            logger.warning("SHACL gate falls back to pyshacl: %s", compiled.unsupported)

    @classmethod
    def from_graph(
        cls, shapes_graph: rdflib.Graph, *, allow_warnings: bool = False, allow_infos: bool = False
    ) -> ShapeGate:
        """Compile ``shapes_graph`` once."""
        compiled = compile_shapes(shapes_graph)
        return cls(compiled, allow_warnings=allow_warnings, allow_infos=allow_infos)

    @classmethod
    def from_path(
        cls, path: str | FilePath, *, allow_warnings: bool = False, allow_infos: bool = False
    ) -> ShapeGate:
        """Parse a Turtle shapes file and compile it once."""
        graph = rdflib.Graph()
        graph.parse(FilePath(path), format="turtle")
        return cls.from_graph(graph, allow_warnings=allow_warnings, allow_infos=allow_infos)

    @property
    def compiled_fully(self) -> bool:
        """False when the shapes need the (slow) pyshacl oracle."""
        return self.compiled.unsupported is None

    def check(self, triples: Iterable[ox.Triple | ox.Quad]) -> tuple[Violation, ...]:
        """The blocking results for one message (graph names ignored); empty = conforms."""
        return self._blocking(self.results(triples))

    def check_graph(self, graph: MessageGraph) -> tuple[Violation, ...]:
        """``check`` for a message already indexed by its builder (the pipeline's way in)."""
        return self._blocking(self.graph_results(graph))

    def results(self, triples: Iterable[ox.Triple | ox.Quad]) -> tuple[Violation, ...]:
        """Every validation result for one message, whatever its severity."""
        if self.compiled.unsupported is not None:
            return self._oracle_results(triples)
        return self._evaluate(DataView.from_triples(triples, self._literals))

    def graph_results(self, graph: MessageGraph) -> tuple[Violation, ...]:
        """``results`` for a message already indexed by its builder."""
        if self.compiled.unsupported is not None:
            return self._oracle_results(graph.quads())
        return self._evaluate(DataView(graph.index, self._literals))

    def _evaluate(self, view: DataView) -> tuple[Violation, ...]:
        compiled = self.compiled
        raw = compiled.evaluate(view)
        if not raw:
            return ()
        prefixes = compiled.prefixes
        return tuple(to_violation(r, prefixes) for r in raw)

    def _blocking(self, results: tuple[Violation, ...]) -> tuple[Violation, ...]:
        if not results or not self._allowed:
            return results
        return tuple(v for v in results if v.severity not in self._allowed)

    def _oracle_results(self, triples: Iterable[ox.Triple | ox.Quad]) -> tuple[Violation, ...]:
        data = rdflib.Graph()
        for t in triples:
            subject, value = t.subject, t.object
            if isinstance(subject, ox.Triple) or isinstance(value, ox.Triple):
                raise TermConversionError("RDF-star triple terms are not validated")
            data.add((to_rdflib(subject), to_rdflib(t.predicate), to_rdflib(value)))
        _conforms, report = oracle_validate(data, self.compiled.shapes_graph)
        return report_violations(report, TermConverter(), self.compiled.prefixes)


def validate(data_graph: rdflib.Graph, shapes_graph: rdflib.Graph) -> tuple[bool, rdflib.Graph]:
    """Validate ``data_graph`` against ``shapes_graph``: ``(conforms, sh:ValidationReport)``.

    Same contract as ``pyshacl.validate`` with its defaults (any result means non-conformance).
    Compiles the shapes for this call; falls back to pyshacl for unsupported shapes or data.
    """
    if isinstance(data_graph, rdflib.ConjunctiveGraph):  # datasets: pyshacl's per-graph rules
        return oracle_validate(data_graph, shapes_graph)
    converter = TermConverter()
    compiled = compile_shapes(shapes_graph, converter)
    if compiled.unsupported is not None:
        return oracle_validate(data_graph, shapes_graph)
    try:
        view = DataView.from_rdflib(data_graph, converter)
    except TermConversionError as err:
        logger.info("data needs the pyshacl oracle: %s", err)
        return oracle_validate(data_graph, shapes_graph)
    results: list[RawResult] = compiled.evaluate(view)
    return not results, build_report(results, converter, shapes_graph)
