"""Query results as people and programs read them: a terminal table, CSV/TSV, JSON, XML, RDF.

* SELECT: ``table`` (rich), ``csv`` / ``tsv`` / ``json`` / ``xml`` (the SPARQL 1.1 results
  formats); ``turtle`` / ``ntriples`` are refused.
* CONSTRUCT / DESCRIBE: ``turtle``, ``ntriples``, ``json`` (JSON-LD), ``xml`` (RDF/XML);
  ``table`` / ``csv`` / ``tsv`` show one subject, predicate, object row per triple.
* ASK: ``true`` / ``false`` in ``table`` / ``csv`` / ``tsv``; the SPARQL JSON / XML forms.

SPARQL results JSON is written here (a small, exact spec); every other format comes from
pyoxigraph's own serializers, fed from that JSON or from the triples.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import orjson
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    parse_query_results,
    serialize,
)
from rich.console import Console
from rich.table import Table
from rich.text import Text

from translator.errors import QueryError
from translator.rdf.namespaces import PREFIXES
from translator.rdf.terms import XSD_STRING
from translator.twin.sparql import AskResult, GraphResult, QueryResult

FORMATS: Final = frozenset({"table", "csv", "tsv", "json", "xml", "turtle", "ntriples"})
_RESULTS_FORMATS: Final = {
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "xml": QueryResultsFormat.XML,
}
_GRAPH_FORMATS: Final = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "json": RdfFormat.JSON_LD,
    "xml": RdfFormat.RDF_XML,
}
_TRIPLE_VARIABLES: Final = ("subject", "predicate", "object")

Term = NamedNode | BlankNode | Literal | Triple


def media_type(result: QueryResult, fmt: str) -> str:
    """The media type of ``serialize_result(result, fmt)`` (for HTTP responses)."""
    if fmt == "json" and not isinstance(result, GraphResult):
        return QueryResultsFormat.JSON.media_type
    if isinstance(result, GraphResult) and fmt in _GRAPH_FORMATS:
        return _GRAPH_FORMATS[fmt].media_type
    if fmt in _RESULTS_FORMATS:
        return _RESULTS_FORMATS[fmt].media_type
    return "text/plain"


def serialize_result(
    result: QueryResult, fmt: str, *, prefixes: Mapping[str, str] = PREFIXES
) -> bytes:
    """Serialize a result in one of ``FORMATS`` (``table`` gives plain text).

    Raises:
        QueryError: the format does not apply to this kind of result.
    """
    if fmt == "table":
        buffer = io.StringIO()
        render_results(result, "table", Console(width=200, file=buffer), prefixes=prefixes)
        return buffer.getvalue().encode()
    if isinstance(result, GraphResult):
        if fmt in _GRAPH_FORMATS:
            output = serialize(result.triples, format=_GRAPH_FORMATS[fmt], prefixes=dict(prefixes))
            return output or b""
        if fmt in ("csv", "tsv"):
            rows = [tuple(t) for t in result.triples]
            return _from_json(results_json(_TRIPLE_VARIABLES, rows), fmt)
    elif fmt in ("turtle", "ntriples"):
        raise QueryError(f"{fmt} is for CONSTRUCT and DESCRIBE results; use csv, tsv or json")
    else:
        data = (
            orjson.dumps({"head": {}, "boolean": result.value})
            if isinstance(result, AskResult)
            else results_json(result.variables, (tuple(s) for s in result.solutions))
        )
        return data if fmt == "json" else _from_json(data, fmt)
    raise QueryError(f"unknown output format {fmt!r}; choose one of {', '.join(sorted(FORMATS))}")


def results_json(variables: Sequence[str], rows: Iterable[Sequence[Term | None]]) -> bytes:
    """SPARQL 1.1 Query Results JSON (unbound values are left out of their binding)."""
    bindings = [
        {name: _term_json(term) for name, term in zip(variables, row, strict=True) if term}
        for row in rows
    ]
    return orjson.dumps({"head": {"vars": list(variables)}, "results": {"bindings": bindings}})


def _term_json(term: Term) -> dict[str, Any]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _term_json(term.subject),
            "predicate": _term_json(term.predicate),
            "object": _term_json(term.object),
        },
    }


def _from_json(data: bytes, fmt: str) -> bytes:
    if fmt not in _RESULTS_FORMATS:
        raise QueryError(f"unknown output format {fmt!r}")
    parsed = parse_query_results(data, format=QueryResultsFormat.JSON)
    return parsed.serialize(format=_RESULTS_FORMATS[fmt]) or b""


def result_table(result: QueryResult, *, prefixes: Mapping[str, str] = PREFIXES) -> Table:
    """A rich Table of the result; IRIs shortened with ``prefixes``, cells never read as markup."""
    if isinstance(result, AskResult):
        table = Table("answer")
        table.add_row("true" if result.value else "false")
        return table
    names = _TRIPLE_VARIABLES if isinstance(result, GraphResult) else result.variables
    rows: Iterable[Sequence[Term | None]] = (
        (tuple(t) for t in result.triples)
        if isinstance(result, GraphResult)
        else (tuple(s) for s in result.solutions)
    )
    table = Table(*names)
    shorten = _Shortener(prefixes)
    count = 0
    for row in rows:
        table.add_row(*(Text(shorten(term)) for term in row))
        count += 1
    table.caption = f"{count} rows" + (" (truncated)" if result.truncated else "")
    return table


def render_results(
    result: QueryResult,
    fmt: str,
    console: Console,
    *,
    prefixes: Mapping[str, str] = PREFIXES,
) -> None:
    """Print a result to ``console``: a table, or the exact bytes of another format.

    Raises:
        QueryError: the format does not apply to this kind of result.
    """
    if fmt == "table":
        console.print(result_table(result, prefixes=prefixes))
        return
    data = serialize_result(result, fmt, prefixes=prefixes).decode()
    console.file.write(data if data.endswith("\n") or not data else data + "\n")
    console.file.flush()


class _Shortener:
    """Terms as short text: ``prefix:local`` when a namespace matches, else ``<iri>``."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self._namespaces = sorted(prefixes.items(), key=lambda item: -len(item[1]))

    def __call__(self, term: Term | None) -> str:
        if term is None:
            return ""
        if isinstance(term, NamedNode):
            for prefix, namespace in self._namespaces:
                if term.value.startswith(namespace) and len(term.value) > len(namespace):
                    return f"{prefix}:{term.value[len(namespace) :]}"
            return f"<{term.value}>"
        if isinstance(term, Literal):
            return term.value + (f"@{term.language}" if term.language else "")
        if isinstance(term, BlankNode):
            return f"_:{term.value}"
        return f"<< {self(term.subject)} {self(term.predicate)} {self(term.object)} >>"
