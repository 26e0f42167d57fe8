"""Query output formats: what `translator query` prints and the SPARQL endpoint serves."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rich.console import Console
from twin_samples import SENSOR, message, temperature

from translator.errors import QueryError
from translator.twin.query import FORMATS, media_type, render_results, serialize_result
from translator.twin.sparql import AskResult, SelectResult
from translator.twin.store import TwinStore

SELECT = """SELECT ?obs ?p ?v ?lang ?nothing WHERE {
    ?obs a sosa:Observation ; sosa:observedProperty ?p .
    OPTIONAL { ?obs sosa:hasSimpleResult ?v }
    OPTIONAL { ?obs sosa:hasResult/qudt:numericValue ?v }
    BIND(STRLANG("salut", "fr") AS ?lang)
} ORDER BY ?p"""


@pytest.fixture
def filled(store: TwinStore) -> TwinStore:
    store.write([message([("temperature", 21.5, "DEG_C"), ("action", "[bold]x[/bold]", None)])])
    return store


def test_json_is_exactly_what_pyoxigraph_would_write(filled: TwinStore) -> None:
    ours = json.loads(serialize_result(filled.query(SELECT), "json"))
    reference = ox.Store()
    reference.extend(
        ox.Quad(t.subject, t.predicate, t.object)
        for t in filled.query("CONSTRUCT WHERE { ?s ?p ?o }").triples  # type: ignore[union-attr]
    )
    theirs = reference.query(
        SELECT,
        prefixes={"sosa": "http://www.w3.org/ns/sosa/", "qudt": "http://qudt.org/schema/qudt/"},
    )
    assert ours == json.loads(theirs.serialize(format=ox.QueryResultsFormat.JSON))  # type: ignore[union-attr]
    assert ours["head"]["vars"] == ["obs", "p", "v", "lang", "nothing"]
    assert {"type": "literal", "value": "salut", "xml:lang": "fr"} in [
        b["lang"] for b in ours["results"]["bindings"]
    ]


def test_csv_tsv_and_xml(filled: TwinStore) -> None:
    result = filled.query(SELECT)
    rows = list(csv.reader(io.StringIO(serialize_result(result, "csv").decode())))
    assert rows[0] == ["obs", "p", "v", "lang", "nothing"]
    assert [r[1].rsplit("/", 1)[1] for r in rows[1:]] == ["action", "temperature"]
    assert [r[2] for r in rows[1:]] == ["[bold]x[/bold]", "21.5"]
    tsv = serialize_result(result, "tsv").decode().splitlines()
    assert tsv[0] == "?obs\t?p\t?v\t?lang\t?nothing"
    assert '"21.5"^^<http://www.w3.org/2001/XMLSchema#double>' in tsv[2]
    root = ET.fromstring(serialize_result(result, "xml"))
    assert len(root.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 2


def test_ask_in_every_format(filled: TwinStore) -> None:
    yes = filled.query("ASK { ?s a sosa:Observation }")
    no = filled.query("ASK { ?s a sosa:Actuation }")
    assert (yes, no) == (AskResult(True), AskResult(False))
    assert json.loads(serialize_result(yes, "json")) == {"head": {}, "boolean": True}
    assert serialize_result(no, "csv").strip() == b"false"
    assert serialize_result(yes, "tsv").strip() == b"true"
    assert b"<boolean>false</boolean>" in serialize_result(no, "xml")
    assert b"true" in serialize_result(yes, "table")


def test_graph_results_as_rdf(filled: TwinStore) -> None:
    result = filled.query(
        f"CONSTRUCT {{ ?o ?p ?v }} WHERE {{ ?o sosa:madeBySensor <{SENSOR}> ; ?p ?v }}"
    )
    turtle = serialize_result(result, "turtle").decode()
    assert "@prefix sosa:" in turtle
    ntriples = serialize_result(result, "ntriples").decode()
    assert isomorphic(
        rdflib.Graph().parse(data=turtle, format="turtle"),
        rdflib.Graph().parse(data=ntriples, format="nt"),
    )
    assert len(rdflib.Graph().parse(data=ntriples, format="nt")) == 12
    jsonld = ox.parse(serialize_result(result, "json"), format=ox.RdfFormat.JSON_LD)
    assert len(list(jsonld)) == 12
    rows = list(csv.reader(io.StringIO(serialize_result(result, "csv").decode())))
    assert rows[0] == ["subject", "predicate", "object"]
    assert len(rows) == 13


def test_formats_that_do_not_apply_are_refused(filled: TwinStore) -> None:
    with pytest.raises(QueryError, match="CONSTRUCT"):
        serialize_result(filled.query(SELECT), "turtle")
    with pytest.raises(QueryError, match="unknown output format"):
        serialize_result(filled.query(SELECT), "yaml")


def test_table_shortens_iris_and_never_reads_markup(filled: TwinStore) -> None:
    console = Console(file=io.StringIO(), width=300, color_system=None)
    render_results(filled.query(SELECT), "table", console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "trp:temperature" in text
    assert "[bold]x[/bold]" in text  # shown as written, not as bold x
    assert "salut@fr" in text
    assert "2 rows" in text


def test_table_says_when_rows_were_cut(store: TwinStore) -> None:
    store.write([temperature(float(i)) for i in range(3)])
    result = store.query("SELECT ?o WHERE { ?o a sosa:Observation }", max_rows=2)
    assert isinstance(result, SelectResult)
    assert b"2 rows (truncated)" in serialize_result(result, "table")


def test_render_writes_the_exact_bytes_for_machine_formats(filled: TwinStore) -> None:
    buffer = io.StringIO()
    render_results(filled.query(SELECT), "csv", Console(file=buffer, width=20))
    assert buffer.getvalue() == serialize_result(filled.query(SELECT), "csv").decode()


def test_every_format_has_a_media_type(filled: TwinStore) -> None:
    select, graph = (
        filled.query(SELECT),
        filled.query("DESCRIBE ?s WHERE { ?s a sosa:Observation }"),
    )
    assert media_type(select, "json") == "application/sparql-results+json"
    assert media_type(select, "csv") == "text/csv; charset=utf-8"
    assert media_type(graph, "turtle") == "text/turtle"
    assert media_type(graph, "json") == "application/ld+json"
    assert {media_type(select, f) for f in FORMATS} >= {"text/plain"}
