"""SPARQL on the store: SERVICE refused, read-only, limits, result kinds."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from twin_samples import SENSOR, message, minutes, temperature

from translator.errors import QueryError
from translator.twin.sparql import AskResult, GraphResult, SelectResult, uses_service
from translator.twin.store import TwinStore

REFUSED = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE ?endpoint { ?s ?p ?o } }",
    "SELECT * WHERE {\n# a comment\nSERVICE<http://example.org/>{?s ?p ?o}}",
    "SELECT * WHERE { ?s ?p 'x' . SERVICE <http://e/> { } }",
    "SELECT * WHERE { ?a ?b ?c FILTER(?a<?b)SERVICE<http://e/>{} }",
    "SELECT * WHERE { \\u0053ERVICE <http://e/> { ?s ?p ?o } }",
]
ALLOWED = [
    "SELECT * WHERE { ?s ?p 'SERVICE <http://e/> { }' }",
    'SELECT * WHERE { ?s ?p """multi\nline SERVICE""" }',
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:x ?o }",
    "SELECT * WHERE { ?s tr:SERVICE ?o }",
    "SELECT ?service WHERE { ?service ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE in a comment",
    "SELECT * WHERE { ?s ?p ?o . ?o trp:serviceLevel ?x }",
]


@pytest.mark.parametrize("query", REFUSED)
def test_service_is_refused_in_every_spelling(store: TwinStore, query: str) -> None:
    assert uses_service(query)
    with pytest.raises(QueryError, match="SERVICE is refused"):
        store.query(query)


@pytest.mark.parametrize("query", ALLOWED)
def test_the_word_service_elsewhere_is_fine(store: TwinStore, query: str) -> None:
    assert not uses_service(query)
    assert isinstance(store.query(query), SelectResult)


def test_pyoxigraph_itself_would_try_the_network() -> None:
    """Why the refusal matters: the bare library does fetch SERVICE endpoints."""
    with pytest.raises(OSError, match="port 9"):
        list(ox.Store().query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p }",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "SELECT * WHERE { ?s undeclared:p ?o }",
    ],
)
def test_malformed_queries_and_updates_are_query_errors(store: TwinStore, query: str) -> None:
    store.write([temperature(1.0)])
    with pytest.raises(QueryError, match="invalid SPARQL"):
        store.query(query)
    assert store.latest()  # nothing was deleted


def test_result_kinds(store: TwinStore) -> None:
    store.write([message([("temperature", 20.0, "DEG_C"), ("onOff", True, None)])])
    select = store.query(
        "SELECT ?p WHERE { ?o a sosa:Observation ; sosa:observedProperty ?p } ORDER BY ?p"
    )
    assert isinstance(select, SelectResult)
    assert select.variables == ("p",)
    assert [s["p"].value.rsplit("/", 1)[1] for s in select.solutions] == ["onOff", "temperature"]
    ask = store.query(f"ASK {{ ?o sosa:madeBySensor <{SENSOR}> }}")
    assert ask == AskResult(True)
    graph = store.query("CONSTRUCT { ?o a sosa:Observation } WHERE { ?o a sosa:Observation }")
    assert isinstance(graph, GraphResult)
    assert len(graph.triples) == 2
    described = store.query(f"DESCRIBE <{SENSOR}>")
    assert isinstance(described, GraphResult)


def test_max_rows_truncates(store: TwinStore) -> None:
    store.write([temperature(float(i), minutes(i)) for i in range(5)])
    result = store.query("SELECT ?o WHERE { ?o a sosa:Observation }", max_rows=3)
    assert isinstance(result, SelectResult)
    assert (len(result.solutions), result.truncated) == (3, True)
    whole = store.query("SELECT ?o WHERE { ?o a sosa:Observation }", max_rows=5, timeout_s=30)
    assert isinstance(whole, SelectResult)
    assert (len(whole.solutions), whole.truncated) == (5, False)
    triples = store.query("CONSTRUCT WHERE { ?o a sosa:Observation }", max_rows=2)
    assert isinstance(triples, GraphResult)
    assert (len(triples.triples), triples.truncated) == (2, True)


def test_a_query_over_its_time_is_stopped(store: TwinStore) -> None:
    store.write([temperature(float(i), minutes(i)) for i in range(300)])
    endless = "SELECT * WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"  # ~10^10 rows, streamed
    with pytest.raises(QueryError, match="longer than"):
        store.query(endless, timeout_s=0.2)
    assert store.query("ASK { ?s ?p ?o }", timeout_s=30) == AskResult(True)


def test_prefixes_are_predeclared_and_replaceable(store: TwinStore) -> None:
    store.write([temperature(1.0)])
    assert store.query("ASK { ?o a sosa:Observation }") == AskResult(True)
    with pytest.raises(QueryError):
        store.query("ASK { ?o a sosa:Observation }", prefixes={"s": "http://www.w3.org/ns/sosa/"})
    assert store.query(
        "ASK { ?o a s:Observation }", prefixes={"s": "http://www.w3.org/ns/sosa/"}
    ) == AskResult(True)
