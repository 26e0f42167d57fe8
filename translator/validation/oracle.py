"""pyshacl, the reference SHACL validator: the fallback for shapes the compiler refuses.

Called with pyshacl's defaults as the W3C suite runner uses them (no inference, no SHACL-AF,
no JS, warnings and infos count as non-conformance). Slow (milliseconds per message): the
gate uses it only when ``CompiledShapes.unsupported`` is set, and the differential tests use
it as ground truth. Blocking: async callers run it in ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyshacl
import rdflib

from translator.rdf.namespaces import RDF, SH
from translator.validation.paths import UnsupportedShapes, compile_path
from translator.validation.report import Violation
from translator.validation.terms import RdfTerm, TermConverter, shorten

_SH = rdflib.Namespace(SH)
_RDF_TYPE = rdflib.URIRef(RDF + "type")


class OracleError(RuntimeError):
    """pyshacl could not validate (it reports a failure instead of a report)."""


def oracle_validate(
    data_graph: rdflib.Graph, shapes_graph: rdflib.Graph
) -> tuple[bool, rdflib.Graph]:
    """``(conforms, report graph)`` from pyshacl; raises ``OracleError`` on its failures."""
    conforms, report, _text = pyshacl.validate(
        data_graph,
        shacl_graph=shapes_graph,
        inference="none",
        abort_on_first=False,
        allow_infos=False,
        allow_warnings=False,
        meta_shacl=False,
        advanced=False,
        js=False,
        debug=False,
    )
    if isinstance(report, BaseException):
        raise OracleError(str(report)) from report
    if not isinstance(report, rdflib.Graph):
        raise OracleError(f"pyshacl returned {type(report).__name__}, not a report graph")
    return bool(conforms), report


def report_violations(
    report: rdflib.Graph, converter: TermConverter, prefixes: Mapping[str, str]
) -> tuple[Violation, ...]:
    """Read the ``sh:result``s of a report graph as ``Violation`` values.

    Only the report's own results count; pyshacl nests the results of ``sh:node`` shapes
    under ``sh:detail``, which are not results of the validation.
    """
    violations = []
    results = [r for node in report.subjects(_RDF_TYPE, _SH.ValidationReport)
               for r in report.objects(node, _SH.result)]  # fmt: skip
    for result in results:
        focus = report.value(result, _SH.focusNode)
        if focus is None:
            continue
        value = report.value(result, _SH.value)
        message = report.value(result, _SH.resultMessage)
        violations.append(
            Violation(
                focus=converter.to_ox(_as_term(focus)),
                path=_path_text(report, report.value(result, _SH.resultPath), prefixes),
                value=None if value is None else converter.to_ox(_as_term(value)),
                component=_local(report.value(result, _SH.sourceConstraintComponent)),
                shape=_shorten(report.value(result, _SH.sourceShape), prefixes),
                severity=_local(report.value(result, _SH.resultSeverity)),
                message="" if message is None else str(message),
                prefixes=prefixes,
            )
        )
    return tuple(violations)


def _as_term(node: object) -> RdfTerm:
    assert isinstance(node, rdflib.URIRef | rdflib.BNode | rdflib.Literal)
    return node


def _path_text(report: rdflib.Graph, node: object, prefixes: Mapping[str, str]) -> str | None:
    if node is None:
        return None
    try:
        return compile_path(report, _as_term(node)).text(prefixes)
    except UnsupportedShapes:
        return str(node)


def _local(node: object) -> str:
    text = "" if node is None else str(node)
    return text[len(SH) :] if text.startswith(SH) else text


def _shorten(node: object, prefixes: Mapping[str, str]) -> str:
    if isinstance(node, rdflib.URIRef):
        return shorten(str(node), prefixes)
    return "" if node is None else f"_:{node}"
