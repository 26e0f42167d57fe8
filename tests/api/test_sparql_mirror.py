"""The in-memory mirror answers exactly what the disk store answers, within the same limits.

A differential test: every README example and generated queries over the state, things and
meta graphs run on an on-disk store with and without the mirror (one mirror kept in step
by the store's change listener from the first write, one copied from the filled store);
the results must be equal, in order where ``ORDER BY`` fixes it, as multisets otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sparql_fixture import fill_store, fixture_pipeline, translate_all

from translator.api.app import create_app
from translator.api.sparql import sparql_router
from translator.api.sparql_examples import EXAMPLES, example
from translator.errors import QueryError, StoreError
from translator.ontology.files import ontology_dir
from translator.rdf.namespaces import META_GRAPH, STATE_GRAPH, THINGS_GRAPH
from translator.settings import SparqlSettings
from translator.twin.endpoint import protocol_query
from translator.twin.mirror import GraphMirror
from translator.twin.sparql import AskResult, GraphResult, QueryResult
from translator.twin.store import TwinStore

STATE, THINGS, META = (f"<{iri}>" for iri in (STATE_GRAPH, THINGS_GRAPH, META_GRAPH))
STATE_QUERY = (
    f"SELECT ?thing ?value WHERE {{ GRAPH {STATE} {{ ?s tr:ofThing ?thing ; "
    "sosa:observedProperty trp:temperature ; sosa:hasSimpleResult ?value } } ORDER BY ?thing"
)
ENDLESS = f"SELECT * WHERE {{ GRAPH {META} {{ ?a ?b ?c . ?d ?e ?f }} }}"


class Stores:
    """The fixture on disk, a mirror that followed every write, one copied afterwards."""

    def __init__(self, folder: Path) -> None:
        self.store = TwinStore.open(folder / "store")
        self.followed = GraphMirror.attach(self.store, rebuild_after=50)
        pipeline = fixture_pipeline()
        self.store.load_meta(pipeline.mappings.mappings.values(), ontology=ontology_dir())
        for message in translate_all(pipeline):  # one at a time: the state is replaced often
            self.store.write([message])
        self.copied = GraphMirror.attach(self.store)
        assert self.followed.stats().rebuilds > 0  # the fixture exercised a rebuild


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    made = Stores(tmp_path_factory.mktemp("mirror"))
    yield made
    made.store.close()


def rows(result: QueryResult) -> list[tuple[Any, ...]]:
    if isinstance(result, AskResult):
        return [(result.value,)]
    if isinstance(result, GraphResult):
        return [tuple(triple) for triple in result.triples]
    return [tuple(solution) for solution in result.solutions]


def assert_same(sparql: str, stores: Stores, *, ordered: bool, inside: bool = True) -> None:
    disk = protocol_query(stores.store, sparql)
    for mirror in (stores.followed, stores.copied):
        assert (mirror.store_for(sparql) is not None) == inside
        memory = protocol_query(stores.store, sparql, mirror=mirror)
        assert type(memory) is type(disk)
        if ordered:
            assert rows(memory) == rows(disk)
        else:
            assert Counter(rows(memory)) == Counter(rows(disk))


@pytest.mark.parametrize("slug", [e.slug for e in EXAMPLES])
def test_every_example_answers_the_same(stores: Stores, slug: str) -> None:
    query = example(slug)
    assert_same(
        query.sparql,
        stores,
        ordered="ORDER BY" in query.sparql,
        inside=query.reads == "state" and slug != "provenance",
    )


FIXED = {
    "construct": f"CONSTRUCT {{ ?t tr:area ?a }} WHERE {{ GRAPH {THINGS} {{ ?t tr:area ?a }} }}",
    "ask true": f"ASK {{ GRAPH {STATE} {{ ?s a tr:State }} }}",
    "ask false": f"ASK {{ GRAPH {STATE} {{ ?s a sosa:Observation }} }}",
    "blank nodes of the ontology": (
        f"SELECT ?shape ?property ?path WHERE {{ GRAPH {META} {{ ?shape sh:property ?property . "
        "?property sh:path ?path } }"
    ),
    "every quad of the small graphs": (
        f"SELECT ?s ?p ?o WHERE {{ {{ GRAPH {STATE} {{ ?s ?p ?o }} }} UNION "
        f"{{ GRAPH {THINGS} {{ ?s ?p ?o }} }} UNION {{ GRAPH {META} {{ ?s ?p ?o }} }} }}"
    ),
    "not exists across graphs": (
        f"SELECT ?property WHERE {{ GRAPH {STATE} {{ ?s sosa:observedProperty ?property }} "
        f"FILTER NOT EXISTS {{ GRAPH {META} {{ ?property qudt:hasQuantityKind ?k }} }} }}"
    ),
}


@pytest.mark.parametrize("name", list(FIXED))
def test_other_query_forms_answer_the_same(stores: Stores, name: str) -> None:
    assert_same(FIXED[name], stores, ordered=False)


# --- generated queries over the state, things and meta graphs ------------------------------

STATE_PATTERNS = (
    "?s sosa:hasSimpleResult ?value",
    "?s sosa:resultTime ?time",
    "?s qudt:unit ?unit",
    "?s tr:latestObservation ?obs",
    "?s a ?type",
)
THINGS_PATTERNS = (
    "?thing a ?class",
    "?thing rdfs:label ?label",
    "?thing tr:area ?area",
    "?thing tr:registeredBy ?plan",
)
META_PATTERNS = (  # one each, joined on a state variable: no runaway cross products
    "?property qudt:hasQuantityKind ?kind",
    "?property rdfs:label ?plabel",
    "?unit qudt:symbol ?symbol",
    "?unit rdfs:label ?ulabel",
)
FILTERS = (
    "FILTER (isNumeric(?value) && ?value > 20)",
    'FILTER (STRSTARTS(STR(?thing), "urn:dev:zigbee2mqtt:"))',
    'FILTER (?time < "2026-11-25T11:00:00Z"^^xsd:dateTime)',
    "FILTER (BOUND(?unit))",
    'FILTER (!BOUND(?label) || LANG(?label) = "")',
    'FILTER (?area != "kitchen")',
)
VARIABLES = ("thing", "property", "value", "time", "unit", "label", "area", "kind", "class")


def block(draw: st.DrawFn, graph: str, required: list[str], pool: tuple[str, ...]) -> str:
    """``GRAPH <g> { … }``: the required patterns, then some of ``pool``, some OPTIONAL."""
    rest = [p for p in pool if p not in required]
    extra = draw(st.lists(st.sampled_from(rest), max_size=3, unique=True)) if rest else []
    body = [f"{p} ." for p in required]
    body += [f"OPTIONAL {{ {p} }}" if draw(st.booleans()) else f"{p} ." for p in extra]
    return f"GRAPH {graph} {{ {' '.join(body)} }}"


@st.composite
def blocks(draw: st.DrawFn) -> str:
    """The state graph, maybe joined with the things and the meta graphs."""
    parts = [block(draw, STATE, ["?s tr:ofThing ?thing", "?s sosa:observedProperty ?property"],
                   STATE_PATTERNS)]  # fmt: skip
    if draw(st.booleans()):
        first = draw(st.sampled_from(THINGS_PATTERNS))
        parts.append(block(draw, THINGS, [first], THINGS_PATTERNS))
    if draw(st.booleans()):
        parts.append(block(draw, META, [draw(st.sampled_from(META_PATTERNS))], ()))
    return " ".join(parts)


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, bool]:
    """A SELECT over the small graphs, and whether ORDER BY fixes its order."""
    where = draw(blocks())
    where += " " + " ".join(draw(st.lists(st.sampled_from(FILTERS), max_size=2, unique=True)))
    shown = draw(st.lists(st.sampled_from(VARIABLES), min_size=1, max_size=3, unique=True))
    names = " ".join(f"?{v}" for v in shown)
    if draw(st.booleans()):  # grouped
        head = f"SELECT {names} (COUNT(*) AS ?n) (MAX(?time) AS ?last)"
        tail = f"GROUP BY {names}"
        names += " ?n ?last"
    else:
        head = f"SELECT {'DISTINCT ' if draw(st.booleans()) else ''}{names}"
        tail = ""
    ordered = draw(st.booleans())
    if ordered:
        tail += f" ORDER BY {names}"
        if draw(st.booleans()):
            tail += f" LIMIT {draw(st.integers(1, 5))} OFFSET {draw(st.integers(0, 3))}"
    return f"{head} WHERE {{ {where} }} {tail}", ordered


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=queries())
def test_generated_state_queries_answer_the_same(stores: Stores, query: tuple[str, bool]) -> None:
    sparql, ordered = query
    assert_same(sparql, stores, ordered=ordered)


# --- limits, refusals and errors on the mirror path ---------------------------------------


def test_the_row_cap_cuts_the_same_way(stores: Stores) -> None:
    sparql = FIXED["every quad of the small graphs"] + " ORDER BY ?s ?p ?o"
    disk = protocol_query(stores.store, sparql, max_rows=7)
    memory = protocol_query(stores.store, sparql, max_rows=7, mirror=stores.followed)
    assert rows(memory) == rows(disk)
    assert len(rows(memory)) == 7
    assert memory.truncated  # type: ignore[union-attr]
    assert disk.truncated  # type: ignore[union-attr]


def test_a_late_query_stops_the_same_way(stores: Stores) -> None:
    assert stores.followed.store_for(ENDLESS) is not None
    for mirror in (None, stores.followed):
        with pytest.raises(QueryError, match="ran longer than"):
            protocol_query(stores.store, ENDLESS, timeout_s=0.05, mirror=mirror)


@pytest.mark.parametrize(
    "sparql",
    [
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} SERVICE <http://example.org/> {{ }} }}",
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p ?o }} SERV\\u0049CE <http://x/> {{ }} }}",
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s ?p }} }}",
        f"SELECT * WHERE {{ GRAPH {STATE} {{ ?s nope:p ?o }} }}",
    ],
)
def test_refusals_and_errors_are_the_store_s(stores: Stores, sparql: str) -> None:
    with pytest.raises(QueryError) as disk:
        protocol_query(stores.store, sparql)
    with pytest.raises(QueryError) as memory:
        protocol_query(stores.store, sparql, mirror=stores.followed)
    assert str(memory.value) == str(disk.value)


def test_a_closed_store_answers_nothing(tmp_path: Path) -> None:
    store = TwinStore.open(tmp_path / "store")
    mirror = GraphMirror.attach(store)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        protocol_query(store, STATE_QUERY, mirror=mirror)


# --- through HTTP --------------------------------------------------------------------------


@pytest.fixture
def stale(tmp_path: Path) -> Iterator[tuple[TwinStore, GraphMirror]]:
    """A store whose mirror was copied once and then not told of the fixture's writes."""
    with TwinStore.open(tmp_path / "store") as store:
        mirror = GraphMirror(store)
        mirror.resync()
        fill_store(store)
        yield store, mirror


def client_for(store: TwinStore, mirror: GraphMirror | None = None) -> httpx.AsyncClient:
    app = create_app([sparql_router(store, SparqlSettings(), mirror=mirror)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def stale_client(
    stale: tuple[TwinStore, GraphMirror],
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(*stale) as opened:
        yield opened


def count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return len(response.json()["results"]["bindings"])


async def test_state_queries_go_to_the_mirror(stale_client: httpx.AsyncClient) -> None:
    """The stale mirror is empty: a query it answers has no rows."""
    assert count(await stale_client.post("/sparql", data={"query": STATE_QUERY})) == 0


async def test_mixed_and_history_queries_go_to_the_store(stale_client: httpx.AsyncClient) -> None:
    for slug in ("provenance", "history-window", "per-mapping"):
        response = await stale_client.post("/sparql", data={"query": example(slug).sparql})
        assert count(response) > 0, slug


async def test_a_named_dataset_goes_to_the_store(stale_client: httpx.AsyncClient) -> None:
    params = {"query": STATE_QUERY, "named-graph-uri": STATE_GRAPH}
    assert count(await stale_client.get("/sparql", params=params)) > 0
    with_from = STATE_QUERY.replace("WHERE", f"FROM NAMED {STATE} WHERE", 1)
    assert count(await stale_client.post("/sparql", data={"query": with_from})) > 0


async def test_an_update_is_seen_by_the_next_state_query(
    stale: tuple[TwinStore, GraphMirror], stale_client: httpx.AsyncClient
) -> None:
    store, mirror = stale
    update = f'INSERT DATA {{ GRAPH {THINGS} {{ <urn:dev:new> tr:area "attic" }} }}'
    response = await stale_client.post("/sparql/update", data={"update": update})
    assert response.status_code == 204, response.text
    query = f"SELECT ?t WHERE {{ GRAPH {THINGS} {{ ?t tr:area ?a }} }}"
    assert mirror.store_for(query) is not None
    found = (await stale_client.post("/sparql", data={"query": query})).json()
    assert {row["t"]["value"] for row in found["results"]["bindings"]} >= {"urn:dev:new"}
    assert count(await stale_client.post("/sparql", data={"query": STATE_QUERY})) == 4
    snapshot = mirror.snapshot()
    assert snapshot is not None
    assert ox.NamedNode("urn:dev:new") in {quad.subject for quad in snapshot}
    assert store.query("ASK { GRAPH ?g { <urn:dev:new> ?p ?o } }") == AskResult(True)


async def test_the_router_attaches_a_mirror_of_its_own(tmp_path: Path) -> None:
    with TwinStore.open(tmp_path / "store") as store:
        async with client_for(store) as client:
            fill_store(store)  # after the router: its mirror follows the writes
            assert count(await client.post("/sparql", data={"query": STATE_QUERY})) == 4
