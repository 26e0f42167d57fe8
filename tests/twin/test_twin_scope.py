"""Which queries read only the mirrored graphs: inside when certain, outside otherwise."""

from __future__ import annotations

import pytest

from translator.api.sparql_examples import EXAMPLES
from translator.rdf.namespaces import META_GRAPH, STATE_GRAPH, THINGS_GRAPH
from translator.twin.mirror import MIRRORED_GRAPHS
from translator.twin.scope import MAX_PARSED_CHARS, GraphScope

STATE = f"<{STATE_GRAPH}>"
THINGS = f"<{THINGS_GRAPH}>"
META = f"<{META_GRAPH}>"

INSIDE = {
    "one graph": f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} }}",
    "two graphs joined": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s tr:ofThing ?t }} GRAPH {THINGS} {{ ?t a ?c }} }}"
    ),
    "optional, union, minus": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o OPTIONAL {{ ?s qudt:unit ?u }} }} "
        f"{{ GRAPH {THINGS} {{ ?t a ?c }} }} UNION {{ GRAPH {META} {{ ?t a ?c }} }} "
        f"MINUS {{ GRAPH {META} {{ ?t rdfs:label ?l }} }} }}"
    ),
    "filters, bind, values, aggregates": (
        f"SELECT ?t (COUNT(?s) AS ?n) WHERE {{ GRAPH {STATE} {{ ?s tr:ofThing ?t ; "
        "sosa:hasSimpleResult ?v } FILTER (?v > 1) BIND (STR(?t) AS ?name) "
        "VALUES ?x { 1 2 } } GROUP BY ?t HAVING (COUNT(?s) > 0) ORDER BY ?t LIMIT 5"
    ),
    "exists inside the graph": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o FILTER EXISTS {{ ?s a tr:State }} }} }}"
    ),
    "exists in a graph of its own": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s tr:ofThing ?t }} "
        f"FILTER NOT EXISTS {{ GRAPH {THINGS} {{ ?t tr:area ?a }} }} }}"
    ),
    "sub-query inside": (
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} }} LIMIT 1 }} }}"
    ),
    "property path": f"SELECT * WHERE {{ GRAPH {META} {{ ?c rdfs:subClassOf+ ?d }} }}",
    "ask": f"ASK {{ GRAPH {STATE} {{ ?s ?p ?o }} }}",
    "construct": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {THINGS} {{ ?s ?p ?o }} }}",
    "graph through a declared prefix": (
        "PREFIX g: <https://w3id.org/semantic-translator/graph/> "
        "SELECT * WHERE { GRAPH g:state { ?s ?p ?o } }"
    ),
    "scene graph": (
        "SELECT * WHERE { GRAPH <https://w3id.org/semantic-translator/graph/scene> { ?s ?p ?o } }"
    ),
    "no pattern but in a graph": f"SELECT * WHERE {{ GRAPH {STATE} {{ }} }}",
}

OUTSIDE = {
    "default graph pattern": "SELECT * WHERE { ?s ?p ?o }",
    "mixed with history": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s tr:latestObservation ?obs }} "
        "?obs sosa:resultTime ?t }"
    ),
    "variable graph": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "variable graph inside a mirrored one": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
    ),
    "unmirrored graph": "SELECT * WHERE { GRAPH <urn:graph:notes> { ?s ?p ?o } }",
    "observations graph IRI": (
        "SELECT * WHERE { GRAPH <https://w3id.org/semantic-translator/graph/observations> "
        "{ ?s ?p ?o } }"
    ),
    "from": f"SELECT * FROM {STATE} WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} }}",
    "from named": f"SELECT * FROM NAMED {STATE} WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} }}",
    "service": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} SERVICE <http://x/> {{ ?s ?p ?o }} }}"
    ),
    "describe": f"DESCRIBE ?s WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} }}",
    "exists outside any graph": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} FILTER EXISTS {{ ?s ?q ?r }} }}"
    ),
    "exists outside, nested in an expression": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} "
        "BIND (IF(EXISTS { ?s ?q ?r }, 1, 0) AS ?x) }"
    ),
    "sub-query outside": (
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} {{ SELECT ?s WHERE {{ ?s ?q ?r }} }} }}"
    ),
    "construct where (default graph)": "CONSTRUCT WHERE { ?s ?p ?o }",
    "base": (
        "BASE <https://w3id.org/semantic-translator/graph/> "
        "SELECT * WHERE { GRAPH <state> { ?s ?p ?o } }"
    ),
    "escapes": f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o \\u007D ?a ?b ?c }}",
    "malformed": f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p }}",
    "unknown prefix": f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s nope:p ?o }} }}",
    "an update": f"INSERT DATA {{ GRAPH {STATE} {{ <urn:a> <urn:b> <urn:c> }} }}",
}


@pytest.fixture(scope="module")
def scope() -> GraphScope:
    return GraphScope(MIRRORED_GRAPHS)


@pytest.mark.parametrize("name", list(INSIDE))
def test_inside(scope: GraphScope, name: str) -> None:
    assert scope.contains(INSIDE[name])


@pytest.mark.parametrize("name", list(OUTSIDE))
def test_outside(scope: GraphScope, name: str) -> None:
    assert not scope.contains(OUTSIDE[name])


def test_the_examples_that_read_only_state_and_things() -> None:
    scope = GraphScope(MIRRORED_GRAPHS)
    inside = {example.slug for example in EXAMPLES if scope.contains(example.sparql)}
    assert inside == {
        "latest-state",
        "area-above-threshold",
        "things-by-type",
        "properties-by-kind",
        "silent-things",
    }


def test_only_the_graphs_it_was_given() -> None:
    query = INSIDE["two graphs joined"]
    assert GraphScope([STATE_GRAPH, THINGS_GRAPH]).contains(query)
    assert not GraphScope([STATE_GRAPH]).contains(query)


def test_the_verdict_is_cached_within_a_bound() -> None:
    scope = GraphScope(MIRRORED_GRAPHS, cache_size=2)
    queries = [INSIDE["one graph"], INSIDE["ask"], OUTSIDE["variable graph"]]
    assert [scope.contains(q) for q in queries] == [True, True, False]
    assert [scope.contains(q) for q in reversed(queries)] == [False, True, True]
    assert scope.cached() == 2


def test_long_texts_are_not_parsed_nor_cached() -> None:
    scope = GraphScope(MIRRORED_GRAPHS)
    query = INSIDE["one graph"]
    padded = query + " #" + "x" * (MAX_PARSED_CHARS - len(query))
    assert not scope.contains(padded)
    assert scope.contains(query)
    assert scope.cached() == 1
